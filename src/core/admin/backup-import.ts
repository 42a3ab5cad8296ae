import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { leafValues } from '../leaf-paths.js';
import { MAX_BACKUP_CHARS, readBackupFile, recordOf, type BackupConnection, type BackupContents, type BackupRead } from '../backup/backup-file.js';
import { MAX_PASSPHRASE_LENGTH } from '../backup/backup-seal.js';
import { connectionFieldPath, MAX_CONNECTIONS, MAX_PROVIDERS_PER_CONNECTION, readConnections, settingsOf, withConnection, type ConnectionRecord } from '../connections/connections-document.js';
import { draftDifferences, forgetDraft, readDraft, writeDraft } from '../connections/connection-draft.js';
import { storageKeys } from '../storage-keys.js';
import { KEY_AUTH_METHOD } from '../config-fields.js';
import type { KeyRing } from '../key-ring/key-ring.js';
import { prepareNextKey, readKeyRing } from '../../downstream-saml/signing-key-ring.js';
import { toCredentials, type SigningKey } from '../../downstream-saml/signing-key.js';
import { prepareNextClientKey, readClientKeyRing } from '../../upstream-oidc/client-key-ring.js';
import type { BackupClientKeyPlan, BackupConnectionPreview, BackupDiffRow, BackupImportResponse, BackupPreviewResponse, BackupSecretRow, BackupSigningKeyPlan } from './backup-api-types.js';
import { ensureProviderClientKey } from './client-keys.js';
import type { AdminRefusal } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { keyRingPortsOf } from './certificates.js';
import { changeConnections, recordChange, summarizeConnections } from './connection-changes.js';
import { settingsSaveProblems, touchedPaths } from './config-save.js';
import { loadSetupState } from './setup-state.js';

const importSchema = z.strictObject({
  file: z.string().max(MAX_BACKUP_CHARS, `A backup file is at most ${MAX_BACKUP_CHARS / 1000} KB.`),
  passphrase: z.string().max(MAX_PASSPHRASE_LENGTH).optional(),
});

/** What importing one connection of a file would do, worked out before anything is written. */
interface ConnectionPlan {
  preview: BackupConnectionPreview;
  record: ConnectionRecord;
  /** Client secrets of the file that differ from the stored ones, by provider id. */
  newSecrets: Map<string, string>;
  /** The file's signing key, when it is to become the prepared next key. */
  signingKey: SigningKey | undefined;
  /** The file's client keys that are to become their provider's prepared next key, by provider id. */
  clientKeys: Map<string, SigningKey>;
}

/** The request's file, read (and opened); a malformed payload is a refusal. */
async function readRequest(payload: unknown): Promise<BackupRead | { ok: 'refused'; refusal: AdminRefusal }> {
  const parsed = parsePayload(importSchema, payload);
  if (!parsed.ok) return { ok: 'refused', refusal: parsed.refusal };
  return readBackupFile(parsed.value.file, parsed.value.passphrase);
}

/** Settings leaves of a connection record with their values (JSON), without this installation's bookkeeping. */
function settingsLeaves(record: ConnectionRecord | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!record) return out;
  const { revision: _revision, signingKeyRevision: _ring, providers, ...connection } = record;
  leafValues(connection, { into: out });
  for (const { id, secretRevision: _secret, ...provider } of providers) leafValues(provider, { prefix: `providers.${id}`, into: out });
  return out;
}

/** The field-by-field difference between the applied connection and the file's (settings only: no secret is a leaf here). */
function diffRows(applied: ConnectionRecord | undefined, record: ConnectionRecord): BackupDiffRow[] {
  const before = settingsLeaves(applied);
  const after = settingsLeaves(record);
  return [...new Set([...before.keys(), ...after.keys()])]
    .sort()
    .flatMap((path): BackupDiffRow[] => {
      const [was, will] = [before.get(path), after.get(path)];
      if (was === will) return [];
      if (was === undefined) return [{ path, change: 'added', after: will! }];
      if (will === undefined) return [{ path, change: 'removed', before: was }];
      return [{ path, change: 'changed', before: was, after: will }];
    });
}

