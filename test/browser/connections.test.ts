import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import type { ConfigGetResponse, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { ACS_URL, SP_ENTITY_ID } from '../admin/support/admin-harness.js';
import { choose, configureDefaultConnection, connectionCard, connectionsOf, expectOk, expectValue, startAdminBrowser, type AdminBrowser } from './support/admin-browser.js';

/**
 * Connections and their providers on the admin page, in Chromium against the standalone server:
 * the Connections page lists, adds, renames and deletes connections; the provider steps pick,
 * add, rename and remove a connection's providers, and save each provider's settings for that
 * provider only; the hash keeps the selection across a reload; a save against a connection
 * another administrator changed meanwhile is refused, and the page says so. Each change is
 * checked through the admin API, not only on the page.
 */

const SUBSIDIARY_ISSUER = 'https://login.subsidiary.test/oauth2/default';

let admin: AdminBrowser;
/** The connection the page adds (its id is the bridge's). */
let sandboxId: string;
let subsidiaryId: string;
/** Every admin API call the page made, as sent. */
const calls: { key: string; payload: Record<string, unknown> }[] = [];

beforeAll(async () => {
  admin = await startAdminBrowser({ artifacts: 'connections' });
  admin.page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/admin/api/')) calls.push({ key: pathname.slice('/admin/api/'.length), payload: request.postDataJSON() as Record<string, unknown> });
  });
  // A finished first connection, as the single-connection wizard leaves it.
  await configureDefaultConnection(admin.harness, { name: 'Production', entityId: SP_ENTITY_ID, acsUrl: ACS_URL, domains: ['example.com'] });
}, 60_000);

afterAll(async () => {
  await admin?.close();
});

async function onHeading(name: string): Promise<void> {
  await admin.page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
}

async function openConnectionsPage(): Promise<void> {
  await admin.page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Connections' }).click();
  await onHeading('Connections');
}

async function goToStep(title: string): Promise<void> {
  await admin.page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: new RegExp(`^\\d?\\s*${title}`) }).click();
  await onHeading(title);
}

/** The providers a connection's card lists, with their domains. */
function providersListed(name: string): Promise<string[]> {
  return connectionCard(admin.page, name).getByRole('list', { name: `Providers of ${name}` }).getByRole('listitem').allTextContents();
}

async function config(target: { connectionId?: string; providerId?: string } = {}): Promise<ConfigGetResponse> {
  return (await admin.harness.api<ConfigGetResponse>('config/get', target)).body;
}

