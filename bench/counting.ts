import type { Fetch, KeyValueStore, SecretStore } from '../src/core/ports.js';

/**
 * Decorators that count what the core asks of its ports: storage operations (reads, writes,
 * deletes) and calls to the provider.
 */

export const STORE_OPERATIONS = ['get', 'set', 'delete', 'take', 'compareAndSet', 'increment', 'getSecret', 'setSecret', 'deleteSecret'] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];
export type StoreCounts = Record<StoreOperation, number>;

export function emptyStoreCounts(): StoreCounts {
  return { get: 0, set: 0, delete: 0, take: 0, compareAndSet: 0, increment: 0, getSecret: 0, setSecret: 0, deleteSecret: 0 };
}

export function totalOps(counts: StoreCounts): number {
  return STORE_OPERATIONS.reduce((sum, name) => sum + counts[name], 0);
}

export function countingStore(store: KeyValueStore, counts: StoreCounts): KeyValueStore {
  return {
    get: (key) => (counts.get++, store.get(key)),
    set: (key, value, options) => (counts.set++, store.set(key, value, options)),
    delete: (key) => (counts.delete++, store.delete(key)),
    take: (key) => (counts.take++, store.take(key)),
    compareAndSet: (key, expected, value) => (counts.compareAndSet++, store.compareAndSet(key, expected, value)),
    increment: (key, options) => (counts.increment++, store.increment(key, options)),
  };
}

export function countingSecrets(secrets: SecretStore, counts: StoreCounts): SecretStore {
  return {
    getSecret: (key) => (counts.getSecret++, secrets.getSecret(key)),
    setSecret: (key, value) => (counts.setSecret++, secrets.setSecret(key, value)),
    deleteSecret: (key) => (counts.deleteSecret++, secrets.deleteSecret(key)),
  };
}

/**
 * Counts every operation of a store class at its prototype, for hosts that build their store
 * themselves (the standalone server's SQLite store is both its key-value and its secret store).
 */
export function countStoreClass(prototype: object, counts: StoreCounts): void {
  const methods = prototype as Record<string, unknown>;
  for (const name of STORE_OPERATIONS) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      counts[name]++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

/** Upstream calls by path (`/token`, `/me`, `/.well-known/openid-configuration`, `/jwks`). */
export type UpstreamCounts = Record<string, number>;

export function countingFetch(fetch: Fetch, counts: UpstreamCounts): Fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    counts[url.pathname] = (counts[url.pathname] ?? 0) + 1;
    return fetch(input, init);
  };
}

export function totalCalls(counts: UpstreamCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
