/**
 * The ports through which the portable core reaches the world. The Forge adapter implements
 * them on `@forge/kvs` and `@forge/api`; the standalone server on SQLite and Node.
 * Nothing in `src/core`, `src/upstream-oidc` or `src/downstream-saml` imports a platform module.
 */

/** JSON-serialisable value, the only kind of value the stores keep. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A key-value store whose entries can expire. Keys come from `storage-keys.ts`.
 * Expiry is a hint to the backend (Forge KVS may serve expired values for up to 48 hours):
 * the core stores its own expiry inside every short-lived value and checks it.
 */
export interface KeyValueStore {
  get<T extends Json>(key: string): Promise<T | undefined>;
  /**
   * Writes `value`. With `ifAbsent`, the write happens only when no value is stored yet and the
   * result says whether it happened; otherwise the result is always true.
   */
  set(key: string, value: Json, options?: { ttlSeconds?: number; ifAbsent?: boolean }): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomically removes the value at `key` and returns what it held. Of any number of concurrent
   * callers, at most one receives the value: this is what makes a login transaction single-use.
   * A key that holds nothing live (never written, expired, already taken) costs a read and no
   * write: a callback with a state the bridge never issued must not make it write to storage
   * (billed on Forge, a write lock on SQLite), however many of them an anonymous client sends.
   */
  take<T extends Json>(key: string): Promise<T | undefined>;
  /**
   * Writes `value` only when the value stored at `key` carries the revision `expected` (`null`:
   * nothing is stored), and says whether it wrote. Of concurrent callers expecting the same
   * revision, at most one succeeds: two admins saving at once never lose an update silently.
   * Values written this way are objects with a numeric `revision` greater than `expected`.
   */
  compareAndSet(key: string, expected: number | null, value: RevisedValue): Promise<boolean>;
  /**
   * Adds `by` (default one) to the counter at `key` (nothing live there counts as 0) and returns
   * the new count.
   * A counter that did not exist is created to expire after `ttlSeconds`; counting does not move
   * its expiry. Exact on SQLite and in memory; Forge KVS has no atomic increment on plain keys,
   * so there a write that replaced a concurrent one is corrected a few times, and under heavy
   * contention the count may come out a little low. For bounds, not for money.
   */
  increment(key: string, options: { ttlSeconds: number; by?: number }): Promise<number>;
}

/** A value kept under compare-and-set: its own revision, raised by every write. */
export type RevisedValue = { revision: number } & { [key: string]: Json };

/** Secret storage: values that must never reach a browser or a log (client secret, signing key). */
export interface SecretStore {
  getSecret<T extends Json>(key: string): Promise<T | undefined>;
  setSecret(key: string, value: Json): Promise<void>;
  deleteSecret(key: string): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface RandomSource {
  /** A URL-safe random token carrying `bytes` bytes of entropy. */
  token(bytes?: number): string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Structured logger. Callers pass only what is safe to log: never a secret, a private key, an
 * authorization code or a token. `fields` values are primitives so nothing large slips in.
 */
export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

/** The WHATWG fetch signature; Forge passes `@forge/api`'s fetch, Node its global one. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Everything the core needs from its host, bundled once per invocation. */
export interface Ports {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  fetch: Fetch;
}

/** `increment`'s step: a positive whole number (a count, never a correction downwards). */
export function incrementStep(by: number | undefined): number {
  const step = by ?? 1;
  if (!Number.isSafeInteger(step) || step < 1) throw new TypeError('increment: by must be a positive integer');
  return step;
}
