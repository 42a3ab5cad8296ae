import { incrementStep, type Clock, type Json, type KeyValueStore, type Logger, type LogLevel, type RevisedValue, type SecretStore } from '../../src/core/ports.js';

/**
 * In-memory ports for tests that call the core directly (fuzzing, failing storage): a store with
 * expiry and an atomic take, a clock the test moves, and a logger that keeps every record.
 */

export class MovableClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

interface Entry {
  json: string;
  expiresAt?: number;
}

/** A `KeyValueStore` and `SecretStore` on two Maps; values are copied through JSON like a real store. */
export class MemoryStore implements KeyValueStore, SecretStore {
  readonly entries = new Map<string, Entry>();
  readonly secretEntries = new Map<string, string>();
  /** Operations that should fail next, by kind; each failure consumes one. */
  readonly failNext = { read: 0, write: 0 };
  /** How many writes reached the entries (a refused `ifAbsent` or an empty `take` is none). */
  writes = 0;

  constructor(private readonly clock: Clock) {}

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.clock.now()) return undefined;
    return entry;
  }

  private wrote(): void {
    this.writes += 1;
  }

  private maybeFail(kind: 'read' | 'write'): void {
    if (this.failNext[kind] > 0) {
      this.failNext[kind] -= 1;
      throw new Error(`memory store: simulated ${kind} failure`);
    }
  }

  async get<T extends Json>(key: string): Promise<T | undefined> {
    this.maybeFail('read');
    const entry = this.live(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set(key: string, value: Json, options: { ttlSeconds?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    this.maybeFail('write');
    if (options.ifAbsent && this.live(key)) return false;
    this.wrote();
    this.entries.set(key, {
      json: JSON.stringify(value),
      ...(options.ttlSeconds ? { expiresAt: this.clock.now() + options.ttlSeconds * 1000 } : {}),
    });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.maybeFail('write');
    this.wrote();
    this.entries.delete(key);
  }

  async compareAndSet(key: string, expected: number | null, value: RevisedValue): Promise<boolean> {
    this.maybeFail('write');
    if (!(value.revision > (expected ?? 0))) throw new TypeError('compareAndSet: the new revision must be greater than the expected one');
    const current = this.live(key);
    // Anything stored without a revision matches no expectation.
    const stored = current ? (JSON.parse(current.json) as { revision?: unknown }).revision : null;
    if (stored !== expected) return false;
    this.wrote();
    this.entries.set(key, { json: JSON.stringify(value) });
    return true;
  }

  async take<T extends Json>(key: string): Promise<T | undefined> {
    this.maybeFail('read');
    const entry = this.live(key);
    // Like every real store: nothing live, no write (`KeyValueStore.take`).
    if (!entry) return undefined;
    this.maybeFail('write');
    this.wrote();
    this.entries.delete(key);
    return JSON.parse(entry.json) as T;
  }

  async increment(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    this.maybeFail('write');
    const entry = this.live(key);
    const count = (entry ? Number(JSON.parse(entry.json)) || 0 : 0) + incrementStep(options.by);
    this.wrote();
    this.entries.set(key, {
      json: JSON.stringify(count),
      expiresAt: entry?.expiresAt ?? this.clock.now() + options.ttlSeconds * 1000,
    });
    return count;
  }

  async getSecret<T extends Json>(key: string): Promise<T | undefined> {
    this.maybeFail('read');
    const json = this.secretEntries.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async setSecret(key: string, value: Json): Promise<void> {
    this.maybeFail('write');
    this.wrote();
    this.secretEntries.set(key, JSON.stringify(value));
  }

  async deleteSecret(key: string): Promise<void> {
    this.secretEntries.delete(key);
  }

  /** Keys (live or expired) starting with `prefix`. */
  keys(prefix: string): string[] {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix));
  }
}

export interface LogRecordLike {
  level: LogLevel;
  event: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): Logger & { records: LogRecordLike[] } {
  const records: LogRecordLike[] = [];
  return {
    records,
    log(level, event, fields) {
      records.push({ level, event, fields: { ...fields } });
      (globalThis as { __bridgeLogSink?: (line: string) => void }).__bridgeLogSink?.(JSON.stringify({ level, event, ...fields }));
    },
  };
}
