import {
  auditExpired,
  auditPage,
  auditReferenceLookup,
  compareNewestFirst,
  normaliseAuditQuery,
  normaliseAuditRecord,
  type AuditPosition,
  type NormalisedAuditQuery,
} from '../../src/core/audit/audit-query.js';
import type { AuditPage, AuditQuery, AuditRecord, AuditTrail } from '../../src/core/audit/audit-trail.js';
import type { Clock } from '../../src/core/ports.js';

/**
 * The audit trail in memory, for tests that call the core directly. A faithful store, held to
 * the same contract suite as SQLite and Forge (test/contract/audit-trail.contract.test.ts):
 * records kept as JSON copies in the trail's order, queries walk that order from the cursor,
 * records past the retention period are never returned and are dropped as new ones arrive.
 * No indexes: a filter is checked on every record of the time range.
 */

interface Entry extends AuditPosition {
  json: string;
  record: AuditRecord;
}

export class MemoryAuditTrail implements AuditTrail {
  /** Oldest first, so that records arriving as they happen are appended; queries walk it backwards. */
  private readonly entries: Entry[] = [];
  private readonly byReference = new Map<string, Entry>();
  /** Operations that should fail next, by kind; each failure consumes one. */
  readonly failNext = { read: 0, write: 0 };

  constructor(private readonly clock: Clock) {}

  /** How many records are held, expired ones not yet dropped included. */
  get size(): number {
    return this.entries.length;
  }

  async record(entry: AuditRecord): Promise<void> {
    this.maybeFail('write');
    const record = normaliseAuditRecord(entry);
    const now = this.clock.now();
    this.dropExpired(now);
    // Expired records went just above, so a reference still held is one to keep.
    if (auditExpired(record.time, now) || this.byReference.has(record.reference)) return;
    const added: Entry = { time: record.time, reference: record.reference, json: JSON.stringify(record), record };
    this.entries.splice(this.entries.length - this.countAtOrNewer(added), 0, added);
    this.byReference.set(added.reference, added);
  }

  async get(reference: string): Promise<AuditRecord | undefined> {
    this.maybeFail('read');
    const key = auditReferenceLookup(reference);
    const entry = key === undefined ? undefined : this.byReference.get(key);
    if (!entry || auditExpired(entry.time, this.clock.now())) return undefined;
    return JSON.parse(entry.json) as AuditRecord;
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    this.maybeFail('read');
    const q = normaliseAuditQuery(query, this.clock.now());
    if (q.empty) return { records: [] };
    // Skip what is not older than the upper bound: the cursor's record, or for `to` a position
    // behind every record of the ms before it (no reference sorts after U+10FFFF).
    const upper = q.after ?? (q.to !== undefined ? { time: q.to - 1, reference: '\u{10FFFF}' } : undefined);
    const skip = upper === undefined ? 0 : this.countAtOrNewer(upper);
    const matches: AuditRecord[] = [];
    for (let i = this.entries.length - 1 - skip; i >= 0 && matches.length <= q.limit; i -= 1) {
      const entry = this.entries[i]!;
      if (entry.time < q.from) break;
      if (matchesFilters(entry.record, q)) matches.push(JSON.parse(entry.json) as AuditRecord);
    }
    return auditPage(matches, q.limit);
  }

  /** How many entries are at `position` or newer: the last ones (binary search). */
  private countAtOrNewer(position: AuditPosition): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareNewestFirst(this.entries[middle]!, position) > 0) low = middle + 1;
      else high = middle;
    }
    return this.entries.length - low;
  }

  /** The oldest entries are first: drop them while they are past the retention period. */
  private dropExpired(now: number): void {
    let expired = 0;
    while (expired < this.entries.length && auditExpired(this.entries[expired]!.time, now)) expired += 1;
    for (const entry of this.entries.splice(0, expired)) this.byReference.delete(entry.reference);
  }

  private maybeFail(kind: 'read' | 'write'): void {
    if (this.failNext[kind] > 0) {
      this.failNext[kind] -= 1;
      throw new Error(`memory audit trail: simulated ${kind} failure`);
    }
  }
}

function matchesFilters(record: AuditRecord, q: NormalisedAuditQuery): boolean {
  return (
    (q.kind === undefined || record.kind === q.kind) &&
    (q.outcome === undefined || record.outcome === q.outcome) &&
    (q.connectionId === undefined || record.connectionId === q.connectionId) &&
    (q.email === undefined || (record.kind === 'login' && record.email === q.email))
  );
}
