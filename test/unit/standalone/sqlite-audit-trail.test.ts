import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditRecordFactory } from '../../support/audit-records.js';
import { AUDIT_RETENTION_MS, type AuditQuery } from '../../../src/core/audit/audit-trail.js';
import { encodeAuditCursor } from '../../../src/core/audit/audit-query.js';
import { SqliteAuditTrail } from '../../../src/standalone/sqlite-audit-trail.js';
import { SqliteStore } from '../../../src/standalone/sqlite-store.js';

// What the contract suite cannot see: the table in the server's file, the pruning, and that
// every query reads one index range in result order.

const START = Date.UTC(2026, 0, 15, 12, 0, 0);

const { login } = auditRecordFactory({ start: START, stepMs: 1000 });

describe('SqliteAuditTrail', () => {
  let dir: string;
  let time: number;
  const clock = { now: () => time };
  let store: SqliteStore;
  let trail: SqliteAuditTrail;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-audit-'));
    time = START;
    store = new SqliteStore(clock, { dataDir: dir });
    trail = new SqliteAuditTrail(clock, { db: store.database });
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lives in the server file beside the key-value store and survives a reopen', async () => {
    await trail.record(login(1));
    await store.set('v1:config', { a: 1 });
    store.close();
    store = new SqliteStore(clock, { dataDir: dir });
    trail = new SqliteAuditTrail(clock, { db: store.database });
    await expect(trail.get(login(1).reference)).resolves.toEqual(login(1));
    await expect(store.get('v1:config')).resolves.toEqual({ a: 1 });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite'))).toEqual(['bridge.sqlite']);
  });

  it('prunes expired rows on record, at most once a minute', async () => {
    await trail.record(login(1, { time: START }));
    await trail.record(login(2, { time: START + 30_000 }));
    time = START + AUDIT_RETENTION_MS;
    await trail.record(login(3, { time }));
    expect(trail.countRows()).toBe(2);
    time += 40_000;
    await trail.record(login(4, { time }));
    expect(trail.countRows()).toBe(3);
    time += 20_000;
    await trail.record(login(5, { time }));
    expect(trail.countRows()).toBe(3);
    await expect(trail.get(login(2).reference)).resolves.toBeUndefined();
  });

  it('prunes in bounded batches, and again on the next record while a backlog remains', async () => {
    const insert = store.database.transaction(() => {
      for (let n = 1; n <= 2_500; n += 1) void trail.record(login(n, { time: START - n }));
    });
    insert();
    time = START + AUDIT_RETENTION_MS;
    await trail.record(login(9_001, { time }));
    expect(trail.countRows()).toBe(1 + 1_500);
    await trail.record(login(9_002, { time }));
    expect(trail.countRows()).toBe(2 + 500);
    await trail.record(login(9_003, { time }));
    expect(trail.countRows()).toBe(3);
    await trail.record(login(9_004, { time: time - 1 }));
    expect(trail.pruneExpired()).toBe(0);
  });

  it('pruneExpired removes every expired row at once', async () => {
    for (let n = 1; n <= 1_200; n += 1) await trail.record(login(n, { time: START - n }));
    time = START + AUDIT_RETENTION_MS - 600;
    expect(trail.pruneExpired()).toBe(1_200 - 599);
    expect(trail.countRows()).toBe(599);
  });

  it('reads each query shape from its own index, in result order, without sorting', async () => {
    await trail.record(login(1));
    const db = store.database;
    const plans: string[][] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (!sql.startsWith('SELECT record FROM audit INDEXED BY')) return statement;
      const all = statement.all.bind(statement) as (parameters: unknown) => unknown[];
      (statement as { all: unknown }).all = (parameters: unknown) => {
        plans.push((prepare(`EXPLAIN QUERY PLAN ${sql}`).all(parameters) as { detail: string }[]).map((row) => row.detail));
        return all(parameters);
      };
      return statement;
    }) as Database.Database['prepare'];

    const cursor = encodeAuditCursor({ time: START, reference: 'R-ZZZZ-ZZZZ' });
    const shapes: [Omit<AuditQuery, 'limit'>, string][] = [
      [{}, 'audit_by_time'],
      [{ cursor }, 'audit_by_time'],
      [{ from: START - 5000, to: START }, 'audit_by_time'],
      [{ email: 'alice@example.com', outcome: 'refused', connectionId: 'conn-a' }, 'audit_by_email'],
      [{ email: 'alice@example.com', cursor }, 'audit_by_email'],
      [{ connectionId: 'conn-a', outcome: 'refused', kind: 'login' }, 'audit_by_connection'],
      [{ kind: 'change', outcome: 'ok' }, 'audit_by_kind'],
      [{ outcome: 'refused', from: START - 5000 }, 'audit_by_outcome'],
      [{ outcome: 'refused', cursor }, 'audit_by_outcome'],
      [{ kind: 'login' }, 'audit_by_kind'],
    ];
    for (const [query] of shapes) await trail.query({ ...query, limit: 10 });
    expect(plans).toHaveLength(shapes.length);
    for (const [i, [, index]] of shapes.entries()) {
      expect(plans[i]!.join(' ')).toMatch(new RegExp(`^SEARCH audit USING INDEX ${index} \\(`));
      expect(plans[i]!.join(' ')).not.toMatch(/TEMP B-TREE|SCAN/);
    }
  });
});
