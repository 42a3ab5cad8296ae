import { kvs } from '@forge/kvs';
import { BridgeError } from '../core/errors.js';
import { incrementStep, type Clock, type Json, type KeyValueStore, type RevisedValue, type SecretStore } from '../core/ports.js';

/**
 * The storage ports on Forge's Key-Value Store (`@forge/kvs`).
 *
 * Every value is kept in an envelope `{ v, exp? }`: KVS may go on serving a value for up to
 * 48 hours after its TTL, so the TTL is only a hint for the clean-up and `exp` (epoch ms, from
 * the injected clock) decides whether a value still exists. `take` leaves a tombstone
 * `{ taken: true, exp }` behind, which reads as absent.
 */

/**
 * How long the claim on a revision (`compareAndSet`) lives: longer than any resolver runs (25 s),
 * so a live writer always finishes under it, and short, so a writer that died holding it blocks
 * the next save only briefly.
 */
const REVISION_CLAIM_SECONDS = 30;

/** How long a tombstone left by `take` lives; long enough to outlast any racing reader. */
const TOMBSTONE_SECONDS = 60;

/**
 * How often `increment` adds back the counts its write erased. Each round costs a read and a
 * write; past the last the count may come out a little off, which a bound absorbs.
 */
const INCREMENT_CORRECTIONS = 3;

type Envelope = { v: Json; exp?: number };
type Tombstone = { taken: true; exp: number };

/** What a stored envelope means right now: a value, or nothing (absent, expired, taken, foreign). */
type Slot = { live: true; value: Json; exp?: number } | { live: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSlot(raw: unknown, now: number): Slot {
  if (!isRecord(raw) || raw.taken === true || !('v' in raw)) return { live: false };
  const { exp } = raw;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) return { live: false };
  return { live: true, value: raw.v as Json, ...(typeof exp === 'number' ? { exp } : {}) };
}

function countOf(value: Json): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function ttlOption(seconds: number | undefined) {
  return seconds === undefined ? {} : { ttl: { unit: 'SECONDS' as const, value: seconds } };
}

function checkTtl(ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('ttlSeconds must be a positive number');
  }
  // KVS takes whole units; round up so the backend never drops a value before its own expiry.
  return Math.ceil(ttlSeconds);
}

/**
 * The SDK answers a `FAIL_IF_EXISTS` write on an existing key with an HTTP 409 error
 * (`ForgeKvsAPIError`, code `KEY_CONFLICT`). Atlassian does not document the code, so the
 * status decides and the codes seen in the wild are accepted as well.
 */
const KEY_EXISTS_CODES = new Set(['KEY_CONFLICT', 'KEY_ALREADY_EXISTS', 'KEY_EXISTS']);

export function isKeyExistsError(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const details = error.responseDetails;
  const status = isRecord(details) ? details.status : undefined;
  return status === 409 || (typeof error.code === 'string' && KEY_EXISTS_CODES.has(error.code));
}

/** Storage failures become one code; the detail names the operation and the SDK's error code, never a key or value. */
function storageFailure(operation: string, error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  const details = isRecord(error) ? error.responseDetails : undefined;
  const status = isRecord(details) && typeof details.status === 'number' ? details.status : undefined;
  const why = [code, status].filter((part) => part !== undefined).join(' ');
  return new BridgeError('storage_unavailable', `kvs ${operation} failed${why ? ` (${why})` : ''}`, { cause: error });
}

/** Runs one storage call, turning whatever it throws into `storage_unavailable`. */
export async function guarded<T>(operation: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw storageFailure(operation, error);
  }
}

export class ForgeKeyValueStore implements KeyValueStore {
  constructor(private readonly clock: Clock) {}

  async get<T extends Json>(key: string): Promise<T | undefined> {
    const raw = await guarded('get', () => kvs.get<unknown>(key));
    const slot = readSlot(raw, this.clock.now());
    return slot.live ? (slot.value as T) : undefined;
  }

