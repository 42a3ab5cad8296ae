import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';

/**
 * The standalone server's admin token: what `/admin` asks for and `/admin/api/*` requires as
 * `Authorization: Bearer <token>`. Given (`BRIDGE_ADMIN_TOKEN`), it is only held in memory as
 * a hash; generated, it is printed once, written to a 0600 file in the data directory for the
 * operator (`standalone-app.ts`), and its SHA-256 is stored (in secret storage), so a restart
 * keeps the token valid.
 */

/** Bytes of a generated token: 256 bits, so a plain SHA-256 of it is as strong as a slow hash. */
const GENERATED_TOKEN_BYTES = 32;

export interface AdminTokenSetup {
  /** SHA-256 of the valid token. */
  hash: Buffer;
  /** Where the token comes from. */
  source: 'given' | 'stored' | 'generated';
  /** The new token, only when generated now: shown once, never again. */
  generated?: string;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares in constant time: both sides are hashed first, so lengths never differ. */
export function tokenMatches(presented: string, expectedHash: Buffer): boolean {
  const actual = hashToken(presented);
  return actual.length === expectedHash.length && timingSafeEqual(actual, expectedHash);
}

/**
 * The token to accept: the given one; else the stored hash from an earlier start; else (or with
 * `reset`) a fresh random token whose hash replaces the stored one.
 */
export async function setUpAdminToken(secrets: SecretStore, options: { token?: string; reset?: boolean }): Promise<AdminTokenSetup> {
  if (options.token !== undefined) {
    if (options.token.trim() === '') throw new TypeError('The admin token must not be empty');
    return { hash: hashToken(options.token), source: 'given' };
  }
  if (!options.reset) {
    const stored = await secrets.getSecret<string>(storageKeys.adminTokenHash());
    if (typeof stored === 'string') {
      const hash = Buffer.from(stored, 'base64url');
      if (hash.length === 32) return { hash, source: 'stored' };
    }
  }
  const generated = randomBytes(GENERATED_TOKEN_BYTES).toString('base64url');
  const hash = hashToken(generated);
  await secrets.setSecret(storageKeys.adminTokenHash(), hash.toString('base64url'));
  return { hash, source: 'generated', generated };
}
