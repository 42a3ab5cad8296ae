import { z } from 'zod';
import { APP_VERSION } from '../app-version.js';
import { type BackupConnection, type BackupSecrets } from '../backup/backup-file.js';
import { BACKUP_FORMAT, BACKUP_VERSION, MAX_PASSPHRASE_LENGTH, passphraseProblem, sealBackup } from '../backup/backup-seal.js';
import { readConnections, type ConnectionRecord } from '../connections/connections-document.js';
import { storageKeys } from '../storage-keys.js';
import { KEY_AUTH_METHOD } from '../config-fields.js';
import { keySecretName } from '../../downstream-saml/signing-key-ring.js';
import { activeClientKeyPair } from '../../upstream-oidc/client-key-ring.js';
import type { SigningKey } from '../../downstream-saml/signing-key.js';
import type { BackupExportResponse } from './backup-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { connectionKeyRing } from './certificates.js';
import { recordChange } from './connection-changes.js';
import { targetFields } from './setup-state.js';

const plainSchema = z.strictObject({ connectionId: targetFields.connectionId });
const sealedSchema = z.strictObject({ connectionId: targetFields.connectionId, passphrase: z.string().max(MAX_PASSPHRASE_LENGTH) });

/** The applied connections an export is about (drafts are not exported: they are not what users sign in with). */
async function exportedConnections(ctx: AdminContext, connectionId: string | undefined): Promise<ConnectionRecord[] | string> {
  const read = await readConnections(ctx.ports.store);
  const all = read.state === 'ok' ? read.document.connections : [];
  const chosen = connectionId ? all.filter((c) => c.id === connectionId) : all;
  if (!chosen.length) return connectionId ? 'There is no such connection. Reload the page.' : 'There is no connection to export yet.';
  return chosen;
}

/** A stored connection as the file holds it: no revisions (bookkeeping of this installation), no secret revision. */
function fileConnection(record: ConnectionRecord): BackupConnection {
  const { revision: _revision, signingKeyRevision: _ring, providers, ...connection } = record;
  return JSON.parse(JSON.stringify({ ...connection, providers: providers.map(({ secretRevision: _secret, ...provider }) => provider) })) as BackupConnection;
}

async function storedClientSecret(ctx: AdminContext, connectionId: string, providerId: string): Promise<string | undefined> {
  const secret = await ctx.ports.secrets.getSecret(storageKeys.clientSecret(connectionId, providerId));
  return typeof secret === 'string' && secret !== '' ? secret : undefined;
}

/**
 * Each connection's public active certificate, and the secrets a sealed file carries: the stored
 * client secrets, the active signing key, and each `private_key_jwt` provider's active client
 * key (the one registered at the provider). A plain export only names the secrets.
 */
async function collectSecrets(ctx: AdminContext, connections: readonly ConnectionRecord[]): Promise<{ certificates: { connectionId: string; certificatePem: string }[]; secrets: BackupSecrets }> {
  const secrets: BackupSecrets = { clientSecrets: [], signingKeys: [], clientKeys: [] };
  const certificates = [];
  for (const connection of connections) {
    for (const provider of connection.providers) {
      const secret = await storedClientSecret(ctx, connection.id, provider.id);
      if (secret) secrets.clientSecrets.push({ connectionId: connection.id, providerId: provider.id, secret });
      const clientKey = provider.oidc?.clientAuthMethod === KEY_AUTH_METHOD ? await activeClientKeyPair(ctx.ports, connection.id, provider.id) : undefined;
      if (clientKey) {
        const { privateKeyPem, certificatePem } = clientKey.key;
        secrets.clientKeys.push({ connectionId: connection.id, providerId: provider.id, privateKeyPem, certificatePem, createdAt: new Date(clientKey.ring.active.createdAt).toISOString() });
      }
    }
    const ring = await connectionKeyRing(ctx, connection.id);
    const { certificatePem } = ring.active;
    certificates.push({ connectionId: connection.id, certificatePem });
    const key = await ctx.ports.secrets.getSecret<SigningKey & Record<string, string>>(keySecretName(connection.id, ring.active.id));
    if (key?.privateKeyPem) secrets.signingKeys.push({ connectionId: connection.id, privateKeyPem: key.privateKeyPem, certificatePem, createdAt: new Date(ring.active.createdAt).toISOString() });
  }
  return { certificates, secrets };
}

