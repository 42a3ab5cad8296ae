import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ConfigGetResponse, ConfigSaveResponse, OwnersResponse } from '../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../src/core/admin/admin-context.js';
import { ADMIN_RESOLVER_KEYS, RESOLVER_ACCESS, runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import { OWNERSHIP_REQUEST_DELAY_MS } from '../../src/core/admin/owners.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { memoryAdmin, type MemoryAdmin } from './support/memory-ports.js';

/**
 * SSO owners (src/core/admin/owners.ts, enforced in admin-resolvers.ts): a product admin who is
 * not an owner cannot change what decides who signs in; the first saver becomes the owner;
 * recovery is a visible, cancellable request that waits 72 hours; every change is recorded with
 * who, when and which fields.
 */

const SECRET = 'owners-test-client-secret-never-recorded-5d1c';
const PROVIDER: AdminSettings = { preset: 'okta', oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: '0oa123' } };

/** One installation (one store, one audit trail, one clock) seen by several admins. */
function installation() {
  const admin = memoryAdmin({ actor: 'owner-a' });
  const as = (actor: string): AdminContext => ({ ...admin.ctx, actor });
  return { admin, as };
}

async function call<T>(ctx: AdminContext, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as T;
}

const owners = (ctx: AdminContext) => call<OwnersResponse>(ctx, 'owners/get', {});
const saveDomains = (ctx: AdminContext, domains: string[]) => call<ConfigSaveResponse>(ctx, 'config/save', { settings: { allowedEmailDomains: domains } });

async function changes(admin: MemoryAdmin): Promise<ChangeAuditRecord[]> {
  const page = await admin.audit.query({ kind: 'change', limit: 200 });
  return page.records.filter((r): r is ChangeAuditRecord => r.kind === 'change');
}

/** An installation whose owner `owner-a` saved a provider, with a second owner-to-be and a pending request, so every owner-only call would succeed for an owner. */
async function configuredInstallation() {
  const inst = installation();
  const a = inst.as('owner-a');
  await expect(call(a, 'config/save', { settings: PROVIDER, clientSecret: SECRET })).resolves.toMatchObject({ ok: true });
  await expect(call(a, 'owners/add', { id: 'owner-c' })).resolves.toMatchObject({ youAreOwner: true });
  await expect(call(inst.as('requester-d'), 'ownership/request', {})).resolves.toMatchObject({ request: { requester: 'requester-d' } });
  const first = await call<ConfigGetResponse>(a, 'config/get', {});
  const second = await call<{ providerId: string }>(a, 'providers/save', { connectionId: first.connection.id, name: 'Second provider' });
  const config = await call<ConfigGetResponse>(a, 'config/get', {});
  return { ...inst, config, secondProviderId: second.providerId };
}

/** A payload per owner-only key that succeeds for an owner of `configuredInstallation`. */
function ownerPayloads(config: ConfigGetResponse, providerId: string): Record<string, unknown> {
  const connectionId = config.connection.id;
  const revision = config.connection.revision;
  return {
    'config/save': { settings: { allowedEmailDomains: ['attacker.example'] } },
    'connections/save': { name: 'Attacker' },
    'connections/delete': { connectionId, expectedRevision: revision },
    'providers/save': { connectionId, name: 'Attacker provider' },
    'providers/delete': { connectionId, providerId, expectedRevision: revision },
    'rollout/save': { rollout: { enforced: true } },
    'owners/add': { id: 'not-owner-b' },
    'owners/remove': { id: 'owner-a' },
    'ownership/cancel': {},
    // No draft in this installation: refused for a non-owner before anything is read; an
    // owner's apply and discard of a real draft are in draft-apply.test.ts.
    'draft/apply': { confirmUntested: 'APPLY UNTESTED' },
    'draft/discard': {},
    // Nothing prepared here: an owner's activate, undo and discard of a real next certificate are
    // in certificate-resolvers.test.ts.
    'certificate/prepare': {},
    'certificate/activate': { fingerprint: config.certificate.active.fingerprint },
    'certificate/undo': { fingerprint: config.certificate.active.fingerprint },
    'certificate/discard-next': { fingerprint: config.certificate.active.fingerprint },
    'backup/export-sealed': { passphrase: 'a passphrase long enough' },
    // A new connection with one provider and no settings: created, with nothing for a draft.
    'backup/import': { file: JSON.stringify({ format: 'oidc-saml-bridge-backup', version: 1, exportedAt: '2030-01-01T00:00:00.000Z', appVersion: '0.1.0', encrypted: false, connections: [{ id: 'restored', name: 'Restored', providers: [{ id: 'okta', name: 'Okta' }] }], certificates: [], omittedSecrets: [] }) },
    'client-key/prepare': {},
    'client-key/activate': { fingerprint: config.certificate.active.fingerprint },
    'client-key/undo': { fingerprint: config.certificate.active.fingerprint },
    'client-key/discard-next': { fingerprint: config.certificate.active.fingerprint },
  };
}

