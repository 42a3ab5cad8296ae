import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { AUDIT_PAGE_MAX, type AuditTrail, type LoginAuditRecord } from '../audit/audit-trail.js';
import { isCalendarDay } from '../config-fields.js';
import { ID_PATTERN, readConnections, type ConnectionRecord, type ProviderRecord } from '../connections/connections-document.js';
import { bridgeErrorCodes, publicError, type BridgeErrorCode } from '../errors.js';
import type { Json } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import {
  SECRET_EXPIRY_WARNING_DAYS,
  type HealthCheck,
  type ProviderHealth,
  type ProviderHealthResponse,
} from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { allowedProviderUrl, fetchProviderJson } from './provider-fetch.js';

/**
 * `providers/health`: per provider, whether the discovery document and the JWKS the login
 * relies on can be read (and say what they must), when someone last signed in through it and
 * when a sign-in was last refused (from the audit trail, at view time: the login path does no
 * extra work for this), and how long its client secret has left where the admin entered the date.
 *
 * Only the providers of the stored connections are fetched, at the URLs their owners saved: the
 * caller names a connection or provider by id, never a URL, so this is no way of making the app
 * fetch anything else. Fetches go through the host's fetch, the one logins use (egress rules
 * included), with short deadlines and size bounds; a result is reused for a minute, a "Check
 * again" only after `HEALTH_RECHECK_SECONDS`, and the whole installation fetches for at most
 * `HEALTH_CHECKS_PER_MINUTE` provider checks a minute, so the page cannot hammer a provider.
 */

/** A result this young is answered from the cache. */
export const HEALTH_CACHE_SECONDS = 60;
/** "Check again" fetches anew only when the last check is at least this old. */
export const HEALTH_RECHECK_SECONDS = 10;
/** Provider checks that fetch, per minute and installation. */
export const HEALTH_CHECKS_PER_MINUTE = 30;
/** Provider checks one call fetches at most (they run together, within Forge's 25 s). */
export const HEALTH_CHECKS_PER_CALL = 10;
/** Per document: discovery, then the JWKS, one after the other, well inside 25 s. */
export const HEALTH_TIMEOUT_MS = 5_000;
const MAX_DISCOVERY_BYTES = 512 * 1024;
const MAX_JWKS_BYTES = 256 * 1024;
/** Pages of the audit trail searched per connection and outcome (newest first). */
export const HEALTH_AUDIT_PAGES = 5;
/** How long a stored result is kept (as the last one, when a new check is rate-limited). */
const STORED_SECONDS = 600;

const DAY_MS = 24 * 3600 * 1000;

const requestSchema = z
  .strictObject({
    connectionId: z.string().regex(ID_PATTERN, 'not a connection id').optional(),
    providerId: z.string().regex(ID_PATTERN, 'not a provider id').optional(),
    recheck: z.boolean().optional(),
  })
  .refine((value) => value.providerId === undefined || value.connectionId !== undefined, { message: 'name the connection of the provider', path: ['connectionId'] });

/** The asymmetric JWS algorithms an ID token may be signed with (the bridge verifies every ID token: `enableNonRepudiationChecks`). */
const KEY_OF_ALGORITHM: Record<string, { kty: string; crv?: string; type: readonly string[] }> = {
  RS256: { kty: 'RSA', type: ['rsa'] },
  RS384: { kty: 'RSA', type: ['rsa'] },
  RS512: { kty: 'RSA', type: ['rsa'] },
  PS256: { kty: 'RSA', type: ['rsa', 'rsa-pss'] },
  PS384: { kty: 'RSA', type: ['rsa', 'rsa-pss'] },
  PS512: { kty: 'RSA', type: ['rsa', 'rsa-pss'] },
  ES256: { kty: 'EC', crv: 'P-256', type: ['ec'] },
  ES384: { kty: 'EC', crv: 'P-384', type: ['ec'] },
  ES512: { kty: 'EC', crv: 'P-521', type: ['ec'] },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', type: ['ed25519'] },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', type: ['ed25519'] },
};
const ASYMMETRIC_ALGORITHMS = Object.keys(KEY_OF_ALGORITHM);
/** Keys looked at per set: a provider publishes a handful. */
const MAX_KEYS = 100;

