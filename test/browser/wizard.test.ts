import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Logger } from '../../src/core/ports.js';
import { createDemoProvider, demoUsers } from '../../dev/demo/demo-provider.js';
import { createDemoServiceProvider, type DemoServiceProvider } from '../../dev/demo/demo-service-provider.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';

/**
 * The setup wizard in real Chromium, against the standalone server started unconfigured, as an
 * admin meets it: the admin token, every step against a real OpenID provider (oidc-provider)
 * and a real SAML service provider playing Atlassian Guard (node-saml), then a whole user
 * login with the configuration the wizard saved, without a restart. Each step is photographed
 * for the test artifacts and, with UPDATE_ADMIN_GUIDE=1 (`npm run docs:admin-guide`), for the
 * admin guide (docs/admin-guide, committed): ports and certificates differ on every run, so
 * rewriting the committed pictures on every test run would only make noise.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE_DIR = path.join(ROOT, 'docs/admin-guide');
const ARTIFACT_DIR = path.join(ROOT, 'test-artifacts/admin-guide');
const UPDATE_GUIDE = process.env.UPDATE_ADMIN_GUIDE === '1';
const ADMIN_TOKEN = 'wizard-test-admin-token-0123456789';
const CLIENT = { client_id: 'atlassian-bridge', client_secret: 'wizard-test-client-secret-0123456789' };
const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
const mallory = demoUsers.find((u) => u.email === 'mallory@example.com')!;
const STEP_TIMEOUT = 15_000;

let dataDir: string;
let app: StandaloneApp;
let opServer: http.Server;
let opUrl: string;
let spServer: http.Server;
let spUrl: string;
let serviceProvider: DemoServiceProvider | undefined;
let browser: Browser;
let adminContext: BrowserContext;
let page: Page;

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A picture for the test artifacts only (states the guide does not show). */
async function shootArtifact(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: path.join(ARTIFACT_DIR, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
}

async function shoot(target: Page, name: string): Promise<void> {
  // Let fonts and Atlaskit's transitions settle so the pictures do not change from run to run.
  await target.evaluate(() => document.fonts.ready.then(() => undefined));
  await target.mouse.move(0, 0);
  const buffer = await target.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  if (UPDATE_GUIDE) fs.writeFileSync(path.join(GUIDE_DIR, `${name}.png`), buffer);
  fs.writeFileSync(path.join(ARTIFACT_DIR, `${name}.png`), buffer);
}

/** The step's heading, which every step shows once loaded. */
async function onStep(title: string): Promise<void> {
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor({ timeout: STEP_TIMEOUT });
}

async function goToStep(title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: new RegExp(`^\\d?\\s*${title}`) }).click();
  await onStep(title);
}

async function save(): Promise<void> {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
}