describe('connections on the admin page', () => {
  it('lists the connection with its SP Entity ID, readiness, providers, domains and metadata URL', async () => {
    const { page } = admin;
    await admin.open();
    await openConnectionsPage();
    const production = connectionCard(page, 'Production');
    await production.getByText(SP_ENTITY_ID).waitFor();
    await production.getByText('Ready', { exact: true }).waitFor();
    await production.getByText(`${admin.harness.app.baseUrl}/saml/metadata`, { exact: true }).waitFor();
    await expect(providersListed('Production')).resolves.toEqual(['Identity provider: example.com']);
  });

  it('adds a connection and lists it, not ready and with its own metadata URL', async () => {
    const { page } = admin;
    await page.getByLabel('New connection name').fill('Sandbox');
    await page.getByRole('button', { name: 'Add connection' }).click();
    const sandbox = connectionCard(page, 'Sandbox');
    await sandbox.waitFor();
    const stored = (await connectionsOf(admin.harness)).find((c) => c.name === 'Sandbox');
    expect(stored).toMatchObject({ ready: false, providers: [{ domains: [] }] });
    sandboxId = stored!.id;
    await sandbox.getByText('Not ready', { exact: true }).waitFor();
    await sandbox.getByText(`${admin.harness.app.baseUrl}/saml/metadata/${sandboxId}`, { exact: true }).waitFor();
    // The form is empty again for the next one.
    await expect(page.getByLabel('New connection name').inputValue()).resolves.toBe('');
    await admin.shoot('connections-added');
  });

  it('renames a connection', async () => {
    const { page } = admin;
    await connectionCard(page, 'Sandbox').getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Connection name', { exact: true }).fill('Sandbox EU');
    await page.getByRole('button', { name: 'Save name' }).click();
    await connectionCard(page, 'Sandbox EU').waitFor();
    await expect(connectionCard(page, 'Sandbox').count()).resolves.toBe(0);
    expect((await connectionsOf(admin.harness)).find((c) => c.id === sandboxId)?.name).toBe('Sandbox EU');
  });

  it('opens the wizard for the connection picked, and a reload stays on its step', async () => {
    const { page } = admin;
    await connectionCard(page, 'Sandbox EU').getByRole('button', { name: 'Open in the wizard' }).click();
    await page.getByText('Connection Sandbox EU').waitFor();
    // Its own callback is the bridge's one; its IdP values are its own.
    await goToStep('Values for Atlassian Guard');
    await expect(page.getByLabel('IdP Entity ID').inputValue()).resolves.toBe(`${admin.harness.app.baseUrl}/saml/metadata/${sandboxId}`);
    expect(new URL(page.url()).hash).toBe(`#idp-values?connection=${sandboxId}&provider=${(await config({ connectionId: sandboxId })).providerId}`);
    await page.reload();
    await onHeading('Values for Atlassian Guard');
    await page.getByText('Connection Sandbox EU').waitFor();
    await expect(page.getByLabel('IdP Entity ID').inputValue()).resolves.toBe(`${admin.harness.app.baseUrl}/saml/metadata/${sandboxId}`);
    // The metadata to upload to Guard is this connection's too.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download IdP metadata XML' }).click()]);
    expect(fs.readFileSync((await download.path())!, 'utf8')).toContain(`entityID="${admin.harness.app.baseUrl}/saml/metadata/${sandboxId}"`);
  });

  it('still opens a first-release link (#provider) at that step of the first connection', async () => {
    const { page } = admin;
    await admin.open('#provider');
    await onHeading('OIDC provider');
    await page.getByText('Connection Production').waitFor();
    await expect(page.getByLabel('Issuer URL').inputValue()).resolves.toBe(admin.harness.providerUrl);
    expect(new URL(page.url()).hash).toBe('#provider?connection=default&provider=default');
  });

  it("adds a second provider to a connection and saves that provider's settings for it alone", async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByLabel('New provider name').fill('Subsidiary');
    await page.getByRole('button', { name: 'Add provider' }).click();
    // The new provider is the one shown, with nothing set yet.
    await page.getByRole('region', { name: 'Provider of the connection' }).getByText('Subsidiary (no domains yet)').waitFor();
    await expect(page.getByLabel('Issuer URL').inputValue()).resolves.toBe('');
    const production = (await connectionsOf(admin.harness)).find((c) => c.id === 'default')!;
    expect(production.providers.map((p) => p.name)).toEqual(['Identity provider', 'Subsidiary']);
    subsidiaryId = production.providers[1]!.id;
    expect(new URL(page.url()).hash).toBe(`#provider?connection=default&provider=${subsidiaryId}`);

    await page.getByLabel('Issuer URL').fill(SUBSIDIARY_ISSUER);
    await page.getByLabel('Client ID').fill('subsidiary-client');
    await page.getByLabel('Client secret').fill('subsidiary-client-secret-0123456789');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();
    await admin.shoot('provider-added');
    // The users step previews this provider's mapping (after its debounce) before anything is typed.
    const previewed = page.waitForRequest((r) => r.url().endsWith('/admin/api/users/preview') && (r.postDataJSON() as { providerId?: string }).providerId === subsidiaryId);
    await goToStep('Users and attributes');
    await page.getByRole('region', { name: 'Provider of the connection' }).getByText('Subsidiary (no domains yet)').waitFor();
    await previewed;
    await page.getByLabel('Allowed email domains').fill('subsidiary.test');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();

    const subsidiary = await config({ connectionId: 'default', providerId: subsidiaryId });
    expect(subsidiary.settings.oidc).toMatchObject({ issuer: SUBSIDIARY_ISSUER, clientId: 'subsidiary-client' });
    expect(subsidiary.settings.allowedEmailDomains).toEqual(['subsidiary.test']);
    expect(subsidiary.status.clientSecretSet).toBe(true);
    // The first provider keeps its own.
    const first = await config({ connectionId: 'default', providerId: 'default' });
    expect(first.settings.oidc).toMatchObject({ issuer: admin.harness.providerUrl, clientId: 'wizard-client' });
    expect(first.settings.allowedEmailDomains).toEqual(['example.com']);

    // Switching back in the picker shows the first provider's values.
    await choose(page, 'Provider', 'Identity provider (example.com)');
    await expectValue(page.getByLabel('Allowed email domains'), 'example.com');
    await openConnectionsPage();
    await expect(providersListed('Production')).resolves.toEqual(['Identity provider: example.com', 'Subsidiary: subsidiary.test']);
  });

  it('removes a provider only once confirmed, and refuses to remove the last one', async () => {
    const { page } = admin;
    await connectionCard(page, 'Production').getByRole('button', { name: 'Open in the wizard' }).click();
    await goToStep('OIDC provider');
    await choose(page, 'Provider', 'Subsidiary (subsidiary.test)');
    await expectValue(page.getByLabel('Issuer URL'), SUBSIDIARY_ISSUER);

    // Cancel keeps it.
    await page.getByRole('button', { name: 'Remove provider' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove provider “Subsidiary”?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm.count()).resolves.toBe(0);
    expect((await connectionsOf(admin.harness)).find((c) => c.id === 'default')!.providers).toHaveLength(2);

    await page.getByRole('button', { name: 'Remove provider' }).click();
    await admin.shoot('provider-remove-confirm');
    await confirm.getByRole('button', { name: 'Remove provider' }).click();
    // The remaining provider is shown, alone.
    await page.getByRole('region', { name: 'Provider of the connection' }).getByText('Provider: Identity provider.').waitFor();
    await expectValue(page.getByLabel('Issuer URL'), admin.harness.providerUrl);
    expect((await connectionsOf(admin.harness)).find((c) => c.id === 'default')!.providers.map((p) => p.id)).toEqual(['default']);

    // The bridge refuses to remove the last one, and the page shows why.
    await page.getByRole('button', { name: 'Remove provider' }).click();
    await page.getByRole('alertdialog', { name: 'Remove provider “Identity provider”?' }).getByRole('button', { name: 'Remove provider' }).click();
    await page.getByRole('alert').getByText('A connection needs at least one provider. Delete the connection instead.').waitFor();
    expect((await connectionsOf(admin.harness)).find((c) => c.id === 'default')!.providers).toHaveLength(1);
  });

  it("refuses a save over another administrator's change to the connection, and Reload shows theirs", async () => {
    const { page } = admin;
    await goToStep('Users and attributes');
    await page.getByLabel('Given name claim').fill('first_name');
    // Meanwhile another administrator changes the same connection.
    await expectOk(admin.harness.api<ConfigSaveResponse>('config/save', { connectionId: 'default', settings: { nameIdClaim: 'preferred_username' } }));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Another administrator changed this connection' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Saved', exact: true }).count()).resolves.toBe(0);
    await admin.shoot('conflict');
    const stored = await config({ connectionId: 'default' });
    expect(stored.settings.attributeClaims?.givenName).not.toBe('first_name');
    expect(stored.settings.nameIdClaim).toBe('preferred_username');

    await page.getByRole('button', { name: 'Reload' }).click();
    await expectValue(page.getByLabel('NameID claim'), 'preferred_username');
    await expect(page.getByLabel('Given name claim').inputValue()).resolves.toBe('given_name');
    // At the new revision, the same change now goes through.
    await page.getByLabel('Given name claim').fill('first_name');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();
    expect((await config({ connectionId: 'default' })).settings.attributeClaims?.givenName).toBe('first_name');
  });

  it('deletes a connection only once its name is typed; Cancel keeps it', async () => {
    const { page } = admin;
    await openConnectionsPage();
    const sandbox = connectionCard(page, 'Sandbox EU');
    await sandbox.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete connection “Sandbox EU”?' });
    const deleteButton = confirm.getByRole('button', { name: 'Delete connection' });
    await expect(deleteButton.isDisabled()).resolves.toBe(true);
    await confirm.getByLabel('Type “Sandbox EU” to confirm').fill('Sandbox');
    await expect(deleteButton.isDisabled()).resolves.toBe(true);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm.count()).resolves.toBe(0);
    expect((await connectionsOf(admin.harness)).map((c) => c.name)).toEqual(['Production', 'Sandbox EU']);

    await sandbox.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.getByLabel('Type “Sandbox EU” to confirm').fill('Sandbox EU');
    await admin.shoot('connection-delete-confirm');
    await deleteButton.click();
    await sandbox.waitFor({ state: 'detached' });
    expect((await connectionsOf(admin.harness)).map((c) => c.name)).toEqual(['Production']);
    await connectionCard(page, 'Production').waitFor();
    expect(admin.pageErrors).toEqual([]);
  });

  it('names the connection and provider shown in every call about them, and saves at the revision shown', () => {
    const targeted = calls.filter((c) => ['config/save', 'users/preview', 'test/start', 'rollout/save', 'idp/metadata'].includes(c.key));
    expect(new Set(targeted.map((c) => c.key))).toEqual(new Set(['config/save', 'users/preview', 'idp/metadata']));
    for (const call of targeted) expect(call).toMatchObject({ payload: { connectionId: expect.any(String), providerId: expect.any(String) } });
    for (const call of calls.filter((c) => c.key === 'config/save')) expect(call).toMatchObject({ payload: { expectedRevision: expect.any(Number) } });
    expect(targeted.filter((c) => c.payload.providerId === subsidiaryId).map((c) => c.key)).toEqual(expect.arrayContaining(['config/save', 'users/preview']));
    expect(targeted.filter((c) => c.payload.connectionId === sandboxId).map((c) => c.key)).toContain('idp/metadata');
  });
});
