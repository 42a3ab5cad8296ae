import { createHash } from 'node:crypto';
import type { BridgeConfig, ConfigProblem } from './config.js';
import type { BridgeError, BridgeErrorCode } from './errors.js';
import type { Json, KeyValueStore } from './ports.js';
import { storageKeys } from './storage-keys.js';
import { writeBindingCookieCheck } from './browser-binding.js';
import type { SamlSubject } from '../downstream-saml/saml-subject.js';

/**
 * The connection test of the setup wizard (step 4): a real login at the provider through the
 * same upstream code and the same callback URL as every login, whose result is stored for the
 * admin instead of being posted to Atlassian. This module holds the test's configuration type
 * and the stored results; the flow itself is in `login-flow.ts`, the resolvers in `admin/`.
 */

/**
 * The configuration a connection test runs with: the saved provider and user settings, with
 * placeholder service-provider values (a test must work before Guard's values are pasted, and
 * must never be able to address Guard).
 */
export interface TestConfig {
  config: BridgeConfig;
  /** False while no allowed email domains are saved: the test reports the domain, unchecked. */
  checksDomains: boolean;
  /** Identifies the provider settings (secret included, hashed) the test ran with; of a draft, the whole draft too (`draftFingerprint`). */
  providerFingerprint: string;
  /** The test ran against the connection's draft (`connection-draft.ts`), not its applied settings. */
  draft?: boolean;
}

/** How long a finished test's result (with the test user's claims) stays readable. */
export const TEST_RESULT_TTL_SECONDS = 24 * 60 * 60;

/**
 * A fingerprint of everything that decides whether a login at the provider works. A passing
 * test counts only while the current settings have the same fingerprint; the secret enters only
 * through SHA-256 and the fingerprint never leaves the store.
 */
export function providerFingerprint(config: BridgeConfig): string {
  const { issuer, clientId, clientSecret, scopes, clientAuthMethod, endpoints } = config.oidc;
  return createHash('sha256')
    .update(JSON.stringify([issuer, clientId, clientSecret, scopes, clientAuthMethod, endpoints ?? null, config.urls.callback]))
    .digest('base64url');
}

/** A short, key-safe digest of who started a test, so one admin's test is not read by another. */
export function actorHash(actor: string): string {
  return createHash('sha256').update(actor).digest('base64url').slice(0, 22);
}

/**
 * Who acted, as a log line names them: a digest, not the Atlassian account id (on Forge the
 * app's logs leave the customer's site; the audit trail, in its own storage, names the admin).
 * The same admin always has the same digest, so log lines can still be followed.
 */
export function loggedActor(actor: string): string {
  return `admin-${actorHash(actor).slice(0, 12)}`;
}

export interface StoredAttribute {
  name: string;
  values: string[];
}

interface TestRecordBase {
  v: 1;
  actorHash: string;
  createdAt: number;
  /**
   * Whether the binding cookie set at the test's start URL came back at the callback through
   * this host. Absent when the test did not get that far (or started before this was measured).
   */
  bindingCookie?: 'seen' | 'not_seen';
}

/** A test as stored under `storageKeys.testResult(testId)`. */
export type TestRecord =
  | (TestRecordBase & { state: 'pending'; expiresAt: number })
  | (TestRecordBase & {
      state: 'succeeded';
      finishedAt: number;
      claims: Record<string, Json>;
      nameId: string;
      nameIdFormat: string;
      attributes: StoredAttribute[];
      warnings: ConfigProblem[];
    })
  | (TestRecordBase & { state: 'failed'; finishedAt: number; code: BridgeErrorCode; reference: string; claims?: Record<string, Json> });

/** The claims of the latest finished test, for the user-mapping preview of step 7. */
export interface LastTestClaims {
  claims: Record<string, Json>;
  finishedAt: number;
  /** Own expiry: Forge KVS may serve a value past its TTL. */
  expiresAt: number;
}

/** Which provider settings passed the last successful test. No personal data. */
export interface TestPassed {
  fingerprint: string;
  at: number;
}

/** What the callback of a test transaction produced. */
export type TestOutcome =
  | { ok: true; claims: Readonly<Record<string, unknown>>; subject: SamlSubject; warnings: ConfigProblem[] }
  /** `error` carries the private detail for the log; only `code` is stored. */
  | { ok: false; code: BridgeErrorCode; error: BridgeError; claims?: Readonly<Record<string, unknown>> };

/**
 * What a stored test keeps at most. A result lives in one KVS value (240 KiB on Forge) and the
 * claims once more for the preview: a claim value larger than `MAX_CLAIM_CHARS` is shown as a
 * marker, and past `MAX_CLAIMS_CHARS` in all every further claim is, so a provider that sends
 * megabytes of claims costs a few dozen kilobytes. The attributes (groups, mostly) likewise.
 */
export const TEST_STORAGE_LIMITS = {
  claims: 100,
  claimChars: 4096,
  claimsChars: 48 * 1024,
  attributes: 50,
  attributeValues: 200,
  attributeValueChars: 512,
  attributesChars: 32 * 1024,
} as const;

/** What a stored test keeps of a claim too large to keep (`storableClaims`). */
function tooLargeMarker(length: number): string {
  return `(${length} characters, too large to show)`;
}

