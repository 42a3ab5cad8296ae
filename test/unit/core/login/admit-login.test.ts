import { beforeEach, describe, expect, it } from '@jest/globals';
import { BridgeError } from '../../../../src/core/errors.js';
import type { LoginContext } from '../../../../src/core/login/attempt.js';
import { LOGIN_COUNT_SYNC_BATCH, LOGIN_COUNT_SYNC_MS, LOGIN_COUNT_WINDOW_SECONDS, LoginCounter } from '../../../../src/core/login/steps/admit-login.js';
import type { Clock } from '../../../../src/core/ports.js';
import { storageKeys } from '../../../../src/core/storage-keys.js';
import { MemoryStore } from '../../../support/memory-ports.js';

/**
 * The bound on SP-initiated logins (`LoginCounter`), on a memory store and a clock the test
 * moves: when it syncs, what it carries into the next window, how it weighs the previous one,
 * and the Retry-After it gives. test/security/abuse.test.ts drives the same bound over the SSO URL.
 */

const WINDOW_MS = LOGIN_COUNT_WINDOW_SECONDS * 1000;
/** Some window's first millisecond, far from the real clock. */
const K = 3_000_000;

let now: number;
let store: MemoryStore;
const clock: Clock = { now: () => now };

beforeEach(() => {
  now = K * WINDOW_MS;
  store = new MemoryStore(clock);
});

const contextOf = (limit: number) => ({ ports: { store, clock }, liveLoginLimit: limit }) as unknown as LoginContext;
const stored = async (window: number) => (await store.get(storageKeys.loginCount(window))) ?? 0;

/** Admits `n` logins; the first refusal's code and Retry-After, if one is refused. */
async function admit(counter: LoginCounter, limit: number, n = 1): Promise<{ admitted: number; refused?: { code: string; retryAfterSeconds?: number } }> {
  for (let i = 0; i < n; i += 1) {
    try {
      await counter.admit(contextOf(limit));
    } catch (error) {
      if (!(error instanceof BridgeError)) throw error;
      return { admitted: i, refused: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } };
    }
  }
  return { admitted: n };
}

describe('LoginCounter: syncing with the stored count', () => {
  it('counts a cold instance\'s logins in memory, and adds them to the window\'s stored count at the batch size', async () => {
    const counter = new LoginCounter();
    await admit(counter, 10_000, LOGIN_COUNT_SYNC_BATCH - 1);
    expect(await stored(K)).toBe(0);
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(LOGIN_COUNT_SYNC_BATCH);
  });

  it('syncs once LOGIN_COUNT_SYNC_MS have passed, not a millisecond earlier', async () => {
    const counter = new LoginCounter();
    await admit(counter, 10_000);
    now += LOGIN_COUNT_SYNC_MS - 1;
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(0);
    now += 1;
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(3);
  });

  it('keeps the logins of a sync that failed, and adds them with the next one', async () => {
    const counter = new LoginCounter();
    await admit(counter, 10_000, LOGIN_COUNT_SYNC_BATCH - 1);
    const increment = store.increment.bind(store);
    store.increment = async () => Promise.reject(new Error('store down'));
    await expect(admit(counter, 10_000)).resolves.toMatchObject({ refused: { code: 'storage_unavailable' } });
    store.increment = increment;
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(LOGIN_COUNT_SYNC_BATCH + 1);
  });

  it('carries the unsaved logins into their own window\'s count when a new window starts, kept long enough to be the next one\'s previous', async () => {
    const counter = new LoginCounter();
    await admit(counter, 10_000, 3);
    now += WINDOW_MS + 1;
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(3);
    expect(await stored(K + 1)).toBe(0);
    // Still there at the end of the next window, where it weighs as the previous one.
    now = (K + 2) * WINDOW_MS - 1;
    expect(await stored(K)).toBe(3);
  });

  it('writes nothing for the old window when a new one starts with every login already synced (each write is a billed KVS request)', async () => {
    const counter = new LoginCounter();
    await admit(counter, 10_000);
    now += LOGIN_COUNT_SYNC_MS;
    await admit(counter, 10_000);
    expect(await stored(K)).toBe(2);
    const increments: string[] = [];
    const increment = store.increment.bind(store);
    store.increment = ((key, options) => {
      increments.push(key);
      return increment(key, options);
    }) as typeof store.increment;
    now = (K + 1) * WINDOW_MS;
    await admit(counter, 10_000);
    expect(increments).toEqual([]);
  });
});