/** The client secret's expiry as the page shows it; undefined when no (valid) date was entered. */
export function secretExpiry(expiresAt: string | undefined, now: number): ProviderHealth['clientSecret'] {
  if (!expiresAt || !isCalendarDay(expiresAt)) return undefined;
  const today = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`);
  const daysLeft = Math.round((Date.parse(`${expiresAt}T00:00:00Z`) - today) / DAY_MS);
  return { expiresAt, daysLeft, state: daysLeft < 0 ? 'expired' : daysLeft <= SECRET_EXPIRY_WARNING_DAYS ? 'expires_soon' : 'ok' };
}

/** The algorithms an ID token of this provider may be signed with: its discovery document's (asymmetric ones), RS256 by default (Discovery §3). */
export function idTokenAlgorithms(discovery: Record<string, unknown> | undefined): string[] {
  if (!discovery) return ASYMMETRIC_ALGORITHMS;
  const listed = discovery.id_token_signing_alg_values_supported;
  if (!Array.isArray(listed)) return ['RS256'];
  return listed.filter((alg): alg is string => typeof alg === 'string' && Object.hasOwn(KEY_OF_ALGORITHM, alg)).slice(0, 20);
}

/** Whether `jwk` can verify a signature made with `alg`: meant for signing, of the right type and curve, and a public key Node can load. */
export function keyUsableFor(jwk: Record<string, unknown>, alg: string): boolean {
  const wanted = KEY_OF_ALGORITHM[alg];
  if (!wanted || jwk.kty !== wanted.kty || (wanted.crv && jwk.crv !== wanted.crv)) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  try {
    // The public members only: a set that (wrongly) publishes a private key is still judged by its public half.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...publicPart } = jwk;
    const key = createPublicKey({ key: publicPart as JsonWebKey, format: 'jwk' });
    if (!wanted.type.includes(key.asymmetricKeyType ?? '')) return false;
    // As at login: oauth4webapi refuses RSA keys shorter than 2048 bits.
    return wanted.kty !== 'RSA' || (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  } catch {
    return false;
  }
}

/** The JWKS check: a key set, its size, and whether one of its keys verifies ID tokens of `algorithms`. */
export function jwksVerdict(document: unknown, algorithms: readonly string[]): NonNullable<ProviderHealth['jwks']> {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (document === null || typeof document !== 'object' || Array.isArray(document) || !Array.isArray(keys)) {
    return { status: 'failed', failure: 'not_a_key_set', message: 'The JWKS URI returned JSON, but not a key set ({"keys": [...]}).' };
  }
  const objects = keys.slice(0, MAX_KEYS).filter((k): k is Record<string, unknown> => k !== null && typeof k === 'object' && !Array.isArray(k));
  const usable = algorithms.filter((alg) => objects.some((jwk) => keyUsableFor(jwk, alg)));
  if (!usable.length) {
    return {
      status: 'failed',
      failure: 'no_usable_key',
      keys: keys.length,
      algorithms: [...algorithms],
      message: `The key set holds ${keys.length} key${keys.length === 1 ? '' : 's'}, none of which can verify an ID token signed with ${algorithms.join(', ') || 'an asymmetric algorithm'}: logins would fail.`,
    };
  }
  return { status: 'ok', keys: keys.length, algorithms: usable };
}

/** Issuers compare as openid-client compares them at login: exactly (OIDC Discovery §4.3). */
function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

interface EndpointsCheck {
  discovery: HealthCheck;
  jwks: NonNullable<ProviderHealth['jwks']>;
}

/** Reads the discovery document (unless endpoints were entered by hand) and then the JWKS it, or the admin, names. */
async function checkEndpoints(ctx: AdminContext, oidc: NonNullable<ProviderRecord['oidc']> & { issuer: string }): Promise<EndpointsCheck> {
  const limits = { timeoutMs: HEALTH_TIMEOUT_MS };
  let discovery: HealthCheck;
  let jwksUri: string | undefined;
  let metadata: Record<string, unknown> | undefined;
  if (oidc.endpoints?.jwksUri) {
    discovery = { status: 'skipped', message: 'Not used: the endpoints were entered by hand.' };
    jwksUri = oidc.endpoints.jwksUri;
  } else {
    const documentUrl = discoveryUrlOf(oidc.issuer);
    if (!allowedProviderUrl(documentUrl, ctx.allowLoopbackHttp)) {
      discovery = { status: 'failed', failure: 'invalid_url', message: 'The issuer is not an https:// URL the bridge calls.' };
    } else {
      const fetched = await fetchProviderJson(ctx, documentUrl, { what: 'discovery document', maxBytes: MAX_DISCOVERY_BYTES, ...limits });
      const doc = fetched.ok && fetched.document !== null && typeof fetched.document === 'object' && !Array.isArray(fetched.document) ? (fetched.document as Record<string, unknown>) : undefined;
      if (!fetched.ok) discovery = { status: 'failed', failure: fetched.failure, message: fetched.message, ...(fetched.blockedHost ? { blockedHost: fetched.blockedHost } : {}) };
      else if (!doc) discovery = { status: 'failed', failure: 'not_json', message: `${documentUrl} did not return a JSON discovery document.` };
      else if (doc.issuer !== oidc.issuer) {
        // Nothing of the fetched document is repeated (as in `provider/discover`).
        discovery = {
          status: 'failed',
          failure: 'issuer_mismatch',
          message: `The discovery document names ${typeof doc.issuer === 'string' ? 'a different issuer than' : 'no issuer, not'} ${oidc.issuer}: logins compare the two exactly and fail. Save the issuer exactly as the provider names it.`,
        };
      } else if (typeof doc.jwks_uri !== 'string' || !allowedProviderUrl(doc.jwks_uri, ctx.allowLoopbackHttp)) {
        discovery = { status: 'failed', failure: 'missing_endpoints', message: 'The discovery document names no https:// jwks_uri, so ID tokens cannot be verified.' };
      } else {
        discovery = { status: 'ok' };
        jwksUri = doc.jwks_uri;
        metadata = doc;
      }
    }
  }
  if (!jwksUri) return { discovery, jwks: { status: 'skipped', message: 'Not checked: the discovery document, which names the JWKS URI, could not be used.' } };
  if (!allowedProviderUrl(jwksUri, ctx.allowLoopbackHttp)) {
    return { discovery, jwks: { status: 'failed', failure: 'invalid_url', message: 'The JWKS URI is not an https:// URL the bridge calls.' } };
  }
  const fetched = await fetchProviderJson(ctx, jwksUri, { what: 'key set', maxBytes: MAX_JWKS_BYTES, ...limits });
  if (!fetched.ok) {
    return { discovery, jwks: { status: 'failed', failure: fetched.failure, message: fetched.message, ...(fetched.blockedHost ? { blockedHost: fetched.blockedHost } : {}) } };
  }
  return { discovery, jwks: jwksVerdict(fetched.document, idTokenAlgorithms(metadata)) };
}

/** What is kept of a check (`storageKeys.providerHealth`): public values only. */
interface StoredHealth {
  v: 1;
  checkedAt: number;
  /** A digest of the issuer and endpoints checked: a result for other URLs is not this provider's. */
  basis: string;
  discovery: HealthCheck;
  jwks: NonNullable<ProviderHealth['jwks']>;
}

function basisOf(oidc: NonNullable<ProviderRecord['oidc']>): string {
  return createHash('sha256').update(JSON.stringify([oidc.issuer ?? '', oidc.endpoints ?? null])).digest('base64url').slice(0, 22);
}

function storedHealth(value: unknown, basis: string): StoredHealth | undefined {
  const stored = value as Partial<StoredHealth> | undefined;
  if (!stored || stored.v !== 1 || stored.basis !== basis || typeof stored.checkedAt !== 'number' || !stored.discovery || !stored.jwks) return undefined;
  return stored as StoredHealth;
}

interface Target {
  connection: ConnectionRecord;
  provider: ProviderRecord;
}

/** The endpoints part of one provider's health: from the cache, fetched now, or refused by the rate limit. */
async function endpointsHealth(ctx: AdminContext, target: Target, recheck: boolean, mayFetch: () => Promise<boolean>): Promise<Pick<ProviderHealth, 'state' | 'checkedAt' | 'discovery' | 'jwks'>> {
  const { connection, provider } = target;
  const oidc = provider.oidc;
  if (!oidc?.issuer) return { state: 'incomplete' };
  const now = ctx.ports.clock.now();
  const key = storageKeys.providerHealth(connection.id, provider.id);
  const basis = basisOf(oidc);
  const cached = storedHealth(await ctx.ports.store.get(key), basis);
  const age = cached ? now - cached.checkedAt : Number.POSITIVE_INFINITY;
  const fresh = age >= 0 && age < (recheck ? HEALTH_RECHECK_SECONDS : HEALTH_CACHE_SECONDS) * 1000;
  const shown = (stored: StoredHealth) => ({ checkedAt: new Date(stored.checkedAt).toISOString(), discovery: stored.discovery, jwks: stored.jwks });
  if (cached && fresh) return { state: 'checked', ...shown(cached) };
  if (!(await mayFetch())) return { state: 'rate_limited', ...(cached ? shown(cached) : {}) };
  const checked = await checkEndpoints(ctx, { ...oidc, issuer: oidc.issuer });
  const stored: StoredHealth = { v: 1, checkedAt: now, basis, ...checked };
  await ctx.ports.store.set(key, stored as unknown as Json, { ttlSeconds: STORED_SECONDS });
  return { state: 'checked', ...shown(stored) };
}

/**
 * A slot in this minute's budget of provider checks (and this call's). Counted before the fetch,
 * so concurrent calls cannot overrun it together.
 */
function fetchBudget(ctx: AdminContext): () => Promise<boolean> {
  let taken = 0;
  return async () => {
    if (taken >= HEALTH_CHECKS_PER_CALL) return false;
    taken++;
    const window = Math.floor(ctx.ports.clock.now() / 60_000);
    const count = await ctx.ports.store.increment(storageKeys.providerHealthChecks(window), { ttlSeconds: 120 });
    return count <= HEALTH_CHECKS_PER_MINUTE;
  };
}

type LastLogins = Map<string, { success?: LoginAuditRecord; failure?: LoginAuditRecord }>;

/**
 * The newest successful and refused sign-in through each of `providerIds` of a connection, from
 * the audit trail (newest first, `HEALTH_AUDIT_PAGES` pages per outcome at most). Connection
 * tests are left out: they try the wizard's settings, not what users sign in with.
 */
export async function lastLogins(audit: AuditTrail, connectionId: string, providerIds: readonly string[]): Promise<{ found: LastLogins; searched: 'all' | 'recent' }> {
  const found: LastLogins = new Map(providerIds.map((id) => [id, {}]));
  let searched: 'all' | 'recent' = 'all';
  for (const outcome of ['ok', 'refused'] as const) {
    const slot = outcome === 'ok' ? 'success' : 'failure';
    let cursor: string | undefined;
    for (let page = 0; page < HEALTH_AUDIT_PAGES; page++) {
      const result = await audit.query({ kind: 'login', connectionId, outcome, limit: AUDIT_PAGE_MAX, ...(cursor ? { cursor } : {}) });
      for (const record of result.records) {
        if (record.kind !== 'login' || record.flow === 'test' || !record.providerId) continue;
        const entry = found.get(record.providerId);
        if (entry && !entry[slot]) entry[slot] = record;
      }
      cursor = result.next;
      if (!cursor || [...found.values()].every((entry) => entry[slot])) break;
      if (page === HEALTH_AUDIT_PAGES - 1) searched = 'recent';
    }
  }
  return { found, searched };
}

function isBridgeErrorCode(code: string | undefined): code is BridgeErrorCode {
  return code !== undefined && (bridgeErrorCodes as string[]).includes(code);
}

/** Time, reference and code only: the email and subject of the record stay in the audit trail. */
function loginsOf(entry: { success?: LoginAuditRecord; failure?: LoginAuditRecord } | undefined): Pick<ProviderHealth, 'lastSuccess' | 'lastFailure'> {
  const { success, failure } = entry ?? {};
  return {
    ...(success ? { lastSuccess: { time: new Date(success.time).toISOString(), reference: success.reference } } : {}),
    ...(failure
      ? {
          lastFailure: {
            time: new Date(failure.time).toISOString(),
            reference: failure.reference,
            ...(failure.code ? { code: failure.code } : {}),
            ...(isBridgeErrorCode(failure.code) ? { codeTitle: publicError(failure.code).title } : {}),
          },
        }
      : {}),
  };
}

export async function providersHealth(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ProviderHealthResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { connectionId, providerId, recheck = false } = parsed.value;
  const read = await readConnections(ctx.ports.store);
  const connections = read.state === 'ok' ? read.document.connections : [];
  const chosen = connectionId === undefined ? connections : connections.filter((c) => c.id === connectionId);
  if (connectionId !== undefined && !chosen.length) return badRequest('There is no such connection.');
  const targets: Target[] = chosen.flatMap((connection) =>
    connection.providers.filter((p) => providerId === undefined || p.id === providerId).map((provider) => ({ connection, provider })),
  );
  if (providerId !== undefined && !targets.length) return badRequest('There is no such provider in this connection.');

  const mayFetch = fetchBudget(ctx);
  const now = ctx.ports.clock.now();
  const endpoints = await Promise.all(targets.map((target) => endpointsHealth(ctx, target, recheck, mayFetch)));
  const limited = endpoints.filter((e) => e.state === 'rate_limited').length;
  if (limited) ctx.ports.logger.log('warn', 'admin.provider_health_limited', { providers: limited });

  const logins = new Map<string, Awaited<ReturnType<typeof lastLogins>>>();
  if (ctx.audit) {
    for (const connection of chosen) {
      const ids = targets.filter((t) => t.connection.id === connection.id).map((t) => t.provider.id);
      if (ids.length) logins.set(connection.id, await lastLogins(ctx.audit, connection.id, ids));
    }
  }
  const providers = targets.map(({ connection, provider }, i): ProviderHealth => {
    const searched = logins.get(connection.id);
    const secret = secretExpiry(provider.oidc?.clientSecretExpiresAt, now);
    return {
      connectionId: connection.id,
      connectionName: connection.name,
      providerId: provider.id,
      providerName: provider.name,
      ...endpoints[i]!,
      ...loginsOf(searched?.found.get(provider.id)),
      loginsSearched: searched?.searched ?? 'none',
      ...(secret ? { clientSecret: secret } : {}),
    };
  });
  return { providers };
}
