import { createHash } from 'node:crypto';
import {
  AUDIT_PAGE_MAX,
  AUDIT_RETENTION_MS,
  type AuditOutcome,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type ChangeAuditRecord,
  type LoginAuditRecord,
} from './audit-trail.js';

/**
 * What every `AuditTrail` store shares, so that the stores differ only in how they speak to
 * their platform: the checks and canonical form of a record before it is written, the checks
 * and normal form of a query before it runs, the cursor, the order of results, the page, and
 * which filter is looked up by index.
 *
 * Order: newest first by `time`, ties broken by `reference` (descending, by UTF-16 code unit,
 * which for references is plain ASCII order). `(time, reference)` is unique, so a cursor that
 * holds the last record's position continues exactly after it, whatever was written since.
 */

/** References as `newReference` makes them (`R-4F7K-2M9Q`); also a valid Forge KVS key. */
export const AUDIT_REFERENCE_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,63}$/;

/**
 * Longest email or connection id kept. They are index keys (Forge custom-entity partitions,
 * SQLite index columns): an address longer than RFC 5321 allows is cut to this on record, and a
 * query for a longer one is refused.
 */
export const AUDIT_KEY_TEXT_MAX = 320;
/** Longest other text kept (subject, SAML ids, actor, field paths); longer text is cut. */
export const AUDIT_TEXT_MAX = 1024;
/** Most field paths a change record keeps. */
export const AUDIT_FIELDS_MAX = 100;

/** A query the trail cannot run, named by its field; the admin API answers it as a bad request. */
export class AuditQueryError extends Error {
  override readonly name = 'AuditQueryError';
  constructor(
    readonly field: 'kind' | 'email' | 'outcome' | 'connectionId' | 'from' | 'to' | 'limit' | 'cursor',
    message: string,
  ) {
    super(message);
  }
}

/** Where a record sits in the newest-first order. */
export interface AuditPosition {
  time: number;
  reference: string;
}

export interface NormalisedAuditQuery {
  kind?: AuditRecord['kind'];
  /** Lower case. */
  email?: string;
  outcome?: AuditOutcome;
  connectionId?: string;
  /** Inclusive, whole ms, never before the retention period: expired records are never found. */
  from: number;
  /** Exclusive, whole ms. Never together with `after`: the tighter of the two is kept. */
  to?: number;
  /** From the cursor: only records strictly after this position (older). */
  after?: AuditPosition;
  /** 1 to `AUDIT_PAGE_MAX`. */
  limit: number;
  /** The bounds leave nothing to find: a store answers an empty page without asking storage. */
  empty: boolean;
}

/** A record is kept while `time + AUDIT_RETENTION_MS > now`. */
export function auditExpired(time: number, now: number): boolean {
  return time + AUDIT_RETENTION_MS <= now;
}

/** The oldest `time` still kept at `now`. */
export function auditRetentionStart(now: number): number {
  return Math.floor(now) - AUDIT_RETENTION_MS + 1;
}

/** Negative when `a` comes first (is newer). */
export function compareNewestFirst(a: AuditPosition, b: AuditPosition): number {
  if (a.time !== b.time) return b.time - a.time;
  return a.reference < b.reference ? 1 : a.reference > b.reference ? -1 : 0;
}

const CURSOR_FORM = /^a1\.([A-Za-z0-9_-]{1,120})\.([A-Za-z0-9_-]{8})$/;
const CURSOR_POSITION = /^(\d{1,16}):([A-Z0-9][A-Z0-9-]{0,63})$/;

/**
 * A check on the cursor's body. Not a secret: a cursor is only a position, and one made by
 * hand finds nothing it could not find with `from` and `to`. It turns a cursor cut short or
 * garbled on its way through the admin page into a clear error instead of a wrong page.
 */
function cursorCheck(body: string): string {
  return createHash('sha256').update(`audit-cursor:${body}`).digest('base64url').slice(0, 8);
}

/** The cursor after `position`: opaque to callers, a plain position for the stores. */
export function encodeAuditCursor(position: AuditPosition): string {
  const body = Buffer.from(`${position.time}:${position.reference}`, 'utf8').toString('base64url');
  return `a1.${body}.${cursorCheck(body)}`;
}

