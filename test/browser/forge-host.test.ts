import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AdminRefusal } from '../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../src/core/admin/admin-context.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import { cryptoRandom } from '../../src/core/default-ports.js';
import type { Ports } from '../../src/core/ports.js';
import { loadOrCreateSigningKey } from '../../src/downstream-saml/signing-key.js';
import { MemoryStore, MovableClock, recordingLogger } from '../support/memory-ports.js';

/**
 * The same build under Forge's rules: served as a Custom UI resource is (no standalone marker,
 * scripts from the resource only, inline styles allowed as the manifest allows them), with
 * Forge's Custom UI bridge (`window.__bridge`, which `@forge/bridge` calls) standing in for
 * Atlassian's host and handing each `invoke` to the core resolvers, as `src/forge` does after
 * its admin check. Shows that the shim picks Forge's `invoke`, never asks for an admin token,
 * and turns a refusal into the refusal page; and that an issuer on a host no static remote
 * covers goes through customer-managed egress (`permissions.egress.get/set`, which the bridge
 * stand-in answers as Atlassian's confirmation would) before anything is fetched from it.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD = path.join(ROOT, 'static/admin/build');
const ARTIFACT_DIR = path.join(ROOT, 'test-artifacts/forge-host');
const TRIGGER_URL = 'https://0a1b2c3d-e4f5.webtrigger.atlassian.app/public/0123456789abcdef';

/** Forge's Custom UI policy for an app with `permissions.content.styles: ['unsafe-inline']`. */
const FORGE_LIKE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'";

let server: http.Server;
let resourceUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://resource.invalid').pathname;
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = path.join(BUILD, relative);
    if (!file.startsWith(`${BUILD}${path.sep}`) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': FORGE_LIKE_CSP });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  resourceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server?.listening) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Forge's customer-managed egress calls (`permissions.egress.*` of @forge/bridge) as the page makes them. */
type PermissionHandler = (call: string, payload: unknown) => Promise<unknown>;

/**
 * A page whose `window.__bridge` sends every `invoke` to `handle` and every
 * `__permission__<call>` (what `permissions.egress.get/set` send) to `permission`; returns the
 * keys invoked.
 */
async function forgePage(
  handle: (key: string, payload: unknown) => Promise<unknown>,
  permission: PermissionHandler = async () => undefined,
): Promise<{ page: Page; invoked: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const invoked: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // The browser's own favicon request is not the app's.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(message.text());
  });
  await page.exposeFunction('__testInvoke', async (key: string, payload: unknown) => {
    invoked.push(key);
    return handle(key, payload);
  });
  await page.exposeFunction('__testPermission', (call: string, payload: unknown) => permission(call, payload));
  await page.addInitScript(() => {
    const target = window as unknown as {
      __bridge: unknown;
      __testInvoke: (key: string, payload: unknown) => Promise<unknown>;
      __testPermission: (call: string, payload: unknown) => Promise<unknown>;
    };
    target.__bridge = {
      callBridge: (type: string, args?: { functionKey?: string; payload?: unknown }) =>
        type === 'invoke'
          ? target.__testInvoke(args?.functionKey ?? '', args?.payload)
          : type.startsWith('__permission__')
            ? target.__testPermission(type.slice('__permission__'.length), args)
            : Promise.resolve(undefined),
    };
  });
  return { page, invoked, errors };
}

/** Core resolvers on memory ports, as `src/forge` runs them after its admin check. */
function forgeResolvers(fetchPort: Ports['fetch'] = (input, init) => fetch(input, init)) {
  const clock = new MovableClock();
  const store = new MemoryStore(clock);
  const ports: Ports = { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: fetchPort };
  const ctx: AdminContext = {
    ports,
    baseUrl: TRIGGER_URL,
    allowLoopbackHttp: false,
    host: 'forge',
    actor: 'forge-test-account',
    signingCredentials: () => loadOrCreateSigningKey(store, clock, new URL(TRIGGER_URL).host),
  };
  const handle = async (key: string, payload: unknown) => {
    const outcome = await runAdminResolver(key, ctx, payload);
    if (outcome.kind === 'failed') throw new Error(`The request failed. Reference: ${outcome.reference}`);
    return outcome.body;
  };
  return { store, handle };
}