describe('which resolvers only an owner may call', () => {
  it('classifies every resolver key, so a new resolver cannot slip in unclassified', () => {
    expect(Object.keys(RESOLVER_ACCESS).sort()).toEqual([...ADMIN_RESOLVER_KEYS].sort());
    for (const key of ADMIN_RESOLVER_KEYS) expect(['owner', 'any']).toContain(RESOLVER_ACCESS[key]);
  });

  it('makes exactly the calls that change who signs in, or as whom, owner-only', () => {
    const ownerOnly = ADMIN_RESOLVER_KEYS.filter((key) => RESOLVER_ACCESS[key] === 'owner').sort();
    expect(ownerOnly).toEqual(
      [
        'config/save',
        'connections/delete',
        'connections/save',
        'draft/apply',
        'draft/discard',
        'owners/add',
        'owners/remove',
        'ownership/cancel',
        'providers/delete',
        'providers/save',
        'rollout/save',
        'certificate/prepare',
        'certificate/activate',
        'certificate/undo',
        'certificate/discard-next',
        'backup/export-sealed',
        'backup/import',
        'client-key/prepare',
        'client-key/activate',
        'client-key/undo',
        'client-key/discard-next',
      ].sort(),
    );
  });

  const ownerOnlyKeys = ADMIN_RESOLVER_KEYS.filter((key) => RESOLVER_ACCESS[key] === 'owner');
  it.each(ownerOnlyKeys)('refuses %s to an admin who is not an owner, and changes nothing', async (key) => {
    const { admin, as, config, secondProviderId } = await configuredInstallation();
    const payload = ownerPayloads(config, secondProviderId)[key];
    expect(payload).toBeDefined();
    const before = JSON.stringify([...admin.store.entries]) + JSON.stringify([...admin.store.secretEntries]);
    const recorded = (await changes(admin)).length;
    const answer = await call<{ error?: string; message?: string }>(as('not-owner-b'), key, payload);
    expect(answer).toMatchObject({ error: 'owner_required', message: expect.stringContaining('owner-a') });
    expect(JSON.stringify([...admin.store.entries]) + JSON.stringify([...admin.store.secretEntries])).toBe(before);
    expect(await changes(admin)).toHaveLength(recorded);
  });

  const withoutDraft = ownerOnlyKeys.filter((key) => !key.startsWith('draft/') && !['certificate/activate', 'certificate/undo', 'certificate/discard-next', 'client-key/activate', 'client-key/undo', 'client-key/discard-next'].includes(key));
  it.each(withoutDraft)('lets an owner call %s (the payloads above are real changes)', async (key) => {
    const { as, config, secondProviderId } = await configuredInstallation();
    const answer = await call<{ error?: string; ok?: boolean }>(as('owner-c'), key, ownerPayloads(config, secondProviderId)[key]);
    expect(answer.error).toBeUndefined();
    expect(answer.ok).not.toBe(false);
  });

  const openKeys = ADMIN_RESOLVER_KEYS.filter((key) => RESOLVER_ACCESS[key] === 'any');
  it.each(openKeys)('lets an admin who is not an owner call %s', async (key) => {
    const { as } = await configuredInstallation();
    const outcome = await runAdminResolver(key, as('not-owner-b'), {});
    const body = outcome.kind === 'failed' ? {} : (outcome.body as { error?: string });
    expect(body.error).not.toBe('owner_required');
  });

  it('lets a non-owner read the settings and start a connection test', async () => {
    const { as } = await configuredInstallation();
    const b = as('not-owner-b');
    await expect(call(b, 'config/get', {})).resolves.toMatchObject({ settings: { oidc: { clientId: '0oa123' } } });
    await expect(call(b, 'test/start', {})).resolves.not.toHaveProperty('error', 'owner_required');
    await expect(owners(b)).resolves.toMatchObject({ youAreOwner: false, you: 'not-owner-b', owners: [{ id: 'owner-a' }, { id: 'owner-c' }] });
  });
});

