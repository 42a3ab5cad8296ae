import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoConfig, demoMounts } from '../../dev/demo/demo-mode.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';
import type { Logger } from '../../src/core/ports.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';

/**
 * Demo mode end to end, as a new user meets it: the landing page, the demo Atlassian (node-saml
 * SP), the bridge, the demo OpenID provider (oidc-provider) and back, in one server, driven by
 * the browser-less user agent exactly as a browser without JavaScript would go.
 */

const user = (email: string) => demoUsers.find((u) => u.email === email)!;
const ATTR = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';

let app: StandaloneApp;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-demo-'));
  const quiet: Logger = { log: () => undefined };
  // As `npm start` does: the server listens on 127.0.0.1, the demo is addressed as localhost.
  const demoBase = (serverUrl: string) => serverUrl.replace('127.0.0.1', 'localhost');
  app = await startStandalone({
    port: 0,
    dataDir,
    logger: quiet,
    purgeIntervalMs: 3_600_000,
    config: (serverUrl) => demoConfig(demoBase(serverUrl)),
    mounts: (context) => demoMounts({ ...context, baseUrl: demoBase(context.serverUrl) }),
  });
  base = demoBase(app.serverUrl);
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Landing page → demo Atlassian → a sign-in button → (bridge) → the provider's login page. */
async function startAtHome(ua: UserAgent, button: string): Promise<Page> {
  const home = await ua.get(`${base}/`);
  expect(home.status).toBe(200);
  const spPage = await ua.get(new URL(home.$('a#start').attr('href')!, home.url), { initiator: home.url });
  expect(spPage.title()).toBe('Demo Atlassian (SAML service provider)');
  return ua.submit(spPage, { button });
}

/** Provider login page → credentials → (provider, bridge) → the bridge's auto-post → the SP's ACS. */
async function finishAtProvider(ua: UserAgent, loginPage: Page, email: string): Promise<{ acs: Page; autoPost: Page }> {
  expect(loginPage.url.startsWith(`${base}/demo-op/interaction/`)).toBe(true);
  const autoPost = await ua.submit(loginPage, { fields: { email, password: user(email).password }, button: 'Sign in' });
  return { autoPost, acs: autoPost.forms().length ? await ua.submit(autoPost) : autoPost };
}

describe('demo mode', () => {
  it('serves a landing page explaining the three parts, with the demo accounts', async () => {
    const home = await new UserAgent().get(`${base}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(home.$('a#start').text()).toBe('Start a demo login');
    for (const u of demoUsers) expect(home.text()).toContain(u.password);
  });

  it.each(['Sign in with HTTP-Redirect', 'Sign in with HTTP-POST'])('signs Alice in end to end (%s)', async (button) => {
    const ua = new UserAgent();
    let loginPage = await startAtHome(ua, button);
    if (button.endsWith('HTTP-POST')) {
      // The SP's auto-posting page (scripts do not run here): post it to the bridge.
      expect(loginPage.form('#saml-post').action).toBe(`${base}/saml/sso`);
      loginPage = await ua.submit(loginPage);
    }
    const alice = user('alice@example.com');
    const { acs } = await finishAtProvider(ua, loginPage, alice.email);
    expect(acs.url).toBe(`${base}/demo-sp/acs`);
    expect(acs.status).toBe(200);
    expect(acs.$('h1').text()).toBe('Signed in');
    expect(acs.$('#name-id').text()).toBe(alice.email);
    expect(acs.text()).toContain('https://start.atlassian.com');
    expect(acs.text()).toContain(alice.family_name);
  });

  it('shows the names from userinfo in the SAML attributes', async () => {
    const ua = new UserAgent();
    const bob = user('bob@example.com');
    const { acs } = await finishAtProvider(ua, await startAtHome(ua, 'Sign in with HTTP-Redirect'), bob.email);
    expect(acs.status).toBe(200);
    const rows = Object.fromEntries(
      acs.$('#attributes tbody tr').toArray().map((row) => [acs.$(row).find('td').first().text(), acs.$(row).find('td').last().text()]),
    );
    expect(rows).toMatchObject({ [`${ATTR}givenname`]: bob.given_name, [`${ATTR}surname`]: bob.family_name, [`${ATTR}name`]: bob.sub });
  });

  it.each(['mallory@example.com', 'eve@other.example'])('refuses %s at the bridge, before anything reaches the SP', async (email) => {
    const ua = new UserAgent();
    const { autoPost } = await finishAtProvider(ua, await startAtHome(ua, 'Sign in with HTTP-Redirect'), email);
    expect(autoPost.url.startsWith(`${base}/oidc/callback`)).toBe(true);
    expect(autoPost.status).toBe(403);
    expect(autoPost.forms()).toEqual([]);
  });
});