const CUSTOM_ISSUER = 'https://login.company.com/oauth2/default';
const EGRESS_KEY = 'oidc-provider';

/**
 * Forge's egress as the app meets it for a provider on a custom domain: the egress proxy answers
 * 403 for a host nobody approved, and `permissions.egress.set` approves (Atlassian's confirmation
 * accepted) or rejects (declined) the group the page asks for.
 */
function customerManagedEgress(admin: 'approves' | 'declines') {
  const approved = new Set<string>();
  const requests: unknown[] = [];
  const fetchPort: Ports['fetch'] = async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!approved.has(url.hostname)) return new Response('', { status: 403 });
    if (url.pathname === '/oauth2/default/.well-known/openid-configuration') {
      return Response.json({
        issuer: CUSTOM_ISSUER,
        authorization_endpoint: `${CUSTOM_ISSUER}/v1/authorize`,
        token_endpoint: `${CUSTOM_ISSUER}/v1/token`,
        userinfo_endpoint: `${CUSTOM_ISSUER}/v1/userinfo`,
        jwks_uri: `${CUSTOM_ISSUER}/v1/keys`,
      });
    }
    return new Response('not found', { status: 404 });
  };
  const group = () => ({
    key: EGRESS_KEY,
    description: 'approved provider hosts',
    configured: [...approved].map((host) => ({ domain: `https://${host}`, type: ['FETCH_BACKEND_SIDE'] })),
  });
  const permission: PermissionHandler = async (call, payload) => {
    if (call === 'egressGet') return { results: approved.size ? [group()] : [] };
    if (call === 'egressSet') {
      requests.push(payload);
      if (admin === 'declines') throw new Error('The administrator declined the request.');
      const egresses = (payload as { egresses: { configured: { domain: string }[] }[] }).egresses;
      for (const { domain } of egresses[0]!.configured) approved.add(new URL(domain).hostname);
      return { results: [group()] };
    }
    throw new Error(`unexpected permission call ${call}`);
  };
  return { approved, requests, fetchPort, permission };
}

async function openProviderStep(page: Page): Promise<void> {
  await page.goto(resourceUrl);
  await page.getByRole('button', { name: 'Start the setup' }).click();
  await page.getByRole('heading', { level: 2, name: 'Callback URL' }).waitFor();
  await page.getByRole('button', { name: 'Done, continue' }).click();
  await page.getByRole('heading', { level: 2, name: 'OIDC provider' }).waitFor();
}

