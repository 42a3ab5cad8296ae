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

/** The identity of the single admin token (`BRIDGE_ADMIN_TOKEN`, or the generated one): who the audit trail names. */
export const SINGLE_TOKEN_IDENTITY = 'standalone-admin';

/** A token's identity: the SSO owner it can be (src/core/admin/owners.ts) and the actor the audit trail names. */
export const TOKEN_IDENTITY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,39}$/;

/** One accepted admin token and whom it identifies. */
export interface AdminTokenIdentity {
  identity: string;
  /** SHA-256 of the token. */
  hash: Buffer;
}

/**
 * `BRIDGE_ADMIN_TOKENS`: named tokens, `identity=token` separated by commas or line breaks, so
 * that several admins each have their own (and only some are SSO owners). Identities are lower
 * case (`alice`, `ops.bob`); every identity and every token must be distinct.
 */
export function parseNamedTokens(value: string, minChars: number): { identity: string; token: string }[] {
  const entries = value
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const equals = part.indexOf('=');
      const identity = equals > 0 ? part.slice(0, equals).trim() : '';
      const token = equals > 0 ? part.slice(equals + 1).trim() : '';
      if (!TOKEN_IDENTITY_PATTERN.test(identity) || identity === SINGLE_TOKEN_IDENTITY) {
        throw new TypeError(`BRIDGE_ADMIN_TOKENS entry ${index + 1}: write identity=token, the identity in lower-case letters, digits, ".", "_" or "-" (and not "${SINGLE_TOKEN_IDENTITY}").`);
      }
      if (token.length < minChars) throw new TypeError(`BRIDGE_ADMIN_TOKENS entry ${index + 1} (${identity}): the token must have at least ${minChars} characters.`);
      return { identity, token };
    });
  if (new Set(entries.map((e) => e.identity)).size !== entries.length) throw new TypeError('BRIDGE_ADMIN_TOKENS names an identity twice.');
  if (new Set(entries.map((e) => e.token)).size !== entries.length) throw new TypeError('BRIDGE_ADMIN_TOKENS gives two identities the same token.');
  return entries;
}

/**
 * The identity of the presented token, or undefined. Every accepted token is compared (in
 * constant time), so the time taken says nothing about which one nearly matched.
 */
export function identifyToken(presented: string, tokens: readonly AdminTokenIdentity[]): string | undefined {
  let found: string | undefined;
  for (const token of tokens) {
    if (tokenMatches(presented, token.hash) && found === undefined) found = token.identity;
  }
  return found;
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
