import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/core/ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';

/**
 * The standalone server's admin: the admin token guard on /admin/api (hashed, compared in
 * constant time), refusal of cross-site requests, and the wizard's page and assets served with
 * a strict policy; the generated token's life across restarts.
 */

const TOKEN = 'standalone-admin-test-token-9f8e7d6c';
const quiet: Logger = { log: () => undefined };
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

let app: StandaloneApp;
let dataDir: string;
let uiDir: string;

beforeAll(async () => {
  dataDir = tmp('bridge-admin-http-');
  uiDir = tmp('bridge-admin-ui-');
  fs.mkdirSync(path.join(uiDir, 'assets'));
  fs.writeFileSync(
    path.join(uiDir, 'index.html'),
    '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <script type="module" crossorigin src="./assets/index-abc.js"></script>\n  </head>\n  <body><div id="root"></div></body>\n</html>\n',
  );
  fs.writeFileSync(path.join(uiDir, 'assets', 'index-abc.js'), 'console.log("wizard");\n');
  fs.writeFileSync(path.join(uiDir, 'assets', 'index-abc.css'), 'body{margin:0}\n');
  fs.writeFileSync(path.join(dataDir, 'outside.txt'), 'not for the browser\n');
  app = await startStandalone({ port: 0, dataDir, logger: quiet, purgeIntervalMs: 3_600_000, adminToken: TOKEN, adminUiDir: uiDir });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(uiDir, { recursive: true, force: true });
});