  async set(key: string, value: Json, options: { ttlSeconds?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    const ttlSeconds = checkTtl(options.ttlSeconds);
    const envelope: Envelope = { v: value };
    if (ttlSeconds !== undefined) envelope.exp = this.clock.now() + ttlSeconds * 1000;

    if (!options.ifAbsent) {
      await guarded('set', () => kvs.set(key, envelope, ttlOption(ttlSeconds)));
      return true;
    }
    return guarded('set', () => this.setIfAbsent(key, envelope, ttlSeconds));
  }

  async delete(key: string): Promise<void> {
    await guarded('delete', () => kvs.delete(key));
  }

  async take<T extends Json>(key: string): Promise<T | undefined> {
    const now = this.clock.now();
    // Read first: a key with nothing live (never written, past its own expiry, a tombstone)
    // costs no write (see `KeyValueStore.take`). Two takers may both read the value; the swap
    // below still gives it to one of them.
    if (!readSlot(await guarded('take', () => kvs.get<unknown>(key)), now).live) return undefined;
    const tombstone: Tombstone = { taken: true, exp: now + TOMBSTONE_SECONDS * 1000 };
    // One atomic write: whoever swaps the tombstone in receives the previous value; every
    // concurrent caller after it receives the tombstone, which reads as absent.
    const previous = await guarded('take', () =>
      kvs.set<Tombstone, unknown>(key, tombstone, {
        keyPolicy: 'OVERRIDE',
        returnValue: 'PREVIOUS',
        ...ttlOption(TOMBSTONE_SECONDS),
      }),
    );
    const slot = readSlot(previous?.value, now);
    return slot.live ? (slot.value as T) : undefined;
  }

  /**
   * KVS has no atomic increment on plain keys (its conditional writes are for custom entities),
   * so this reads the count, writes it plus one with `returnValue: 'PREVIOUS'`, and learns from
   * the value it replaced whether another caller wrote in between. If one did, our write erased
   * that caller's counts: they are added back on the next round (read, write plus what was
   * erased). Usually a read and one write; under heavy contention the count errs high (never
   * much low), which for a bound means shedding a little early: see `KeyValueStore.increment`.
   */
  async increment(key: string, options: { ttlSeconds: number; by?: number }): Promise<number> {
    const ttlSeconds = checkTtl(options.ttlSeconds)!;
    let owed = incrementStep(options.by);
    for (let round = 0; ; round += 1) {
      const now = this.clock.now();
      const current = readSlot(await guarded('increment', () => kvs.get<unknown>(key)), now);
      const counted = current.live ? countOf(current.value) : 0;
      // The counter keeps the expiry it was created with.
      const exp = current.live && current.exp !== undefined ? current.exp : now + ttlSeconds * 1000;
      const next = counted + owed;
      const envelope: Envelope = { v: next, exp };
      const previous = await guarded('increment', () =>
        kvs.set<Envelope, unknown>(key, envelope, {
          keyPolicy: 'OVERRIDE',
          returnValue: 'PREVIOUS',
          ...ttlOption(Math.max(1, Math.ceil((exp - now) / 1000))),
        }),
      );
      const replaced = readSlot(previous?.value, this.clock.now());
      const erased = (replaced.live ? countOf(replaced.value) : 0) - counted;
      if (erased <= 0 || round === INCREMENT_CORRECTIONS) return next;
      owed = erased;
    }
  }

  /**
   * KVS has no conditional write on plain keys, but it has an atomic create (`FAIL_IF_EXISTS`):
   * a writer first claims the revision it is about to write, `key#rev:<n>`. Of writers that
   * read the same revision, one claim succeeds; the others learn of the conflict before writing.
   * The value is checked again after the claim, for a writer whose claim outlived a dead one's.
   */
  async compareAndSet(key: string, expected: number | null, value: RevisedValue): Promise<boolean> {
    if (!(value.revision > (expected ?? 0))) throw new TypeError('compareAndSet: the new revision must be greater than the expected one');
    const claimed = await this.set(`${key}#rev:${value.revision}`, { claimedAt: this.clock.now() }, { ifAbsent: true, ttlSeconds: REVISION_CLAIM_SECONDS });
    if (!claimed) return false;
    const current = await this.get<{ revision?: Json }>(key);
    if ((current === undefined ? null : current.revision) !== expected) return false;
    await this.set(key, value);
    return true;
  }

  private async setIfAbsent(key: string, envelope: Envelope, ttlSeconds: number | undefined): Promise<boolean> {
    try {
      await kvs.set(key, envelope, { keyPolicy: 'FAIL_IF_EXISTS', ...ttlOption(ttlSeconds) });
      return true;
    } catch (error) {
      if (!isKeyExistsError(error)) throw error;
    }
    // The key exists for KVS, but it may hold something that no longer exists for us: a value past
    // its own expiry that KVS has not purged yet, or a tombstone left by take().
    if (readSlot(await kvs.get<unknown>(key), this.clock.now()).live) return false;
    // Claim the dead entry with one atomic swap; the previous value tells who won.
    const previous = await kvs.set<Envelope, unknown>(key, envelope, {
      keyPolicy: 'OVERRIDE',
      returnValue: 'PREVIOUS',
      ...ttlOption(ttlSeconds),
    });
    const now = this.clock.now();
    const lost = readSlot(previous?.value, now);
    if (!lost.live) return true;
    // Another caller claimed the entry between our read and our swap: put its value back.
    const remaining = lost.exp === undefined ? undefined : Math.ceil((lost.exp - now) / 1000);
    await kvs.set(key, previous!.value, ttlOption(remaining !== undefined && remaining > 0 ? remaining : undefined));
    return false;
  }
}

export class ForgeSecretStore implements SecretStore {
  async getSecret<T extends Json>(key: string): Promise<T | undefined> {
    const raw = await guarded('getSecret', () => kvs.getSecret<unknown>(key));
    const slot = readSlot(raw, Number.NEGATIVE_INFINITY);
    return slot.live ? (slot.value as T) : undefined;
  }

  async setSecret(key: string, value: Json): Promise<void> {
    const envelope: Envelope = { v: value };
    await guarded('setSecret', () => kvs.setSecret(key, envelope));
  }

  async deleteSecret(key: string): Promise<void> {
    await guarded('deleteSecret', () => kvs.deleteSecret(key));
  }
}
