import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AdminResolverKey, AdminSettings, ConfigGetResponse, TestResultResponse, TestStartResponse, WizardStep } from '../../../src/core/admin/admin-api-types.js';
import { systemClock } from '../../../src/core/default-ports.js';
import type { Logger } from '../../../src/core/ports.js';
import { storageKeys } from '../../../src/core/storage-keys.js';
import { createSigningKey, type SigningKey } from '../../../src/downstream-saml/signing-key.js';
// The demo peers are imported here only, so that moving them changes these two imports.
import { createDemoProvider, demoUsers } from '../../../dev/demo/demo-provider.js';
import { createDemoServiceProvider, type DemoServiceProvider } from '../../../dev/demo/demo-service-provider.js';
import { startStandalone, type StandaloneApp } from '../../../src/standalone/standalone-app.js';
import { UserAgent } from '../../support/user-agent.js';

/**
 * The setup wizard in real Chromium, against the standalone server started unconfigured, with a
 * real OpenID provider (oidc-provider) and a real SAML service provider playing Atlassian Guard
 * (node-saml), both from the demo.
 *
 * Once per file: Chromium with the admin's tab, the provider (the bridge's callback registered,
 * as an admin registers it at Okta in step 2), the service provider's server, and the bridges'
 * public address. Per test: a bridge of its own (an empty store in a new directory) at that
 * address, a service provider that knows nothing until step 5, and the tab without cookies or
 * token. A test opens the wizard at its step with every earlier step completed through the admin
 * API (`openStep`), as an admin who clicked through would find it, so a failing step fails its
 * own test only.
 *
 * The seeds save what the wizard's pages save for the values the tests type
 * (`settingsThrough`), and each step's test checks that its page saved exactly that: so the
 * test that seeds the whole setup and signs a user in uses the configuration the wizard saves.
 *
 * After each test: its pages threw nothing, and no answer of the admin API (the page's or the
 * seeds') carried the client secret.
 *
 * Pictures go to the test artifacts and, with UPDATE_ADMIN_GUIDE=1 (`npm run docs:admin-guide`),
 * to the admin guide (docs/admin-guide, committed): ports and certificates differ on every run,
 * so rewriting the committed pictures on every test run would only make noise.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const GUIDE_DIR = path.join(ROOT, 'docs/admin-guide');
const ARTIFACT_DIR = path.join(ROOT, 'test-artifacts/admin-guide');
const UPDATE_GUIDE = process.env.UPDATE_ADMIN_GUIDE === '1';
const STEP_TIMEOUT = 15_000;
/** Where the wizard keeps the admin token for the tab (static/admin/src/api.ts). */
const TOKEN_STORAGE_KEY = 'oidc-saml-bridge:admin-token';
/** In the query of a wizard URL the harness opens: the tab has given the admin token already. */
const SIGNED_IN = 'signed-in';

export const ADMIN_TOKEN = 'wizard-test-admin-token-0123456789';
export const CLIENT = { client_id: 'atlassian-bridge', client_secret: 'wizard-test-client-secret-0123456789' };
/** A second client at the same provider: a change of client an admin tests as a draft before applying it. */
export const SECOND_CLIENT = { client_id: 'atlassian-bridge-2', client_secret: 'wizard-test-second-client-secret-0123456789' };
export const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
/** Her email is not verified: the bridge refuses her. */
export const mallory = demoUsers.find((u) => u.email === 'mallory@example.com')!;

