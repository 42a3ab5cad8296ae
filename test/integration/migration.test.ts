import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { alice, readAutoPost } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, CLIENT_SECRET, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from '../admin/support/admin-harness.js';

/**
 * A configuration saved by the single-configuration release (the settings record
 * `v1:config`, the client secret and the signing key under their keys) keeps working with no
 * admin action: logins go on as before, the first admin read stores it as the connection
 * `default`, and the certificate pasted into Guard stays the same.
 */

let harness: AdminHarness;

const stopAtGuard = (url: URL) => url.href.startsWith('https://auth.atlassian.com/login/callback');

async function login(): Promise<string | undefined> {
  const sp = await harness.serviceProvider();
  const agent = new UserAgent({ stopAt: stopAtGuard });
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
  const post = readAutoPost(await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password } }));
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
  return profile?.nameID;
}

async function metadataCertificate(): Promise<string> {
  return /<(?:\w+:)?X509Certificate>([^<]+)</.exec(await (await fetch(`${harness.app.baseUrl}/saml/metadata`)).text())![1]!;
}

beforeAll(async () => {
  harness = await startAdminHarness();
  // Exactly what that release's wizard wrote (stored-config.ts of v0.1: settings, no secret, a secret revision).
  await harness.app.store.set(storageKeys.config(), {
    preset: 'other',
    oidc: { issuer: harness.providerUrl, clientId: 'wizard-client', scopes: ['openid', 'email', 'profile'] },
    serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
    allowedEmailDomains: ['example.com'],
    secretRevision: 'rev-from-v0',
  });
  await harness.app.store.setSecret(storageKeys.clientSecret(), CLIENT_SECRET);
});

afterAll(async () => harness?.close());

describe('a configuration of the single-configuration release', () => {
  let certificate: string;

  it('serves logins before any admin has opened the new release', async () => {
    certificate = await metadataCertificate();
    await expect(login()).resolves.toBe(alice.email);
    // Logins read it; only an admin read stores the migrated document.
    await expect(harness.app.store.get(storageKeys.connections())).resolves.toBeUndefined();
  });

  it('becomes the connection "default" at the first admin read, with every value kept', async () => {
    const { body } = await harness.api<ConfigGetResponse>('config/get');
    expect(body.connection).toMatchObject({ id: 'default', ready: true, spEntityId: SP_ENTITY_ID, providers: [{ id: 'default', domains: ['example.com'] }] });
    expect(body.settings).toMatchObject({ oidc: { issuer: harness.providerUrl, clientId: 'wizard-client' }, serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL } });
    expect(body.status).toMatchObject({ configured: true, clientSecretSet: true });
    await expect(harness.app.store.get(storageKeys.connections())).resolves.toMatchObject({ v: 2, connections: [{ id: 'default' }] });
  });

  it('keeps serving logins under the same certificate, and later saves go to the connection', async () => {
    await expect(login()).resolves.toBe(alice.email);
    expect(await metadataCertificate()).toBe(certificate);
    const saved = await harness.api<ConfigSaveResponse>('config/save', { settings: { allowedEmailDomains: ['example.org'] } });
    expect(saved.body).toMatchObject({ ok: true });
    await expect(harness.app.store.get(storageKeys.connections())).resolves.toMatchObject({ connections: [{ providers: [{ allowedEmailDomains: ['example.org'] }] }] });
  });
});
