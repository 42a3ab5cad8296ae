import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/**
 * The passphrase-protected part of a backup file: the settings and their secrets (client
 * secrets, signing keys) sealed with AES-256-GCM under a key derived from the admin's passphrase
 * by scrypt (node:crypto only). The header (format, version, export time, app version, the KDF
 * and cipher parameters) travels in clear and is authenticated as the cipher's additional data,
 * so a changed header fails like a changed ciphertext. The KDF parameters are read from the file
 * but accepted only within fixed bounds: a crafted file cannot make an import burn CPU or memory.
 */

export const BACKUP_FORMAT = 'oidc-saml-bridge-backup';
export const BACKUP_VERSION = 1;

/** Shorter passphrases fall to offline guessing too fast once a file leaks. */
export const MIN_PASSPHRASE_LENGTH = 12;
export const MAX_PASSPHRASE_LENGTH = 1024;
export const PASSPHRASE_TOO_SHORT = `Use a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`;
/** One message for every failure to open: which part failed would help an attacker, not the admin. */
export const OPEN_FAILED = 'Wrong passphrase or damaged file.';

/** scrypt's cost: 2^15 by default; a file may name 2^14..2^16, nothing else (r and p fixed). */
export const DEFAULT_SCRYPT_LOG_N = 15;
export const MIN_SCRYPT_LOG_N = 14;
export const MAX_SCRYPT_LOG_N = 16;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const base64 = (bytes: number) => z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).length(Math.ceil(bytes / 3) * 4);

const scryptN = z
  .number()
  .int()
  .refine((n) => [...Array(MAX_SCRYPT_LOG_N - MIN_SCRYPT_LOG_N + 1).keys()].some((i) => n === 2 ** (MIN_SCRYPT_LOG_N + i)), 'scrypt N out of bounds');

/** The clear part of a sealed file, authenticated as AAD. */
export const sealHeaderSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  exportedAt: z.string().datetime(),
  appVersion: z.string().max(40),
  encrypted: z.literal(true),
  kdf: z.strictObject({ name: z.literal('scrypt'), N: scryptN, r: z.literal(SCRYPT_R), p: z.literal(SCRYPT_P), salt: base64(SALT_BYTES) }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), iv: base64(IV_BYTES) }),
});

export type SealHeader = z.output<typeof sealHeaderSchema>;

export interface SealedFile extends SealHeader {
  ciphertext: string;
  tag: string;
}

export type OpenResult = { ok: true; plaintext: string } | { ok: false; message: string };

/**
 * The header's bytes as the cipher authenticates them: its fields in one fixed order, whatever
 * order the file had them in, so only a change of a value (not of formatting) breaks the seal.
 */
function headerBytes(header: SealHeader): Buffer {
  const { format, version, exportedAt, appVersion, encrypted, kdf, cipher } = header;
  return Buffer.from(
    JSON.stringify([format, version, exportedAt, appVersion, encrypted, [kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt], [cipher.name, cipher.iv]]),
    'utf8',
  );
}

/** Memory scrypt needs (128·N·r) with room to spare: the bound node:crypto enforces. */
function scryptOptions(N: number): ScryptOptions {
  return { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 2 * 128 * N * SCRYPT_R };
}

function deriveKey(passphrase: string, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // NFC: the same passphrase typed on another system must give the same key.
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, scryptOptions(N), (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Why a passphrase cannot seal a file, or nothing. */
export function passphraseProblem(passphrase: string): string | undefined {
  if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) return PASSPHRASE_TOO_SHORT;
  if (passphrase.length > MAX_PASSPHRASE_LENGTH) return `Use a passphrase of at most ${MAX_PASSPHRASE_LENGTH} characters.`;
  return undefined;
}

/** Seals `plaintext` under `passphrase` (checked by `passphraseProblem` first: a TypeError otherwise). */
export async function sealBackup(
  plaintext: string,
  passphrase: string,
  meta: { exportedAt: string; appVersion: string },
  options: { logN?: number } = {},
): Promise<SealedFile> {
  if (passphraseProblem(passphrase)) throw new TypeError('passphrase does not meet the minimum');
  const logN = options.logN ?? DEFAULT_SCRYPT_LOG_N;
  if (logN < MIN_SCRYPT_LOG_N || logN > MAX_SCRYPT_LOG_N) throw new TypeError('scrypt cost out of bounds');
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const header: SealHeader = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    exportedAt: meta.exportedAt,
    appVersion: meta.appVersion,
    encrypted: true,
    kdf: { name: 'scrypt', N: 2 ** logN, r: SCRYPT_R, p: SCRYPT_P, salt: salt.toString('base64') },
    cipher: { name: 'aes-256-gcm', iv: iv.toString('base64') },
  };
  const key = await deriveKey(passphrase, salt, header.kdf.N);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ...header, ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/**
 * Opens a sealed file whose shape was checked (`sealHeaderSchema` and the two base64 fields).
 * Every failure (wrong passphrase, a changed byte of header, ciphertext or tag) is the same one
 * message.
 */
export async function openBackup(file: SealedFile, passphrase: string): Promise<OpenResult> {
  const header = sealHeaderSchema.safeParse(headerOf(file));
  if (!header.success || passphrase.length > MAX_PASSPHRASE_LENGTH) return { ok: false, message: OPEN_FAILED };
  try {
    const key = await deriveKey(passphrase, Buffer.from(header.data.kdf.salt, 'base64'), header.data.kdf.N);
    const tag = Buffer.from(file.tag, 'base64');
    if (tag.length !== TAG_BYTES) return { ok: false, message: OPEN_FAILED };
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.data.cipher.iv, 'base64'), { authTagLength: TAG_BYTES });
    decipher.setAAD(headerBytes(header.data));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64')), decipher.final()]);
    return { ok: true, plaintext: plaintext.toString('utf8') };
  } catch {
    return { ok: false, message: OPEN_FAILED };
  }
}

function headerOf(file: SealedFile): SealHeader {
  const { ciphertext: _ciphertext, tag: _tag, ...header } = file;
  return header;
}