/** The position in a cursor; anything not made by `encodeAuditCursor` is an `AuditQueryError`. */
export function decodeAuditCursor(cursor: unknown): AuditPosition {
  const form = typeof cursor === 'string' ? CURSOR_FORM.exec(cursor) : null;
  const match = form && form[2] === cursorCheck(form[1]!) ? CURSOR_POSITION.exec(Buffer.from(form[1]!, 'base64url').toString('utf8')) : null;
  const time = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(time)) throw new AuditQueryError('cursor', 'The cursor is not one this trail handed out.');
  return { time, reference: match[2]! };
}

/**
 * The first `limit` of `matches` (newest first, at most `limit + 1` of them: the extra one only
 * says that more exist) as a page.
 */
export function auditPage(matches: AuditRecord[], limit: number): AuditPage {
  if (matches.length <= limit) return { records: matches };
  const records = matches.slice(0, limit);
  return { records, next: encodeAuditCursor(records[records.length - 1]!) };
}

/**
 * The filter a store looks up by index; it checks the others on the rows that index yields.
 * Most selective first: one person's logins, one connection's, configuration changes (few
 * beside the logins), an outcome; otherwise time alone.
 */
export type AuditIndex = 'email' | 'connectionId' | 'kind' | 'outcome' | 'time';

export function auditIndexFor(query: NormalisedAuditQuery): AuditIndex {
  if (query.email !== undefined) return 'email';
  if (query.connectionId !== undefined) return 'connectionId';
  if (query.kind === 'change') return 'kind';
  if (query.outcome !== undefined) return 'outcome';
  if (query.kind !== undefined) return 'kind';
  return 'time';
}

function optionalText(value: unknown, field: 'email' | 'connectionId', normalise: (text: string) => string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuditQueryError(field, `${field} must be text.`);
  const normal = normalise(value.replace(LONE_SURROGATE, '\uFFFD'));
  if (normal.length > AUDIT_KEY_TEXT_MAX) throw new AuditQueryError(field, `${field} is longer than ${AUDIT_KEY_TEXT_MAX} characters.`);
  // A field left empty in the admin page's form filters nothing.
  return normal === '' ? undefined : normal;
}

function optionalBound(value: unknown, field: 'from' | 'to'): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AuditQueryError(field, `${field} must be a time in ms.`);
  // Times are whole ms, so time >= 1.5 means time >= 2 and time < 1.5 means time < 2.
  return Math.ceil(value);
}

/**
 * Checks a query (which may come straight from the admin page) and puts it in the form the
 * stores run: email lower case, bounds in whole ms with the retention period applied, the
 * cursor decoded, the limit capped at `AUDIT_PAGE_MAX`.
 */
export function normaliseAuditQuery(query: AuditQuery, now: number): NormalisedAuditQuery {
  const { kind, outcome, limit } = query as { kind?: unknown; outcome?: unknown; limit?: unknown };
  if (kind !== undefined && kind !== 'login' && kind !== 'change') throw new AuditQueryError('kind', "kind is 'login' or 'change'.");
  if (outcome !== undefined && outcome !== 'ok' && outcome !== 'refused') throw new AuditQueryError('outcome', "outcome is 'ok' or 'refused'.");
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 1) throw new AuditQueryError('limit', 'limit must be a number from 1.');
  const email = optionalText(query.email, 'email', (value) => value.trim().toLowerCase());
  const connectionId = optionalText(query.connectionId, 'connectionId', (value) => value);
  const requestedFrom = optionalBound(query.from, 'from');
  let to = optionalBound(query.to, 'to');
  let after = query.cursor === undefined || query.cursor === '' ? undefined : decodeAuditCursor(query.cursor);
  // Of two upper bounds only the tighter one matters; a store then reads one index range.
  if (after !== undefined && to !== undefined) {
    if (after.time < to) to = undefined;
    else after = undefined;
  }
  const from = Math.max(requestedFrom ?? Number.NEGATIVE_INFINITY, auditRetentionStart(now));
  const empty = (to !== undefined && to <= from) || (after !== undefined && after.time < from);
  return {
    ...(kind !== undefined ? { kind } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(outcome !== undefined ? { outcome } : {}),
    ...(connectionId !== undefined ? { connectionId } : {}),
    from,
    ...(to !== undefined ? { to } : {}),
    ...(after ? { after } : {}),
    limit: Math.min(Math.floor(limit), AUDIT_PAGE_MAX),
    empty,
  };
}

