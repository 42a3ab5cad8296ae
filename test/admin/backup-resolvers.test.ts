import { beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import type { AdminSettings, ClientKeyChangeResponse, ClientKeyResponse, ConfigGetResponse, ConfigSaveResponse, DraftApplyResponse } from '../../src/core/admin/admin-api-types.js';
import type { BackupExportResponse, BackupImportResponse, BackupPreviewResponse } from '../../src/core/admin/backup-api-types.js';
import type { AdminContext } from '../../src/core/admin/admin-context.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { openBackup, OPEN_FAILED, PASSPHRASE_TOO_SHORT, sealBackup, type SealedFile } from '../../src/core/backup/backup-seal.js';
import { readDraft } from '../../src/core/connections/connection-draft.js';
import { MAX_CONNECTIONS } from '../../src/core/connections/connections-document.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createSigningKey, type SigningKey } from '../../src/downstream-saml/signing-key.js';
import { readKeyRing } from '../../src/downstream-saml/signing-key-ring.js';
import { readClientKeyRing, thumbprintOf } from '../../src/upstream-oidc/client-key-ring.js';
import { COMPLETE_SETTINGS, memoryAdmin, servedConnection, type MemoryAdmin } from './support/memory-ports.js';

/**
 * Backup and restore through the admin resolvers (src/core/admin/backup-*.ts): a plain export
 * for every admin without secrets, a sealed export with them for owners only, a preview that
 * judges the file's settings exactly as config/save does and shows a field-by-field diff with
 * secrets only as changed or unchanged, and an owner-only import that brings everything in as a
 * draft (users keep the applied settings) with a restored signing key as the prepared next
 * certificate. Every export and import in the audit trail.
 */

const SECRET = 'backup-test-client-secret-never-answered-7a1f';
const PASSPHRASE = 'a passphrase long enough';

const keys: SigningKey[] = [];
const fingerprint = (pem: string | undefined) => (pem ? new X509Certificate(pem).fingerprint256 : undefined);
beforeAll(async () => {
  for (let i = 0; i < 4; i += 1) keys.push(await createSigningKey({ now: () => Date.parse('2030-01-01T00:00:00Z') }, 'bridge.example.net'));
}, 60_000);

/** An installation whose owner `owner-a` saved a complete connection with its client secret; `as` another admin. */
async function installation(keyIndex = 0) {
  let drawn = keyIndex;
  const admin = memoryAdmin({ actor: 'owner-a', createSigningKey: async () => keys[drawn++ % keys.length]! });
  const as = (actor: string): AdminContext => ({ ...admin.ctx, actor });
  return { admin, as, owner: as('owner-a') };
}

async function configured(keyIndex = 0) {
  const inst = await installation(keyIndex);
  await expect(call(inst.owner, 'config/save', { settings: COMPLETE_SETTINGS, clientSecret: SECRET })).resolves.toMatchObject({ ok: true });
  return inst;
}

const answers: string[] = [];
async function call<T>(ctx: AdminContext, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  answers.push(JSON.stringify(outcome.body));
  return outcome.body as T;
}

async function changes(admin: MemoryAdmin, prefix = 'backup.'): Promise<ChangeAuditRecord[]> {
  const page = await admin.audit.query({ kind: 'change', limit: 200 });
  return page.records.filter((r): r is ChangeAuditRecord => r.kind === 'change' && r.action.startsWith(prefix));
}

const exported = async (ctx: AdminContext, payload: unknown = {}) => {
  const answer = await call<BackupExportResponse>(ctx, 'backup/export', payload);
  if (!answer.ok) throw new Error(answer.message);
  return answer;
};

const sealed = async (ctx: AdminContext, payload: unknown = {}) => {
  const answer = await call<BackupExportResponse>(ctx, 'backup/export-sealed', { passphrase: PASSPHRASE, ...(payload as object) });
  if (!answer.ok) throw new Error(answer.message);
  return answer;
};

/** A plain file of `file` with the default connection's settings changed by `edit`. */
function edited(file: string, edit: (connection: Record<string, any>) => void): string {
  const parsed = JSON.parse(file) as { connections: Record<string, any>[] };
  edit(parsed.connections[0]!);
  return JSON.stringify(parsed);
}

describe('backup/export', () => {
  it('gives every admin the settings without the client secret or the signing key, names what it left out, and records who exported', async () => {
    const { admin, as } = await configured();
    const answer = await exported(as('not-owner-b'));
    const file = JSON.parse(answer.file) as Record<string, any>;
    expect(file).toMatchObject({ format: 'oidc-saml-bridge-backup', version: 1, appVersion: '0.1.0', encrypted: false, exportedAt: '2030-01-01T00:00:00.000Z' });
    expect(file.connections).toEqual([
      expect.objectContaining({ id: 'default', name: 'Atlassian', serviceProvider: COMPLETE_SETTINGS.serviceProvider, providers: [expect.objectContaining({ id: 'default', oidc: COMPLETE_SETTINGS.oidc })] }),
    ]);
    expect(file.connections[0]).not.toHaveProperty('revision');
    expect(file.connections[0].providers[0]).not.toHaveProperty('secretRevision');
    expect(answer.omittedSecrets).toEqual(['connections.default.providers.default.oidc.clientSecret', 'connections.default.signingKey']);
    expect(file.omittedSecrets).toEqual(answer.omittedSecrets);
    expect(fingerprint(file.certificates[0].certificatePem)).toBe(fingerprint(keys[0]!.certificatePem));
    expect(answer.file).not.toContain(SECRET);
    expect(answer.file).not.toContain('PRIVATE KEY');
    expect(answer.fileName).toBe('oidc-saml-bridge-all-2030-01-01.json');
    expect(await changes(admin)).toEqual([expect.objectContaining({ actor: 'not-owner-b', action: 'backup.export', fields: ['connections.default'] })]);
  });

  it('exports one connection by id and refuses an unknown one', async () => {
    const { owner } = await configured();
    await call(owner, 'connections/save', { name: 'Sandbox' });
    const all = JSON.parse((await exported(owner)).file) as { connections: { id: string }[] };
    expect(all.connections).toHaveLength(2);
    const one = JSON.parse((await exported(owner, { connectionId: 'default' })).file) as { connections: { id: string }[] };
    expect(one.connections.map((c) => c.id)).toEqual(['default']);
    await expect(call(owner, 'backup/export', { connectionId: 'nope' })).resolves.toMatchObject({ error: 'bad_request' });
  });
});

describe('backup/export-sealed', () => {
  it('is refused to an admin who is not an owner', async () => {
    const { admin, owner, as } = await configured();
    await call(owner, 'owners/add', { id: 'owner-c' });
    await expect(call(as('not-owner-b'), 'backup/export-sealed', { passphrase: PASSPHRASE })).resolves.toMatchObject({ error: 'owner_required' });
    expect(await changes(admin)).toEqual([]);
  });

  it('asks for a passphrase of 12 characters or more', async () => {
    const { owner } = await configured();
    await expect(call(owner, 'backup/export-sealed', { passphrase: 'too short' })).resolves.toEqual({ ok: false, message: PASSPHRASE_TOO_SHORT });
  });

  it('seals the secrets and the signing key: none of them, nor the passphrase, in the answer, the log or the audit trail', async () => {
    const { admin, owner } = await configured();
    const answer = await sealed(owner);
    expect(JSON.parse(answer.file)).toMatchObject({ encrypted: true, kdf: { name: 'scrypt', N: 2 ** 15 }, cipher: { name: 'aes-256-gcm' } });
    expect(answer.fileName).toBe('oidc-saml-bridge-all-2030-01-01.sealed.json');
    for (const text of [answer.file, JSON.stringify(admin.logs), JSON.stringify(await admin.audit.query({ limit: 200 }))]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(PASSPHRASE);
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('dev-123.okta.com/oauth2/default"');
    }
    expect(await changes(admin)).toEqual([expect.objectContaining({ actor: 'owner-a', action: 'backup.export-sealed', fields: ['connections.default', 'connections.default.secrets'] })]);
  });
});

describe('backup/preview', () => {
  it('shows the field-by-field diff and secrets only as changed or unchanged, and changes nothing', async () => {
    const { admin, owner, as } = await configured();
    const file = edited((await exported(owner)).file, (c) => {
      c.providers[0].name = 'Okta';
      c.providers[0].allowedEmailDomains = ['example.com', 'example.org'];
    });
    const before = JSON.stringify([...admin.store.entries]);
    const preview = await call<BackupPreviewResponse>(as('not-owner-b'), 'backup/preview', { file });
    expect(JSON.stringify([...admin.store.entries])).toBe(before);
    expect(preview).toMatchObject({ ok: true, encrypted: false, valid: true });
    const [connection] = (preview as Extract<BackupPreviewResponse, { ok: true }>).connections;
    expect(connection).toMatchObject({ connectionId: 'default', exists: true, replacesDraft: false, signingKey: 'not-in-file', problems: [] });
    expect(connection!.rows).toEqual([
      { path: 'providers.default.allowedEmailDomains', change: 'changed', before: '["example.com"]', after: '["example.com","example.org"]' },
      { path: 'providers.default.name', change: 'changed', before: '"Identity provider"', after: '"Okta"' },
    ]);
    expect(connection!.secrets).toEqual([{ path: 'providers.default.oidc.clientSecret', secret: 'not-in-file' }]);
  });

  it('applies config/save\'s rules across fields too: a new client ID without its secret asks for the secret again', async () => {
    const { owner } = await configured();
    const file = edited((await exported(owner)).file, (c) => {
      c.providers[0].oidc.clientId = '0oa999';
    });
    const preview = await call<Extract<BackupPreviewResponse, { ok: true }>>(owner, 'backup/preview', { file });
    expect(preview.valid).toBe(false);
    expect(preview.connections[0]!.problems).toEqual([{ providerId: 'default', errors: [{ path: 'oidc.clientSecret', message: expect.stringContaining('Enter the client secret again') }] }]);
  });

  it('says of a sealed file\'s secret whether it changes (never its value), and that the signing key is already the active one', async () => {
    const { owner } = await configured();
    const file = (await sealed(owner)).file;
    const same = (await call<Extract<BackupPreviewResponse, { ok: true }>>(owner, 'backup/preview', { file, passphrase: PASSPHRASE })).connections[0]!;
    expect(same).toMatchObject({ rows: [], secrets: [{ path: 'providers.default.oidc.clientSecret', secret: 'unchanged' }], signingKey: 'same' });
    await call(owner, 'config/save', { settings: {}, clientSecret: 'another-client-secret-1234' });
    const changed = (await call<Extract<BackupPreviewResponse, { ok: true }>>(owner, 'backup/preview', { file, passphrase: PASSPHRASE })).connections[0]!;
    expect(changed.secrets).toEqual([{ path: 'providers.default.oidc.clientSecret', secret: 'changed' }]);
  });

  it('answers a wrong passphrase, a tampered file and a missing passphrase with one clear message each', async () => {
    const { owner } = await configured();
    const file = (await sealed(owner)).file;
    await expect(call(owner, 'backup/preview', { file, passphrase: 'not the passphrase at all' })).resolves.toEqual({ ok: false, message: OPEN_FAILED });
    const tampered = JSON.stringify({ ...JSON.parse(file), exportedAt: '2031-01-01T00:00:00.000Z' });
    await expect(call(owner, 'backup/preview', { file: tampered, passphrase: PASSPHRASE })).resolves.toEqual({ ok: false, message: OPEN_FAILED });
    await expect(call(owner, 'backup/preview', { file })).resolves.toMatchObject({ ok: false, needsPassphrase: true });
    await expect(call(owner, 'backup/preview', { file: 'x'.repeat(400_001) })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'backup/preview', { file: '{}', extra: 1 })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it('refuses the file\'s settings with exactly the field errors config/save gives for them', async () => {
    const { owner } = await configured();
    const file = edited((await exported(owner)).file, (c) => {
      c.providers[0].oidc.issuer = 'http://dev-123.okta.com/oauth2/default';
      // Guard's two values swapped: valid URLs the schema accepts, refused by config/save.
      c.serviceProvider = { entityId: COMPLETE_SETTINGS.serviceProvider!.acsUrl, acsUrl: COMPLETE_SETTINGS.serviceProvider!.entityId };
    });
    const preview = (await call<Extract<BackupPreviewResponse, { ok: true }>>(owner, 'backup/preview', { file }));
    expect(preview.valid).toBe(false);
    const settings = { ...COMPLETE_SETTINGS, oidc: { ...COMPLETE_SETTINGS.oidc, issuer: 'http://dev-123.okta.com/oauth2/default' }, serviceProvider: JSON.parse(file).connections[0].serviceProvider };
    const saved = await call<ConfigSaveResponse>(owner, 'config/save', { settings });
    expect(saved.ok).toBe(false);
    const expected = !saved.ok ? saved.errors : [];
    expect(expected.map((e) => e.path).sort()).toEqual(['oidc.clientSecret', 'oidc.issuer', 'serviceProvider.acsUrl', 'serviceProvider.entityId']);
    expect(preview.connections[0]!.problems).toEqual([{ providerId: 'default', errors: expected }]);
    const imported = await call<BackupImportResponse>(owner, 'backup/import', { file });
    expect(imported).toMatchObject({ ok: false, preview: { valid: false } });
  });
});

/** COMPLETE_SETTINGS signing in with a client key (`private_key_jwt`): no client secret at all. */
const KEYED: AdminSettings = { ...COMPLETE_SETTINGS, oidc: { ...COMPLETE_SETTINGS.oidc, clientAuthMethod: 'private_key_jwt' } };

/** An installation whose owner saved a complete connection that signs in with a client key. */
async function keyed(keyIndex = 0) {
  const inst = await installation(keyIndex);
  await expect(call(inst.owner, 'config/save', { settings: KEYED })).resolves.toMatchObject({ ok: true });
  const ring = (await readClientKeyRing(inst.admin.store, 'default', 'default'))!;
  return { ...inst, clientKeyFingerprint: ring.active.fingerprint };
}

/** A sealed file opened, its contents changed by `edit`, and sealed again under the same passphrase. */
async function resealed(file: string, edit: (contents: Record<string, any>) => void): Promise<string> {
  const sealedFile = JSON.parse(file) as SealedFile;
  const opened = await openBackup(sealedFile, PASSPHRASE);
  if (!opened.ok) throw new Error(opened.message);
  const contents = JSON.parse(opened.plaintext) as Record<string, any>;
  edit(contents);
  return JSON.stringify(await sealBackup(JSON.stringify(contents), PASSPHRASE, { exportedAt: sealedFile.exportedAt, appVersion: sealedFile.appVersion }, { logN: 14 }));
}

type Preview = Extract<BackupPreviewResponse, { ok: true }>;

describe('backups of a provider that signs in with a client key (private_key_jwt)', () => {
  it('a plain import asks for no client secret and leaves the installation with a client key to register, recorded', async () => {
    const source = await keyed(0);
    const plain = await exported(source.owner);
    expect(plain.omittedSecrets).toEqual(['connections.default.signingKey', 'connections.default.providers.default.oidc.clientKey']);
    expect(plain.file).not.toContain('PRIVATE KEY');
    const target = await installation(2);
    const preview = await call<Preview>(target.owner, 'backup/preview', { file: plain.file });
    expect(preview.valid).toBe(true);
    expect(preview.connections[0]).toMatchObject({ problems: [], clientKeys: [{ providerId: 'default', clientKey: 'not-in-file' }] });
    const answer = await call<BackupImportResponse>(target.owner, 'backup/import', { file: plain.file });
    expect(answer).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: true, clientKeys: [{ providerId: 'default', clientKey: 'not-in-file' }] }] });
    const shown = await call<ClientKeyResponse>(target.owner, 'client-key/get', {});
    if (!shown.exists) throw new Error('no client key after the import');
    expect(shown.jwks.keys).toHaveLength(1);
    expect(shown.keys.active.fingerprint).not.toBe(source.clientKeyFingerprint);
    expect((await changes(target.admin, 'client-key.')).map((c) => [c.actor, c.fields])).toEqual([['owner-a', ['providers.default.oidc.clientKey.active']]]);
    // The draft's provider step is whole without a secret: the wizard goes on to the test.
    const config = await call<ConfigGetResponse>(target.owner, 'config/get', {});
    expect(config.status.completedSteps).toContain('provider');
  });

  it('a sealed round trip brings the active client key in as the prepared next one, served in the JWKS at once and activated by an owner', async () => {
    const source = await keyed(0);
    const file = (await sealed(source.owner)).file;
    expect((await exported(source.owner)).omittedSecrets).toContain('connections.default.providers.default.oidc.clientKey');
    const target = await installation(2);
    const preview = await call<Preview>(target.owner, 'backup/preview', { file, passphrase: PASSPHRASE });
    expect(preview.connections[0]!.clientKeys).toEqual([{ providerId: 'default', clientKey: 'prepare', fingerprint: source.clientKeyFingerprint }]);
    const answer = await call<BackupImportResponse>(target.owner, 'backup/import', { file, passphrase: PASSPHRASE });
    expect(answer).toMatchObject({ ok: true, imported: [{ clientKeys: [{ providerId: 'default', clientKey: 'prepare', fingerprint: source.clientKeyFingerprint }] }] });
    const ring = (await readClientKeyRing(target.admin.store, 'default', 'default'))!;
    expect(ring.next?.fingerprint).toBe(source.clientKeyFingerprint);
    expect(ring.active.fingerprint).not.toBe(source.clientKeyFingerprint);
    const shown = await call<ClientKeyResponse>(target.owner, 'client-key/get', {});
    expect(shown.exists && shown.jwks.keys.map((k) => k.kid)).toEqual([thumbprintOf(ring.active), thumbprintOf(ring.next!)]);
    expect((await changes(target.admin, 'backup.import'))[0]!.fields).toEqual(expect.arrayContaining(['providers.default.oidc.clientKey.next']));
    // Imported again: already the prepared key, not prepared a second time.
    const again = await call<Preview>(target.owner, 'backup/preview', { file, passphrase: PASSPHRASE });
    expect(again.connections[0]!.clientKeys).toEqual([{ providerId: 'default', clientKey: 'prepared', fingerprint: source.clientKeyFingerprint }]);
    // Not active until an owner says so, with the existing rotation.
    await expect(call(target.as('not-owner-b'), 'client-key/activate', { fingerprint: source.clientKeyFingerprint })).resolves.toMatchObject({ error: 'owner_required' });
    const activated = await call<ClientKeyChangeResponse>(target.owner, 'client-key/activate', { fingerprint: source.clientKeyFingerprint });
    expect(activated).toMatchObject({ ok: true });
    expect((await readClientKeyRing(target.admin.store, 'default', 'default'))?.active.fingerprint).toBe(source.clientKeyFingerprint);
    const same = await call<Preview>(target.owner, 'backup/preview', { file, passphrase: PASSPHRASE });
    expect(same.connections[0]!.clientKeys).toEqual([{ providerId: 'default', clientKey: 'same', fingerprint: source.clientKeyFingerprint }]);
  });

  it('refuses a client key that does not belong to its certificate, one for a provider without private_key_jwt, and an unknown field', async () => {
    const source = await keyed(0);
    const file = (await sealed(source.owner)).file;
    const target = await installation(2);
    const refusedWith = async (broken: string, message: string) => {
      const preview = await call<Preview>(target.owner, 'backup/preview', { file: broken, passphrase: PASSPHRASE });
      expect(preview.valid).toBe(false);
      expect(preview.connections[0]!.problems).toEqual([{ providerId: 'default', errors: [{ path: 'oidc.clientKey', message: expect.stringContaining(message) }] }]);
      await expect(call(target.owner, 'backup/import', { file: broken, passphrase: PASSPHRASE })).resolves.toMatchObject({ ok: false, preview: { valid: false } });
    };
    await refusedWith(await resealed(file, (c) => { c.secrets.clientKeys[0].privateKeyPem = keys[3]!.privateKeyPem; }), 'does not match');
    await refusedWith(await resealed(file, (c) => { c.connections[0].providers[0].oidc.clientAuthMethod = 'client_secret_basic'; c.secrets.clientSecrets = [{ connectionId: 'default', providerId: 'default', secret: SECRET }]; }), 'does not use private_key_jwt');
    const unknown = await resealed(file, (c) => { c.secrets.clientKeys[0].kid = 'x'; });
    await expect(call(target.owner, 'backup/preview', { file: unknown, passphrase: PASSPHRASE })).resolves.toEqual({ ok: false, message: expect.stringContaining('unknown field kid') });
    // Nothing was written: no connection, no client key.
    expect(await readClientKeyRing(target.admin.store, 'default', 'default')).toBeUndefined();
    expect(await changes(target.admin)).toEqual([]);
  });
});

