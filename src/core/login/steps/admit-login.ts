import { BridgeError } from '../../errors.js';
import { storageKeys } from '../../storage-keys.js';
import { guardStorage, type LoginContext } from '../attempt.js';

/**
 * How many SP-initiated logins one installation may have started within any
 * `LOGIN_COUNT_WINDOW_SECONDS` before it sheds new ones (503 with `Retry-After`). Every started
 * login stores a transaction (under 10 KB: a 4 KiB RelayState, JSON-escaped, and under 1 KB
 * more) until its callback or its expiry, and anyone can start one: the bound caps what
 * anonymous clients can make the bridge store. 50,000 in ten minutes is 83 a second held for
 * ten minutes: a company of 100,000 people all signing in within the same half hour needs two
 * thirds of it. Hosts may pass another (`BridgeOptions.liveLoginLimit`).
 */
export const LIVE_LOGIN_LIMIT_DEFAULT = 50_000;

/**
 * The window the bound counts in: the default login timeout, so it approximates the logins in
 * flight. Logins with a longer timeout may outlive it; the bound counts starts, not survivors.
 */
export const LOGIN_COUNT_WINDOW_SECONDS = 600;

/**
 * How long an instance counts on its own before it adds its logins to the stored count and
 * reads back what every instance counted; also the most logins it counts unsaved.
 */
export const LOGIN_COUNT_SYNC_MS = 5_000;
export const LOGIN_COUNT_SYNC_BATCH = 100;

/**
 * One instance's view of the per-installation count (kept in `BridgeCaches`, lost with the
 * instance). Counting each login in storage would add three KVS round trips to every Forge
 * login (two reads and a read-and-write increment), doubling what a login costs; so each
 * instance counts locally and, at most every `LOGIN_COUNT_SYNC_MS` or `LOGIN_COUNT_SYNC_BATCH`
 * logins, adds its unsaved logins to the window's stored counter (whose answer is every
 * instance's total) and reads the previous window once per window. A cold instance starts
 * counting from zero without reading: a flood keeps instances warm, so the bound holds to
 * within what each instance admits between two syncs; an instance that dies loses at most its
 * unsaved count. The bound is on storage an anonymous client can fill, so that slack is fine.
 */
export class LoginCounter {
  private window: number | undefined;
  /** The previous window's stored total, as last read. */
  private previous = 0;
  /** This window's stored total, as last learned (the answer of our last increment or read). */
  private current = 0;
  /** Logins this instance admitted in this window and has not added to the stored counter yet. */
  private unsaved = 0;
  private syncedAt = 0;

  /**
   * Admits one SP-initiated login, or sheds it (503 `login_capacity` with `Retry-After`).
   * Logins started in the last window are estimated as this window's count plus the previous
   * window's, weighted by the share of it still inside the sliding window. A shed login stores
   * nothing.
   */
  async admit(context: LoginContext): Promise<void> {
    const { store, clock } = context.ports;
    const limit = context.liveLoginLimit ?? LIVE_LOGIN_LIMIT_DEFAULT;
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    const ttl = { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS };
    const now = clock.now();
    const window = Math.floor(now / windowMs);
    if (this.window === undefined) {
      // Cold: count from here; the first sync comes with a later login.
      this.window = window;
      this.syncedAt = now;
    } else if (window !== this.window) {
      // A new window: what this instance counted belongs to the old one; then read both.
      const unsaved = this.unsaved;
      const old = this.window;
      this.unsaved = 0;
      this.window = window;
      this.syncedAt = now;
      const [previous, current] = await guardStorage(async () => {
        if (unsaved > 0) await store.increment(storageKeys.loginCount(old), { ...ttl, by: unsaved });
        return Promise.all([store.get(storageKeys.loginCount(window - 1)), store.get(storageKeys.loginCount(window))]);
      });
      this.previous = countOf(previous);
      this.current = countOf(current);
    }
    const elapsed = now - window * windowMs;
    const thisWindow = this.current + this.unsaved;
    const estimate = this.previous * (1 - elapsed / windowMs) + thisWindow;
    if (estimate >= limit) {
      throw new BridgeError('login_capacity', `about ${Math.round(estimate)} logins started in the last ${LOGIN_COUNT_WINDOW_SECONDS} s; the limit is ${limit}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(msUntilBelow(this.previous, thisWindow, elapsed, windowMs, limit) / 1000)),
      });
    }
    this.unsaved += 1;
    if (now - this.syncedAt >= LOGIN_COUNT_SYNC_MS || this.unsaved >= LOGIN_COUNT_SYNC_BATCH) {
      const unsaved = this.unsaved;
      this.unsaved = 0;
      this.syncedAt = now;
      try {
        // Kept for two windows: the next one reads it as its previous.
        this.current = await guardStorage(() => store.increment(storageKeys.loginCount(window), { ...ttl, by: unsaved }));
      } catch (error) {
        this.unsaved += unsaved;
        throw error;
      }
    }
  }
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** When the estimate drops below `limit` if no login starts meanwhile. */
function msUntilBelow(previous: number, current: number, elapsed: number, windowMs: number, limit: number): number {
  const leftInWindow = windowMs - elapsed;
  if (current < limit) {
    // This window: the previous one slides out until previous·(1 − (elapsed + t)/window) + current < limit.
    const t = previous > 0 ? windowMs * (1 - (limit - current) / previous) - elapsed : 0;
    return Math.min(Math.max(t, 0), leftInWindow);
  }
  // The next window, where this one's count slides out in turn.
  return leftInWindow + windowMs * (1 - limit / current);
}
