import type Database from 'better-sqlite3';
import { AUDIT_RETENTION_MS, type AuditPage, type AuditQuery, type AuditRecord, type AuditTrail } from '../core/audit/audit-trail.js';
import {
  auditExpired,
  auditIndexFor,
  auditPage,
  auditReferenceLookup,
  normaliseAuditQuery,
  normaliseAuditRecord,
  type AuditIndex,
} from '../core/audit/audit-query.js';
import type { Clock } from '../core/ports.js';

/**
 * The audit trail of the standalone server: a table `audit` in the server's SQLite file (the
 * `Database` of `SqliteStore`, shared: one connection, one set of pragmas, closed with it).
 *
 * Each row holds the record's JSON and, as columns, what the queries search by. Every filter
 * has an index that ends in `(time, reference)`, the order of the results, so a page is one
 * index range read backwards from the cursor: no sort, no scan of what came before. The query
 * names its index (`INDEXED BY`, chosen by `auditIndexFor` as on Forge) rather than leaving a
 * planner without statistics to guess between two equally plausible ones.
 *
 * Retention: rows past `AUDIT_RETENTION_MS` are never read (every statement bounds `time`),
 * and `record` deletes them, at most once a minute and at most `PRUNE_BATCH` rows at a time,
 * so a login never waits for a large delete.
 */

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit (
    reference TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    email TEXT,
    connection_id TEXT,
    record TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_by_time ON audit (time, reference);
  CREATE INDEX IF NOT EXISTS audit_by_email ON audit (email, time, reference);
  CREATE INDEX IF NOT EXISTS audit_by_connection ON audit (connection_id, time, reference);
  CREATE INDEX IF NOT EXISTS audit_by_kind ON audit (kind, time, reference);
  CREATE INDEX IF NOT EXISTS audit_by_outcome ON audit (outcome, time, reference);
`;

const INDEX_NAMES: Record<AuditIndex, string> = {
  time: 'audit_by_time',
  email: 'audit_by_email',
  connectionId: 'audit_by_connection',
  kind: 'audit_by_kind',
  outcome: 'audit_by_outcome',
};

const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 1_000;

type Row = { record: string };
type Parameters = Record<string, string | number | null>;

export class SqliteAuditTrail implements AuditTrail {
  private readonly db: Database.Database;
  private readonly statements;
  /** One prepared statement per shape of query (which filters are present): at most 2^7. */
  private readonly queries = new Map<string, Database.Statement<Parameters, Row>>();
  private lastPrunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    options: { db: Database.Database },
  ) {
    this.db = options.db;
    this.db.exec(SCHEMA);
    this.statements = {
      // A reference already recorded is kept; a row past retention that no prune removed yet
      // is no record any more, so a new one takes its place.
      record: this.db.prepare<Parameters>(`
        INSERT INTO audit (reference, time, kind, outcome, email, connection_id, record)
        VALUES (@reference, @time, @kind, @outcome, @email, @connectionId, @record)
        ON CONFLICT (reference) DO UPDATE SET
          time = excluded.time, kind = excluded.kind, outcome = excluded.outcome, email = excluded.email,
          connection_id = excluded.connection_id, record = excluded.record
        WHERE audit.time <= @expiredFrom`),
      get: this.db.prepare<[string, number], Row>('SELECT record FROM audit WHERE reference = ? AND time > ?'),
      prune: this.db.prepare<[number, number]>(
        'DELETE FROM audit WHERE reference IN (SELECT reference FROM audit INDEXED BY audit_by_time WHERE time <= ? ORDER BY time LIMIT ?)',
      ),
    };
  }

  async record(entry: AuditRecord): Promise<void> {
    const record = normaliseAuditRecord(entry);
    const now = this.clock.now();
    if (now - this.lastPrunedAt >= PRUNE_INTERVAL_MS) {
      // A full batch means more are waiting: prune again on the next record.
      if (this.pruneBatch(now) < PRUNE_BATCH) this.lastPrunedAt = now;
    }
    if (auditExpired(record.time, now)) return;
    this.statements.record.run({
      reference: record.reference,
      time: record.time,
      kind: record.kind,
      outcome: record.outcome,
      email: (record.kind === 'login' ? record.email : undefined) ?? null,
      connectionId: record.connectionId ?? null,
      record: JSON.stringify(record),
      expiredFrom: now - AUDIT_RETENTION_MS,
    });
  }

  async get(reference: string): Promise<AuditRecord | undefined> {
    const key = auditReferenceLookup(reference);
    if (key === undefined) return undefined;
    const row = this.statements.get.get(key, this.clock.now() - AUDIT_RETENTION_MS);
    return row ? (JSON.parse(row.record) as AuditRecord) : undefined;
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const q = normaliseAuditQuery(query, this.clock.now());
    if (q.empty) return { records: [] };
    const where = ['time >= @from'];
    const parameters: Parameters = { from: q.from, limit: q.limit + 1 };
    const add = (condition: string, values: Parameters) => {
      where.push(condition);
      Object.assign(parameters, values);
    };
    if (q.to !== undefined) add('time < @to', { to: q.to });
    if (q.after) add('(time, reference) < (@afterTime, @afterReference)', { afterTime: q.after.time, afterReference: q.after.reference });
    if (q.email !== undefined) add('email = @email', { email: q.email });
    if (q.connectionId !== undefined) add('connection_id = @connectionId', { connectionId: q.connectionId });
    if (q.kind !== undefined) add('kind = @kind', { kind: q.kind });
    if (q.outcome !== undefined) add('outcome = @outcome', { outcome: q.outcome });
    const sql = `SELECT record FROM audit INDEXED BY ${INDEX_NAMES[auditIndexFor(q)]} WHERE ${where.join(' AND ')} ORDER BY time DESC, reference DESC LIMIT @limit`;
    let statement = this.queries.get(sql);
    if (!statement) {
      statement = this.db.prepare<Parameters, Row>(sql);
      this.queries.set(sql, statement);
    }
    return auditPage(
      statement.all(parameters).map((row) => JSON.parse(row.record) as AuditRecord),
      q.limit,
    );
  }

  /** Deletes every record past the retention period; returns how many went. */
  pruneExpired(): number {
    const now = this.clock.now();
    let total = 0;
    let removed: number;
    do {
      removed = this.pruneBatch(now);
      total += removed;
    } while (removed === PRUNE_BATCH);
    this.lastPrunedAt = now;
    return total;
  }

  /** How many rows the table holds, expired ones not yet pruned included; for tests and the bench. */
  countRows(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
  }

  private pruneBatch(now: number): number {
    return this.statements.prune.run(now - AUDIT_RETENTION_MS, PRUNE_BATCH).changes;
  }
}
