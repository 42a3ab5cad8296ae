import { loggedActor } from '../../src/core/test-login.js';
import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ConfigGetResponse, ConfigSaveResponse, ConnectionChangeResponse, RolloutSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createStoredDirectorySources } from '../../src/core/connections/directory.js';
import { applySettings, readConnections, settingsOf, withConnection, withoutConnection, writeConnections } from '../../src/core/connections/connections-document.js';
import { readDraft } from '../../src/core/connections/connection-draft.js';
import { mergeSettings } from '../../src/core/admin/config-save.js';
import { memoryAdmin, type MemoryAdmin } from './support/memory-ports.js';

/**
 * The configuration resolvers on in-memory ports: field-level validation with paths, missing
 * later-step fields as status (not errors), warnings for values that do not look like Guard's,
 * the write-only client secret, the audit log, resumable progress and the overview status.
 */

const SECRET = 'unit-client-secret-must-never-come-back-3e8b1a';
const GUARD = {
  entityId: 'https://auth.atlassian.com/saml/6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
};
const PROVIDER: AdminSettings = { preset: 'okta', oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: '0oa123' } };

async function call<T>(admin: MemoryAdmin, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, admin.ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as T;
}

const save = (admin: MemoryAdmin, payload: unknown) => call<ConfigSaveResponse>(admin, 'config/save', payload);
const get = (admin: MemoryAdmin) => call<ConfigGetResponse>(admin, 'config/get', {});
const errorPaths = (answer: ConfigSaveResponse) => (answer.ok ? [] : answer.errors.map((e) => e.path).sort());

