import Database from 'better-sqlite3';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { incrementStep, type Clock, type Json, type KeyValueStore, type RevisedValue, type SecretStore } from '../core/ports.js';
import { ensurePrivateFile, preparePrivateDir, PRIVATE_FILE_MODE } from './data-dir.js';

/**
 * The standalone server's embedded store: SQLite through better-sqlite3 (synchronous, one
 * file, transactions). Holds configuration, the signing key and login transactions, so all of
 * them survive a restart. Secrets are encrypted at rest with AES-256-GCM under a key that comes
 * from `BRIDGE_SECRET_KEY` or a key file created with mode 0600 beside the database. The data
 * directory is 0700 and the database (with its -wal and -shm files) 0600 (`data-dir.ts`).
 */
export class SqliteStore implements KeyValueStore, SecretStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly secretKey: Buffer;

  constructor(
    private readonly clock: Clock,
    options: { dataDir: string; secretKey?: Buffer },
  ) {
    preparePrivateDir(options.dataDir);
    const file = path.join(options.dataDir, 'bridge.sqlite');
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
      CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE IF NOT EXISTS secrets (key TEXT PRIMARY KEY, iv BLOB NOT NULL, tag BLOB NOT NULL, value BLOB NOT NULL);
    `);
    this.secretKey = options.secretKey ?? loadOrCreateKeyFile(path.join(options.dataDir, 'secret.key'));
    this.statements = {
      get: this.db.prepare<[string, number], { value: string }>('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      upsert: this.db.prepare('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at'),
      insertIfAbsent: this.db.prepare(
        // An expired row counts as absent.
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?',
      ),
      delete: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      updateIfRevision: this.db.prepare(
        "UPDATE kv SET value = ?, expires_at = NULL WHERE key = ? AND json_extract(value, '$.revision') = ? AND (expires_at IS NULL OR expires_at > ?)",
      ),
      take: this.db.prepare<[string, number], { value: string }>('DELETE FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?) RETURNING value'),
      increment: this.db.prepare<[string, number, number, number, number, number, number, number], { value: string }>(
        // One statement, so concurrent counters never lose a count. An expired counter starts over.
        `INSERT INTO kv (key, value, expires_at) VALUES (?, CAST(? AS TEXT), ?) ON CONFLICT(key) DO UPDATE SET
           value = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= ? THEN CAST(? AS TEXT) ELSE CAST(CAST(kv.value AS INTEGER) + ? AS TEXT) END,
           expires_at = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= ? THEN ? ELSE kv.expires_at END
         RETURNING value`,
      ),
      purge: this.db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      count: this.db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM kv WHERE key LIKE ? ESCAPE '\\'"),
      getSecret: this.db.prepare<[string], { iv: Buffer; tag: Buffer; value: Buffer }>('SELECT iv, tag, value FROM secrets WHERE key = ?'),
      setSecret: this.db.prepare('INSERT INTO secrets (key, iv, tag, value) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET iv = excluded.iv, tag = excluded.tag, value = excluded.value'),
      deleteSecret: this.db.prepare('DELETE FROM secrets WHERE key = ?'),
    };
  }

  async get<T extends Json>(key: string): Promise<T | undefined> {
    const row = this.statements.get.get(key, this.clock.now());
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: string, value: Json, options: { ttlSeconds?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    const now = this.clock.now();
    const expiresAt = options.ttlSeconds ? now + options.ttlSeconds * 1000 : null;
    const json = JSON.stringify(value);
    if (options.ifAbsent) return this.statements.insertIfAbsent.run(key, json, expiresAt, now).changes === 1;
    this.statements.upsert.run(key, json, expiresAt);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.statements.delete.run(key);
  }

  async take<T extends Json>(key: string): Promise<T | undefined> {
    const now = this.clock.now();
    // Read first: a key with nothing live needs no write lock (see `KeyValueStore.take`).
    if (!this.statements.get.get(key, now)) return undefined;
    // DELETE … RETURNING is one atomic statement: of concurrent takers only one gets the row.
    const row = this.statements.take.get(key, now);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async compareAndSet(key: string, expected: number | null, value: RevisedValue): Promise<boolean> {
    if (!(value.revision > (expected ?? 0))) throw new TypeError('compareAndSet: the new revision must be greater than the expected one');
    const json = JSON.stringify(value);
    const now = this.clock.now();
    // Each is one statement, so SQLite's write lock makes it atomic against every other writer.
    if (expected === null) return this.statements.insertIfAbsent.run(key, json, null, now).changes === 1;
    return this.statements.updateIfRevision.run(json, key, expected, now).changes === 1;
  }

  async increment(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    const now = this.clock.now();
    const by = incrementStep(options.by);
    const expiresAt = now + options.ttlSeconds * 1000;
    return Number(this.statements.increment.get(key, by, expiresAt, now, by, by, now, expiresAt)!.value);
  }

  /**
   * The open database, for the stores that keep their own tables in the same file (the audit
   * trail): one connection per process, so they share its pragmas and its lifetime.
   */
  get database(): Database.Database {
    return this.db;
  }

  /** Removes expired entries; the server calls this on a timer. Returns how many went. */
  purgeExpired(): number {
    return this.statements.purge.run(this.clock.now()).changes;
  }

  /** How many entries (expired or not) have keys starting with `prefix`; for tests and the load run. */
  countKeys(prefix: string): number {
    return this.statements.count.get(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)!.n;
  }

  async getSecret<T extends Json>(key: string): Promise<T | undefined> {
    const row = this.statements.getSecret.get(key);
    if (!row) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.secretKey, row.iv);
    decipher.setAAD(Buffer.from(key));
    decipher.setAuthTag(row.tag);
    return JSON.parse(Buffer.concat([decipher.update(row.value), decipher.final()]).toString('utf8')) as T;
  }

  async setSecret(key: string, value: Json): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.secretKey, iv);
    // The key name is authenticated too, so one secret cannot be swapped in for another.
    cipher.setAAD(Buffer.from(key));
    const encrypted = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    this.statements.setSecret.run(key, iv, cipher.getAuthTag(), encrypted);
  }

  async deleteSecret(key: string): Promise<void> {
    this.statements.deleteSecret.run(key);
  }

  close(): void {
    this.db.close();
  }
}

/** Reads the 32-byte key file, or creates it with mode 0600 (owner read/write only). */
function loadOrCreateKeyFile(file: string): Buffer {
  try {
    const existing = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (existing.length === 32) return existing;
    throw new Error(`${file} does not hold a 32-byte base64 key`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return key;
}

/** Parses `BRIDGE_SECRET_KEY` (32 bytes, base64). */
export function secretKeyFromEnv(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('BRIDGE_SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  return key;
}