/** The reference an admin typed, in the stored form, or undefined when it cannot be one. */
export function auditReferenceLookup(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const normal = reference.trim().toUpperCase();
  return AUDIT_REFERENCE_PATTERN.test(normal) ? normal : undefined;
}

/** Lone surrogate halves: UTF-8 stores (SQLite, Forge) would turn them into U+FFFD anyway. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(value: unknown, name: string, max: number, normalise = (text: string) => text): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`audit record: ${name} must be a string`);
  const normal = normalise(value.replace(LONE_SURROGATE, '\uFFFD'));
  if (normal.length <= max) return normal;
  // Never cut between the two halves of a surrogate pair: a lone half does not survive UTF-8.
  const cut = normal.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Email and connection id are index keys, where an empty string means nothing. */
function keyText(value: unknown, name: string, normalise?: (text: string) => string): string | undefined {
  const result = text(value, name, AUDIT_KEY_TEXT_MAX, normalise);
  return result === '' ? undefined : result;
}

function requiredText(value: unknown, name: string, max: number): string {
  const result = text(value, name, max);
  if (result === undefined) throw new TypeError(`audit record: ${name} is required`);
  return result;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new TypeError(`audit record: ${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Builds an object without the properties that are undefined (stores keep JSON). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The canonical form of a record, as every store keeps and returns it: known properties only,
 * in a fixed order, email lower case, over-long text cut. A record is never refused for what a
 * provider sent (it would lose the trace of a failed login); a malformed one from the caller
 * (no reference, a time that is not whole ms) is a programming error and throws `TypeError`.
 */
export function normaliseAuditRecord(entry: AuditRecord): AuditRecord {
  const input = entry as unknown as Record<string, unknown>;
  const reference = input.reference;
  if (typeof reference !== 'string' || !AUDIT_REFERENCE_PATTERN.test(reference)) {
    throw new TypeError('audit record: reference must look like R-XXXX-XXXX');
  }
  const time = input.time;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) throw new TypeError('audit record: time must be whole ms since the epoch');
  const kind = oneOf(input.kind, 'kind', ['login', 'change'] as const);
  const outcome = oneOf(input.outcome, 'outcome', ['ok', 'refused'] as const);
  const connectionId = keyText(input.connectionId, 'connectionId');

  if (kind === 'change') {
    const fields = input.fields;
    if (!Array.isArray(fields)) throw new TypeError('audit record: fields must be an array');
    const record: ChangeAuditRecord = defined({
      kind,
      reference,
      time,
      connectionId,
      actor: requiredText(input.actor, 'actor', AUDIT_TEXT_MAX),
      action: requiredText(input.action, 'action', AUDIT_TEXT_MAX),
      fields: fields.slice(0, AUDIT_FIELDS_MAX).map((field, i) => requiredText(field, `fields[${i}]`, AUDIT_TEXT_MAX)),
      outcome,
    });
    return record;
  }

  const durationMs = input.durationMs;
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) throw new TypeError('audit record: durationMs must be a number from 0');
  const record: LoginAuditRecord = defined({
    kind,
    reference,
    time,
    connectionId,
    flow: oneOf(input.flow, 'flow', ['sp', 'test', 'idp'] as const),
    providerId: text(input.providerId, 'providerId', AUDIT_KEY_TEXT_MAX),
    outcome,
    code: text(input.code, 'code', AUDIT_TEXT_MAX),
    email: keyText(input.email, 'email', (value) => value.toLowerCase()),
    subject: text(input.subject, 'subject', AUDIT_TEXT_MAX),
    samlRequestId: text(input.samlRequestId, 'samlRequestId', AUDIT_TEXT_MAX),
    samlResponseId: text(input.samlResponseId, 'samlResponseId', AUDIT_TEXT_MAX),
    durationMs: Math.round(durationMs),
  });
  return record;
}