describe('the setup wizard under Forge Custom UI', () => {
  it('shows the refusal page when the resolver refuses a non-admin', async () => {
    const refusal: AdminRefusal = { error: 'not_admin', message: 'Only site administrators can set up single sign-on. Ask an administrator of this site.' };
    const { page, invoked, errors } = await forgePage(async () => refusal);
    try {
      await page.goto(resourceUrl);
      await page.getByRole('heading', { name: 'Only administrators can set up single sign-on' }).waitFor();
      await page.getByText(refusal.message).waitFor();
      await expect(page.getByLabel('Admin token').count()).resolves.toBe(0);
      expect(invoked).toEqual(['config/get']);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACT_DIR, 'not-admin.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('calls the core resolvers through invoke, with no admin token, and saves through them', async () => {
    const { store, handle } = forgeResolvers();
    const { page, invoked, errors } = await forgePage(handle);
    try {
      await page.goto(resourceUrl);
      await page.getByRole('heading', { level: 2, name: 'Overview' }).waitFor();
      await expect(page.getByLabel('Admin token').count()).resolves.toBe(0);
      await page.getByRole('button', { name: 'Start the setup' }).click();
      await page.getByRole('heading', { level: 2, name: 'Callback URL' }).waitFor();
      await expect(page.getByLabel('Sign-in redirect URI').inputValue()).resolves.toBe(`${TRIGGER_URL}/oidc/callback`);
      await page.getByRole('button', { name: 'Done, continue' }).click();

      await page.getByRole('heading', { level: 2, name: 'OIDC provider' }).waitFor();
      await page.getByLabel('Issuer URL').fill('https://dev-123.okta.com/oauth2/default');
      await page.getByLabel('Client ID').fill('0oa-forge-client');
      await page.getByLabel('Client secret').fill('forge-client-secret');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();
      await expect(page.getByLabel('Client secret').getAttribute('placeholder')).resolves.toContain('set');
      await page.screenshot({ path: path.join(ARTIFACT_DIR, 'provider-saved.png'), fullPage: true });

      expect(invoked).toEqual(expect.arrayContaining(['config/get', 'config/save']));
      expect(store.secretEntries.size).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('asks the admin to approve an issuer on a host no remote covers, then discovers through it', async () => {
    const egress = customerManagedEgress('approves');
    const { handle } = forgeResolvers(egress.fetchPort);
    const { page, invoked, errors } = await forgePage(handle, egress.permission);
    try {
      await openProviderStep(page);
      await page.getByLabel('Issuer URL').fill(CUSTOM_ISSUER);
      await page.getByRole('button', { name: 'Discover' }).click();

      await page.getByRole('heading', { name: 'Approve access to your provider' }).waitFor();
      await expect(page.getByText('early-access (EAP) feature of Forge').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('code', { hasText: 'login.company.com' }).count()).resolves.toBeGreaterThan(0);
      // Nothing was fetched from the host before the admin approved it.
      expect(invoked).toContain('provider/egress');
      expect(invoked).not.toContain('provider/discover');

      await page.getByRole('button', { name: 'Approve access' }).click();
      await page.getByRole('heading', { name: 'Access approved' }).waitFor();
      await page.getByRole('heading', { name: 'Provider found' }).waitFor();
      await expect(page.getByLabel('Token endpoint').inputValue()).resolves.toBe(`${CUSTOM_ISSUER}/v1/token`);
      expect(egress.requests).toEqual([
        { egresses: [{ key: EGRESS_KEY, description: expect.any(String), configured: [{ domain: 'https://login.company.com', type: ['FETCH_BACKEND_SIDE'] }] }] },
      ]);
      expect([...egress.approved]).toEqual(['login.company.com']);
      await page.screenshot({ path: path.join(ARTIFACT_DIR, 'egress-approved.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('explains a declined approval: calls to the host come back as HTTP 403 until approved', async () => {
    const egress = customerManagedEgress('declines');
    const { handle } = forgeResolvers(egress.fetchPort);
    const { page, invoked, errors } = await forgePage(handle, egress.permission);
    try {
      await openProviderStep(page);
      await page.getByLabel('Issuer URL').fill(CUSTOM_ISSUER);
      await page.getByRole('button', { name: 'Discover' }).click();
      await page.getByRole('button', { name: 'Approve access' }).click();

      await page.getByRole('heading', { name: 'Access not approved' }).waitFor();
      await expect(page.getByText('they come back as HTTP 403, so discovery fails and so does every sign-in').count()).resolves.toBe(1);
      await expect(page.getByText('The administrator declined the request.').count()).resolves.toBe(1);
      await expect(page.getByRole('button', { name: 'Ask again' }).count()).resolves.toBe(1);
      await expect(page.getByRole('heading', { name: 'Provider found' }).count()).resolves.toBe(0);
      expect(egress.requests).toHaveLength(1);
      expect(invoked).not.toContain('provider/discover');
      await page.screenshot({ path: path.join(ARTIFACT_DIR, 'egress-declined.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
