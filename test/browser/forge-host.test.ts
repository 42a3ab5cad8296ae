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
 * and turns a refusal into the refusal page.
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

/** A page whose `window.__bridge` sends every `invoke` to `handle`; returns the keys invoked. */
async function forgePage(handle: (key: string, payload: unknown) => Promise<unknown>): Promise<{ page: Page; invoked: string[]; errors: string[] }> {
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
  await page.addInitScript(() => {
    const target = window as unknown as { __bridge: unknown; __testInvoke: (key: string, payload: unknown) => Promise<unknown> };
    target.__bridge = {
      callBridge: (type: string, args?: { functionKey?: string; payload?: unknown }) =>
        type === 'invoke' ? target.__testInvoke(args?.functionKey ?? '', args?.payload) : Promise.resolve(undefined),
    };
  });
  return { page, invoked, errors };
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
    const clock = new MovableClock();
    const store = new MemoryStore(clock);
    const ports: Ports = { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: (input, init) => fetch(input, init) };
    const ctx: AdminContext = {
      ports,
      baseUrl: TRIGGER_URL,
      allowLoopbackHttp: false,
      actor: 'forge-test-account',
      signingCredentials: () => loadOrCreateSigningKey(store, clock, new URL(TRIGGER_URL).host),
    };
    const { page, invoked, errors } = await forgePage(async (key, payload) => {
      const outcome = await runAdminResolver(key, ctx, payload);
      if (outcome.kind === 'failed') throw new Error(`The request failed. Reference: ${outcome.reference}`);
      return outcome.body;
    });
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
});