/** Signs `user` in on the demo provider's sign-in page open in `page`. */
export async function signInAtDemoProvider(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A user who signed in through Guard (the node-saml SP) sees the NameID it verified. */
export async function expectSignedInAtGuard(page: Page, email: string): Promise<void> {
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  await expect(page.locator('#name-id').textContent()).resolves.toBe(email);
}

/** Each step's heading, as the admin sees it. */
export const STEP_TITLES: Record<WizardStep, string> = {
  overview: 'Overview',
  callback: 'Callback URL',
  provider: 'OIDC provider',
  test: 'Test the connection',
  'idp-values': 'Values for Atlassian Guard',
  'sp-values': 'Values from Atlassian Guard',
  users: 'Users and attributes',
  enforce: 'Enforce in Atlassian Guard',
};
const STEP_ORDER = Object.keys(STEP_TITLES) as WizardStep[];

/** The bridge's values of step 5, which Guard (here the demo SP) is given. */
export interface IdpValues {
  idpEntityId: string;
  idpSsoUrl: string;
  certificatePem: string;
}

const BROWSER_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };

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

/** Headers about one connection, which a proxy does not pass on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** The wizard's scripts and styles, which the build names after their content. */
const HASHED_ASSET = /^\/admin\/assets\/[^/?]+-[A-Za-z0-9_-]{8}\.(?:js|css)$/;

export class WizardHarness {
  #browser!: Browser;
  #opServer!: http.Server;
  #spServer!: http.Server;
  /**
   * The bridges' public address (their base URL) for the whole file: a reverse proxy to the
   * test's bridge, which listens on a port of its own. One origin for every test, because the
   * wizard's page sends Cross-Origin-Opener-Policy: same-origin, and a tab that goes to another
   * origin gets a new renderer, a cold one, which costs the wizard's load a second or two of CPU.
   * And a bridge's own port is never used again, so no connection Node's fetch keeps alive can
   * lead to a bridge that has closed.
   */
  #front!: http.Server;
  #frontUrl = '';
  /** A 2048-bit RSA key costs up to a second to generate: the file's bridges share one. */
  #bridgeKey!: SigningKey;
  #dataDir: string | undefined;
  #app: StandaloneApp | undefined;
  #serviceProvider: DemoServiceProvider | undefined;
  /** Browsers a test opened besides the admin's (the user's), closed after it. */
  #contexts: BrowserContext[] = [];
  #pageErrors: string[] = [];
  #apiBodies: Promise<string>[] = [];

  opUrl = '';
  spUrl = '';
  /** The admin's browser. */
  adminContext!: BrowserContext;
  /** The admin's tab, kept from test to test for the same reason as the bridges' address. */
  page!: Page;