/** Start test login → the provider's page in a new tab → sign in → the bridge's page in that tab. */
async function testLoginAs(user: { email: string; password: string }): Promise<Page> {
  const [popup] = await Promise.all([adminContext.waitForEvent('page'), page.getByRole('button', { name: 'Start test login' }).click()]);
  await popup.getByLabel('Email').fill(user.email);
  await popup.getByLabel('Password').fill(user.password);
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await popup.waitForURL((url) => url.href.startsWith(`${app.baseUrl}/oidc/callback`));
  await popup.waitForLoadState('load');
  return popup;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  }
  fs.mkdirSync(GUIDE_DIR, { recursive: true });
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-wizard-'));
  const quiet: Logger = { log: () => undefined };

  // The bridge, unconfigured: an empty store and no config, as `BRIDGE_DEMO=0 npm start` runs it.
  app = await startStandalone({ port: 0, dataDir, logger: quiet, purgeIntervalMs: 3_600_000, adminToken: ADMIN_TOKEN });

  // The OpenID provider on its own port, with the bridge's callback registered, as an admin
  // registers it at Okta in step 2.
  opServer = http.createServer();
  opUrl = await listen(opServer);
  const provider = await createDemoProvider({
    issuer: opUrl,
    clients: [{ ...CLIENT, redirect_uris: [`${app.baseUrl}/oidc/callback`] }],
  });
  opServer.on('request', provider.handle);

  // The service provider playing Guard. Like Guard, it learns the bridge's values in step 5,
  // from the wizard's page; until then it answers 503.
  spServer = http.createServer((req, res) => {
    if (serviceProvider) return serviceProvider.handle(req, res);
    res.writeHead(503, { 'Content-Type': 'text/plain' }).end('not set up yet\n');
  });
  spUrl = await listen(spServer);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-US' });
  page = await adminContext.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await close(opServer);
  await close(spServer);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the setup wizard in Chromium, standalone server', () => {
  it('takes an admin from an empty store to SSO live, and the configuration it saved signs a user in', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // Every answer of the admin API, to check that the client secret never comes back.
    const apiBodies: Promise<string>[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/admin/api/')) apiBodies.push(response.text().catch(() => ''));
    });

    // The admin token: a wrong one is refused with a clear message, the right one opens the wizard.
    await page.goto(`${app.serverUrl}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/');
    await page.getByLabel('Admin token').waitFor();
    await expect(page.getByLabel('Admin token').getAttribute('type')).resolves.toBe('password');
    await shoot(page, '00-admin-token');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That admin token was not accepted').waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();

    // 1 Overview: nothing configured yet.
    await onStep('Overview');
    await page.getByRole('heading', { name: 'Missing before the SSO URL can serve sign-ins' }).waitFor();
    await shoot(page, '01-overview');

    // 2 Callback URL: the bridge's redirect URI, the one registered at the provider above.
    await page.getByRole('button', { name: 'Start the setup' }).click();
    await onStep('Callback URL');
    await expect(page.getByLabel('Sign-in redirect URI').inputValue()).resolves.toBe(`${app.baseUrl}/oidc/callback`);
    await shoot(page, '02-callback-url');
    await page.getByRole('button', { name: 'Done, continue' }).click();

    // 3 OIDC provider: a wrong issuer fails discovery clearly; the right one fills the endpoints.
    await onStep('OIDC provider');
    // The server's check, shown under the field it is about: plain http is for this machine only.
    await page.getByLabel('Issuer URL').fill('http://idp.example.com');
    await page.getByLabel('Client ID').fill(CLIENT.client_id);
    await page.getByLabel('Client secret').fill(CLIENT.client_secret);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Not saved: fix the fields marked below' }).waitFor();
    await expect(page.getByLabel('Issuer URL').getAttribute('aria-invalid')).resolves.toBe('true');
    const issuerError = await page.getByLabel('Issuer URL').getAttribute('aria-describedby');
    await expect(page.locator(`[id="${issuerError!.split(' ').pop()}"]`).textContent()).resolves.toMatch(/https/);
    await shootArtifact(page, '03b-field-error');
    await page.getByLabel('Issuer URL').fill(`${spUrl}/no-discovery-here`);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Discovery failed' }).waitFor();
    await shootArtifact(page, '03a-discovery-failed');
    // The preset only shapes the hints: the local provider is an "Other".
    await page.getByLabel('Identity provider').focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'Other', exact: true }).click();
    await page.getByText('The issuer your provider documents').waitFor();
    await page.getByLabel('Issuer URL').fill(opUrl);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Provider found' }).waitFor();
    await expect(page.getByLabel('Token endpoint').inputValue()).resolves.toBe(`${opUrl}/token`);
    await page.getByLabel('Client ID').fill(CLIENT.client_id);
    await page.getByLabel('Client secret').fill(CLIENT.client_secret);
    await save();
    // Write-only: after saving, the secret field is empty and says a secret is set.
    await expect(page.getByLabel('Client secret').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Client secret').getAttribute('placeholder')).resolves.toContain('set');
    await shoot(page, '03-oidc-provider');
    await page.getByRole('button', { name: 'Next: Test the connection' }).click();

    // 4 Test the connection: a real login at the provider in a new tab, nothing sent to Atlassian.
    // First a user the bridge refuses (unverified email): the wizard shows the reference the
    // user's error page shows.
    await onStep('Test the connection');
    const refused = await testLoginAs(mallory);
    const refusedPage = (await refused.textContent('body')) ?? '';
    await refused.close();
    await page.getByRole('heading', { name: /^Test login failed/ }).waitFor();
    const reference = (await page.locator('#test-reference').textContent())!;
    expect(reference).toMatch(/\S{4,}/);
    expect(refusedPage).toContain(reference);
    await shootArtifact(page, '04b-test-failed');
    // The provider remembers who signed in; forget it so the next test asks again.
    await adminContext.clearCookies({ name: /^demo_op_/ });

    const popup = await testLoginAs(alice);
    await shootArtifact(popup, '04a-test-callback-page');
    await popup.close();
    await page.getByRole('heading', { name: 'Test login succeeded' }).waitFor();
    await expect(page.locator('#test-name-id').textContent()).resolves.toBe(alice.email);
    await page.getByRole('table', { name: 'Claims received from the provider' }).getByText(alice.sub).waitFor();
    // The test measured the binding cookie through this host (it came back): said in plain words.
    await page.getByRole('heading', { name: 'Login CSRF protection is on' }).waitFor();
    await shoot(page, '04-test-connection');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    // 5 Values for Atlassian Guard: what the admin pastes into Guard; here, into the demo SP.
    await onStep('Values for Atlassian Guard');
    const idpEntityId = await page.getByLabel('IdP Entity ID').inputValue();
    const idpSsoUrl = await page.getByLabel('IdP SSO URL').inputValue();
    const certificatePem = await page.getByLabel('X.509 certificate').inputValue();
    expect(idpSsoUrl).toBe(`${app.baseUrl}/saml/sso`);
    expect(certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
    const download = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download IdP metadata XML' }).click()]);
    const metadata = fs.readFileSync((await download[0].path())!, 'utf8');
    expect(metadata).toContain(idpEntityId);
    serviceProvider = createDemoServiceProvider({
      baseUrl: spUrl,
      entityId: `${spUrl}/metadata`,
      idpSsoUrl,
      idpIssuer: idpEntityId,
      idpCertificate: async () => certificatePem,
    });
    await shoot(page, '05-values-for-guard');
    await page.getByRole('button', { name: 'Done, continue' }).click();

    // 6 Values from Atlassian Guard: read from the SP's metadata; not Atlassian's, so a warning.
    await onStep('Values from Atlassian Guard');
    const spMetadata = await (await fetch(`${spUrl}/metadata`)).text();
    await page.getByLabel('SP metadata XML').fill(spMetadata);
    await page.getByRole('button', { name: 'Read values from metadata' }).click();
    await page.getByText('Filled in the SP Entity ID and ACS URL from the metadata').waitFor();
    await expect(page.getByLabel('SP Entity ID').inputValue()).resolves.toBe(`${spUrl}/metadata`);
    await expect(page.getByLabel('ACS URL').inputValue()).resolves.toBe(`${spUrl}/acs`);
    await save();
    // Saved, with a warning (not an error): these are not Atlassian's URLs.
    await page.getByRole('heading', { name: 'Check before you go on' }).waitFor();
    await shoot(page, '06-values-from-guard');
    await page.getByRole('button', { name: 'Next: Users and attributes' }).click();

    // 7 Users and attributes: allowed domains, previewed on the test login's claims.
    await onStep('Users and attributes');
    await page.getByLabel('Allowed email domains').fill('example.com');
    await page.locator('#preview-name-id', { hasText: alice.email }).waitFor();
    await save();
    await shoot(page, '07-users-and-attributes');
    await page.getByRole('button', { name: 'Next: Enforce in Atlassian Guard' }).click();

    // 8 Enforce: the rollout checklist in Atlassian's admin, then "SSO is live".
    await onStep('Enforce in Atlassian Guard');
    await page.getByRole('heading', { name: 'Uninstalling or reinstalling breaks single sign-on' }).waitFor();
    for (const label of [
      'Link the verified domain to this identity provider',
      'Test with an authentication policy of a few members',
      'Keep one admin account outside SSO',
      'Enforce single sign-on for everyone else',
    ]) {
      const box = page.getByRole('checkbox', { name: label });
      await box.check();
      await expect(box.isChecked()).resolves.toBe(true);
      await expect(box.isEnabled()).resolves.toBe(true);
    }
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await shoot(page, '08-enforce');

    // Resumable: a reload (same tab, token kept for the session) comes back to the same state.
    await page.reload();
    await goToStep('Overview');
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await shoot(page, '09-sso-live');
    expect(pageErrors).toEqual([]);
    const bodies = await Promise.all(apiBodies);
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(body).not.toContain(CLIENT.client_secret);

    // A user, in a fresh browser: Guard (the demo SP) → bridge → provider → bridge → Guard.
    const userContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    try {
      const user = await userContext.newPage();
      await user.goto(`${spUrl}/`);
      await user.getByRole('button', { name: 'Sign in with HTTP-Redirect' }).click();
      await user.getByLabel('Email').fill(alice.email);
      await user.getByLabel('Password').fill(alice.password);
      await user.getByRole('button', { name: 'Sign in' }).click();
      await user.getByRole('heading', { name: 'Signed in' }).waitFor();
      await expect(user.locator('#name-id').textContent()).resolves.toBe(alice.email);
      expect(serviceProvider.lastResult()).toMatchObject({ ok: true, nameID: alice.email });
      await shoot(user, '10-user-signed-in');
    } finally {
      await userContext.close();
    }
  }, 120_000);
});
