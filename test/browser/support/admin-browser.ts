import { expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SAML } from '@node-saml/node-saml';
import { guardServiceProvider, metadataCertificate } from '../../support/forge-login-support.js';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { ConfigGetResponse, ConfigSaveResponse, ConnectionChangeResponse, ConnectionSummary } from '../../../src/core/admin/admin-api-types.js';
import type { StandaloneOptions } from '../../../src/standalone/standalone-app.js';
import { readAutoPost } from '../../support/login-harness.js';
import { UserAgent } from '../../support/user-agent.js';
import { ADMIN_TOKEN, CLIENT_SECRET, startAdminHarness, type AdminHarness } from '../../admin/support/admin-harness.js';

/**
 * One standalone server started unconfigured with a real OpenID provider (the admin harness:
 * the demo `oidc-provider` on its own port), and one Chromium page on its /admin, signed in
 * with the admin token for the tab's session. For the browser tests of the admin page beyond
 * the single-connection wizard: connections, providers, the audit trail. The harness's API
 * client sets up (and checks) what the page does not show.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Where the wizard keeps the admin token for the tab (`api.ts`). */
const TOKEN_KEY = 'oidc-saml-bridge:admin-token';
export const UI_TIMEOUT = 15_000;

export interface AdminBrowser {
  harness: AdminHarness;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page: a test ends by checking there were none. */
  pageErrors: string[];
  /** Opens /admin at `hash` (the page's own route, e.g. `#connections`). */
  open(hash?: string): Promise<void>;
  /** A full-page picture in test-artifacts/<artifacts>/<name>.png. */
  shoot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `standalone`: more server options (named admin tokens); `token`: the one the tab signs in with
 * (default the harness's single token, whose identity owns what the harness saves first).
 */
export async function startAdminBrowser(options: { artifacts: string; standalone?: Partial<StandaloneOptions>; token?: string }): Promise<AdminBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  const artifactDir = path.join(ROOT, 'test-artifacts', options.artifacts);
  fs.mkdirSync(artifactDir, { recursive: true });
  const harness = await startAdminHarness({ standalone: options.standalone });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-US', acceptDownloads: true });
  // The token screen has its own test (wizard.test.ts); here the tab already holds the token.
  await context.addInitScript(
    ([key, token]) => {
      // about:blank (between two loads of /admin) has no storage of its own.
      if (location.protocol === 'http:') sessionStorage.setItem(key!, token!);
    },
    [TOKEN_KEY, options.token ?? ADMIN_TOKEN],
  );
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    harness,
    browser,
    context,
    page,
    pageErrors,
    async open(hash = '') {
      // From elsewhere, so that a new hash loads the page afresh rather than only changing the hash.
      await page.goto('about:blank');
      await page.goto(`${harness.app.serverUrl}/admin/${hash}`);
      await page.getByRole('navigation', { name: 'Admin pages' }).waitFor();
    },
    async shoot(name) {
      await page.mouse.move(0, 0);
      await page.screenshot({ path: path.join(artifactDir, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
    },
    async close() {
      await browser.close();
      await harness.close();
    },
  };
}

/** An admin API answer that must have gone through. */
export async function expectOk<T extends { ok: boolean }>(answer: Promise<{ body: T }>): Promise<Extract<T, { ok: true }>> {
  const { body } = await answer;
  expect(body).toMatchObject({ ok: true });
  return body as Extract<T, { ok: true }>;
}

export async function connectionsOf(harness: AdminHarness): Promise<ConnectionSummary[]> {
  return (await harness.api<ConfigGetResponse>('config/get')).body.connections;
}

/**
 * The first connection as a finished wizard leaves it: the harness's provider, Guard's values
 * and the allowed domains, renamed to `name`.
 */
export async function configureDefaultConnection(harness: AdminHarness, values: { name: string; entityId: string; acsUrl: string; domains: string[] }): Promise<void> {
  await expectOk(
    harness.api<ConfigSaveResponse>('config/save', {
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: values.entityId, acsUrl: values.acsUrl }, allowedEmailDomains: values.domains },
      clientSecret: CLIENT_SECRET,
    }),
  );
  await expectOk(harness.api<ConnectionChangeResponse>('connections/save', { connectionId: 'default', name: values.name }));
}

/** A further connection, complete, through the harness's provider; returns its id. */
export async function addConnection(harness: AdminHarness, values: { name: string; entityId: string; acsUrl: string; domains: string[] }): Promise<string> {
  const added = await expectOk(harness.api<ConnectionChangeResponse>('connections/save', { name: values.name }));
  await expectOk(
    harness.api<ConfigSaveResponse>('config/save', {
      connectionId: added.connection.id,
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: values.entityId, acsUrl: values.acsUrl }, allowedEmailDomains: values.domains },
      clientSecret: CLIENT_SECRET,
    }),
  );
  return added.connection.id;
}

/** node-saml playing the Guard of one connection, trusting the certificate of that connection's metadata. */
export async function guardFor(harness: AdminHarness, sp: { entityId: string; acsUrl: string; metadataUrl: string }): Promise<SAML> {
  const certificate = metadataCertificate(await (await fetch(sp.metadataUrl)).text())!;
  return guardServiceProvider(harness.app.baseUrl, certificate, { issuer: sp.entityId, callbackUrl: sp.acsUrl, audience: sp.entityId, idpIssuer: sp.metadataUrl });
}

const stopAtGuard = (url: URL) => url.href.startsWith('https://auth.atlassian.com/login/callback');

/**
 * A user's whole login, outside the admin's browser: Guard's AuthnRequest → bridge → the
 * provider's login form → bridge. Signed in: the NameID node-saml verified. Refused: the
 * bridge's error code and the reference its page showed.
 */
export async function loginThrough(guard: SAML, user: { email: string; password: string }): Promise<{ nameId: string } | { code: string; reference: string }> {
  const agent = new UserAgent({ stopAt: stopAtGuard });
  const loginPage = await agent.get(await guard.getAuthorizeUrlAsync('relay', undefined, {}));
  const answer = await agent.submit(loginPage, { fields: { email: user.email, password: user.password } });
  const code = answer.headers.get('x-bridge-error');
  if (code) return { code, reference: answer.headers.get('x-bridge-reference')! };
  const post = readAutoPost(answer);
  const { profile } = await guard.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
  return { nameId: profile!.nameID };
}

/** Picks `option` in the Atlaskit select labelled `label`. */
export async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).focus();
  await page.keyboard.press('ArrowDown');
  await page.getByRole('option', { name: option, exact: true }).click();
}

/**
 * Reads until `read` gives `expected` (the page replaces what it shows once an answer has come:
 * another provider's fields, the records of new filters), then asserts it, so that a failure
 * shows what it held last.
 */
export async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT;
  let seen = await read();
  while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await read();
  }
  expect(seen).toEqual(expected);
}

/** Waits for an input to show `value`. */
export function expectValue(input: Locator, value: string): Promise<void> {
  return eventually(() => input.inputValue(), value);
}

/** The connection's card on the Connections page, found by its heading. */
export function connectionCard(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

/** The texts of one column of a table, top to bottom; none while the table is not shown. */
export async function columnTexts(table: Locator, column: string): Promise<string[]> {
  const headers = await table.getByRole('columnheader').allTextContents();
  if (!headers.length) return [];
  const index = headers.indexOf(column);
  if (index < 0) throw new TypeError(`no column ${column} in ${headers.join(', ')}`);
  return table.locator('tbody tr').evaluateAll((rows, i) => rows.map((row) => (row as HTMLTableRowElement).cells[i as number]?.textContent?.trim() ?? ''), index);
}