function post(key: string, init: { token?: string | null; headers?: Record<string, string>; body?: string; method?: string } = {}) {
  const { token = TOKEN, headers = {}, body = '{}', method = 'POST' } = init;
  return fetch(`${app.serverUrl}/admin/api/${key}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    ...(method === 'GET' ? {} : { body }),
  });
}

describe('the admin API guard', () => {
  it('answers 401 unauthorized without a token, and with a wrong one', async () => {
    for (const token of [null, 'wrong-token', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const response = await post('config/get', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      await expect(response.json()).resolves.toEqual({ error: 'unauthorized', message: expect.any(String) });
    }
    const basic = await post('config/get', { token: null, headers: { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('answers 200 with the right token', async () => {
    const response = await post('config/get');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toContain('application/json');
    await expect(response.json()).resolves.toMatchObject({ status: { configured: false }, bridge: { callbackUrl: `${app.baseUrl}/oidc/callback` } });
    expect((await post('config/get', { token: null, headers: { Authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('refuses cross-site requests, even with the right token, before doing anything', async () => {
    const attempts: Record<string, string>[] = [
      { Origin: 'https://attacker.example' },
      { Origin: 'null' },
      { Origin: `${app.serverUrl}.attacker.example` },
      { 'Sec-Fetch-Site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const response = await post('config/save', { headers, body: JSON.stringify({ settings: { allowedEmailDomains: ['attacker.example'] } }) });
      expect(response.status).toBe(403);
      await expect(response.json()).resolves.toMatchObject({ error: 'bad_request' });
    }
    expect(await app.store.get(storageKeys.config())).toBeUndefined();
    expect((await post('config/get', { headers: { Origin: app.serverUrl, 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(200);
  });

  it('refuses what a cross-site form could send: other content types', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post('config/get', { headers: { 'Content-Type': type } });
      expect(response.status).toBe(415);
    }
    expect((await post('config/get', { headers: { 'Content-Type': 'application/json; charset=utf-8' } })).status).toBe(200);
  });

  it('accepts only POST, JSON bodies, bounded sizes and known resolvers', async () => {
    expect((await post('config/get', { method: 'GET' })).status).toBe(405);
    const notJson = await post('config/get', { body: '{"settings":' });
    expect(notJson.status).toBe(400);
    await expect(notJson.json()).resolves.toMatchObject({ error: 'bad_request' });
    const huge = await post('sp/parse-metadata', { body: JSON.stringify({ xml: 'x'.repeat(600 * 1024) }) }).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
    await expect((await post('config/delete')).json()).resolves.toMatchObject({ error: 'bad_request' });
    expect((await post('config/save', { body: JSON.stringify({ settings: { oidc: { issuer: 1 } } }) })).status).toBe(400);
  });
});

describe('the wizard page', () => {
  it('answers / with a link to the admin page instead of a 404', async () => {
    const response = await fetch(`${app.serverUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain(`<a href="${app.admin!.url}">admin page</a>`);
    expect((await fetch(`${app.serverUrl}/no-such-page`)).status).toBe(404);
  });

  it('redirects /admin to /admin/, where relative asset URLs resolve', async () => {
    const response = await fetch(`${app.serverUrl}/admin?x=1`, { redirect: 'manual' });
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/admin/?x=1');
  });

  it('serves the built page with a strict policy, no caching, and the host marker', async () => {
    const response = await fetch(`${app.serverUrl}/admin/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `));
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('connect-src')).toBe("connect-src 'self'");
    expect(directive('default-src')).toBe("default-src 'none'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('<meta name="bridge-host" content="standalone" />');
    expect(html).toContain('src="./assets/index-abc.js"');
    const head = await fetch(`${app.serverUrl}/admin/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('serves assets with their content type and the same policy', async () => {
    const js = await fetch(`${app.serverUrl}/admin/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    await expect(js.text()).resolves.toContain('wizard');
    expect((await fetch(`${app.serverUrl}/admin/assets/index-abc.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it.each([
    '/admin/assets/missing.js',
    '/admin/assets/..%2F..%2Foutside.txt',
    '/admin/..%2Foutside.txt',
    '/admin/assets/%2e%2e%2f%2e%2e%2foutside.txt',
    '/admin/.hidden',
    '/admin/assets/a/b/c.js',
  ])('answers 404 for %s', async (target) => {
    expect((await fetch(`${app.serverUrl}${target}`)).status).toBe(404);
  });

  it('serves a placeholder page while the wizard is not built', async () => {
    const emptyDir = tmp('bridge-admin-noui-');
    const bare = await startStandalone({ port: 0, dataDir: tmp('bridge-admin-noui-data-'), logger: quiet, adminToken: TOKEN, adminUiDir: emptyDir });
    try {
      const response = await fetch(`${bare.serverUrl}/admin/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await response.text();
      expect(html).toContain('npm run build:ui');
      expect(html).not.toContain('<script');
    } finally {
      await bare.close();
    }
  });
});

describe('the admin token', () => {
  it('is generated once, stored as a hash (and for the operator in a 0600 file), kept across restarts, and replaced on reset', async () => {
    const dir = tmp('bridge-admin-token-');
    const start = (options: { resetAdminToken?: boolean } = {}) => startStandalone({ port: 0, dataDir: dir, logger: quiet, adminUiDir: uiDir, ...options });
    const call = (server: StandaloneApp, token: string) =>
      fetch(`${server.serverUrl}/admin/api/config/get`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });
    try {
      const first = await start();
      expect(first.admin).toMatchObject({ tokenSource: 'generated', url: `${first.baseUrl}/admin/` });
      const token = first.admin!.generatedToken!;
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect((await call(first, token)).status).toBe(200);
      const stored = await first.store.getSecret<string>(storageKeys.adminTokenHash());
      expect(stored).not.toContain(token);
      await first.close();

      const second = await start();
      // The generated token is not sent back again; the operator finds it in the data directory.
      expect(second.admin).toEqual({ tokenSource: 'stored', url: `${second.baseUrl}/admin/`, tokenFile: path.join(dir, 'admin-token') });
      expect((await call(second, token)).status).toBe(200);
      await second.close();

      const third = await start({ resetAdminToken: true });
      const fresh = third.admin!.generatedToken!;
      expect(fresh).not.toBe(token);
      expect((await call(third, token)).status).toBe(401);
      expect((await call(third, fresh)).status).toBe(200);
      await third.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not there when the configuration comes from a file: no wizard to edit what is ignored', async () => {
    const dir = tmp('bridge-admin-fixed-');
    const fixed = await startStandalone({
      port: 0,
      dataDir: dir,
      logger: quiet,
      adminToken: TOKEN,
      config: (serverUrl) => ({
        baseUrl: serverUrl,
        oidc: { issuer: 'http://127.0.0.1:1/never', clientId: 'c', clientSecret: 's' },
        serviceProvider: { entityId: 'https://sp.example/saml', acsUrl: 'https://sp.example/acs' },
        allowedEmailDomains: ['example.com'],
      }),
    });
    try {
      expect(fixed.admin).toBeUndefined();
      expect((await fetch(`${fixed.serverUrl}/admin/`)).status).toBe(404);
      expect((await fetch(`${fixed.serverUrl}/admin/api/config/get`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await fixed.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