  get app(): StandaloneApp {
    if (!this.#app) throw new Error('The bridge starts before each test.');
    return this.#app;
  }

  /** The demo SP playing Guard, once a test (or the step 5 seed) gave it the bridge's values. */
  get serviceProvider(): DemoServiceProvider {
    if (!this.#serviceProvider) throw new Error('The service provider is not set up: complete step 5 first.');
    return this.#serviceProvider;
  }

  async startPeers(): Promise<void> {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
    }
    fs.mkdirSync(GUIDE_DIR, { recursive: true });
    fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
    this.#front = http.createServer((req, res) => {
      if (!this.#app) return void res.writeHead(503, { 'Content-Type': 'text/plain' }).end('no bridge\n');
      // A connection of its own per request: the bridge closes them all when its test ends.
      const forward = http.request(`${this.#app.serverUrl}${req.url}`, { method: req.method, headers: endToEnd(req.headers), agent: false }, (answer) => {
        const headers = endToEnd(answer.headers);
        // The bridge has the browser fetch them again on every load (no-cache, no validator);
        // kept, the tab also keeps their compiled code, which saves most of the CPU a test's load
        // of the wizard costs. Their names change with their content, so nothing stale is shown.
        if (answer.statusCode === 200 && HASHED_ASSET.test(req.url ?? '')) headers['cache-control'] = 'max-age=3600, immutable';
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    this.#opServer = http.createServer();
    // Like Guard, the service provider learns the bridge's values in step 5; until then it answers 503.
    this.#spServer = http.createServer((req, res) => {
      if (this.#serviceProvider) return this.#serviceProvider.handle(req, res);
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('not set up yet\n');
    });
    [this.#frontUrl, this.opUrl, this.spUrl, this.#browser, this.#bridgeKey] = await Promise.all([
      listen(this.#front),
      listen(this.#opServer),
      listen(this.#spServer),
      chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS }),
      // A bridge names its certificate after its host and port; nothing checks the name.
      createSigningKey(systemClock, '127.0.0.1'),
    ]);
    // One provider for the file: what it remembers of a sign-in lives in cookies, which every test starts without.
    const provider = await createDemoProvider({
      issuer: this.opUrl,
      clients: [CLIENT, SECOND_CLIENT].map((client) => ({ ...client, redirect_uris: [`${this.#frontUrl}/oidc/callback`] })),
    });
    this.#opServer.on('request', provider.handle);

    this.adminContext = await this.#browser.newContext({ ...VIEWPORT, locale: 'en-US' });
    this.page = await this.adminContext.newPage();
    this.page.setDefaultTimeout(STEP_TIMEOUT);
    // Before the wizard's script runs, on the URLs `openStep` opens only: the token goes where the
    // wizard keeps it for the tab, and the marker leaves the address, so a reload finds the token
    // only if the wizard kept it.
    await this.page.addInitScript(
      ([key, token, marker]) => {
        const url = new URL(location.href);
        if (!url.searchParams.has(marker!)) return;
        sessionStorage.setItem(key!, token!);
        history.replaceState(history.state, '', `${url.pathname}${url.hash}`);
      },
      [TOKEN_STORAGE_KEY, ADMIN_TOKEN, SIGNED_IN],
    );
    this.page.on('pageerror', (error) => this.#pageErrors.push(error.message));
    // Every answer of the admin API, to check that the client secret never comes back.
    this.page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/admin/api/')) this.#apiBodies.push(response.text().catch(() => ''));
    });
  }

  async stopPeers(): Promise<void> {
    await this.#browser?.close();
    await close(this.#front);
    await close(this.#opServer);
    await close(this.#spServer);
  }

  /** A new bridge, unconfigured: an empty store and no config, as `BRIDGE_DEMO=0 npm start` runs it. */
  async startBridge(): Promise<void> {
    this.#dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-wizard-'));
    const quiet: Logger = { log: () => undefined };
    this.#app = await startStandalone({
      port: 0,
      baseUrl: this.#frontUrl,
      dataDir: this.#dataDir,
      logger: quiet,
      purgeIntervalMs: 3_600_000,
      adminToken: ADMIN_TOKEN,
    });
    // Where the bridge keeps the key it would otherwise create on first use.
    await this.#app.store.setSecret(storageKeys.signingKey(), { ...this.#bridgeKey });
    this.#serviceProvider = undefined;
    this.#pageErrors = [];
    this.#apiBodies = [];
  }

  /** After each test: its pages threw nothing and no admin API answer carried the secret; then the test's browsers and bridge go. */
  async checkAndStopBridge(): Promise<void> {
    // The pages first: the body of an answer the page never read (the 401 for a wrong token)
    // finishes loading only when its page goes, and reads as empty then.
    await this.#resetBrowsers();
    try {
      expect(this.#pageErrors).toEqual([]);
      const bodies = await Promise.all(this.#apiBodies);
      // Not vacuous: the test did go through the admin API.
      expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) for (const { client_secret } of [CLIENT, SECOND_CLIENT]) expect(body).not.toContain(client_secret);
    } finally {
      await this.#app?.close();
      this.#app = undefined;
      if (this.#dataDir) fs.rmSync(this.#dataDir, { recursive: true, force: true });
    }
  }

  /** The admin's tab as a new admin has it: no cookies, no token, no wizard running; every other page closed. */
  async #resetBrowsers(): Promise<void> {
    await Promise.all(this.#contexts.map((context) => context.close()));
    this.#contexts = [];
    await Promise.all(this.adminContext.pages().filter((page) => page !== this.page).map((page) => page.close()));
    if (this.#app) {
      // The next bridge has this origin: the token must not carry over.
      if (this.page.url().startsWith(`${this.#app.baseUrl}/`)) await this.page.evaluate(() => sessionStorage.clear());
      // Off the wizard, so that nothing of it asks the next bridge; to a page of the same origin
      // and opener policy (a 404), so that the tab keeps its renderer.
      await this.page.goto(`${this.#app.baseUrl}/admin/no-such-page`);
    }
    await this.adminContext.clearCookies();
  }

  /** A fresh browser (no cookies, no storage), closed after the test. */
  async newContext(): Promise<BrowserContext> {
    const context = await this.#browser.newContext(VIEWPORT);
    this.#contexts.push(context);
    return context;
  }

  /** POSTs to /admin/api/<key> with the admin token; throws unless the bridge answers 200. */
  async api<T>(key: AdminResolverKey, payload: unknown = {}): Promise<T> {
    const response = await fetch(`${this.app.serverUrl}/admin/api/${key}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify(payload),
    });
    const text = await response.text();
    this.#apiBodies.push(Promise.resolve(text));
    if (response.status !== 200) throw new Error(`${key} answered ${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  config(): Promise<ConfigGetResponse> {
    return this.api<ConfigGetResponse>('config/get');
  }

  /**
   * The settings saved once every step through `step` is done, with the values the tests type:
   * what the seeds save, and what each step's test checks its page saved.
   */
  settingsThrough(step: WizardStep): AdminSettings {
    return Object.assign({}, ...STEP_ORDER.slice(0, STEP_ORDER.indexOf(step) + 1).map((s) => this.#settingsOf(s))) as AdminSettings;
  }

  /** The settings one step saves (none for the steps without fields). */
  #settingsOf(step: WizardStep): AdminSettings {
    switch (step) {
      case 'provider':
        return {
          // The preset only shapes the hints: the local provider is an "Other".
          preset: 'other',
          oidc: { issuer: this.opUrl, clientId: CLIENT.client_id, scopes: ['openid', 'email', 'profile'], clientAuthMethod: 'client_secret_basic' },
        };
      case 'sp-values':
        // As read from the demo SP's metadata.
        return { serviceProvider: { entityId: `${this.spUrl}/metadata`, acsUrl: `${this.spUrl}/acs` } };
      case 'users':
        return {
          nameIdClaim: 'email',
          attributeClaims: { givenName: 'given_name', surname: 'family_name', displayName: 'name', stableId: 'sub' },
          allowedEmailDomains: ['example.com'],
          requireVerifiedEmail: true,
          allowInternationalEmail: false,
          groupsClaim: 'groups',
          allowedGroups: [],
        };
      default:
        return {};
    }
  }

  /** Completes every step through `step`, in order, as their pages do. */
  async completeStepsThrough(step: WizardStep): Promise<void> {
    for (const done of STEP_ORDER.slice(0, STEP_ORDER.indexOf(step) + 1)) {
      if (done === 'enforce') {
        await this.api('rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true } });
        continue;
      }
      if (done === 'test') await this.testLoginWithoutBrowser(alice);
      if (done === 'idp-values') {
        const { bridge } = await this.config();
        this.startServiceProvider({ idpEntityId: bridge.idpEntityId, idpSsoUrl: bridge.ssoUrl, certificatePem: bridge.certificatePem });
      }
      // Each page saves its step (the steps without fields from their Continue button).
      await this.api('config/save', { settings: this.#settingsOf(done), step: done, ...(done === 'provider' ? { clientSecret: CLIENT.client_secret } : {}) });
    }
  }

  /**
   * Opens the wizard at `step`, every step before it completed, in a tab that already gave the
   * admin token (the token screen has its own test).
   */
  async openStep(step: WizardStep): Promise<Page> {
    const before = STEP_ORDER[STEP_ORDER.indexOf(step) - 1];
    if (before) await this.completeStepsThrough(before);
    await this.page.goto(`${this.app.baseUrl}/admin/?${SIGNED_IN}#${step}`);
    await this.onStep(STEP_TITLES[step]);
    return this.page;
  }

  /** Opens the wizard at `step` as the steps stand now (nothing seeded), in a tab that gave the token. */
  async showStep(step: WizardStep): Promise<Page> {
    await this.page.goto(`${this.app.baseUrl}/admin/?${SIGNED_IN}#${step}`);
    await this.onStep(STEP_TITLES[step]);
    return this.page;
  }

  /** A connection test of step 4 without a browser: test/start, the provider's sign-in, the callback. */
  async testLoginWithoutBrowser(user: { email: string; password: string }): Promise<void> {
    const { testId, startUrl } = await this.api<TestStartResponse>('test/start');
    const agent = new UserAgent();
    await agent.submit(await agent.get(startUrl), { fields: { email: user.email, password: user.password } });
    const result = await this.api<TestResultResponse>('test/result', { testId });
    if (result.state !== 'succeeded') throw new Error(`The seeded connection test did not succeed: ${JSON.stringify(result).slice(0, 500)}`);
  }

  /** Gives the demo SP the bridge's values of step 5, as the admin gives them to Guard. */
  startServiceProvider(values: IdpValues, options: { acceptUnsolicited?: boolean } = {}): DemoServiceProvider {
    this.#serviceProvider = createDemoServiceProvider({
      baseUrl: this.spUrl,
      entityId: `${this.spUrl}/metadata`,
      idpSsoUrl: values.idpSsoUrl,
      idpIssuer: values.idpEntityId,
      idpCertificate: async () => values.certificatePem,
      ...(options.acceptUnsolicited ? { acceptUnsolicited: true } : {}),
    });
    return this.#serviceProvider;
  }

  /** The step's heading, which every step shows once loaded. */
  async onStep(title: string): Promise<void> {
    await this.page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor({ timeout: STEP_TIMEOUT });
  }

  async goToStep(title: string): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: new RegExp(`^\\d?\\s*${title}`) }).click();
    await this.onStep(title);
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save', exact: true }).click();
    await this.page.getByRole('heading', { name: 'Saved', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
  }

  /** Start test login → the provider's page in a new tab → sign in → the bridge's page in that tab. */
  async testLoginAs(user: { email: string; password: string }): Promise<Page> {
    const [popup] = await Promise.all([this.adminContext.waitForEvent('page'), this.page.getByRole('button', { name: 'Start test login' }).click()]);
    await signInAtDemoProvider(popup, user);
    await popup.waitForURL((url) => url.href.startsWith(`${this.app.baseUrl}/oidc/callback`));
    await popup.waitForLoadState('load');
    return popup;
  }

  /** A picture for the admin guide (and the artifacts). */
  async shoot(target: Page, name: string): Promise<void> {
    // Let fonts and Atlaskit's transitions settle so the pictures do not change from run to run.
    await target.evaluate(() => document.fonts.ready.then(() => undefined));
    await target.mouse.move(0, 0);
    const buffer = await target.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
    if (UPDATE_GUIDE) fs.writeFileSync(path.join(GUIDE_DIR, `${name}.png`), buffer);
    fs.writeFileSync(path.join(ARTIFACT_DIR, `${name}.png`), buffer);
  }

  /** A picture for the test artifacts only (states the guide does not show). */
  async shootArtifact(target: Page, name: string): Promise<void> {
    await target.screenshot({ path: path.join(ARTIFACT_DIR, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
  }
}

/** The harness for a test file: peers once, a bridge per test. */
export function useWizardHarness(): WizardHarness {
  const harness = new WizardHarness();
  beforeAll(() => harness.startPeers(), 60_000);
  afterAll(() => harness.stopPeers());
  beforeEach(() => harness.startBridge(), 30_000);
  afterEach(() => harness.checkAndStopBridge(), 30_000);
  return harness;
}