/** The file's name: which connection, which day, whether sealed. */
function fileName(connectionId: string | undefined, exportedAt: string, sealed: boolean): string {
  return `oidc-saml-bridge-${connectionId ?? 'all'}-${exportedAt.slice(0, 10)}${sealed ? '.sealed' : ''}.json`;
}

/**
 * `backup/export` (every admin: non-owners see the same settings read-only on the page): one
 * connection with its providers, or all, with each connection's public signing certificate,
 * WITHOUT client secrets or private keys; the file names which secrets it left out. Recorded in
 * the audit trail (who exported which connections).
 */
export async function backupExport(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<BackupExportResponse>> {
  const parsed = parsePayload(plainSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connections = await exportedConnections(ctx, parsed.value.connectionId);
  if (typeof connections === 'string') return badRequest(connections);
  const exportedAt = new Date(ctx.ports.clock.now()).toISOString();
  const { certificates, secrets } = await collectSecrets(ctx, connections);
  // Named, never carried: where each secret a sealed export would hold is.
  const omittedSecrets = [
    ...secrets.clientSecrets.map((s) => `connections.${s.connectionId}.providers.${s.providerId}.oidc.clientSecret`),
    ...secrets.signingKeys.map((k) => `connections.${k.connectionId}.signingKey`),
    ...secrets.clientKeys.map((k) => `connections.${k.connectionId}.providers.${k.providerId}.oidc.clientKey`),
  ];
  const file = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    exportedAt,
    appVersion: APP_VERSION,
    encrypted: false,
    connections: connections.map(fileConnection),
    certificates,
    omittedSecrets,
  };
  await recordChange(ctx, { action: 'backup.export', ...(parsed.value.connectionId ? { connectionId: parsed.value.connectionId } : {}), fields: connections.map((c) => `connections.${c.id}`) });
  return { ok: true, fileName: fileName(parsed.value.connectionId, exportedAt, false), file: `${JSON.stringify(file, null, 2)}\n`, omittedSecrets };
}

/**
 * `backup/export-sealed` (owners only): the same connections with their client secrets, active
 * signing keys and active client keys (private key and certificate), sealed under the admin's passphrase
 * (`sealBackup`). The passphrase is used for this call and dropped: never stored, never logged.
 */
export async function backupExportSealed(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<BackupExportResponse>> {
  const parsed = parsePayload(sealedSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const problem = passphraseProblem(parsed.value.passphrase);
  if (problem) return { ok: false, message: problem };
  const connections = await exportedConnections(ctx, parsed.value.connectionId);
  if (typeof connections === 'string') return badRequest(connections);
  const exportedAt = new Date(ctx.ports.clock.now()).toISOString();
  const { certificates, secrets } = await collectSecrets(ctx, connections);
  const contents = JSON.stringify({ connections: connections.map(fileConnection), certificates, secrets });
  const sealed = await sealBackup(contents, parsed.value.passphrase, { exportedAt, appVersion: APP_VERSION });
  await recordChange(ctx, {
    action: 'backup.export-sealed',
    ...(parsed.value.connectionId ? { connectionId: parsed.value.connectionId } : {}),
    fields: connections.flatMap((c) => [`connections.${c.id}`, `connections.${c.id}.secrets`]),
  });
  return { ok: true, fileName: fileName(parsed.value.connectionId, exportedAt, true), file: `${JSON.stringify(sealed, null, 2)}\n`, omittedSecrets: [] };
}
