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
 * Admits one SP-initiated login, or sheds it. The count is kept per window in one counter
 * (`storageKeys.loginCount`), so admitting costs two reads and one increment, never a scan of
 * the stored transactions (a KVS query on Forge). Logins started in the last window are
 * estimated as this window's count plus the previous window's, weighted by the share of it
 * still inside the sliding window. A shed login stores nothing.
 */
export async function admitLogin(context: LoginContext): Promise<void> {
  const { store, clock } = context.ports;
  const limit = context.liveLoginLimit ?? LIVE_LOGIN_LIMIT_DEFAULT;
  const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
  const now = clock.now();
  const window = Math.floor(now / windowMs);
  const elapsed = now - window * windowMs;
  const [previousCount, currentCount] = await guardStorage(() =>
    Promise.all([store.get(storageKeys.loginCount(window - 1)), store.get(storageKeys.loginCount(window))]),
  );
  const previous = countOf(previousCount);
  const current = countOf(currentCount);
  const estimate = previous * (1 - elapsed / windowMs) + current;
  if (estimate >= limit) {
    throw new BridgeError('login_capacity', `about ${Math.round(estimate)} logins started in the last ${LOGIN_COUNT_WINDOW_SECONDS} s; the limit is ${limit}`, {
      retryAfterSeconds: Math.max(1, Math.ceil(msUntilBelow(previous, current, elapsed, windowMs, limit) / 1000)),
    });
  }
  // Kept for two windows: the next one reads it as its previous.
  await guardStorage(() => store.increment(storageKeys.loginCount(window), { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS }));
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
