import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { auditRecordFactory } from '../support/audit-records.js';
import { AUDIT_RETENTION_MS, type LoginAuditRecord } from '../../src/core/audit/audit-trail.js';
import { BridgeError } from '../../src/core/errors.js';
import { AUDIT_ENTITY, EntityAuditTrail, FORGE_QUERY_LIMIT, timeKey } from '../../src/forge/entity-audit-trail.js';
import { manifestEntities } from '../support/manifest-entities.js';
import { installForgeKvsTransport, type ForgeKvsTransport } from '../support/forge-kvs-transport.js';

// What the contract suite cannot see: the requests the Forge trail sends through the real
// @forge/kvs SDK, and what the (fake) service holds.

const START = Date.UTC(2026, 0, 15, 12, 0, 0);

const { login } = auditRecordFactory({ start: START, stepMs: 1000 });

describe('EntityAuditTrail on Forge custom entities', () => {
  let time: number;
  const clock = { now: () => time };
  let transport: ForgeKvsTransport;
  let trail: EntityAuditTrail;
  const requestsSince = (mark: number) => transport.requests.slice(mark);

  beforeEach(async () => {
    time = START;
    transport = installForgeKvsTransport({ now: clock.now, entities: manifestEntities() });
    trail = new EntityAuditTrail(clock);
  });
  afterEach(() => transport.uninstall());

  it('records with one write: the key is the reference, the TTL ends with the retention period', async () => {
    const record = login(1, { email: 'Alice@Example.com' });
    await trail.record(record);
    expect(transport.requests).toEqual([
      {
        path: '/api/v1/entity/set',
        body: {
          entityName: AUDIT_ENTITY,
          key: record.reference,
          value: {
            timeKey: `${String(record.time).padStart(16, '0')}#${record.reference}`,
            kind: 'login',
            outcome: 'ok',
            email: 'alice@example.com',
            connectionId: 'conn-a',
            record: { ...record, email: 'alice@example.com' },
          },
          options: { keyPolicy: 'FAIL_IF_EXISTS', ttl: { unit: 'SECONDS', value: (record.time + AUDIT_RETENTION_MS - START) / 1000 } },
        },
      },
    ]);
  });

  it('leaves out the attributes a record does not have, so sparse indexes skip it', async () => {
    const { email: _e, connectionId: _c, ...bare } = login(1, { outcome: 'refused', code: 'saml_request_missing' });
    await trail.record(bare as LoginAuditRecord);
    const value = transport.entities.get(AUDIT_ENTITY)!.get(bare.reference)!.value as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['kind', 'outcome', 'record', 'timeKey']);
  });

  it('keeps an existing reference with one failed write and one read, no overwrite', async () => {
    await trail.record(login(1));
    const mark = transport.requests.length;
    await trail.record(login(1, { outcome: 'refused' }));
    expect(requestsSince(mark).map((r) => r.path)).toEqual(['/api/v1/entity/set', '/api/v1/entity/get']);
    await expect(trail.get(login(1).reference)).resolves.toMatchObject({ outcome: 'ok' });
  });

  it('gets by key with one read', async () => {
    await trail.record(login(1));
    const mark = transport.requests.length;
    await trail.get(login(1).reference);
    expect(requestsSince(mark)).toEqual([{ path: '/api/v1/entity/get', body: { entityName: AUDIT_ENTITY, key: login(1).reference } }]);
  });

  it('queries the index of the most selective filter, the others as filters, newest first', async () => {
    await trail.record(login(1));
    const mark = transport.requests.length;
    await trail.query({ email: 'ALICE@example.com', outcome: 'refused', connectionId: 'conn-a', to: START, limit: 20 });
    expect(requestsSince(mark)).toEqual([
      {
        path: '/api/v1/entity/query',
        body: {
          entityName: AUDIT_ENTITY,
          indexName: 'by-email',
          partition: ['alice@example.com'],
          range: { condition: 'BETWEEN', values: [timeKey(START - AUDIT_RETENTION_MS + 1), timeKey(START)] },
          sort: 'DESC',
          limit: FORGE_QUERY_LIMIT,
          filters: {
            and: [
              { property: 'connectionId', condition: 'EQUAL_TO', values: ['conn-a'] },
              { property: 'outcome', condition: 'EQUAL_TO', values: ['refused'] },
            ],
          },
        },
      },
    ]);
  });

  it('asks an unfiltered index for no more than the page needs', async () => {
    await trail.query({ limit: 20 });
    await trail.query({ kind: 'change', limit: 200 });
    expect(transport.requests.map((r) => r.body)).toMatchObject([
      { indexName: 'by-time', limit: 22, range: { condition: 'GREATER_THAN_EQUAL_TO' } },
      { indexName: 'by-kind', partition: ['change'], limit: FORGE_QUERY_LIMIT },
    ]);
    expect(transport.requests[0]!.body).not.toHaveProperty('partition');
  });

  it('follows the service cursor through pages the filters left short or empty', async () => {
    // 250 logins on conn-a, one of them refused and the oldest: the service reads 100 entities
    // a page and filters after reading, so two pages come back empty with a cursor.
    for (let n = 1; n <= 250; n += 1) await trail.record(login(n, { outcome: n === 250 ? 'refused' : 'ok' }));
    const mark = transport.requests.length;
    const page = await trail.query({ connectionId: 'conn-a', outcome: 'refused', limit: 10 });
    expect(page.records.map((r) => r.reference)).toEqual([login(250).reference]);
    expect(page.next).toBeUndefined();
    const queries = requestsSince(mark);
    expect(queries).toHaveLength(3);
    expect(queries.every((q) => (q.body as { indexName: string }).indexName === 'by-connection')).toBe(true);
  });

  it('stops asking once the page is full', async () => {
    for (let n = 1; n <= 30; n += 1) await trail.record(login(n));
    const mark = transport.requests.length;
    const page = await trail.query({ outcome: 'ok', limit: 10 });
    expect(page.records).toHaveLength(10);
    expect(page.next).toBeDefined();
    expect(requestsSince(mark)).toHaveLength(1);
  });

  it('lets the service delete records once their TTL has passed', async () => {
    await trail.record(login(1));
    await trail.record(login(2, { time: START - AUDIT_RETENTION_MS + 10_000 }));
    time = START + 11_000;
    transport.purgeExpired();
    expect([...transport.entities.get(AUDIT_ENTITY)!.keys()]).toEqual([login(1).reference]);
  });

  it('reports storage failures as storage_unavailable', async () => {
    const code = (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: unknown) => (e instanceof BridgeError ? e.code : String(e)));
    transport.fail('write');
    await expect(code(trail.record(login(1)))).resolves.toBe('storage_unavailable');
    transport.fail('read');
    await expect(code(trail.get(login(1).reference))).resolves.toBe('storage_unavailable');
    transport.fail('read');
    await expect(code(trail.query({ limit: 10 }))).resolves.toBe('storage_unavailable');
    await trail.record(login(1));
    await expect(trail.get(login(1).reference)).resolves.toBeDefined();
  });
});
