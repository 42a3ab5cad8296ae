/**
 * Slows down, then refuses, a client that keeps presenting wrong admin tokens. A generated token
 * has 256 bits and cannot be guessed; a chosen one (`BRIDGE_ADMIN_TOKEN`, at least 16
 * characters) might be weak, and every wrong guess costs the server a request. Per client
 * address (the socket's: a header such as X-Forwarded-For is whatever the client says it is):
 * the first few failures are free (a mistyped token), each further one is answered later and
 * later, and past a limit the address gets 429 with `Retry-After` for a lockout that doubles
 * each time, whatever token it sends. A correct token clears the address's record.
 */

export interface AdminRateLimitPolicy {
  /** Wrong tokens answered at once. */
  freeFailures: number;
  /** The delay of the first failure past the free ones; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures after which the address is locked out. */
  lockAfterFailures: number;
  /** The first lockout; it doubles with each failure past the limit. */
  lockoutMs: number;
  maxLockoutMs: number;
  /** A record with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Addresses tracked at most; the oldest is dropped first, so memory stays bounded. */
  maxAddresses: number;
}

export const DEFAULT_ADMIN_RATE_LIMIT: AdminRateLimitPolicy = {
  freeFailures: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  lockAfterFailures: 10,
  lockoutMs: 60_000,
  maxLockoutMs: 60 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxAddresses: 10_000,
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export type AdminRateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class AdminRateLimiter {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly policy: AdminRateLimitPolicy = DEFAULT_ADMIN_RATE_LIMIT,
  ) {}

  /** Before the token is looked at: a locked-out address is refused whatever it sends. */
  check(address: string): AdminRateVerdict {
    const record = this.current(address);
    const now = this.now();
    if (!record || record.lockedUntil <= now) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((record.lockedUntil - now) / 1000)) };
  }

  /** A wrong token: how long to hold the answer back (ms), and the lockout it may have started. */
  failure(address: string): { delayMs: number } & AdminRateVerdict {
    const now = this.now();
    const record = this.current(address) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    // Re-inserted, so the Map's order is the order of last failure (the oldest is evicted first).
    this.records.delete(address);
    this.records.set(address, record);
    while (this.records.size > this.policy.maxAddresses) this.records.delete(this.records.keys().next().value!);
    const { freeFailures, baseDelayMs, maxDelayMs, lockAfterFailures, lockoutMs, maxLockoutMs } = this.policy;
    if (record.failures >= lockAfterFailures) {
      record.lockedUntil = now + Math.min(maxLockoutMs, lockoutMs * 2 ** (record.failures - lockAfterFailures));
      return { delayMs: 0, ...this.check(address) };
    }
    const delayMs = record.failures > freeFailures ? Math.min(maxDelayMs, baseDelayMs * 2 ** (record.failures - freeFailures - 1)) : 0;
    return { delayMs, allowed: true };
  }

  /** The right token: the address starts afresh. */
  success(address: string): void {
    this.records.delete(address);
  }

  /** How many addresses are tracked (for tests: the bound holds). */
  get size(): number {
    return this.records.size;
  }

  private current(address: string): FailureRecord | undefined {
    const record = this.records.get(address);
    if (record && record.lockedUntil <= this.now() && this.now() - record.lastFailureAt > this.policy.forgetAfterMs) {
      this.records.delete(address);
      return undefined;
    }
    return record;
  }
}
