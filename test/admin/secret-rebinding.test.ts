import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import { readConnections, settingsOf } from '../../src/core/connections/connections-document.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { memoryAdmin, type MemoryAdmin } from './support/memory-ports.js';

/**
 * A stored client secret is sent only to the provider it was typed for: changing the issuer,
 * an endpoint, the client ID or the authentication method needs the secret again in the same
 * save, else `config/save` answers a field error on `oidc.clientSecret` and stores nothing.
 */

const SECRET = 'rebinding-client-secret-stays-with-its-provider-51c2';
const ISSUER = 'https://dev-123.okta.com/oauth2/default';
const ENDPOINTS = {
  authorizationEndpoint: 'https://idp.example.com/authorize',
  tokenEndpoint: 'https://idp.example.com/token',
  jwksUri: 'https://idp.example.com/jwks',
};
const PROVIDER: AdminSettings = { preset: 'okta', oidc: { issuer: ISSUER, clientId: '0oa123', clientAuthMethod: 'client_secret_basic' } };

async function save(admin: MemoryAdmin, payload: unknown): Promise<ConfigSaveResponse> {
  const outcome = await runAdminResolver('config/save', admin.ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as ConfigSaveResponse;
}

async function storedOidc(admin: MemoryAdmin) {
  const read = await readConnections(admin.store);
  return read.state === 'ok' ? settingsOf(read.document.connections[0]!, read.document.connections[0]!.providers[0]!.id)?.oidc : undefined;
}

async function withSecret(initial: AdminSettings = PROVIDER): Promise<MemoryAdmin> {
  const admin = memoryAdmin();
  expect(await save(admin, { settings: initial, clientSecret: SECRET })).toMatchObject({ ok: true });
  return admin;
}

describe('config/save: the stored client secret stays with its provider', () => {
  it.each([
    ['the issuer', { oidc: { issuer: 'https://attacker.example.com' } }],
    ['the client ID', { oidc: { clientId: 'someone-elses-client' } }],
    ['the authentication method', { oidc: { clientAuthMethod: 'client_secret_post' } }],
    ['manual endpoints switched on', { oidc: { endpoints: { ...ENDPOINTS, tokenEndpoint: 'https://attacker.example.com/token' } } }],
  ])('refuses a change of %s without the secret, on the Client secret field', async (_what, patch) => {
    const admin = await withSecret();
    const before = await storedOidc(admin);
    const answer = await save(admin, { settings: patch });
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.errors.map((e) => e.path)).toEqual(['oidc.clientSecret']);
    expect(await storedOidc(admin)).toEqual(before);
  });

  it('refuses a new token endpoint (or going back to discovery) in manual mode without the secret', async () => {
    const admin = await withSecret({ ...PROVIDER, oidc: { ...PROVIDER.oidc, endpoints: ENDPOINTS } });
    const moved = await save(admin, { settings: { oidc: { endpoints: { ...ENDPOINTS, tokenEndpoint: 'https://attacker.example.com/token' } } } });
    expect(!moved.ok && moved.errors.map((e) => e.path)).toEqual(['oidc.clientSecret']);
    const discovery = await save(admin, { settings: { oidc: { endpoints: {} } } });
    expect(!discovery.ok && discovery.errors.map((e) => e.path)).toEqual(['oidc.clientSecret']);
    expect((await storedOidc(admin))?.endpoints).toEqual(ENDPOINTS);
  });

  it('accepts the same change with the secret typed again', async () => {
    const admin = await withSecret();
    const answer = await save(admin, { settings: { oidc: { issuer: 'https://other.okta.com' } }, clientSecret: 'the-other-providers-secret' });
    expect(answer).toMatchObject({ ok: true });
    expect((await storedOidc(admin))?.issuer).toBe('https://other.okta.com');
    expect(await admin.store.getSecret(storageKeys.clientSecret())).toBe('the-other-providers-secret');
  });

  it('needs no secret for changes that send it nowhere new', async () => {
    const admin = await withSecret();
    // The wizard sends the whole provider step again; unchanged values and other fields are fine.
    expect(await save(admin, { settings: { ...PROVIDER, oidc: { ...PROVIDER.oidc, scopes: ['openid', 'email'] } } })).toMatchObject({ ok: true });
    expect(await save(admin, { settings: { oidc: { issuer: `${ISSUER}/` } } })).toMatchObject({ ok: true });
    expect(await save(admin, { settings: { allowedEmailDomains: ['example.com'] } })).toMatchObject({ ok: true });
  });

  it('needs no secret again while none is stored (the first save of the step)', async () => {
    const admin = memoryAdmin();
    expect(await save(admin, { settings: PROVIDER })).toMatchObject({ ok: true });
    expect(await save(admin, { settings: { oidc: { issuer: 'https://other.okta.com' } } })).toMatchObject({ ok: true });
  });
});