describe('the first owner', () => {
  it('is the admin who first saves a change', async () => {
    const { as } = installation();
    await expect(owners(as('first'))).resolves.toMatchObject({ owners: [], unclaimed: true, youAreOwner: false });
    await expect(saveDomains(as('first'), ['example.com'])).resolves.toMatchObject({ ok: true });
    await expect(owners(as('second'))).resolves.toMatchObject({ owners: [{ id: 'first', addedBy: 'first' }], unclaimed: false, youAreOwner: false });
    await expect(saveDomains(as('second'), ['attacker.example'])).resolves.toMatchObject({ error: 'owner_required' });
    await expect(saveDomains(as('first'), ['example.org'])).resolves.toMatchObject({ ok: true });
  });

  it('is not whoever tried a save that was refused', async () => {
    const { admin, as } = installation();
    const refused = await call<ConfigSaveResponse>(as('careless'), 'config/save', { settings: { allowedEmailDomains: ['not a domain'] } });
    expect(refused.ok).toBe(false);
    await expect(owners(as('careless'))).resolves.toMatchObject({ owners: [], unclaimed: true });
    expect(admin.store.entries.has(storageKeys.owners())).toBe(false);
    await expect(saveDomains(as('careful'), ['example.com'])).resolves.toMatchObject({ ok: true });
    await expect(owners(as('careful'))).resolves.toMatchObject({ owners: [{ id: 'careful' }], youAreOwner: true });
  });

  it('is one of two admins saving at the same moment, never both', async () => {
    const { as } = installation();
    const [x, y] = await Promise.all([saveDomains(as('racer-x'), ['x.example']), saveDomains(as('racer-y'), ['y.example'])]);
    const answers = [x, y] as unknown as { ok?: boolean; error?: string }[];
    expect(answers.filter((a) => a.ok === true)).toHaveLength(1);
    expect(answers.filter((a) => a.error === 'owner_required')).toHaveLength(1);
    const listed = await owners(as('racer-x'));
    expect(listed.owners).toHaveLength(1);
    const winner = listed.owners[0]!.id;
    expect(answers[winner === 'racer-x' ? 0 : 1]).toMatchObject({ ok: true });
  });
});