/** Whether two secrets are equal, compared in constant time (their hashes, so lengths do not leak either). */
function sameSecret(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function fingerprintOf(certificatePem: string | undefined): string | undefined {
  if (!certificatePem) return undefined;
  try {
    return new X509Certificate(certificatePem).fingerprint256;
  } catch {
    return undefined;
  }
}

/**
 * What importing `connection` of the file would do: each provider's settings judged exactly as
 * config/save judges a save of them over the applied settings (`settingsSaveProblems`, every
 * field of the file counted as touched), the difference from the applied connection, whether
 * each client secret changes, and what becomes of the signing key.
 */
async function planConnection(ctx: AdminContext, contents: BackupContents, connection: BackupConnection): Promise<ConnectionPlan> {
  const record = recordOf(connection);
  const problems: BackupConnectionPreview['problems'] = [];
  const secrets: BackupSecretRow[] = [];
  const newSecrets = new Map<string, string>();
  let applied: ConnectionRecord | undefined;
  let replacesDraft = false;
  for (const provider of connection.providers) {
    const state = await loadSetupState(ctx, { connectionId: connection.id, providerId: provider.id });
    applied = state.connection;
    replacesDraft = state.draft !== undefined || (applied !== undefined && (await readDraft(ctx.ports.store, connection.id)) !== undefined);
    // The import replaces any draft: it is judged as a change of the applied settings.
    const before = { ...state, settings: state.applied.settings, clientSecret: state.applied.clientSecret };
    const settings = settingsOf(record, provider.id)!;
    const fileSecret = contents.secrets?.clientSecrets.find((s) => s.connectionId === connection.id && s.providerId === provider.id)?.secret.trim() || undefined;
    const touched = touchedPaths(settings);
    if (fileSecret !== undefined) touched.push('oidc.clientSecret');
    const { errors } = settingsSaveProblems(ctx, before, settings, touched, fileSecret);
    if (errors.length) problems.push({ providerId: provider.id, errors });
    const path = `providers.${provider.id}.oidc.clientSecret`;
    if (fileSecret === undefined) secrets.push({ path, secret: 'not-in-file' });
    else if (sameSecret(state.applied.clientSecret, fileSecret)) secrets.push({ path, secret: 'unchanged' });
    else {
      secrets.push({ path, secret: 'changed' });
      newSecrets.set(provider.id, fileSecret);
    }
  }
  const key = contents.secrets?.signingKeys.find((k) => k.connectionId === connection.id);
  let signingKey: BackupSigningKeyPlan = 'not-in-file';
  let certificateFingerprint = fingerprintOf(contents.certificates.find((c) => c.connectionId === connection.id)?.certificatePem);
  let restored: SigningKey | undefined;
  if (key) {
    const planned = restoredKeyPlan(key, applied ? await readKeyRing(ctx.ports.store, connection.id) : undefined);
    if (planned) ({ plan: signingKey, fingerprint: certificateFingerprint, restored } = planned);
    else problems.push({ providerId: '', errors: [{ path: 'signingKey', message: 'The signing key in the file does not match its certificate, or does not parse.' }] });
  }
  const clientKeys = await planClientKeys(ctx, contents, connection, applied, problems);
  return {
    preview: {
      connectionId: connection.id,
      name: connection.name,
      exists: applied !== undefined,
      replacesDraft,
      rows: diffRows(applied, record),
      secrets,
      signingKey,
      clientKeys: clientKeys.rows,
      ...(certificateFingerprint ? { certificateFingerprint } : {}),
      problems,
    },
    record,
    newSecrets,
    signingKey: restored,
    clientKeys: clientKeys.restored,
  };
}

/**
 * What becomes of a key of the file beside a ring (the installation's, if any): `same` (its
 * active key), `prepared` (its next key already), else `prepare` with the key to prepare.
 * Undefined when the private key does not belong to the certificate, or does not parse.
 */
function restoredKeyPlan(key: SigningKey, ring: KeyRing | undefined): { plan: BackupSigningKeyPlan; fingerprint: string; restored: SigningKey | undefined } | undefined {
  let fingerprint: string;
  try {
    fingerprint = toCredentials(key).fingerprint;
  } catch {
    return undefined;
  }
  const plan = ring?.active.fingerprint === fingerprint ? 'same' : ring?.next?.fingerprint === fingerprint ? 'prepared' : 'prepare';
  const { privateKeyPem, certificatePem, createdAt } = key;
  return { plan, fingerprint, restored: plan === 'prepare' ? { privateKeyPem, certificatePem, createdAt } : undefined };
}

/**
 * The client key plan of each provider of the file that signs with a client key: the file's key
 * (a sealed file) judged by the signing key's rule, or `not-in-file` (the import makes the
 * provider's own key). A key that does not belong to its certificate, or one for a provider that
 * does not use `private_key_jwt` in the file, is a problem that refuses the file.
 */
async function planClientKeys(
  ctx: AdminContext,
  contents: BackupContents,
  connection: BackupConnection,
  applied: ConnectionRecord | undefined,
  problems: BackupConnectionPreview['problems'],
): Promise<{ rows: BackupClientKeyPlan[]; restored: Map<string, SigningKey> }> {
  const rows: BackupClientKeyPlan[] = [];
  const restored = new Map<string, SigningKey>();
  for (const provider of connection.providers) {
    const usesKey = provider.oidc?.clientAuthMethod === KEY_AUTH_METHOD;
    const key = contents.secrets?.clientKeys.find((k) => k.connectionId === connection.id && k.providerId === provider.id);
    const problem = (message: string) => problems.push({ providerId: provider.id, errors: [{ path: 'oidc.clientKey', message }] });
    if (!key) {
      if (usesKey) rows.push({ providerId: provider.id, clientKey: 'not-in-file' });
      continue;
    }
    if (!usesKey) {
      problem('The file holds a client key for a provider that does not use private_key_jwt.');
      continue;
    }
    const known = applied?.providers.some((p) => p.id === provider.id);
    const planned = restoredKeyPlan(key, known ? await readClientKeyRing(ctx.ports.store, connection.id, provider.id) : undefined);
    if (!planned) {
      problem('The client key in the file does not match its certificate, or does not parse.');
      continue;
    }
    rows.push({ providerId: provider.id, clientKey: planned.plan, fingerprint: planned.fingerprint });
    if (planned.restored) restored.set(provider.id, planned.restored);
  }
  return { rows, restored };
}

/**
 * The installation's limits over the whole file, judged before anything is written, so an import
 * that would pass one of them partway writes nothing rather than some of its connections. (A
 * connection another admin creates during the import can still make the shell step refuse.)
 */
async function limitProblems(ctx: AdminContext, plans: ConnectionPlan[]): Promise<void> {
  const read = await readConnections(ctx.ports.store);
  const stored = read.state === 'ok' ? read.document.connections : [];
  const added = plans.filter((plan) => !stored.some((c) => c.id === plan.record.id));
  if (added.length && stored.length + added.length > MAX_CONNECTIONS) {
    const message = `An installation holds at most ${MAX_CONNECTIONS} connections: it has ${stored.length}, and the file adds ${added.length}.`;
    for (const plan of added) plan.preview.problems.push({ providerId: '', errors: [{ path: 'connection', message }] });
  }
  for (const plan of plans) {
    const existing = stored.find((c) => c.id === plan.record.id);
    if (!existing) continue;
    const missing = plan.record.providers.filter((p) => !existing.providers.some((e) => e.id === p.id));
    if (missing.length && existing.providers.length + missing.length > MAX_PROVIDERS_PER_CONNECTION) {
      plan.preview.problems.push({ providerId: '', errors: [{ path: 'providers', message: `A connection holds at most ${MAX_PROVIDERS_PER_CONNECTION} providers: this one has ${existing.providers.length}, and the file adds ${missing.length}.` }] });
    }
  }
}

async function planImport(ctx: AdminContext, contents: BackupContents): Promise<{ plans: ConnectionPlan[]; preview: Extract<BackupPreviewResponse, { ok: true }> }> {
  const plans: ConnectionPlan[] = [];
  for (const connection of contents.connections) plans.push(await planConnection(ctx, contents, connection));
  await limitProblems(ctx, plans);
  const connections = plans.map((p) => p.preview);
  const { encrypted, exportedAt, appVersion } = contents;
  return { plans, preview: { ok: true, encrypted, exportedAt, appVersion, valid: connections.every((c) => c.problems.length === 0), connections } };
}

/**
 * `backup/preview` (every admin; changes nothing): reads the file (a sealed one with its
 * passphrase) and answers, per connection, the field-by-field difference from the applied
 * settings, whether each client secret changes (never a value), what becomes of the signing key,
 * and the field errors config/save would refuse the file's settings with.
 */
export async function backupPreview(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<BackupPreviewResponse>> {
  const read = await readRequest(payload);
  if (read.ok === 'refused') return read.refusal;
  if (!read.ok) return read;
  return (await planImport(ctx, read.contents)).preview;
}

/**
 * `backup/import` (owners only, audited): brings each connection of a valid file in AS A DRAFT.
 * Users keep signing in with the applied settings; the draft is tested and applied with the
 * existing draft rules (`draft/apply`). A connection or provider the installation lacks is
 * created first the way the wizard creates one (a name, no settings), so the draft has a
 * connection to apply to. A restored signing key becomes the prepared next certificate, and a
 * restored client key its provider's prepared next client key, never the active one: an owner
 * activates each as in a rotation.
 */
export async function backupImport(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<BackupImportResponse>> {
  const read = await readRequest(payload);
  if (read.ok === 'refused') return read.refusal;
  if (!read.ok) return read;
  const { plans, preview } = await planImport(ctx, read.contents);
  if (!preview.valid) return { ok: false, message: 'Some settings in the file are not valid; nothing was imported. See the fields named below.', preview };
  const imported: Extract<BackupImportResponse, { ok: true }>['imported'] = [];
  for (const plan of plans) {
    const applied = await ensureShell(ctx, plan.record);
    if (typeof applied === 'string') return { ok: false, message: applied, preview };
    imported.push(await importDraft(ctx, plan, applied));
  }
  const after = await loadSetupState(ctx, {});
  return { ok: true, connections: summarizeConnections(ctx, after.document), imported };
}

/**
 * The applied connection the draft goes onto: the stored one, with an empty provider added for
 * each provider of the file it lacks, or a new empty connection (as `connections/save` and
 * `providers/save` make them, and recorded as they record them).
 */
async function ensureShell(ctx: AdminContext, record: ConnectionRecord): Promise<ConnectionRecord | string> {
  const read = await readConnections(ctx.ports.store);
  const stored = read.state === 'ok' ? read.document.connections.find((c) => c.id === record.id) : undefined;
  if (stored && record.providers.every((p) => stored.providers.some((s) => s.id === p.id))) return stored;
  const created = { connection: false, providers: [] as string[] };
  const change = await changeConnections(ctx, (document) => {
    const existing = document.connections.find((c) => c.id === record.id);
    const shells = record.providers.map((p) => ({ id: p.id, name: p.name }));
    if (!existing) {
      if (document.connections.length >= MAX_CONNECTIONS) return { ok: false, reason: 'refused', message: `An installation holds at most ${MAX_CONNECTIONS} connections.` };
      created.connection = true;
      return { ok: true, document: withConnection(document, { id: record.id, name: record.name, revision: 1, providers: shells }) };
    }
    const missing = shells.filter((p) => !existing.providers.some((e) => e.id === p.id));
    created.providers = missing.map((p) => p.id);
    if (!missing.length) return { ok: false, reason: 'conflict', message: 'Someone else changed this connection during the import. Look at it, then import again.' };
    if (existing.providers.length + missing.length > MAX_PROVIDERS_PER_CONNECTION) {
      return { ok: false, reason: 'refused', message: `A connection holds at most ${MAX_PROVIDERS_PER_CONNECTION} providers.` };
    }
    return { ok: true, document: withConnection(document, { ...existing, providers: [...existing.providers, ...missing] }) };
  });
  if (!change.ok) return change.message;
  if (created.connection) await recordChange(ctx, { action: 'connection.create', connectionId: record.id, fields: ['name'] });
  for (const id of created.providers) await recordChange(ctx, { action: 'provider.create', connectionId: record.id, fields: [`providers.${id}.name`] });
  return change.document.connections.find((c) => c.id === record.id)!;
}

/**
 * Writes one connection's draft (replacing any), its new secrets, and prepares the restored keys.
 * A provider that signs with a client key gets one as config/save gives it (so the wizard shows
 * the JWKS to register); a client key of the file is prepared beside it as the next key.
 */
async function importDraft(ctx: AdminContext, plan: ConnectionPlan, applied: ConnectionRecord): Promise<Extract<BackupImportResponse, { ok: true }>['imported'][number]> {
  const connectionId = applied.id;
  const next: ConnectionRecord = {
    ...plan.record,
    revision: applied.revision,
    providers: plan.record.providers.map((provider) => {
      const secretRevision = plan.newSecrets.has(provider.id) ? ctx.ports.random.token(12) : applied.providers.find((p) => p.id === provider.id)?.secretRevision;
      return { ...provider, ...(secretRevision ? { secretRevision } : {}) };
    }),
  };
  await forgetDraft(ctx.ports, connectionId, [...applied.providers, ...next.providers].map((p) => p.id));
  for (const [providerId, secret] of plan.newSecrets) await ctx.ports.secrets.setSecret(storageKeys.draftClientSecret(connectionId, providerId), secret);
  const fields = draftDifferences(applied, next);
  const draft = fields.length > 0;
  if (draft) await writeDraft(ctx.ports.store, { v: 1, baseRevision: applied.revision, connection: next });
  let signingKey = plan.preview.signingKey;
  if (plan.signingKey) {
    const prepared = await prepareNextKey(keyRingPortsOf(ctx), connectionId, plan.signingKey);
    if (prepared.ok) fields.push('signingCertificate.next');
    else signingKey = 'not-in-file';
  }
  for (const provider of next.providers) {
    if (provider.oidc?.clientAuthMethod === KEY_AUTH_METHOD) await ensureProviderClientKey(ctx, { connectionId, providerId: provider.id });
  }
  const clientKeys: BackupClientKeyPlan[] = [];
  for (const row of plan.preview.clientKeys) {
    const key = plan.clientKeys.get(row.providerId);
    const prepared = key ? (await prepareNextClientKey(keyRingPortsOf(ctx), connectionId, row.providerId, key)).ok : false;
    if (prepared) fields.push(connectionFieldPath('oidc.clientKey.next', row.providerId));
    clientKeys.push(key && !prepared ? { providerId: row.providerId, clientKey: 'not-in-file' } : row);
  }
  await recordChange(ctx, { action: 'backup.import', connectionId, fields });
  return { connectionId, draft, signingKey, clientKeys };
}

