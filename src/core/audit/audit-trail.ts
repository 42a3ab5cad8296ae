/**
 * The audit trail: one record per login attempt (from the SSO URL to the answer) and one per
 * configuration change. The customer's own record of who signed in: emails and subjects live
 * here, never in log lines. Kept `AUDIT_RETENTION_DAYS`; every store also checks the expiry
 * itself (Forge may serve expired values after their TTL).
 *
 * The port is implemented on SQLite (standalone), on Forge custom entities, and in memory for
 * the tests; one contract suite (`test/contract/audit-trail.contract.test.ts`) runs over all.
 */

export const AUDIT_RETENTION_DAYS = 30;
export const AUDIT_RETENTION_MS = AUDIT_RETENTION_DAYS * 24 * 60 * 60 * 1000;

/** Largest page a query returns. */
export const AUDIT_PAGE_MAX = 200;

export type AuditOutcome = 'ok' | 'refused';

interface AuditRecordBase {
  /**
   * The reference id (`R-XXXX-XXXX`): the one on the end user's page, the same for both legs of
   * a login. Unique; the record's key.
   */
  reference: string;
  /** When the attempt started or the change was made (ms since the epoch). */
  time: number;
  /** The connection concerned; absent for a login refused before its connection was known. */
  connectionId?: string;
}

export interface LoginAuditRecord extends AuditRecordBase {
  kind: 'login';
  /** `sp`: started by an AuthnRequest; `test`: the wizard's connection test; `idp` reserved. */
  flow: 'sp' | 'test' | 'idp';
  providerId?: string;
  outcome: AuditOutcome;
  /** The `BridgeErrorCode` of a refusal. */
  code?: string;
  /** Lower case, as the provider asserted it (after the bridge's checks), when known. */
  email?: string;
  subject?: string;
  samlRequestId?: string;
  samlResponseId?: string;
  /** From the first leg to the answer. */
  durationMs: number;
}

export interface ChangeAuditRecord extends AuditRecordBase {
  kind: 'change';
  /** Who made the change: an Atlassian account id, or `standalone-admin`. */
  actor: string;
  /** What was done, such as `connection.update`, `connection.create`, `connection.delete`. */
  action: string;
  /** The dotted paths of the fields that changed; never a value (secrets appear only by name). */
  fields: string[];
  outcome: AuditOutcome;
}

export type AuditRecord = LoginAuditRecord | ChangeAuditRecord;

/** Filters combine with AND; every one is optional. Results come newest first. */
export interface AuditQuery {
  kind?: AuditRecord['kind'];
  /** Exact match, case-insensitive. */
  email?: string;
  outcome?: AuditOutcome;
  connectionId?: string;
  /** Inclusive lower bound on `time` (ms). */
  from?: number;
  /** Exclusive upper bound on `time` (ms). */
  to?: number;
  /** At most `AUDIT_PAGE_MAX`. */
  limit: number;
  /** Opaque, from the previous page's `next`. */
  cursor?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Present when more records match. */
  next?: string;
}

export interface AuditTrail {
  /**
   * One storage write. A reference already recorded is kept, never overwritten. The record is
   * kept in the canonical form of `normaliseAuditRecord` (audit-query.ts): email lower case,
   * over-long text cut, unknown properties dropped; a malformed one throws `TypeError`.
   */
  record(entry: AuditRecord): Promise<void>;
  /** The record with this reference (as typed: case and surrounding spaces ignored), unless it has expired. */
  get(reference: string): Promise<AuditRecord | undefined>;
  /**
   * Newest first (ties in time by reference); records older than the retention period never
   * appear. A query the trail cannot run (unknown kind or outcome, a limit below 1, a bound that
   * is not a number, a filter longer than any stored value, a cursor it did not hand out)
   * throws `AuditQueryError` (audit-query.ts), naming the field.
   */
  query(query: AuditQuery): Promise<AuditPage>;
}
