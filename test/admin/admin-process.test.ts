import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port.js';

/**
 * The wizard contract as a user meets it, on the built server (`node dist/src/standalone/main.js`,
 * what `npm start` runs): `BRIDGE_DEMO=0` starts unconfigured with the wizard at /admin, a
 * generated admin token is printed exactly once, a restart keeps it valid, and
 * `BRIDGE_ADMIN_TOKEN` sets it.
 */
const MAIN = path.resolve('dist/src/standalone/main.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Running {
  const clean = { ...process.env };
  delete clean.BRIDGE_CONFIG;
  delete clean.BRIDGE_ADMIN_TOKEN;
  const child = spawn(process.execPath, [MAIN], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForHealth(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(running: Running): Promise<void> {
  running.child.kill('SIGTERM');
  await running.exited;
}

function adminCall(url: string, token: string): Promise<Response> {
  return fetch(`${url}/admin/api/config/get`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });
}

describe('BRIDGE_DEMO=0: the unconfigured server with the wizard', () => {
  let dir: string;
  beforeAll(() => {
    if (!fs.existsSync(MAIN)) throw new Error('dist/ is missing: npm test builds it first (npm run build)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-admin-proc-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints a generated admin token once, keeps it valid across a restart, and serves "not set up yet" until configured', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { BRIDGE_DEMO: '0', PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'data') };

    const first = run(env);
    await waitForHealth(url);
    const token = /Admin token \(shown only now; keep it\): (\S+)/.exec(first.output())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.output()).toContain(`${url}/admin/`);
    expect((await fetch(`${url}/admin/`)).status).toBe(200);
    expect((await adminCall(url, token!)).status).toBe(200);
    expect((await adminCall(url, 'wrong')).status).toBe(401);
    const sso = await fetch(`${url}/saml/sso?SAMLRequest=x`);
    expect(sso.status).toBe(503);
    expect(sso.headers.get('x-bridge-error')).toBe('config_missing');
    await stop(first);

    const second = run(env);
    await waitForHealth(url);
    expect(second.output()).not.toContain(token!);
    expect(second.output()).toContain('BRIDGE_RESET_ADMIN_TOKEN=1');
    expect((await adminCall(url, token!)).status).toBe(200);
    await stop(second);
  });

  it('uses BRIDGE_ADMIN_TOKEN, and refuses one too short to be safe', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const chosen = 'process-test-admin-token-0123456789';
    const given = run({ BRIDGE_DEMO: '0', PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'given'), BRIDGE_ADMIN_TOKEN: chosen });
    await waitForHealth(url);
    expect(given.output()).not.toContain(chosen);
    expect((await adminCall(url, chosen)).status).toBe(200);
    await stop(given);

    const short = run({ BRIDGE_DEMO: '0', PORT: String(freePort()), BRIDGE_DATA_DIR: path.join(dir, 'short'), BRIDGE_ADMIN_TOKEN: 'secret' });
    expect(await short.exited).not.toBe(0);
    expect(short.output()).toContain('BRIDGE_ADMIN_TOKEN');
  });

  it('accepts each token of BRIDGE_ADMIN_TOKENS as its identity, generates none, and refuses a malformed list', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const alice = 'process-alice-token-0123456789';
    const bob = 'process-bob-token-9876543210';
    const named = run({ BRIDGE_DEMO: '0', PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'named'), BRIDGE_ADMIN_TOKENS: `alice=${alice}, bob=${bob}` });
    await waitForHealth(url);
    expect(named.output()).not.toContain(alice);
    expect(named.output()).not.toContain('shown only now');
    const ownersOf = async (token: string) =>
      (await (await fetch(`${url}/admin/api/owners/get`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' })).json()) as { you: string };
    await expect(ownersOf(alice)).resolves.toMatchObject({ you: 'alice' });
    await expect(ownersOf(bob)).resolves.toMatchObject({ you: 'bob' });
    expect((await adminCall(url, 'process-carol-token-0123456789')).status).toBe(401);
    await stop(named);

    const malformed = run({ BRIDGE_DEMO: '0', PORT: String(freePort()), BRIDGE_DATA_DIR: path.join(dir, 'malformed'), BRIDGE_ADMIN_TOKENS: `alice=${alice},alice=${bob}` });
    expect(await malformed.exited).not.toBe(0);
    expect(malformed.output()).toContain('BRIDGE_ADMIN_TOKENS');
  });
});