/** Whether a stored claim is the marker of one too large to keep, not what the provider sent. */
export function isTooLargeMarker(value: unknown): boolean {
  return typeof value === 'string' && /^\(\d+ characters, too large to show\)$/.test(value);
}

/** JSON-safe, bounded copy of the claims (never mutates the input). */
export function storableClaims(claims: Readonly<Record<string, unknown>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  let total = 0;
  for (const [name, value] of Object.entries(claims).slice(0, TEST_STORAGE_LIMITS.claims)) {
    if (value === undefined) continue;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) continue;
    const key = name.slice(0, 200);
    const fits = json.length <= TEST_STORAGE_LIMITS.claimChars && total + key.length + json.length <= TEST_STORAGE_LIMITS.claimsChars;
    out[key] = fits ? (JSON.parse(json) as Json) : tooLargeMarker(json.length);
    total += key.length + (fits ? json.length : 50);
  }
  return out;
}

/** A bounded copy of the SAML attributes a test would send (a groups claim can be huge). */
export function storableAttributes(attributes: readonly { name: string; values: readonly string[] }[]): StoredAttribute[] {
  let total = 0;
  const out: StoredAttribute[] = [];
  for (const attribute of attributes.slice(0, TEST_STORAGE_LIMITS.attributes)) {
    const values: string[] = [];
    for (const value of attribute.values.slice(0, TEST_STORAGE_LIMITS.attributeValues)) {
      const kept = value.length > TEST_STORAGE_LIMITS.attributeValueChars ? `${value.slice(0, TEST_STORAGE_LIMITS.attributeValueChars)}…` : value;
      if (total + kept.length > TEST_STORAGE_LIMITS.attributesChars) break;
      total += kept.length;
      values.push(kept);
    }
    if (values.length < attribute.values.length) values.push(`(${attribute.values.length - values.length} more values not shown)`);
    out.push({ name: attribute.name.slice(0, 200), values });
  }
  return out;
}

export async function readTestRecord(store: KeyValueStore, testId: string): Promise<TestRecord | undefined> {
  const record = await store.get<TestRecord & Json>(storageKeys.testResult(testId));
  return record && typeof record === 'object' && record.v === 1 ? record : undefined;
}

export async function writeTestRecord(store: KeyValueStore, testId: string, record: TestRecord, ttlSeconds = TEST_RESULT_TTL_SECONDS): Promise<void> {
  await store.set(storageKeys.testResult(testId), record as unknown as Json, { ttlSeconds });
}

/**
 * Stores what a test callback produced under the test's id (keeping who started it), the
 * claims for the preview, for a success the fingerprint that makes `testPassed` true, and what
 * the test saw of the binding cookie (`BindingCookieCheck`, which decides whether logins bind).
 */
export async function recordTestOutcome(
  store: KeyValueStore,
  input: {
    testId: string;
    connectionId: string;
    providerId: string;
    reference: string;
    outcome: TestOutcome;
    fingerprint: string | undefined;
    /** The fingerprint is of a draft: a pass counts for the draft, not for the applied settings. */
    draft?: boolean;
    now: number;
    /** From the callback's `TakenLogin`: did the cookie set at the start URL come back? */
    bindingCookie?: 'seen' | 'not_seen';
  },
): Promise<void> {
  const { testId, reference, outcome, fingerprint, now } = input;
  const pending = await readTestRecord(store, testId);
  const claims = outcome.claims ? storableClaims(outcome.claims) : undefined;
  // Claims exist only once the provider redeemed the test's code (PKCE, state, ID token): the
  // observation then comes from a real round trip of the admin's test through the provider, not
  // from anyone who merely knows a URL. Only then does it change how logins are bound.
  const observed = claims && input.bindingCookie ? input.bindingCookie : undefined;
  const base = {
    v: 1 as const,
    actorHash: pending?.actorHash ?? '',
    createdAt: pending?.createdAt ?? now,
    ...(observed ? { bindingCookie: observed } : {}),
  };
  const record: TestRecord = outcome.ok
    ? {
        ...base,
        state: 'succeeded',
        finishedAt: now,
        claims: claims ?? {},
        nameId: outcome.subject.nameId.slice(0, 1024),
        nameIdFormat: outcome.subject.nameIdFormat,
        attributes: storableAttributes(outcome.subject.attributes),
        warnings: outcome.warnings,
      }
    : { ...base, state: 'failed', finishedAt: now, code: outcome.code, reference, ...(claims ? { claims } : {}) };
  await writeTestRecord(store, testId, record);
  if (claims) {
    const last: LastTestClaims = { claims, finishedAt: now, expiresAt: now + TEST_RESULT_TTL_SECONDS * 1000 };
    // Kept for the admin who started the test (their `users/preview`), not for every admin.
    if (pending?.actorHash) {
      await store.set(storageKeys.wizardLastTest(input.connectionId, input.providerId, pending.actorHash), last as unknown as Json, { ttlSeconds: TEST_RESULT_TTL_SECONDS });
    }
  }
  if (observed) await writeBindingCookieCheck(store, { v: 1, seen: observed === 'seen', at: now });
  if (outcome.ok && fingerprint) {
    const passed: TestPassed = { fingerprint, at: now };
    const key = input.draft ? storageKeys.draftTestPassed(input.connectionId, input.providerId) : storageKeys.wizardTestPassed(input.connectionId, input.providerId);
    await store.set(key, passed as unknown as Json);
  }
}