describe('config/save validation', () => {
  it('reports every invalid field of the patch with its path, and stores nothing', async () => {
    const admin = memoryAdmin();
    const answer = await save(admin, {
      settings: {
        oidc: { issuer: 'not a url', clientId: '', scopes: ['email'], endpoints: { authorizationEndpoint: 'ftp://x', tokenEndpoint: 'https://t', jwksUri: 'https://j' } },
        serviceProvider: { acsUrl: 'http://acs.example.com' },
        allowedEmailDomains: ['example.com', 'not a domain'],
        attributeClaims: { surname: 'two words' },
      },
    });
    expect(answer.ok).toBe(false);
    expect(errorPaths(answer)).toEqual([
      'allowedEmailDomains.1',
      'attributeClaims.surname',
      'oidc.clientId',
      'oidc.endpoints.authorizationEndpoint',
      'oidc.issuer',
      'oidc.scopes',
      'serviceProvider.acsUrl',
    ]);
    expect(admin.store.entries.has(storageKeys.config())).toBe(false);
  });

  it('treats fields of later steps as missing, not as errors', async () => {
    const admin = memoryAdmin();
    const answer = await save(admin, { settings: PROVIDER, clientSecret: SECRET, step: 'provider' });
    expect(answer).toMatchObject({ ok: true, warnings: [] });
    expect(answer.ok && answer.status.configured).toBe(false);
    expect(answer.ok && answer.status.missing.sort()).toEqual(['allowedEmailDomains', 'serviceProvider.acsUrl', 'serviceProvider.entityId']);
    expect(answer.ok && answer.status.completedSteps).toEqual(['provider']);
    expect(answer.ok && answer.status.nextStep).toBe('callback');
  });

  it('reports only the patch\'s own problems, even when the secret is still missing', async () => {
    const admin = memoryAdmin();
    expect(errorPaths(await save(admin, { settings: { serviceProvider: { entityId: 'relative/path', acsUrl: GUARD.acsUrl } } }))).toEqual([
      'serviceProvider.entityId',
    ]);
    expect(errorPaths(await save(admin, { settings: { allowedEmailDomains: [] } }))).toEqual(['allowedEmailDomains']);
  });

  it('accepts http:// on loopback only where the host allows it', async () => {
    const local = { oidc: { issuer: 'http://127.0.0.1:9000' } };
    expect(errorPaths(await save(memoryAdmin({ allowLoopbackHttp: false }), { settings: local }))).toEqual(['oidc.issuer']);
    expect(errorPaths(await save(memoryAdmin({ allowLoopbackHttp: true }), { settings: local }))).toEqual([]);
    expect(errorPaths(await save(memoryAdmin({ allowLoopbackHttp: true }), { settings: { oidc: { issuer: 'http://idp.example.com' } } }))).toEqual(['oidc.issuer']);
  });

  it('warns (without refusing) when Guard\'s values do not look like Atlassian\'s', async () => {
    const admin = memoryAdmin();
    const odd = await save(admin, { settings: { serviceProvider: { entityId: 'https://sp.example.com/saml', acsUrl: 'https://sp.example.com/acs' } } });
    expect(odd.ok).toBe(true);
    expect(odd.warnings.map((w) => w.path)).toEqual(['serviceProvider.entityId', 'serviceProvider.acsUrl']);
    expect((await get(admin)).warnings.map((w) => w.path)).toEqual(['serviceProvider.entityId', 'serviceProvider.acsUrl']);
    const guard = await save(admin, { settings: { serviceProvider: GUARD } });
    expect(guard).toMatchObject({ ok: true, warnings: [] });
  });

  it('refuses Guard\'s two values swapped, saves nothing, and says a swap clears it', async () => {
    const admin = memoryAdmin();
    const swapped = await save(admin, { settings: { serviceProvider: { entityId: GUARD.acsUrl, acsUrl: GUARD.entityId } }, step: 'sp-values' });
    expect(swapped).toMatchObject({ ok: false, swapGuardValues: true });
    expect(errorPaths(swapped)).toEqual(['serviceProvider.acsUrl', 'serviceProvider.entityId']);
    const messages = swapped.ok ? [] : swapped.errors.map((e) => e.message);
    expect(messages.find((m) => m.includes("Guard's ACS URL"))).toContain('SP Entity ID');
    expect(messages.find((m) => m.includes("Guard's SP Entity ID"))).toContain('ACS URL');
    expect((await get(admin)).settings.serviceProvider).toBeUndefined();
    expect(await save(admin, { settings: { serviceProvider: GUARD }, step: 'sp-values' })).toMatchObject({ ok: true });
  });

  it('refuses one Guard value in the other\'s field, offering the swap when the other field is empty', async () => {
    const answer = await save(memoryAdmin(), { settings: { serviceProvider: { entityId: GUARD.acsUrl } } });
    expect(answer).toMatchObject({ ok: false, swapGuardValues: true });
    expect(errorPaths(answer)).toEqual(['serviceProvider.entityId']);
  });

  it('refuses the app\'s own metadata and SSO URLs as SP values, without offering a swap', async () => {
    const admin = memoryAdmin();
    const base = admin.ctx.baseUrl;
    const own = await save(admin, { settings: { serviceProvider: { entityId: `${base}/saml/metadata`, acsUrl: `${base}/saml/sso` } } });
    expect(own.ok).toBe(false);
    expect(errorPaths(own)).toEqual(['serviceProvider.acsUrl', 'serviceProvider.entityId']);
    expect(own.ok ? undefined : own.swapGuardValues).toBeUndefined();
    expect(own.ok ? [] : own.errors.map((e) => e.message)).toEqual([expect.stringContaining("this app's own address"), expect.stringContaining("this app's own address")]);
  });

  it.each([
    ['a string', 'config'],
    ['null', null],
    ['no settings', { clientSecret: 'x' }],
    ['an unknown top-level field', { settings: {}, baseUrl: 'https://attacker.example' }],
    ['an unknown settings field', { settings: { idpEntityId: 'x' } }],
    ['an unknown nested field', { settings: { oidc: { clientSecret: 'sneaky' } } }],
    ['a wrong type', { settings: { requireVerifiedEmail: 'yes' } }],
    ['an unknown preset', { settings: { preset: 'ping' } }],
    ['an unknown step', { settings: {}, step: 'finish' }],
    ['an oversized value', { settings: { oidc: { issuer: `https://${'a'.repeat(5000)}.example` } } }],
  ])('answers bad_request for %s', async (_name, payload) => {
    const admin = memoryAdmin();
    await expect(save(admin, payload)).resolves.toMatchObject({ error: 'bad_request', message: expect.any(String) });
    expect(admin.store.entries.size + admin.store.secretEntries.size).toBe(0);
  });
});

