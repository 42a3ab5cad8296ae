import { beforeEach, describe, expect, it } from '@jest/globals';
import { bindingHash } from '../../../../src/core/browser-binding.js';
import { cryptoRandom } from '../../../../src/core/default-ports.js';
import { BridgeError, type BridgeErrorCode } from '../../../../src/core/errors.js';
import { takeLoginTransaction } from '../../../../src/core/login/steps/take-transaction.js';
import { readTransaction, type LoginTransaction } from '../../../../src/core/login/transaction.js';
import type { Ports } from '../../../../src/core/ports.js';
import { storageKeys } from '../../../../src/core/storage-keys.js';
import { MemoryStore, MovableClock, recordingLogger } from '../../../support/memory-ports.js';

/**
 * The first step of every callback, on memory ports: the callback's parameters, the single-use
 * take, expiry and the browser binding, one named case per refusal. The stored records are
 * written here as the first leg writes them.
 */

const STATE = 'S'.repeat(43);
const COOKIE = 'c'.repeat(43);

let clock: MovableClock;
let store: MemoryStore;
let ports: Ports;
let reads: number;

beforeEach(() => {
  clock = new MovableClock();
  store = new MemoryStore(clock);
  reads = 0;
  const get = store.get.bind(store);
  store.get = (async (key: string) => {
    reads += 1;
    return get(key);
  }) as MemoryStore['get'];
  ports = { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: async () => Promise.reject(new TypeError('fetch failed')) };
});

function transaction(overrides: Partial<LoginTransaction> & { kind?: 'sp' | 'test' } = {}): LoginTransaction {
  const now = clock.now();
  const base = { v: 2 as const, attempt: 'R-1', connectionId: 'default', providerId: 'default', nonce: 'n', codeVerifier: 'v', createdAt: now, expiresAt: now + 600_000, browserHash: bindingHash(COOKIE), directoryRevision: null };
  return overrides.kind === 'test'
    ? ({ ...base, kind: 'test', testId: 't-1', startRedirect: 'https://idp.test/authorize', ...overrides } as LoginTransaction)
    : ({ ...base, kind: 'sp', samlRequestId: '_r', relayState: null, forceAuthn: false, spEntityId: 'https://sp.test', ...overrides } as LoginTransaction);
}

const stored = (t: LoginTransaction, state = STATE) => store.set(storageKeys.login(state), { ...t });
const query = (extra: Record<string, string[]> = {}) => ({ state: [STATE], code: ['code-1'], ...extra });
const cookieFor = (value: string | undefined) => (state: string) => (state === STATE ? value : undefined);
const stillStored = async () => (await store.take(storageKeys.login(STATE))) !== undefined;

async function refusal(run: Promise<unknown>): Promise<BridgeErrorCode> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BridgeError);
  return (error as BridgeError).code;
}

describe('takeLoginTransaction: the callback parameters', () => {
  it.each(['state', 'code', 'iss', 'error'])('refuses a repeated %s before touching the store', async (name) => {
    await stored(transaction());
    expect(await refusal(takeLoginTransaction(ports, query({ [name]: ['a', 'b'] }), cookieFor(COOKIE)))).toBe('callback_malformed');
    expect(await stillStored()).toBe(true);
  });

  it('refuses a callback without a state, or with an empty one', async () => {
    expect(await refusal(takeLoginTransaction(ports, { code: ['c'] }, cookieFor(COOKIE)))).toBe('login_state_missing');
    expect(await refusal(takeLoginTransaction(ports, { state: [''] }, cookieFor(COOKIE)))).toBe('login_state_missing');
  });

  it('refuses a state the bridge never issues without a storage read', async () => {
    for (const state of ['S'.repeat(42), 'S'.repeat(44), `${'S'.repeat(42)}=`, `${'S'.repeat(42)}.`]) {
      expect(await refusal(takeLoginTransaction(ports, { state: [state] }, () => undefined))).toBe('login_unknown');
    }
    expect(reads).toBe(0);
  });
});

describe('takeLoginTransaction: the transaction', () => {
  it('returns the bound login for its own cookie, and burns it', async () => {
    const record = transaction();
    await stored(record);
    const taken = await takeLoginTransaction(ports, query(), cookieFor(COOKIE));
    expect(taken).toEqual({ state: STATE, transaction: readTransaction(record) });
    expect(await stillStored()).toBe(false);
    expect(reads).toBe(0);
  });

  it('refuses an unknown or already used state', async () => {
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor(COOKIE)))).toBe('login_unknown');
    await stored(transaction());
    await takeLoginTransaction(ports, query(), cookieFor(COOKIE));
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor(COOKIE)))).toBe('login_unknown');
  });

  it('refuses a record this release did not write', async () => {
    await store.set(storageKeys.login(STATE), { v: 3, kind: 'sp' });
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor(COOKIE)))).toBe('login_unknown');
  });

  it('refuses an expired login (the store may serve expired values), and accepts one a millisecond before', async () => {
    // A clock that stands still: a millisecond is the whole margin.
    const fixed = clock.now();
    clock.now = () => fixed;
    await stored(transaction({ expiresAt: clock.now() }));
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor(COOKIE)))).toBe('login_expired');
    await stored(transaction({ expiresAt: clock.now() + 1 }));
    expect((await takeLoginTransaction(ports, query(), cookieFor(COOKIE))).state).toBe(STATE);
  });

  it('accepts an unbound login without any cookie', async () => {
    await stored(transaction({ browserHash: null }));
    expect(await takeLoginTransaction(ports, query(), () => undefined)).toEqual({ state: STATE, transaction: expect.objectContaining({ browserHash: null }) });
  });
});

