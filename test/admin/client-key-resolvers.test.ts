import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ClientKeyChangeResponse, ClientKeyResponse, ConfigGetResponse, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../src/core/admin/admin-context.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { evaluateSettings } from '../../src/core/stored-config.js';
import { readClientKeyRing } from '../../src/upstream-oidc/client-key-ring.js';
import { keyPool } from './support/key-pool.js';
import type { MemoryAdmin } from './support/memory-ports.js';

/**
 * A provider's client keys through the admin resolvers (`client-key/*`,
 * src/core/admin/client-keys.ts) and `config/save`: choosing `private_key_jwt` needs no secret
 * and makes the key; the public JWKS and its URL for the wizard; the rotation owner-only and in
 * the audit trail; no private key in any answer.
 */

const SECRET = 'client-key-test-secret-never-sent-with-a-key-7f3a';
const OKTA: AdminSettings = { preset: 'okta', oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: '0oa123', clientAuthMethod: 'client_secret_basic' } };
const KEYED: AdminSettings = { ...OKTA, oidc: { ...OKTA.oidc, clientAuthMethod: 'private_key_jwt' } };

const { pool, installation } = keyPool(4);

/** Every answer goes through this: none may carry a private key. */
async function call<T>(ctx: AdminContext, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  const text = JSON.stringify(outcome.body);
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toMatch(/"(d|p|q|dp|dq|qi|privateKeyPem)":/);
  for (const key of pool) expect(text).not.toContain(key.privateKeyPem.split('\n')[1]);
  return outcome.body as T;
}

const save = (ctx: AdminContext, payload: unknown) => call<ConfigSaveResponse>(ctx, 'config/save', payload);
const get = (ctx: AdminContext, payload: unknown = {}) => call<ClientKeyResponse>(ctx, 'client-key/get', payload);
const change = (ctx: AdminContext, key: string, payload: unknown = {}) => call<ClientKeyChangeResponse>(ctx, key, payload);

async function keyChanges(admin: MemoryAdmin): Promise<ChangeAuditRecord[]> {
  const page = await admin.audit.query({ kind: 'change', limit: 200 });
  return page.records.filter((r): r is ChangeAuditRecord => r.kind === 'change' && r.action.startsWith('client-key.'));
}

describe('choosing private_key_jwt', () => {
  it('needs no client secret, completes the provider step, and makes the key once, recorded', async () => {
    const { admin, owner } = installation();
    expect(await get(owner)).toEqual({ exists: false, jwksUrl: `${admin.ctx.baseUrl}/oidc/jwks/default/default` });
    const saved = await save(owner, { settings: KEYED, step: 'provider' });
    expect(saved).toMatchObject({ ok: true });
    expect(saved.ok && saved.status.completedSteps).toContain('provider');
    const shown = await get(owner);
    if (!shown.exists) throw new Error('no key after the save');
    expect(shown.jwksUrl).toBe(`${admin.ctx.baseUrl}/oidc/jwks/default/default`);
    expect(shown.jwks.keys).toHaveLength(1);
    expect(shown.jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: shown.keys.activeKid, 'x5t#S256': shown.keys.activeKid });
    expect(shown.jwks.keys[0]!.x5c[0]).toBe(shown.keys.active.certificatePem.replace(/-----[^-]+-----|\s+/g, ''));
    // A second save keeps the key: the provider registered it.
    await save(owner, { settings: { oidc: { clientId: '0oa124' } } });
    expect(await get(owner)).toEqual(shown);
    expect((await keyChanges(admin)).map((r) => [r.action, r.fields])).toEqual([['client-key.create', ['providers.default.oidc.clientKey.active']]]);
    // The key is in secret storage; the ring in the store names it by id and certificate only.
    const ring = (await readClientKeyRing(admin.store, 'default', 'default'))!;
    expect(await admin.store.getSecret(storageKeys.clientKeyOf('default', 'default', ring.active.id))).toMatchObject({ privateKeyPem: expect.stringContaining('PRIVATE KEY') });
    expect(JSON.stringify(ring)).not.toContain('PRIVATE KEY');
  });

  it('is allowed from a stored secret without typing it, and the stored secret is then not part of the configuration', async () => {
    const { admin, owner } = installation();
    expect(await save(owner, { settings: OKTA, clientSecret: SECRET })).toMatchObject({ ok: true });
    expect(await save(owner, { settings: { oidc: { clientAuthMethod: 'private_key_jwt' } } })).toMatchObject({ ok: true });
    // With the key, a new issuer sends no secret anywhere: no need to type one.
    expect(await save(owner, { settings: { oidc: { issuer: 'https://dev-456.okta.com/oauth2/default' } } })).toMatchObject({ ok: true });
    const settings = (await call<ConfigGetResponse>(owner, 'config/get', {})).settings;
    const stored = await admin.store.getSecret(storageKeys.clientSecret());
    expect(stored).toBe(SECRET);
    // The rest of a complete connection, so the configuration is whole and the secret's absence means something.
    const complete = { ...settings, serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' }, allowedEmailDomains: ['example.com'] };
    const evaluated = evaluateSettings(complete, stored, admin.ctx.baseUrl, { allowLoopbackHttp: false });
    expect(evaluated.ok).toBe(true);
    expect(evaluated.ok && evaluated.config.oidc).not.toHaveProperty('clientSecret');
    // Back to a secret method: the stored secret would go to the new issuer, so it is asked for.
    const back = await save(owner, { settings: { oidc: { clientAuthMethod: 'client_secret_basic' } } });
    expect(!back.ok && back.errors.map((e) => e.path)).toEqual(['oidc.clientSecret']);
  });

  it('without it, a missing secret is still a problem of the provider step', () => {
    const evaluated = evaluateSettings(OKTA, undefined, 'https://bridge.example.net', { allowLoopbackHttp: false });
    expect(!evaluated.ok && evaluated.problems.map((p) => p.path)).toContain('oidc.clientSecret');
    const keyed = evaluateSettings(KEYED, undefined, 'https://bridge.example.net', { allowLoopbackHttp: false });
    expect(!keyed.ok && keyed.problems.map((p) => p.path)).not.toContain('oidc.clientSecret');
  });
});

