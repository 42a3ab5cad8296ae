import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigGetResponse, ConfigSaveResponse, ConnectionChangeResponse } from '../../src/core/admin/admin-api-types.js';
import { ACS_URL, SP_ENTITY_ID } from '../admin/support/admin-harness.js';
import { configureDefaultConnection, connectionCard, expectOk, startAdminBrowser, type AdminBrowser } from './support/admin-browser.js';

/**
 * Provider health on the Connections page, in Chromium against the standalone server: the
 * admin enters the client secret's expiry on the provider step (12 days away), and the card of
 * a connection shows a warning for it beside the real oidc-provider's reachable discovery and
 * keys; a second provider whose JWKS endpoint is down is shown failing, with the reason; "Check
 * again" asks the server anew.
 */

let admin: AdminBrowser;
let peer: http.Server;
let peerUrl: string;
const jwksCalls: string[] = [];
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  admin = await startAdminBrowser({ artifacts: 'provider-health' });
  // A provider whose discovery works and whose JWKS endpoint answers 503.
  peer = http.createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    if (req.url === '/broken/.well-known/openid-configuration') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ issuer: `${base}/broken`, authorization_endpoint: `${base}/broken/authorize`, token_endpoint: `${base}/broken/token`, jwks_uri: `${base}/broken/jwks` }));
      return;
    }
    if (req.url === '/broken/jwks') jwksCalls.push(req.url);
    res.writeHead(503, { 'Content-Type': 'text/plain' });
    res.end('Service Unavailable');
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  await configureDefaultConnection(admin.harness, { name: 'Production', entityId: SP_ENTITY_ID, acsUrl: ACS_URL, domains: ['example.com'] });
}, 60_000);

afterAll(async () => {
  await admin?.close();
  peer?.closeAllConnections();
  await new Promise<void>((resolve) => peer?.close(() => resolve()));
});

describe('provider health on the admin page', () => {
  it('takes the client secret expiry on the provider step, with its help', async () => {
    const { page } = admin;
    await admin.open('#provider');
    await page.getByRole('heading', { level: 2, name: 'OIDC provider', exact: true }).waitFor();
    const field = page.getByLabel('Secret expires on');
    await page.getByText(/Microsoft Entra ID shows it beside the secret when you create one/).waitFor();
    await field.fill(inDays(12));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();
    const saved = (await admin.harness.api<ConfigGetResponse>('config/get')).body;
    expect(saved.settings.oidc?.clientSecretExpiresAt).toBe(inDays(12));
    // A date that does not exist is refused with the field's own message.
    await field.fill('2027-02-30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Enter the date as YYYY-MM-DD, such as 2027-06-30.').first().waitFor();
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    await field.fill(inDays(12));
  }, 60_000);

  it('shows each provider\'s health on its connection card: a secret expiring in 12 days, a JWKS endpoint down', async () => {
    const { page } = admin;
    const added = await expectOk(admin.harness.api<ConnectionChangeResponse>('providers/save', { connectionId: 'default', name: 'Broken keys' }));
    await expectOk(
      admin.harness.api<ConfigSaveResponse>('config/save', {
        connectionId: 'default',
        providerId: added.providerId,
        settings: { preset: 'other', oidc: { issuer: `${peerUrl}/broken`, clientId: 'broken-client' }, allowedEmailDomains: ['broken.example'] },
        clientSecret: 'broken-client-secret-0123456789abcdef',
      }),
    );
    await admin.open('#connections');
    const card = connectionCard(page, 'Production');
    const healthy = card.getByRole('region', { name: 'Health of Identity provider' });
    const broken = card.getByRole('region', { name: 'Health of Broken keys' });
    await healthy.locator('[data-check="jwks"]').getByText('Reachable').waitFor();
    await expect(healthy.locator('[data-check="discovery"]').textContent()).resolves.toContain('It names the configured issuer.');
    await healthy.getByRole('heading', { name: 'The client secret expires in 12 days' }).waitFor();
    await expect(broken.locator('[data-check="discovery"]').textContent()).resolves.toContain('Reachable');
    const jwks = broken.locator('[data-check="jwks"]');
    await jwks.getByText('Failing').waitFor();
    await expect(jwks.textContent()).resolves.toMatch(/http_error.*HTTP 503/);
    await expect(broken.locator('[data-check="client-secret"]').textContent()).resolves.toContain('Not entered');
    await expect(healthy.locator('[data-check="last-success"]').textContent()).resolves.toBe('None in the last 30 days.');
    await admin.shoot('provider-health');

    // "Check again" asks the server with recheck; it answers from its cache while the check is seconds old.
    const before = jwksCalls.length;
    const request = page.waitForRequest((r) => r.url().endsWith('/admin/api/providers/health') && (r.postDataJSON() as { recheck?: boolean }).recheck === true);
    await card.getByRole('button', { name: 'Check again' }).click();
    await request;
    await jwks.getByText('Failing').waitFor();
    expect(jwksCalls.length).toBe(before);
    expect(admin.pageErrors).toEqual([]);
  }, 60_000);
});
