import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../../src/standalone/sqlite-store.js';

describe('SqliteStore', () => {
  let dir: string;
  let now: number;
  const clock = { now: () => now };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
    now = 1_800_000_000_000;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps values across a reopen and honours expiry', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    await store.set('k', { a: 1 });
    await store.set('short', 'x', { ttlSeconds: 10 });
    store.close();
    const reopened = new SqliteStore(clock, { dataDir: dir });
    expect(await reopened.get('k')).toEqual({ a: 1 });
    expect(await reopened.get('short')).toBe('x');
    now += 10_000;
    expect(await reopened.get('short')).toBeUndefined();
    expect(reopened.purgeExpired()).toBe(1);
    expect(reopened.countKeys('short')).toBe(0);
    reopened.close();
  });

  it('writes with ifAbsent only once, but over an expired value', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    expect(await store.set('k', 1, { ifAbsent: true, ttlSeconds: 5 })).toBe(true);
    expect(await store.set('k', 2, { ifAbsent: true, ttlSeconds: 5 })).toBe(false);
    expect(await store.get('k')).toBe(1);
    now += 5_000;
    expect(await store.set('k', 3, { ifAbsent: true })).toBe(true);
    expect(await store.get('k')).toBe(3);
    store.close();
  });

  it('hands a value to exactly one of many concurrent takers', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    await store.set('login', { state: 's' }, { ttlSeconds: 60 });
    const results = await Promise.all(Array.from({ length: 10 }, () => store.take('login')));
    expect(results.filter((r) => r !== undefined)).toEqual([{ state: 's' }]);
    expect(await store.get('login')).toBeUndefined();
    store.close();
  });

  it('does not hand out an expired value', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    await store.set('login', 1, { ttlSeconds: 1 });
    now += 1_000;
    expect(await store.take('login')).toBeUndefined();
    store.close();
  });

  it('encrypts secrets at rest, under a key file only its owner can read', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    const secret = 'client-secret-that-must-not-appear-on-disk';
    await store.setSecret('v1:oidc-client-secret', { secret });
    expect(await store.getSecret('v1:oidc-client-secret')).toEqual({ secret });
    store.close();
    const raw = new Database(path.join(dir, 'bridge.sqlite'), { readonly: true });
    const rows = raw.prepare('SELECT value FROM secrets').all() as { value: Buffer }[];
    raw.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value.toString('latin1')).not.toContain(secret);
    for (const file of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, file)).toString('latin1')).not.toContain(secret);
    }
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses to read a secret under another key file', async () => {
    const store = new SqliteStore(clock, { dataDir: dir });
    await store.setSecret('s', 'value');
    store.close();
    const other = new SqliteStore(clock, { dataDir: dir, secretKey: Buffer.alloc(32, 7) });
    await expect(other.getSecret('s')).rejects.toThrow();
    other.close();
  });
});