describe('LoginCounter: the sliding window', () => {
  it('sheds the login past the bound with login_capacity, and says to retry when the window has passed', async () => {
    const counter = new LoginCounter();
    await expect(admit(counter, 5, 6)).resolves.toEqual({ admitted: 5, refused: { code: 'login_capacity', retryAfterSeconds: LOGIN_COUNT_WINDOW_SECONDS } });
    now += 60_000;
    // Five started this window: free again when this window's logins slide out, at the next window's end share.
    await expect(admit(counter, 5)).resolves.toEqual({ admitted: 0, refused: { code: 'login_capacity', retryAfterSeconds: LOGIN_COUNT_WINDOW_SECONDS - 60 } });
  });

  it('weighs the previous window by the share of it still inside the last ten minutes', async () => {
    // Other instances started 39 logins in the previous window, this one one more (carried over
    // when this window starts).
    await store.increment(storageKeys.loginCount(K - 1), { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS, by: 39 });
    const counter = new LoginCounter();
    now -= 1;
    await admit(counter, 1_000_000);
    // 60 s into this window the 40 weigh 36: over a limit of 10 until the previous window is
    // three quarters out (the estimate 40·(1 − t/600 s) falls below 10 at t = 450 s).
    now = K * WINDOW_MS + 60_000;
    const shed = await admit(counter, 10);
    expect(shed.refused).toEqual({ code: 'login_capacity', retryAfterSeconds: 390 });
    now = K * WINDOW_MS + 450_000;
    expect((await admit(counter, 10)).refused?.code).toBe('login_capacity');
    now += 1;
    expect(await admit(counter, 10)).toEqual({ admitted: 1 });
  });

  it('counts this window\'s logins against the bound when it gives the Retry-After', async () => {
    // 40 in the previous window (39 elsewhere, one here) and 5 in this one, limit 10.
    await store.increment(storageKeys.loginCount(K - 1), { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS, by: 39 });
    const counter = new LoginCounter();
    now -= 1;
    await admit(counter, 1_000_000);
    await store.increment(storageKeys.loginCount(K), { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS, by: 5 });
    now = K * WINDOW_MS + 60_000;
    // 40·(1 − t/600 s) + 5 falls below 10 at t = 525 s: 465 s after now.
    expect((await admit(counter, 10)).refused).toEqual({ code: 'login_capacity', retryAfterSeconds: 465 });
    now = K * WINDOW_MS + 525_000;
    expect((await admit(counter, 10)).refused?.code).toBe('login_capacity');
    now += 1;
    expect(await admit(counter, 10)).toEqual({ admitted: 1 });
  });

  it('gives a Retry-After in the next window when this window alone is over the bound', async () => {
    const counter = new LoginCounter();
    now -= 1;
    await admit(counter, 1_000_000);
    // Other instances started 20 this window; the limit is 10.
    await store.increment(storageKeys.loginCount(K), { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS, by: 20 });
    now = K * WINDOW_MS + 60_000;
    // 540 s left of this window, then half of the next until its 20 weigh below 10.
    expect((await admit(counter, 10)).refused).toEqual({ code: 'login_capacity', retryAfterSeconds: 540 + 300 });
  });

  it('reads a stored count that is not a positive number as none', async () => {
    const counter = new LoginCounter();
    now -= WINDOW_MS + 1; // warm two windows back, so its own login is carried there
    await admit(counter, 1_000_000);
    await store.set(storageKeys.loginCount(K), -50, { ttlSeconds: 1200 });
    await store.set(storageKeys.loginCount(K - 1), 'lots', { ttlSeconds: 1200 });
    now = K * WINDOW_MS;
    await expect(admit(counter, 10, 11)).resolves.toMatchObject({ admitted: 10, refused: { code: 'login_capacity' } });
  });
});