describe('the client key resolvers', () => {
  async function keyed() {
    const inst = installation();
    expect(await save(inst.owner, { settings: KEYED })).toMatchObject({ ok: true });
    await expect(call(inst.owner, 'owners/add', { id: 'owner-c' })).resolves.toMatchObject({ youAreOwner: true });
    return inst;
  }

  it('prepare publishes the next key beside the active one; activate, undo and discard-next as the certificate; each recorded', async () => {
    const { admin, owner } = await keyed();
    const first = await get(owner);
    if (!first.exists) throw new Error('no key');
    const prepared = await change(owner, 'client-key/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    expect(prepared.clientKey.jwks.keys.map((k) => k.kid)).toEqual([first.keys.activeKid, prepared.clientKey.keys.nextKid]);
    const activated = await change(owner, 'client-key/activate', { fingerprint: prepared.clientKey.keys.next!.fingerprint });
    if (!activated.ok) throw new Error(activated.message);
    expect(activated.clientKey.keys.activeKid).toBe(prepared.clientKey.keys.nextKid);
    expect(activated.clientKey.jwks.keys.map((k) => k.kid)).toEqual([prepared.clientKey.keys.nextKid]);
    expect(activated.clientKey.keys.undo?.fingerprint).toBe(first.keys.active.fingerprint);
    const undone = await change(owner, 'client-key/undo', { fingerprint: first.keys.active.fingerprint });
    if (!undone.ok) throw new Error(undone.message);
    expect(undone.clientKey.keys.activeKid).toBe(first.keys.activeKid);
    const discarded = await change(owner, 'client-key/discard-next', { fingerprint: undone.clientKey.keys.next!.fingerprint });
    if (!discarded.ok) throw new Error(discarded.message);
    expect(discarded.clientKey.jwks.keys.map((k) => k.kid)).toEqual([first.keys.activeKid]);
    expect((await keyChanges(admin)).map((r) => r.action).sort()).toEqual(
      ['client-key.create', 'client-key.prepare', 'client-key.activate', 'client-key.undo', 'client-key.discard-next'].sort(),
    );
  });

  it('refuse every change to an admin who is not an owner, and record nothing; reading is anyone’s', async () => {
    const { admin, as, owner } = await keyed();
    const prepared = await change(owner, 'client-key/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    const intruder = as('not-owner-b');
    const recorded = (await keyChanges(admin)).length;
    for (const [key, payload] of [
      ['client-key/prepare', {}],
      ['client-key/activate', { fingerprint: prepared.clientKey.keys.next!.fingerprint }],
      ['client-key/discard-next', { fingerprint: prepared.clientKey.keys.next!.fingerprint }],
      ['client-key/undo', { fingerprint: prepared.clientKey.keys.active.fingerprint }],
    ] as const) {
      await expect(call(intruder, key, payload)).resolves.toMatchObject({ error: 'owner_required' });
    }
    expect(await get(intruder)).toEqual({ exists: true, ...prepared.clientKey });
    expect(await keyChanges(admin)).toHaveLength(recorded);
  });

  it('refuse a next key other than the one the page showed, bad fingerprints, and providers that do not exist', async () => {
    const { as, owner } = await keyed();
    const shown = await change(owner, 'client-key/prepare');
    const again = await change(as('owner-c'), 'client-key/prepare');
    if (!shown.ok || !again.ok) throw new Error('prepare refused');
    const refused = await change(owner, 'client-key/activate', { fingerprint: shown.clientKey.keys.next!.fingerprint });
    expect(refused).toMatchObject({ ok: false, reason: 'next_changed' });
    await expect(call(owner, 'client-key/activate', { fingerprint: 'AA:BB' })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'client-key/activate', { fingerprint: 'AA:BB', extra: 1 })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'client-key/prepare', { providerId: 'nope' })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'client-key/prepare', { connectionId: 'Not An Id' })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it('deleting the provider deletes its keys', async () => {
    const { admin, owner } = await keyed();
    const added = await call<{ providerId: string }>(owner, 'providers/save', { connectionId: 'default', name: 'Second' });
    const secondId = added.providerId;
    expect(await save(owner, { providerId: secondId, settings: KEYED })).toMatchObject({ ok: true });
    const ring = (await readClientKeyRing(admin.store, 'default', secondId))!;
    const revision = (await call<ConfigGetResponse>(owner, 'config/get', {})).connections.find((c) => c.id === 'default')!.revision;
    expect(await call(owner, 'providers/delete', { connectionId: 'default', providerId: secondId, expectedRevision: revision })).toMatchObject({ ok: true });
    expect(await readClientKeyRing(admin.store, 'default', secondId)).toBeUndefined();
    expect(await admin.store.getSecret(storageKeys.clientKeyOf('default', secondId, ring.active.id))).toBeUndefined();
  });
});