describe('takeLoginTransaction: the browser binding', () => {
  it('refuses a bound login without its cookie and keeps it for its own browser', async () => {
    await stored(transaction());
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined))).toBe('login_browser_mismatch');
    expect((await takeLoginTransaction(ports, query(), cookieFor(COOKIE))).state).toBe(STATE);
  });

  it('burns a bound login on a cookie of the wrong value, without a read first', async () => {
    await stored(transaction());
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor('x'.repeat(43))))).toBe('login_browser_mismatch');
    expect(reads).toBe(0);
    expect(await stillStored()).toBe(false);
  });

  it('lets an expired bound login without its cookie go to the take (and be refused as expired)', async () => {
    await stored(transaction({ expiresAt: clock.now() }));
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined))).toBe('login_expired');
  });

  it('burns a bound connection test without the cookie, and reports the cookie not seen', async () => {
    await stored(transaction({ kind: 'test' }));
    expect(await takeLoginTransaction(ports, query(), () => undefined)).toMatchObject({ state: STATE, bindingCookie: 'not_seen' });
  });

  it('reports the cookie seen for a test that brought it, and refuses a test with a wrong one', async () => {
    await stored(transaction({ kind: 'test' }));
    expect(await takeLoginTransaction(ports, query(), cookieFor(COOKIE))).toMatchObject({ bindingCookie: 'seen' });
    await stored(transaction({ kind: 'test' }));
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor('x'.repeat(43))))).toBe('login_browser_mismatch');
  });

  it('asks whether cookie drops were seen only for a callback without the cookie', async () => {
    let asked = 0;
    // The last test saw the cookie dropped (`seen: false`).
    const dropsSeen = async () => {
      asked += 1;
      return false;
    };
    await stored(transaction());
    await takeLoginTransaction(ports, query(), cookieFor(COOKIE), dropsSeen);
    expect(asked).toBe(0);
    await stored(transaction());
    expect(await takeLoginTransaction(ports, query(), () => undefined, dropsSeen)).toMatchObject({ state: STATE, unbound: true });
    expect(asked).toBe(1);
    expect(reads).toBe(0);
  });

  it('still refuses a wrong cookie where cookie drops were seen', async () => {
    await stored(transaction());
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor('x'.repeat(43)), async () => false))).toBe('login_browser_mismatch');
  });

  it('refuses a bound login without its cookie where no drops were seen', async () => {
    await stored(transaction());
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined, async () => true))).toBe('login_browser_mismatch');
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined, async () => undefined))).toBe('login_browser_mismatch');
  });

  it('decides on the taken record: a pre-check that reads no binding does not unbind it', async () => {
    await stored(transaction());
    store.get = (async () => ({ ...transaction(), browserHash: null })) as MemoryStore['get'];
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined))).toBe('login_browser_mismatch');
    expect(await stillStored()).toBe(false);
  });

  it('turns a failing store into storage_unavailable', async () => {
    await stored(transaction());
    store.failNext.write = 1;
    expect(await refusal(takeLoginTransaction(ports, query(), cookieFor(COOKIE)))).toBe('storage_unavailable');
  });
});

describe('takeLoginTransaction: a connection test on a host known to carry the cookie', () => {
  it('refuses a test without its cookie once the last test saw the cookie carried, and keeps it for the admin\'s browser', async () => {
    await stored(transaction({ kind: 'test' }));
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined, async () => true))).toBe('login_browser_mismatch');
    expect((await takeLoginTransaction(ports, query(), cookieFor(COOKIE), async () => true)).bindingCookie).toBe('seen');
  });

  it('still measures where the cookie was seen dropped, or never measured', async () => {
    for (const seen of [false, undefined]) {
      await stored(transaction({ kind: 'test' }));
      expect(await takeLoginTransaction(ports, query(), () => undefined, async () => seen)).toMatchObject({ bindingCookie: 'not_seen' });
    }
  });

  it('refuses a login with a wrong cookie whatever the last test saw', async () => {
    for (const seen of [true, false, undefined]) {
      await stored(transaction());
      expect(await refusal(takeLoginTransaction(ports, query(), cookieFor('y'.repeat(43)), async () => seen))).toBe('login_browser_mismatch');
    }
  });

  it('refuses an unknown state without a cookie on its one read: no take', async () => {
    let takes = 0;
    const take = store.take.bind(store);
    store.take = (async (key: string) => {
      takes += 1;
      return take(key);
    }) as MemoryStore['take'];
    expect(await refusal(takeLoginTransaction(ports, query(), () => undefined))).toBe('login_unknown');
    expect(takes).toBe(0);
  });
});
