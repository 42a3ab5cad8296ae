import { z } from 'zod';
import { adminSettingsSchema, settingsMaskAt } from '../config-fields.js';
import { ID_PATTERN, MAX_CONNECTIONS, MAX_PROVIDERS_PER_CONNECTION, type ConnectionRecord } from '../connections/connections-document.js';
import { BACKUP_FORMAT, BACKUP_VERSION, openBackup, OPEN_FAILED, sealHeaderSchema, type SealedFile } from './backup-seal.js';

/**
 * The backup file: one connection or all, with their providers, as versioned JSON. A plain file
 * carries the settings and the public signing certificates and names the secrets it left out; a
 * sealed file (`backup-seal.ts`) carries the settings with the client secrets, the active
 * signing keys and each `private_key_jwt` provider's active client key inside its ciphertext. Everything read from a file is checked here with strict
 * schemas (unknown fields refused, every string and list bounded); the settings' values are then
 * judged by config/save's own validation (`settingsSaveProblems`), never by a second validator.
 */

/** A file must fit one resolver call (Forge's bridge takes 500 KB per invoke). */
export const MAX_BACKUP_CHARS = 400_000;
const MAX_SECRET_CHARS = 4096;
const MAX_PEM_CHARS = 8192;

const id = () => z.string().regex(ID_PATTERN, 'not an id');
const name = () => z.string().min(1).max(100);
const settings = adminSettingsSchema('strict');

const providerSchema = z.strictObject({ id: id(), name: name(), ...settings.pick(settingsMaskAt('provider')).shape });

export const backupConnectionSchema = z
  .strictObject({
    id: id(),
    name: name(),
    ...settings.pick(settingsMaskAt('connection')).shape,
    providers: z.array(providerSchema).min(1).max(MAX_PROVIDERS_PER_CONNECTION),
  })
  .refine((c) => new Set(c.providers.map((p) => p.id)).size === c.providers.length, 'two providers with one id');

export type BackupConnection = z.output<typeof backupConnectionSchema>;

const connectionsSchema = z
  .array(backupConnectionSchema)
  .min(1)
  .max(MAX_CONNECTIONS)
  .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'two connections with one id');

/** A connection's active signing certificate (public), as it is pasted in Guard. */
const certificateSchema = z.strictObject({ connectionId: id(), certificatePem: z.string().min(1).max(MAX_PEM_CHARS) });

const clientSecretSchema = z.strictObject({ connectionId: id(), providerId: id(), secret: z.string().min(1).max(MAX_SECRET_CHARS) });
/** A key with its certificate, as a key ring keeps it in secret storage (`SigningKey`). */
const keyPairFields = {
  privateKeyPem: z.string().min(1).max(MAX_PEM_CHARS),
  certificatePem: z.string().min(1).max(MAX_PEM_CHARS),
  createdAt: z.string().max(40),
};
const signingKeySchema = z.strictObject({ connectionId: id(), ...keyPairFields });
/** A `private_key_jwt` provider's active client key: the one registered at the provider. */
const clientKeySchema = z.strictObject({ connectionId: id(), providerId: id(), ...keyPairFields });

export const backupSecretsSchema = z.strictObject({
  clientSecrets: z.array(clientSecretSchema).max(MAX_CONNECTIONS * MAX_PROVIDERS_PER_CONNECTION),
  signingKeys: z.array(signingKeySchema).max(MAX_CONNECTIONS),
  // Absent from the files sealed before client keys were carried: those hold none.
  clientKeys: z.array(clientKeySchema).max(MAX_CONNECTIONS * MAX_PROVIDERS_PER_CONNECTION).default([]),
});

export type BackupSecrets = z.output<typeof backupSecretsSchema>;

const plainFileSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  exportedAt: z.string().datetime(),
  appVersion: z.string().max(40),
  encrypted: z.literal(false),
  connections: connectionsSchema,
  certificates: z.array(certificateSchema).max(MAX_CONNECTIONS),
  /** Where the secrets left out would be (`providers.<id>.oidc.clientSecret`, `providers.<id>.oidc.clientKey`, `signingKey`), per connection. */
  omittedSecrets: z.array(z.string().max(200)).max(MAX_CONNECTIONS * (2 * MAX_PROVIDERS_PER_CONNECTION + 1)),
});

export type PlainBackupFile = z.output<typeof plainFileSchema>;

const base64Text = z.string().max(MAX_BACKUP_CHARS).regex(/^[A-Za-z0-9+/]*={0,2}$/);
const sealedFileSchema = sealHeaderSchema.extend({ ciphertext: base64Text.min(4), tag: base64Text.length(24) });

/** What a sealed file holds once opened. */
export const sealedContentsSchema = z.strictObject({ connections: connectionsSchema, certificates: z.array(certificateSchema).max(MAX_CONNECTIONS), secrets: backupSecretsSchema });

export type SealedContents = z.output<typeof sealedContentsSchema>;

/** A file's contents after reading (and opening): the connections, public certificates, secrets if sealed. */
export interface BackupContents {
  encrypted: boolean;
  exportedAt: string;
  appVersion: string;
  connections: BackupConnection[];
  certificates: { connectionId: string; certificatePem: string }[];
  secrets: BackupSecrets | undefined;
}

export type BackupRead = { ok: true; contents: BackupContents } | { ok: false; message: string; needsPassphrase?: true };

function describe(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return `This is not a backup file this app can read (${path || 'file'}: ${issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys[0]}` : issue.message}).`;
}

/**
 * Reads a backup file's text: bounded size, strict schema, and for a sealed file the passphrase
 * (`openBackup`). A sealed file's opened contents go through their own strict schema too, so a
 * file sealed by someone who knows the passphrase is no more trusted than a plain one.
 */
export async function readBackupFile(text: string, passphrase: string | undefined): Promise<BackupRead> {
  if (text.length > MAX_BACKUP_CHARS) return { ok: false, message: `A backup file is at most ${MAX_BACKUP_CHARS / 1000} KB.` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This is not a backup file (not JSON).' };
  }
  const encrypted = typeof raw === 'object' && raw !== null && (raw as { encrypted?: unknown }).encrypted === true;
  if (!encrypted) {
    const plain = plainFileSchema.safeParse(raw);
    if (!plain.success) return { ok: false, message: describe(plain.error) };
    const { exportedAt, appVersion, connections, certificates } = plain.data;
    return { ok: true, contents: { encrypted: false, exportedAt, appVersion, connections, certificates, secrets: undefined } };
  }
  const sealed = sealedFileSchema.safeParse(raw);
  if (!sealed.success) return { ok: false, message: OPEN_FAILED };
  if (passphrase === undefined || passphrase === '') return { ok: false, message: 'This file is encrypted. Enter its passphrase.', needsPassphrase: true };
  const opened = await openBackup(sealed.data as SealedFile, passphrase);
  if (!opened.ok) return { ok: false, message: opened.message };
  let inner: unknown;
  try {
    inner = JSON.parse(opened.plaintext);
  } catch {
    return { ok: false, message: OPEN_FAILED };
  }
  const contents = sealedContentsSchema.safeParse(inner);
  if (!contents.success) return { ok: false, message: describe(contents.error) };
  const { exportedAt, appVersion } = sealed.data;
  return { ok: true, contents: { encrypted: true, exportedAt, appVersion, ...contents.data } };
}

/** A connection of a file as a stored record would hold it (revision 1: a new record). */
export function recordOf(connection: BackupConnection): ConnectionRecord {
  return JSON.parse(JSON.stringify({ ...connection, revision: 1 })) as ConnectionRecord;
}