describe('the client secret', () => {
  it('is write-only: kept in secret storage, shown as set, never in any answer', async () => {
    const admin = memoryAdmin();
    const answers: unknown[] = [];
    answers.push(await save(admin, { settings: { ...PROVIDER, serviceProvider: GUARD, allowedEmailDomains: ['example.com'] }, clientSecret: SECRET }));
    answers.push(await get(admin));
    answers.push(await save(admin, { settings: { oidc: { issuer: 'nope' } }, clientSecret: SECRET }));
    answers.push(await call(admin, 'rollout/save', { rollout: { domainLinked: true } }));
    answers.push(await call(admin, 'users/preview', {}));
    answers.push(await call(admin, 'idp/metadata', {}));
    answers.push(await call(admin, 'test/start', {}));
    expect(JSON.stringify(answers)).not.toContain(SECRET);
    expect([...admin.store.secretEntries.values()]).toContain(JSON.stringify(SECRET));
    expect(JSON.stringify([...admin.store.entries.values()])).not.toContain(SECRET);
    const overview = answers[1] as ConfigGetResponse;
    expect(overview.status).toMatchObject({ clientSecretSet: true, configured: true });
    expect(JSON.stringify(overview.settings)).not.toMatch(/clientSecret/);
  });

  it('is kept when a save leaves it out or empty, and replaced by a new one', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    await save(admin, { settings: { oidc: { clientId: '0oa456' } } });
    await save(admin, { settings: {}, clientSecret: '' });
    expect(await admin.store.getSecret(storageKeys.clientSecret())).toBe(SECRET);
    await save(admin, { settings: {}, clientSecret: '  replaced-secret\n' });
    expect(await admin.store.getSecret(storageKeys.clientSecret())).toBe('replaced-secret');
  });
});

describe('the audit log', () => {
  it('records each configuration change with the changed paths and who (as a digest, not the account id), never a value', async () => {
    const admin = memoryAdmin({ actor: 'account-42' });
    await save(admin, { settings: PROVIDER, clientSecret: SECRET, step: 'provider' });
    await save(admin, { settings: { oidc: { clientId: '0oa123' } } });
    await save(admin, { settings: { allowedEmailDomains: ['example.com'] } });
    const changes = admin.logs.filter((r) => r.event === 'config.changed').map((r) => r.fields);
    expect(changes).toEqual([
      {
        reference: expect.stringMatching(/^R-/),
        actor: loggedActor('account-42'),
        action: 'connection.update',
        connection: 'default',
        paths: 'providers.default.oidc.clientId,providers.default.oidc.issuer,providers.default.preset,providers.default.oidc.clientSecret',
      },
      { reference: expect.stringMatching(/^R-/), actor: loggedActor('account-42'), action: 'connection.update', connection: 'default', paths: 'providers.default.allowedEmailDomains' },
    ]);
    const logged = JSON.stringify(admin.logs);
    for (const value of [SECRET, 'dev-123.okta.com', '0oa123', 'example.com', 'account-42']) expect(logged).not.toContain(value);
  });
});

describe('manual endpoints', () => {
  it('are stored as a whole and turned off again with an empty object', async () => {
    const admin = memoryAdmin();
    const endpoints = { authorizationEndpoint: 'https://idp.example.com/authorize', tokenEndpoint: 'https://idp.example.com/token', jwksUri: 'https://idp.example.com/keys' };
    expect(await save(admin, { settings: { oidc: { issuer: 'https://idp.example.com', endpoints: { ...endpoints, userinfoEndpoint: '' } } } })).toMatchObject({ ok: true });
    expect((await get(admin)).settings.oidc?.endpoints).toEqual(endpoints);
    expect(errorPaths(await save(admin, { settings: { oidc: { endpoints: { authorizationEndpoint: 'https://idp.example.com/authorize' } } } }))).toEqual([
      'oidc.endpoints.jwksUri',
      'oidc.endpoints.tokenEndpoint',
    ]);
    expect(await save(admin, { settings: { oidc: { endpoints: {} } } })).toMatchObject({ ok: true });
    expect((await get(admin)).settings.oidc).toEqual({ issuer: 'https://idp.example.com' });
  });
});

