import { Filter, FilterConditions, kvs, Sort, WhereConditions } from '@forge/kvs';
import { AUDIT_RETENTION_MS, type AuditPage, type AuditQuery, type AuditRecord, type AuditTrail } from '../core/audit/audit-trail.js';
import {
  auditExpired,
  auditIndexFor,
  auditPage,
  auditReferenceLookup,
  normaliseAuditQuery,
  normaliseAuditRecord,
  type AuditIndex,
  type NormalisedAuditQuery,
} from '../core/audit/audit-query.js';
import type { Clock } from '../core/ports.js';
import { guarded, isKeyExistsError } from './kvs-stores.js';

/**
 * The audit trail on Forge: one custom entity per record (Forge's Custom Entity Store, through
 * `@forge/kvs`), declared with its indexes in manifest.yml under `app.storage.entities`.
 *
 * Key: the reference, so `get` is one read by key. Attributes: what the queries search by,
 * and the record itself (`any`). Every index has the same range, `timeKey`: the time as 16
 * zero-padded digits, `#`, the reference. It sorts as the trail's order (time, then
 * reference), is unique, and turns a date range, the retention period and the cursor into one
 * range condition. Each query goes through the index of its most selective filter
 * (`auditIndexFor`: email, connection, change kind, outcome, time) with that filter as the
 * partition; the other filters go to the service as filters on the same request.
 *
 * Retention: each record is written with a TTL that ends with its retention period, so the
 * service deletes it; as KVS may serve values for a while after their TTL, the range's lower
 * bound and `get` check the time themselves. Should TTLs on entities ever be ignored, records
 * would still never be returned past 30 days, but would stay stored until a scheduled
 * clean-up deleted them (none is needed while the TTL holds).
 *
 * Costs: `record` is one write (a second read and write only when the reference exists
 * already); `get` is one read; a query is one read per service page, usually one.
 */

/** The entity's name in manifest.yml; the version lets a later format live beside this one. */
export const AUDIT_ENTITY = 'audit-record-v1';

/** What one entity holds; the attributes are declared with these types in manifest.yml. */
export interface AuditEntity {
  timeKey: string;
  kind: string;
  outcome: string;
  email?: string;
  connectionId?: string;
  record: AuditRecord;
}

type Attribute = 'email' | 'connectionId' | 'kind' | 'outcome';

/** The indexes of manifest.yml: name, and the attribute that is their partition. */
export const AUDIT_ENTITY_INDEXES: Record<AuditIndex, { name: string; partition?: Attribute }> = {
  time: { name: 'by-time' },
  email: { name: 'by-email', partition: 'email' },
  connectionId: { name: 'by-connection', partition: 'connectionId' },
  kind: { name: 'by-kind', partition: 'kind' },
  outcome: { name: 'by-outcome', partition: 'outcome' },
};

/**
 * The largest page asked of the service. Whether its `limit` counts entities before or after
 * the filters is not documented; a page may therefore hold fewer matches than asked, even none,
 * and still have a cursor: the query goes on until it has enough or the index has no more.
 */
export const FORGE_QUERY_LIMIT = 100;

/** The range value of a record, or, without a reference, a bound that sorts before every record of that ms. */
export function timeKey(time: number, reference?: string): string {
  const digits = String(time).padStart(16, '0');
  return reference === undefined ? digits : `${digits}#${reference}`;
}

export class EntityAuditTrail implements AuditTrail {
  private readonly entity = kvs.entity<AuditEntity>(AUDIT_ENTITY);

  constructor(private readonly clock: Clock) {}

  async record(entry: AuditRecord): Promise<void> {
    const record = normaliseAuditRecord(entry);
    const remainingMs = record.time + AUDIT_RETENTION_MS - this.clock.now();
    if (remainingMs <= 0) return;
    const value: AuditEntity = {
      timeKey: timeKey(record.time, record.reference),
      kind: record.kind,
      outcome: record.outcome,
      ...(record.kind === 'login' && record.email !== undefined ? { email: record.email } : {}),
      ...(record.connectionId !== undefined ? { connectionId: record.connectionId } : {}),
      record,
    };
    const ttl = { unit: 'SECONDS' as const, value: Math.ceil(remainingMs / 1000) };
    await guarded('entity set', async () => {
      try {
        await this.entity.set(record.reference, value, { keyPolicy: 'FAIL_IF_EXISTS', ttl });
        return;
      } catch (error) {
        if (!isKeyExistsError(error)) throw error;
      }
      // The reference exists for the service. Keep it, unless it is past its retention and only
      // still there because the service has not yet acted on its TTL.
      if (this.live(await this.entity.get(record.reference)) !== undefined) return;
      await this.entity.set(record.reference, value, { ttl });
    });
  }

  async get(reference: string): Promise<AuditRecord | undefined> {
    const key = auditReferenceLookup(reference);
    if (key === undefined) return undefined;
    return this.live(await guarded('entity get', () => this.entity.get(key)));
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const now = this.clock.now();
    const q = normaliseAuditQuery(query, now);
    if (q.empty) return { records: [] };
    const index = auditIndexFor(q);
    const { name, partition } = AUDIT_ENTITY_INDEXES[index];
    const lower = timeKey(q.from);
    // Exclusive: `to` as a bare time sorts before every record of that ms, the cursor is the
    // last record returned. BETWEEN may include its upper end, so that one record is skipped.
    const upper = q.to !== undefined ? timeKey(q.to) : q.after ? timeKey(q.after.time, q.after.reference) : undefined;
    const range = upper === undefined ? WhereConditions.greaterThanEqualTo(lower) : WhereConditions.between(lower, upper);
    const filters = serviceFilters(q, partition);
    const wanted = q.limit + 1;
    const matches: AuditRecord[] = [];
    let cursor: string | undefined;
    do {
      let request = this.entity
        .query()
        .index(name, partition === undefined ? undefined : { partition: [q[partition]] })
        .where(range)
        .sort(Sort.DESC)
        // Unfiltered, every entity the service reads is a match: ask for no more than needed.
        .limit(filters ? FORGE_QUERY_LIMIT : Math.min(FORGE_QUERY_LIMIT, wanted - matches.length + 1));
      if (filters) request = request.filters(filters);
      if (cursor !== undefined) request = request.cursor(cursor);
      const page = await guarded('entity query', () => request.getMany());
      for (const { value } of page.results) {
        if (value.timeKey === upper) continue;
        const record = this.live(value);
        if (record !== undefined) matches.push(record);
        if (matches.length === wanted) break;
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && matches.length < wanted);
    return auditPage(matches, q.limit);
  }

  /** The record an entity holds if it is one of ours and within retention. */
  private live(value: unknown): AuditRecord | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const record = (value as { record?: unknown }).record as AuditRecord | undefined;
    if (typeof record !== 'object' || record === null || typeof record.time !== 'number') return undefined;
    return auditExpired(record.time, this.clock.now()) ? undefined : record;
  }
}

/** The filters besides the index's partition, as service-side equality filters (AND). */
function serviceFilters(q: NormalisedAuditQuery, partition: Attribute | undefined) {
  const conditions = (['email', 'connectionId', 'kind', 'outcome'] as const).filter((attribute) => attribute !== partition && q[attribute] !== undefined);
  if (conditions.length === 0) return undefined;
  let filter = new Filter<AuditEntity>().and(conditions[0]!, FilterConditions.equalTo(q[conditions[0]!]!));
  for (const attribute of conditions.slice(1)) filter = filter.and(attribute, FilterConditions.equalTo(q[attribute]!));
  return filter;
}