describe('owners add and remove owners', () => {
  it('adds and removes owners, never the last one, and records each change', async () => {
    const { admin, as } = installation();
    const a = as('owner-a');
    await saveDomains(a, ['example.com']);
    await expect(call(a, 'owners/add', { id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077' })).resolves.toMatchObject({
      owners: [{ id: 'owner-a' }, { id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077', addedBy: 'owner-a' }],
    });
    await expect(call(a, 'owners/add', { id: 'owner-a' })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(a, 'owners/add', { id: 'two words' })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(as('557058:f58131cb-b67d-43c7-b30d-6b58d40bd077'), 'owners/remove', { id: 'owner-a' })).resolves.toMatchObject({ owners: [{ id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077' }] });
    await expect(call(a, 'config/save', { settings: { allowedEmailDomains: ['example.org'] } })).resolves.toMatchObject({ error: 'owner_required' });
    await expect(call(as('557058:f58131cb-b67d-43c7-b30d-6b58d40bd077'), 'owners/remove', { id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077' })).resolves.toMatchObject({
      error: 'bad_request',
      message: expect.stringContaining('last owner'),
    });
    const actions = (await changes(admin)).map((r) => [r.action, r.actor, r.fields.join(',')]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['owners.first', 'owner-a', 'owners.owner-a'],
        ['owners.add', 'owner-a', 'owners.557058:f58131cb-b67d-43c7-b30d-6b58d40bd077'],
        ['owners.remove', '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077', 'owners.owner-a'],
      ]),
    );
  });
});

describe('recovery: an ownership request', () => {
  it('is shown to every admin at once, recorded, and takes effect only after 72 hours', async () => {
    const { admin, as } = installation();
    await saveDomains(as('owner-a'), ['example.com']);
    const requestedAt = admin.clock.now;
    await expect(call(as('recoverer'), 'ownership/request', {})).resolves.toMatchObject({
      request: { requester: 'recoverer', requestedAt, dueAt: requestedAt + OWNERSHIP_REQUEST_DELAY_MS },
      youAreOwner: false,
    });
    // Every admin sees it, owners and others, from the moment it is made.
    await expect(owners(as('owner-a'))).resolves.toMatchObject({ request: { requester: 'recoverer', dueAt: requestedAt + OWNERSHIP_REQUEST_DELAY_MS } });
    await expect(owners(as('bystander'))).resolves.toMatchObject({ request: { requester: 'recoverer' } });
    expect((await changes(admin)).map((r) => [r.action, r.actor])).toContainEqual(['ownership.request', 'recoverer']);
    await expect(call(as('bystander'), 'ownership/request', {})).resolves.toMatchObject({ error: 'bad_request' });

    admin.clock.now = requestedAt + OWNERSHIP_REQUEST_DELAY_MS - 1;
    await expect(saveDomains(as('recoverer'), ['attacker.example'])).resolves.toMatchObject({ error: 'owner_required' });
    admin.clock.now = requestedAt + OWNERSHIP_REQUEST_DELAY_MS;
    await expect(saveDomains(as('recoverer'), ['example.org'])).resolves.toMatchObject({ ok: true });
    const after = await owners(as('owner-a'));
    expect(after.owners.map((o) => [o.id, o.addedBy])).toEqual([
      ['owner-a', 'owner-a'],
      ['recoverer', 'ownership-request'],
    ]);
    expect(after.request).toBeUndefined();
    expect((await changes(admin)).map((r) => [r.action, r.actor])).toContainEqual(['ownership.granted', 'recoverer']);
  });

  it('takes effect on any admin call once due, even a read', async () => {
    const { admin, as } = installation();
    await saveDomains(as('owner-a'), ['example.com']);
    await call(as('recoverer'), 'ownership/request', {});
    admin.clock.now += OWNERSHIP_REQUEST_DELAY_MS;
    await call(as('bystander'), 'audit/query', {});
    expect((await changes(admin)).map((r) => r.action)).toContain('ownership.granted');
    await expect(owners(as('recoverer'))).resolves.toMatchObject({ youAreOwner: true });
  });

  it('can be cancelled by any owner, and then never takes effect', async () => {
    const { admin, as } = installation();
    await saveDomains(as('owner-a'), ['example.com']);
    await call(as('owner-a'), 'owners/add', { id: 'owner-c' });
    await call(as('recoverer'), 'ownership/request', {});
    await expect(call(as('recoverer'), 'ownership/cancel', {})).resolves.toMatchObject({ error: 'owner_required' });
    await expect(call(as('owner-c'), 'ownership/cancel', {})).resolves.toMatchObject({ owners: [{ id: 'owner-a' }, { id: 'owner-c' }] });
    await expect(owners(as('recoverer'))).resolves.not.toHaveProperty('request');
    expect((await changes(admin)).map((r) => [r.action, r.actor, r.fields.join(',')])).toContainEqual(['ownership.cancel', 'owner-c', 'owners.recoverer']);
    admin.clock.now += OWNERSHIP_REQUEST_DELAY_MS * 2;
    await expect(saveDomains(as('recoverer'), ['attacker.example'])).resolves.toMatchObject({ error: 'owner_required' });
    await expect(owners(as('recoverer'))).resolves.toMatchObject({ youAreOwner: false });
  });

  it('is not open to an owner, nor before anyone owns the installation', async () => {
    const { as } = installation();
    await expect(call(as('early'), 'ownership/request', {})).resolves.toMatchObject({ error: 'bad_request' });
    await saveDomains(as('owner-a'), ['example.com']);
    await expect(call(as('owner-a'), 'ownership/request', {})).resolves.toMatchObject({ error: 'bad_request' });
  });
});

describe('the change record', () => {
  it('says who changed which fields when, never a value', async () => {
    const { admin, as } = installation();
    admin.clock.now = Date.parse('2030-02-03T04:05:06Z');
    await call(as('owner-a'), 'config/save', { settings: { ...PROVIDER, allowedEmailDomains: ['secret-domain.example'] }, clientSecret: SECRET });
    const update = (await changes(admin)).find((r) => r.action === 'connection.update')!;
    expect(update).toMatchObject({ actor: 'owner-a', time: Date.parse('2030-02-03T04:05:06Z'), connectionId: 'default' });
    expect(update.fields).toEqual(expect.arrayContaining(['providers.default.oidc.issuer', 'providers.default.oidc.clientSecret', 'providers.default.allowedEmailDomains']));
    const recorded = JSON.stringify(await changes(admin));
    expect(recorded).not.toContain(SECRET);
    expect(recorded).not.toContain('secret-domain.example');
    expect(recorded).not.toContain('0oa123');
  });

  it('is listed for every admin through audit/query', async () => {
    const { as } = installation();
    await saveDomains(as('owner-a'), ['example.com']);
    const page = await call<{ records: { action?: string; actor?: string; fields?: string[] }[] }>(as('bystander'), 'audit/query', { kind: 'change' });
    expect(page.records).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'connection.update', actor: 'owner-a', fields: ['providers.default.allowedEmailDomains'] })]));
  });

  it('must be written: a change the audit trail refuses is not reported as saved', async () => {
    const { admin, as } = installation();
    await saveDomains(as('owner-a'), ['example.com']);
    admin.audit.failNext.write = 1;
    const outcome = await runAdminResolver('config/save', as('owner-a'), { settings: { allowedEmailDomains: ['example.org'] } });
    expect(outcome).toMatchObject({ kind: 'failed', reference: expect.stringMatching(/^R-/) });
    expect(admin.logs.map((l) => l.event)).toContain('audit.write_failed');
  });
});