describe('the overview status', () => {
  it('walks from nothing to live, step by step, and resumes from storage', async () => {
    const admin = memoryAdmin();
    let overview = await get(admin);
    expect(overview.status).toEqual({
      configured: false,
      missing: expect.arrayContaining(['oidc.issuer', 'oidc.clientId', 'oidc.clientSecret', 'serviceProvider.entityId', 'serviceProvider.acsUrl', 'allowedEmailDomains']),
      clientSecretSet: false,
      testPassed: false,
      appliedTestPassed: false,
      editsGoToDraft: false,
      live: false,
      completedSteps: [],
      nextStep: 'callback',
      // No connection test has looked at the binding cookie yet: bound, as by default.
      browserBinding: { cookie: 'not_measured', bound: true },
    });
    expect(overview.bridge).toMatchObject({ callbackUrl: 'https://bridge.example.net/oidc/callback', ssoUrl: 'https://bridge.example.net/saml/sso' });
    expect(overview.fieldHelp['oidc.issuer']).toContain('issuer');
    expect(overview.fields['oidc.clientSecret']).toMatchObject({ label: 'Client secret', step: 'provider', secret: true });
    expect(overview.fields['serviceProvider.acsUrl']).toMatchObject({ step: 'sp-values', secret: false });

    await save(admin, { settings: {}, step: 'callback' });
    await save(admin, { settings: PROVIDER, clientSecret: SECRET, step: 'provider' });
    await save(admin, { settings: {}, step: 'idp-values' });
    await save(admin, { settings: { serviceProvider: GUARD }, step: 'sp-values' });
    await save(admin, { settings: { allowedEmailDomains: ['example.com'] }, step: 'users' });
    overview = await get(admin);
    expect(overview.status).toMatchObject({ configured: true, missing: [], live: false, nextStep: 'test' });
    expect(overview.status.completedSteps).toEqual(['callback', 'provider', 'idp-values', 'sp-values', 'users']);

    const rollout = await call<RolloutSaveResponse>(admin, 'rollout/save', {
      rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true },
    });
    // Ticked without a passing connection test of the applied settings: in use, not live.
    expect(rollout.status).toMatchObject({ live: false, appliedTestPassed: false });
    expect(admin.logs.filter((r) => r.event === 'rollout.changed')).toHaveLength(1);
    await expect(call(admin, 'rollout/save', { rollout: { enforced: 'yes' } })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it('is what the bridge itself reads: the stored configuration becomes the login configuration', async () => {
    const admin = memoryAdmin();
    const sources = createStoredDirectorySources({ store: admin.store, secrets: admin.store, baseUrl: admin.ctx.baseUrl, allowLoopbackHttp: false });
    const config = async () => (await sources.directory()).connections[0]?.providers[0]?.config();
    await expect(sources.directory()).resolves.toEqual({ connections: [], unready: [] });
    await save(admin, { settings: { ...PROVIDER, serviceProvider: GUARD, allowedEmailDomains: ['Example.COM'] }, clientSecret: SECRET });
    expect(await config()).toMatchObject({ baseUrl: 'https://bridge.example.net', oidc: { clientSecret: SECRET }, allowedEmailDomains: ['example.com'] });
    await save(admin, { settings: { allowedEmailDomains: ['example.org'] } });
    await expect(config()).resolves.toMatchObject({ allowedEmailDomains: ['example.org'] });
  });
});

describe('unknown resolvers', () => {
  it('are refused', async () => {
    await expect(runAdminResolver('config/delete', memoryAdmin().ctx, {})).resolves.toMatchObject({ kind: 'refused', body: { error: 'bad_request' } });
    await expect(runAdminResolver('__proto__', memoryAdmin().ctx, {})).resolves.toMatchObject({ kind: 'refused' });
  });
});

describe('connections', () => {
  it('gives the first connection of an empty installation the id whose metadata URL is /saml/metadata', async () => {
    const admin = memoryAdmin();
    const first = await call<ConnectionChangeResponse>(admin, 'connections/save', { name: 'Production' });
    expect(first).toMatchObject({ ok: true, connection: { id: 'default', metadataUrl: 'https://bridge.example.net/saml/metadata', providers: [{ id: 'default' }] } });
    const second = await call<ConnectionChangeResponse>(admin, 'connections/save', { name: 'Sandbox' });
    expect(second.ok && second.connection.id).toMatch(/^[a-z0-9-]{6,}$/);
    expect(second.ok && second.connection.id).not.toBe('default');
    expect(second.ok && second.connection.metadataUrl).toBe(`https://bridge.example.net/saml/metadata/${second.ok ? second.connection.id : ''}`);
  });

  it('records who created, renamed and deleted a connection, and forgets its secrets', async () => {
    const admin = memoryAdmin({ actor: 'account-7' });
    // A second between calls, so the trail's newest-first order is the order of the changes.
    const later = <T,>(key: string, payload: unknown) => ((admin.clock.now += 1000), call<T>(admin, key, payload));
    await later( 'connections/save', { name: 'Production' });
    const sandbox = await later<Extract<ConnectionChangeResponse, { ok: true }>>( 'connections/save', { name: 'Sandbox' });
    const id = sandbox.connection.id;
    await later( 'config/save', { connectionId: id, settings: { oidc: { issuer: 'https://idp.example.com', clientId: 'c' } }, clientSecret: 'sandbox-secret-value' });
    expect(admin.store.secretEntries.has(storageKeys.clientSecret(id, sandbox.connection.providers[0]!.id))).toBe(true);
    const renamed = await later<Extract<ConnectionChangeResponse, { ok: true }>>( 'connections/save', { connectionId: id, name: 'Sandbox 2', expectedRevision: 2 });
    expect(renamed.connection).toMatchObject({ name: 'Sandbox 2', revision: 3 });
    await expect(later('connections/delete', { connectionId: id, expectedRevision: 2 })).resolves.toMatchObject({ ok: false, conflict: true });
    await expect(later('connections/delete', { connectionId: id, expectedRevision: 3 })).resolves.toMatchObject({ ok: true });
    expect([...admin.store.secretEntries.keys()].filter((key) => key.includes(id))).toEqual([]);
    const changes = await admin.audit.query({ kind: 'change', limit: 50 });
    // The first save also made account-7 the first SSO owner (owners.first, test/admin/owners.test.ts).
    const connectionChanges = changes.records.filter((r) => r.kind === 'change' && !r.action.startsWith('owners.'));
    expect(connectionChanges.map((r) => r.kind === 'change' && [r.action, r.actor])).toEqual([
      ['connection.delete', 'account-7'],
      ['connection.rename', 'account-7'],
      ['connection.update', 'account-7'],
      ['connection.create', 'account-7'],
      ['connection.create', 'account-7'],
    ]);
    expect(JSON.stringify(changes)).not.toContain('sandbox-secret-value');
  });
});

describe('config/save: what it writes, and when it refuses', () => {
  const stored = async (admin: MemoryAdmin, connectionId = 'default') => {
    const read = await readConnections(admin.store);
    if (read.state !== 'ok') throw new Error(`connections ${read.state}`);
    return read.document.connections.find((c) => c.id === connectionId)!;
  };
  /** Runs `meanwhile` (another admin's change) right after the next read of the connections document, before the save's write. */
  const onceAfterConnectionsRead = (admin: MemoryAdmin, meanwhile: () => Promise<unknown>) => {
    const get = admin.store.get.bind(admin.store);
    let interleave = true;
    admin.store.get = (async (key: string) => {
      const value = await get(key);
      if (interleave && key === storageKeys.connections()) {
        interleave = false;
        await meanwhile();
      }
      return value;
    }) as typeof admin.store.get;
  };
  const updates = async (admin: MemoryAdmin) =>
    (await admin.audit.query({ kind: 'change', limit: 50 })).records.filter((r) => r.kind === 'change' && r.action === 'connection.update');

  it('refuses a provider the connection does not have, and a connection the installation does not have, writing nothing', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    const before = await stored(admin);
    await expect(save(admin, { providerId: 'nope', settings: { oidc: { clientId: 'other' } } })).resolves.toMatchObject({ error: 'bad_request', message: expect.stringContaining('no such provider') });
    await expect(save(admin, { connectionId: 'nope', settings: { oidc: { clientId: 'other' } } })).resolves.toMatchObject({ error: 'bad_request', message: expect.stringContaining('no such connection') });
    expect(await stored(admin)).toEqual(before);
    const read = await readConnections(admin.store);
    expect(read.state === 'ok' && read.document.connections.map((c) => c.id)).toEqual(['default']);
  });

  it('refuses a save against an older revision of the connection as a conflict, and takes one against the current revision', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    await save(admin, { settings: { allowedEmailDomains: ['example.com'] } });
    const { revision } = await stored(admin);
    expect(revision).toBe(2);
    const late = await save(admin, { expectedRevision: 1, settings: { allowedEmailDomains: ['example.org'] } });
    expect(late).toMatchObject({ ok: false, conflict: true, errors: [{ path: '', message: expect.stringContaining('Another administrator') }] });
    expect(settingsOf(await stored(admin), 'default')?.allowedEmailDomains).toEqual(['example.com']);
    await expect(save(admin, { expectedRevision: 2, settings: { allowedEmailDomains: ['example.org'] } })).resolves.toMatchObject({ ok: true });
  });

  it('refuses a save whose connection changed between its read and its write, though it named no revision', async () => {
    // The secret rule is judged on the settings read; another save landing before this one's
    // write would otherwise let it through on settings it never judged.
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    onceAfterConnectionsRead(admin, () => save(admin, { settings: { allowedEmailDomains: ['example.com'] } }));
    await expect(save(admin, { settings: { oidc: { clientId: '0oa999' } }, clientSecret: 'new-secret-for-0oa999' })).resolves.toMatchObject({ ok: false, conflict: true });
    expect(settingsOf(await stored(admin), 'default')?.oidc?.clientId).toBe('0oa123');
  });

  it('writes, records and re-revisions nothing for a save that changes nothing, the same secret included', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    const before = await stored(admin);
    expect(before.providers[0]!.secretRevision).toEqual(expect.any(String));
    expect(await save(admin, { settings: PROVIDER, clientSecret: SECRET })).toMatchObject({ ok: true });
    expect(await stored(admin)).toEqual(before);
    expect(await updates(admin)).toHaveLength(1);
  });

  it('gives the provider a new secret revision with a new secret, so a cached old secret is not used under the new document', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    const first = (await stored(admin)).providers[0]!.secretRevision;
    await save(admin, { settings: {}, clientSecret: 'a-second-client-secret' });
    const second = (await stored(admin)).providers[0]!.secretRevision;
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    // A change of settings alone keeps the secret's revision.
    await save(admin, { settings: { allowedEmailDomains: ['example.com'] } });
    expect((await stored(admin)).providers[0]!.secretRevision).toBe(second);
    // A new secret of another provider raises that provider's revision only.
    const added = await call<{ providerId: string }>(admin, 'providers/save', { connectionId: 'default', name: 'Second' });
    await save(admin, { providerId: added.providerId, settings: PROVIDER, clientSecret: 'the-second-providers-secret' });
    const providers = (await stored(admin)).providers;
    expect(providers.find((p) => p.id === 'default')!.secretRevision).toBe(second);
    expect(providers.find((p) => p.id === added.providerId)!.secretRevision).toEqual(expect.any(String));
  });

  it('answers with the summary of the connection it saved, not of another', async () => {
    const admin = memoryAdmin();
    await call(admin, 'connections/save', { name: 'Production' });
    const sandbox = await call<Extract<ConnectionChangeResponse, { ok: true }>>(admin, 'connections/save', { name: 'Sandbox' });
    const answer = await save(admin, { connectionId: sandbox.connection.id, settings: { allowedEmailDomains: ['sandbox.example.com'] } });
    expect(answer).toMatchObject({ ok: true, connection: { id: sandbox.connection.id, name: 'Sandbox', revision: 2 } });
    expect(settingsOf(await stored(admin), 'default')?.allowedEmailDomains).toBeUndefined();
  });

  it('records manual endpoints as one changed field, and an empty optional field as unset', async () => {
    const admin = memoryAdmin();
    const endpoints = { authorizationEndpoint: 'https://idp.example.com/authorize', tokenEndpoint: 'https://idp.example.com/token', jwksUri: 'https://idp.example.com/keys' };
    await save(admin, { settings: { oidc: { issuer: 'https://idp.example.com', clientId: 'c', endpoints } }, clientSecret: SECRET });
    await save(admin, { settings: { nameIdClaim: 'preferred_username', attributeClaims: { surname: 'family_name', givenName: 'given_name' } } });
    await save(admin, { settings: { nameIdClaim: '', attributeClaims: { surname: '' } } });
    const settings = settingsOf(await stored(admin), 'default')!;
    expect(settings).not.toHaveProperty('nameIdClaim');
    expect(settings.attributeClaims).toEqual({ givenName: 'given_name' });
    const changes = (await admin.audit.query({ kind: 'change', limit: 50 })).records;
    const fields = changes.flatMap((r) => (r.kind === 'change' ? (r.fields ?? []) : []));
    expect(fields).toEqual(expect.arrayContaining(['providers.default.oidc.endpoints', 'nameIdClaim', 'attributeClaims.surname']));
    expect(JSON.stringify(fields)).not.toContain('oidc.endpoints.');
    // A required field is not "unset" by an empty string: it is refused.
    expect(errorPaths(await save(admin, { settings: { oidc: { clientId: '' } }, clientSecret: SECRET }))).toEqual(['oidc.clientId']);
  });

  it('reports a field once when the schema and the Guard-value check both refuse it', async () => {
    const admin = memoryAdmin();
    expect(errorPaths(await save(admin, { settings: { serviceProvider: { entityId: 'https://bridge.example.net/saml metadata' } } }))).toEqual(['serviceProvider.entityId']);
    // The app's own SSO URL with a #fragment: the schema refuses the fragment and the Guard-value
    // check the address; the admin reads the schema's message, once.
    const both = await save(admin, { settings: { serviceProvider: { entityId: GUARD.entityId, acsUrl: 'https://bridge.example.net/saml/sso#x' } } });
    expect(both).toMatchObject({ ok: false, errors: [{ path: 'serviceProvider.acsUrl', message: expect.stringContaining('#fragment') }] });
    expect(both.ok === false && both.errors).toHaveLength(1);
    // A schema error on one field does not hide the Guard-value error of another.
    const two = await save(admin, { settings: { serviceProvider: { entityId: 'https://bridge.example.net/saml/metadata', acsUrl: 'not a url' } } });
    expect(errorPaths(two)).toEqual(['serviceProvider.acsUrl', 'serviceProvider.entityId']);
  });

  it('names a new connection Atlassian, and refuses a save whose connection was deleted since its read instead of making it again', async () => {
    const admin = memoryAdmin();
    expect(await save(admin, { settings: PROVIDER, clientSecret: SECRET })).toMatchObject({ ok: true, connection: { id: 'default', name: 'Atlassian' } });
    onceAfterConnectionsRead(admin, async () => {
      const read = await readConnections(admin.store);
      if (read.state !== 'ok') throw new Error('unreadable');
      await writeConnections(admin.store, withoutConnection(read.document, 'default'), { revision: read.document.revision, stored: true });
    });
    const late = await save(admin, { settings: { allowedEmailDomains: ['example.com'] } });
    expect(late).toMatchObject({ ok: false, errors: [{ path: '', message: expect.stringContaining('no such connection') }] });
    expect(late).not.toHaveProperty('conflict');
    const read = await readConnections(admin.store);
    expect(read.state === 'ok' && read.document.connections).toEqual([]);
  });

  it('makes the provider\'s client key with the first save that chooses private_key_jwt, and records it', async () => {
    const admin = memoryAdmin();
    expect(await save(admin, { settings: { oidc: { ...PROVIDER.oidc, clientAuthMethod: 'private_key_jwt' } } })).toMatchObject({ ok: true });
    expect(admin.store.entries.has(storageKeys.clientKeyRing('default', 'default'))).toBe(true);
    const changes = (await admin.audit.query({ kind: 'change', limit: 50 })).records;
    expect(changes.map((r) => (r.kind === 'change' ? r.action : ''))).toContain('client-key.create');
  });

  it('refuses an empty required field with its own message, and leaves no empty optional value or cleared group behind', async () => {
    const admin = memoryAdmin();
    await save(admin, { settings: PROVIDER, clientSecret: SECRET });
    expect(await save(admin, { settings: { oidc: { clientId: '' } }, clientSecret: SECRET })).toMatchObject({ ok: false, errors: [{ path: 'oidc.clientId', message: 'Enter the client ID.' }] });
    // Settings stored before empty strings meant "not set" may still hold one.
    const endpoints = { authorizationEndpoint: 'https://idp.example.com/authorize', tokenEndpoint: 'https://idp.example.com/token', jwksUri: 'https://idp.example.com/keys' };
    const merged = mergeSettings({ oidc: { issuer: 'https://idp.example.com', endpoints }, attributeClaims: { surname: '' } }, { oidc: { endpoints: {} }, attributeClaims: { givenName: 'given_name' } });
    expect(Object.keys(merged.oidc!)).toEqual(['issuer']);
    expect(Object.keys(merged.attributeClaims!)).toEqual(['givenName']);
  });

  it('judges the Guard-value check on the fields the save touches only', async () => {
    // Values stored before the check existed (or by another path) do not block other saves.
    const admin = memoryAdmin();
    await save(admin, { settings: { ...PROVIDER, serviceProvider: GUARD }, clientSecret: SECRET });
    const connection = await stored(admin);
    const swapped = applySettings(connection, 'default', { ...settingsOf(connection, 'default')!, serviceProvider: { entityId: GUARD.acsUrl, acsUrl: GUARD.entityId } });
    const read = await readConnections(admin.store);
    if (read.state !== 'ok') throw new Error('unreadable');
    expect(await writeConnections(admin.store, withConnection(read.document, swapped), { revision: read.document.revision, stored: true })).toBeTruthy();
    await expect(save(admin, { settings: { allowedEmailDomains: ['example.com'] } })).resolves.toMatchObject({ ok: true });
    expect(errorPaths(await save(admin, { settings: { serviceProvider: { entityId: GUARD.acsUrl } } }))).toEqual(['serviceProvider.entityId']);
  });
});

