import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OwnersResponse } from '../../src/core/admin/admin-api-types.js';
import { ACS_URL, ADMIN_TOKEN, SP_ENTITY_ID } from '../admin/support/admin-harness.js';
import { configureDefaultConnection, startAdminBrowser, UI_TIMEOUT, type AdminBrowser } from './support/admin-browser.js';

/**
 * SSO owners on the admin page, in Chromium against the standalone server with two admin
 * tokens: the harness's single token (`standalone-admin`) saved the configuration first and so
 * owns it; the page is signed in as `bob`, another admin. Bob sees every setting read-only with
 * the owners named, no save button, can still start the connection test, and can request
 * ownership; the request shows at once to every admin, and the owner's page offers to cancel it.
 */

const BOB = 'bob-admin-token-00112233445566778899';
const TOKEN_KEY = 'oidc-saml-bridge:admin-token';

let admin: AdminBrowser;

beforeAll(async () => {
  admin = await startAdminBrowser({ artifacts: 'owners', token: BOB, standalone: { adminTokens: [{ identity: 'bob', token: BOB }] } });
  await configureDefaultConnection(admin.harness, { name: 'Production', entityId: SP_ENTITY_ID, acsUrl: ACS_URL, domains: ['example.com'] });
}, 60_000);

afterAll(async () => {
  await admin?.close();
});

/** Chromium on a shared 2-core machine: generous, as each test drives several page loads. */
const TEST_TIMEOUT = 90_000;

const owners = async (token: string) => (await admin.harness.api<OwnersResponse>('owners/get', {}, { token })).body;

describe('an admin who is not an SSO owner', () => {
  it('sees the provider settings read-only, the owners named, and no save button', async () => {
    const { page } = admin;
    await admin.open('#provider');
    const notice = page.getByRole('heading', { name: 'Read-only: you are not an SSO owner' });
    await notice.waitFor();
    await expect(page.getByText(/Only SSO owners can change what decides who signs in \(standalone-admin\)/).isVisible()).resolves.toBe(true);
    const issuer = page.getByLabel('Issuer URL');
    await issuer.waitFor();
    await expect(issuer.inputValue()).resolves.toBe(admin.harness.providerSettings().oidc!.issuer);
    await expect(issuer.isEditable()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Save', exact: true }).count()).resolves.toBe(0);
    await admin.shoot('non-owner-provider-step');
    expect(admin.pageErrors).toEqual([]);
  }, TEST_TIMEOUT);

  it('sees the Guard values and the domains read-only too, and no way to add a connection', async () => {
    const { page } = admin;
    await admin.open('#users');
    const domains = page.getByLabel('Allowed email domains', { exact: false }).first();
    await domains.waitFor();
    await expect(domains.isEditable()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Save', exact: true }).count()).resolves.toBe(0);
    await admin.open('#connections');
    await page.getByRole('heading', { level: 2, name: 'Connections' }).waitFor();
    await expect(page.getByRole('button', { name: 'Add connection' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Rename' }).count()).resolves.toBe(0);
  }, TEST_TIMEOUT);

  it('sees the signing certificate, and cannot prepare, activate or undo one', async () => {
    const { page } = admin;
    await admin.open('#idp-values');
    const prepare = page.getByRole('button', { name: 'Prepare next certificate' });
    await prepare.waitFor();
    await expect(prepare.isDisabled()).resolves.toBe(true);
    await page.getByText('Only an SSO owner can prepare, activate or undo a certificate.').waitFor();
    await expect(page.locator('#certificate-active-fingerprint').textContent()).resolves.toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(admin.pageErrors).toEqual([]);
  }, TEST_TIMEOUT);

  it('can still start the connection test', async () => {
    const { page } = admin;
    await admin.open('#test');
    const start = page.getByRole('button', { name: 'Start test login' });
    await start.waitFor();
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/admin/api/test/start'), { timeout: UI_TIMEOUT }),
      page.context().waitForEvent('page', { timeout: UI_TIMEOUT }).then((tab) => tab.close()).catch(() => undefined),
      start.click(),
    ]);
    expect(answer.status()).toBe(200);
    await expect(answer.json()).resolves.toMatchObject({ testId: expect.any(String) });
  }, TEST_TIMEOUT);

  it('requests ownership; the request shows at once, to the owner too, who can cancel it', async () => {
    const { page } = admin;
    await admin.open('#overview');
    await page.getByRole('button', { name: 'Request ownership' }).click();
    const banner = page.getByRole('heading', { name: 'Ownership requested' });
    await banner.waitFor();
    await expect(page.getByText(/You requested SSO ownership on .* UTC\. It takes effect on/).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Cancel the request' }).count()).resolves.toBe(0);
    await admin.shoot('non-owner-request-pending');
    await expect(owners(ADMIN_TOKEN)).resolves.toMatchObject({ request: { requester: 'bob' }, youAreOwner: true });

    // The owner's page, in a tab of its own signed in with the owner's token.
    const ownerContext = await admin.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    try {
      await ownerContext.addInitScript(
        ([key, token]) => {
          if (location.protocol === 'http:') sessionStorage.setItem(key!, token!);
        },
        [TOKEN_KEY, ADMIN_TOKEN],
      );
      const ownerPage = await ownerContext.newPage();
      ownerPage.setDefaultTimeout(UI_TIMEOUT);
      await ownerPage.goto(`${admin.harness.app.serverUrl}/admin/#owners`);
      await ownerPage.getByRole('heading', { name: 'Ownership requested' }).waitFor();
      await expect(ownerPage.getByText(/bob requested SSO ownership/).isVisible()).resolves.toBe(true);
      await expect(ownerPage.getByRole('table', { name: 'Owners' }).getByRole('cell', { name: 'standalone-admin (you)' }).count()).resolves.toBe(1);
      await ownerPage.getByRole('button', { name: 'Cancel the request' }).click();
      await ownerPage.getByRole('heading', { name: 'Ownership requested' }).waitFor({ state: 'detached' });
    } finally {
      await ownerContext.close();
    }
    await expect(owners(BOB)).resolves.not.toHaveProperty('request');
    await admin.open('#overview');
    await page.getByRole('heading', { name: 'Read-only: you are not an SSO owner' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Ownership requested' }).count()).resolves.toBe(0);
    expect(admin.pageErrors).toEqual([]);
  }, TEST_TIMEOUT);
});