describe('backup/import', () => {
  it('is refused to an admin who is not an owner, before anything is written', async () => {
    const { admin, owner, as } = await configured();
    await call(owner, 'owners/add', { id: 'owner-c' });
    const file = (await exported(owner)).file;
    const before = JSON.stringify([...admin.store.entries]) + JSON.stringify([...admin.store.secretEntries]);
    await expect(call(as('not-owner-b'), 'backup/import', { file })).resolves.toMatchObject({ error: 'owner_required' });
    expect(JSON.stringify([...admin.store.entries]) + JSON.stringify([...admin.store.secretEntries])).toBe(before);
  });

  it('brings a change in as a draft: logins keep the applied settings, the import is recorded with its fields', async () => {
    const { admin, owner } = await configured();
    const file = edited((await exported(owner)).file, (c) => {
      c.providers[0].allowedEmailDomains = ['example.org'];
    });
    const answer = await call<BackupImportResponse>(owner, 'backup/import', { file });
    expect(answer).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: true, signingKey: 'not-in-file' }] });
    expect((await servedConnection(admin))?.providers[0]?.domains).toEqual(['example.com']);
    expect((await readDraft(admin.store, 'default'))?.connection.providers[0]?.allowedEmailDomains).toEqual(['example.org']);
    const config = await call<ConfigGetResponse>(owner, 'config/get', {});
    expect(config.status.draft).toMatchObject({ fields: ['providers.default.allowedEmailDomains'], testPassed: false });
    expect(await changes(admin, 'backup.import')).toEqual([expect.objectContaining({ actor: 'owner-a', connectionId: 'default', fields: ['providers.default.allowedEmailDomains'] })]);
    // The existing draft rules: not applied untested without the typed word.
    await expect(call<DraftApplyResponse>(owner, 'draft/apply', {})).resolves.toMatchObject({ ok: false, reason: 'untested' });
  });

  it('restores into a fresh installation: the connection created as the wizard creates one, the secret in the draft, the key as the prepared next certificate', async () => {
    const source = await configured(0);
    const file = (await sealed(source.owner)).file;
    const target = await installation(1);
    const answer = await call<BackupImportResponse>(target.owner, 'backup/import', { file, passphrase: PASSPHRASE });
    expect(answer).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: true, signingKey: 'prepare' }] });
    // Nobody signs in with it yet: the applied connection is the empty one the wizard makes.
    expect(await servedConnection(target.admin)).toBeUndefined();
    expect(target.admin.store.secretEntries.get(storageKeys.draftClientSecret('default', 'default'))).toContain(SECRET);
    expect(target.admin.store.secretEntries.has(storageKeys.clientSecret('default', 'default'))).toBe(false);
    const ring = await readKeyRing(target.admin.store, 'default');
    expect(ring?.active.fingerprint).toBe(fingerprint(keys[1]!.certificatePem));
    expect(ring?.next?.fingerprint).toBe(fingerprint(keys[0]!.certificatePem));
    expect((await changes(target.admin, '')).map((c) => c.action).sort()).toEqual(['backup.import', 'connection.create', 'owners.first']);
    expect((await changes(target.admin, 'backup.import'))[0]!.fields).toEqual(expect.arrayContaining(['providers.default.oidc.clientSecret', 'signingCertificate.next']));
    // A second import of the same file: the key is already prepared, not prepared again.
    const again = await call<Extract<BackupPreviewResponse, { ok: true }>>(target.owner, 'backup/preview', { file, passphrase: PASSPHRASE });
    expect(again.connections[0]).toMatchObject({ exists: true, replacesDraft: true, signingKey: 'prepared' });
  });

  it('refuses a file that would pass the connection limit partway, and writes none of its connections', async () => {
    const source = await configured(0);
    const second = await call<{ ok: true; connection: { id: string } }>(source.owner, 'connections/save', { name: 'Second' });
    await expect(call(source.owner, 'config/save', { connectionId: second.connection.id, settings: COMPLETE_SETTINGS, clientSecret: SECRET })).resolves.toMatchObject({ ok: true });
    const file = (await sealed(source.owner)).file;
    // A full installation that has the file's first connection ('default') but not its second.
    const target = await installation(1);
    for (let i = 0; i < MAX_CONNECTIONS; i += 1) await expect(call(target.owner, 'connections/save', { name: `Site ${i}` })).resolves.toMatchObject({ ok: true });
    const answer = await call<BackupImportResponse>(target.owner, 'backup/import', { file, passphrase: PASSPHRASE });
    expect(answer).toMatchObject({ ok: false, message: expect.stringContaining('nothing was imported') });
    const problems = answer.ok ? [] : (answer.preview?.connections ?? []).flatMap((c) => c.problems.flatMap((p) => p.errors.map((e) => e.message)));
    expect(problems).toEqual([expect.stringContaining(`at most ${MAX_CONNECTIONS} connections`)]);
    expect(await readDraft(target.admin.store, 'default')).toBeUndefined();
    expect(await changes(target.admin, 'backup.import')).toEqual([]);
  });

  it('refuses a signing key that does not belong to its certificate', async () => {
    const { owner } = await configured();
    const target = await installation(1);
    const preview = await call<Extract<BackupPreviewResponse, { ok: true }>>(target.owner, 'backup/preview', { file: (await sealed(owner)).file, passphrase: PASSPHRASE });
    expect(preview.valid).toBe(true);
    const broken = await installation(0);
    await call(broken.owner, 'config/save', { settings: COMPLETE_SETTINGS, clientSecret: SECRET });
    await call(broken.owner, 'config/get', {});
    expect((await readKeyRing(broken.admin.store, 'default'))?.active.id).toBe('initial');
    // The stored key swapped for another one: the file's key and certificate no longer belong together.
    const name = storageKeys.signingKey('default');
    const stored = JSON.parse(broken.admin.store.secretEntries.get(name)!) as SigningKey;
    broken.admin.store.secretEntries.set(name, JSON.stringify({ ...stored, privateKeyPem: keys[2]!.privateKeyPem }));
    const mismatched = (await sealed(broken.owner)).file;
    const refused = await call<Extract<BackupPreviewResponse, { ok: true }>>(target.owner, 'backup/preview', { file: mismatched, passphrase: PASSPHRASE });
    expect(refused.valid).toBe(false);
    expect(refused.connections[0]!.problems).toEqual([{ providerId: '', errors: [{ path: 'signingKey', message: expect.stringContaining('does not match') }] }]);
  });

  it('never answers a client secret, a private key or the passphrase', () => {
    const all = answers.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain(PASSPHRASE);
  });
});
