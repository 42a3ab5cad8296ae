import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigGetResponse, TestResultResponse, TestStartResponse } from '../../src/core/admin/admin-api-types.js';
import type { Logger } from '../../src/core/ports.js';
import { demoMounts, demoSeed } from '../../dev/demo/demo-mode.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * Demo mode as `npm start` runs it: the demo configuration is written to the store as if saved
 * through the wizard, so /admin shows a configured bridge, its connection test signs in at the
 * demo provider, and the demo login keeps working through the stored configuration.
 */

const TOKEN = 'demo-wizard-test-token-0123456789';
let app: StandaloneApp;
let dataDir: string;
let base: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-demo-wizard-'));
  const quiet: Logger = { log: () => undefined };
  const demoBase = (serverUrl: string) => serverUrl.replace('127.0.0.1', 'localhost');
  app = await startStandalone({
    port: 0,
    dataDir,
    logger: quiet,
    purgeIntervalMs: 3_600_000,
    adminToken: TOKEN,
    baseUrl: demoBase,
    seed: demoSeed,
    mounts: (context) => demoMounts({ ...context, baseUrl: demoBase(context.serverUrl) }),
  });
  base = app.baseUrl;
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function api<T>(key: string, payload: unknown = {}): Promise<T> {
  const response = await fetch(`${base}/admin/api/${key}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, Origin: base },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('the wizard in demo mode', () => {
  it('shows the demo configuration as saved settings, complete, with the secret only as "set"', async () => {
    expect(base.startsWith('http://localhost:')).toBe(true);
    const overview = await api<ConfigGetResponse>('config/get');
    expect(overview.settings.oidc).toMatchObject({ issuer: `${base}/demo-op`, clientId: 'demo-bridge' });
    expect(overview.status).toMatchObject({ configured: true, clientSecretSet: true, missing: [] });
    expect(overview.bridge.callbackUrl).toBe(`${base}/oidc/callback`);
    expect(JSON.stringify(overview)).not.toContain(demoSeed(base).clientSecret);
  });

  it('runs a connection test against the demo provider', async () => {
    const { testId, startUrl } = await api<TestStartResponse>('test/start');
    expect(startUrl.startsWith(`${base}/test/start?`)).toBe(true);
    const agent = new UserAgent();
    const loginPage = await agent.get(startUrl);
    expect(loginPage.url.startsWith(`${base}/demo-op/`)).toBe(true);
    const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
    const page = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password }, button: 'Sign in' });
    expect(page.status).toBe(200);
    expect(page.forms()).toEqual([]);
    await expect(api<TestResultResponse>('test/result', { testId })).resolves.toMatchObject({ state: 'succeeded', nameId: alice.email });
  });

  it('signs in through the demo service provider with the stored configuration', async () => {
    const ua = new UserAgent();
    const spPage = await ua.get(`${base}/demo-sp/`);
    const loginPage = await ua.submit(spPage, { button: 'Sign in with HTTP-Redirect' });
    const bob = demoUsers.find((u) => u.email === 'bob@example.com')!;
    const autoPost = await ua.submit(loginPage, { fields: { email: bob.email, password: bob.password }, button: 'Sign in' });
    const acs = await ua.submit(autoPost);
    expect(acs.url).toBe(`${base}/demo-sp/acs`);
    expect(acs.$('#name-id').text()).toBe(bob.email);
  });
});