describe('config/save of a connection users sign in with (the draft)', () => {
  /** A connection with two complete providers and the rollout ticked: saves go to its draft. */
  async function inUseWithTwoProviders(): Promise<{ admin: MemoryAdmin; second: string }> {
    const admin = memoryAdmin();
    await save(admin, { settings: { ...PROVIDER, serviceProvider: GUARD, allowedEmailDomains: ['example.com'] }, clientSecret: SECRET });
    const added = await call<{ providerId: string }>(admin, 'providers/save', { connectionId: 'default', name: 'Second' });
    await save(admin, { providerId: added.providerId, settings: { ...PROVIDER, allowedEmailDomains: ['example.org'] }, clientSecret: 'second-provider-secret-5c2e9d' });
    const rollout = await call<RolloutSaveResponse>(admin, 'rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true } });
    expect(rollout.status.editsGoToDraft).toBe(true);
    return { admin, second: added.providerId };
  }
  const applied = async (admin: MemoryAdmin) => {
    const read = await readConnections(admin.store);
    if (read.state !== 'ok') throw new Error('unreadable');
    return read.document.connections[0]!;
  };

  it('refuses a save against an older revision as a conflict, and writes no draft', async () => {
    const { admin } = await inUseWithTwoProviders();
    const { revision } = await applied(admin);
    const late = await save(admin, { expectedRevision: revision - 1, settings: { allowedEmailDomains: ['example.net'] } });
    expect(late).toMatchObject({ ok: false, conflict: true, errors: [{ path: '', message: expect.stringContaining('Another administrator') }] });
    expect(await readDraft(admin.store, 'default')).toBeUndefined();
  });

  it('takes a new secret alone into the draft: only that provider gets a new secret revision, and the audit trail names the secret field', async () => {
    const { admin, second } = await inUseWithTwoProviders();
    const before = await applied(admin);
    expect(await save(admin, { providerId: second, settings: {}, clientSecret: 'a-new-second-provider-secret' })).toMatchObject({ ok: true, status: { draft: expect.anything() } });
    const draft = await readDraft(admin.store, 'default');
    const revisionOf = (record: typeof before, id: string) => record.providers.find((p) => p.id === id)!.secretRevision;
    expect(revisionOf(draft!.connection, second)).not.toBe(revisionOf(before, second));
    expect(revisionOf(draft!.connection, 'default')).toBe(revisionOf(before, 'default'));
    expect(await applied(admin)).toEqual(before);
    const updates = (await admin.audit.query({ kind: 'change', limit: 50 })).records.filter((r) => r.kind === 'change' && r.action === 'connection.draft-update');
    expect(updates.map((r) => (r.kind === 'change' ? r.fields : []))).toEqual([[`providers.${second}.oidc.clientSecret`]]);
  });

  it('drops the draft when a save takes it back to the applied settings', async () => {
    const { admin } = await inUseWithTwoProviders();
    await save(admin, { settings: { allowedEmailDomains: ['example.net'] } });
    expect(await readDraft(admin.store, 'default')).toBeDefined();
    const back = await save(admin, { settings: { allowedEmailDomains: ['example.com'] } });
    expect(back).toMatchObject({ ok: true });
    expect(back.ok && back.status.draft).toBeFalsy();
    expect(await readDraft(admin.store, 'default')).toBeUndefined();
  });
});
