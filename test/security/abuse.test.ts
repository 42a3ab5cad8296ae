import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { browserBindingCookieName } from '../../src/core/browser-binding.js';
import { LOGIN_COUNT_SYNC_MS, LOGIN_COUNT_WINDOW_SECONDS } from '../../src/core/login/steps/admit-login.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { authnRequestXml, redirectEncode } from '../support/refusals.js';
import { inProcessBridge, type InProcessBridge } from '../support/in-process-bridge.js';
import { forgeBridge, type ForgeBridge } from '../support/forge-bridge.js';
import { TEST_WEB_TRIGGER_URL } from '../forge/forge-platform.js';
import type { MemoryAuditTrail } from '../support/memory-audit-trail.js';

/**
 * What an anonymous client can make the bridge store. A callback's `state` names a login
 * transaction; one the bridge never issued (or one already used, or expired) must cost a read
 * and nothing else, on every store (test/contract/key-value-store.contract.test.ts proves the
 * stores' `take`; here the whole callback, in-process and on Forge's KVS).
 */

/** A state in the issued format (32 random bytes, base64url) that the bridge never issued. */
const neverIssued = () => randomBytes(32).toString('base64url');

const KVS_WRITE_PATHS = /\/(set|delete|transaction)$/;

describe('a callback for a state the bridge never issued writes nothing (in-process)', () => {
  let b: InProcessBridge;
  beforeAll(async () => {
    b = await inProcessBridge();
  });

  /** Runs `action` and returns how many writes reached the store and the audit trail. */
  const writesDuring = async (action: () => Promise<unknown>) => {
    const before = { store: b.store.writes, audit: (b.audit as MemoryAuditTrail).size };
    await action();
    return { store: b.store.writes - before.store, audit: (b.audit as MemoryAuditTrail).size === before.audit ? 0 : 1 };
  };

  const callback = (state: string, cookie?: string) =>
    b.get('/oidc/callback', { state: [state], code: ['a-code'] }, cookie ? { cookie: [cookie] } : {});

  it('a never-issued state, without a binding cookie', async () => {
    let status = 0;
    const writes = await writesDuring(async () => {
      const response = await callback(neverIssued());
      status = response.status;
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(status).toBe(400);
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a never-issued state, with a binding cookie of its own name', async () => {
    const state = neverIssued();
    const writes = await writesDuring(async () => {
      const response = await callback(state, `${browserBindingCookieName(state, b.config.baseUrl)}=forged`);
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a state already used', async () => {
    const { state, cookie } = await b.startLogin();
    // The first return burns the transaction (it carries no code, so it ends there).
    const first = await b.get('/oidc/callback', { state: [state] }, cookie ? { cookie: [cookie] } : {});
    expect(first.headers['X-Bridge-Error']).toBe('oidc_code_missing');
    const writes = await writesDuring(async () => {
      const response = await callback(state, cookie);
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a state past its expiry', async () => {
    const { state, cookie } = await b.startLogin();
    b.clock.offsetMs += (b.config.loginTimeoutSeconds + 120) * 1000;
    try {
      const writes = await writesDuring(async () => {
        const response = await callback(state, cookie);
        expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
      });
      expect(writes.store).toBe(0);
    } finally {
      b.clock.offsetMs = 0;
    }
  });
});

describe('a callback for a state the bridge never issued writes nothing (Forge KVS)', () => {
  let forge: ForgeBridge;
  beforeAll(async () => {
    forge = await forgeBridge();
    // A login first, so the configuration and the provider's metadata are read and cached.
    expect((await forge.sso()).statusCode).toBe(302);
  });
  afterAll(() => forge.uninstall());

  const kvsWritesDuring = async (action: () => Promise<unknown>) => {
    const before = forge.platform.kvs.requests.length;
    await action();
    return forge.platform.kvs.requests.slice(before).filter((request) => KVS_WRITE_PATHS.test(request.path)).map((request) => request.path);
  };

  it('without a binding cookie, and with a forged one', async () => {
    const state = neverIssued();
    const writes = await kvsWritesDuring(async () => {
      expect((await forge.callback({ state: [state], code: ['a-code'] })).statusCode).toBe(400);
      const cookie = `${browserBindingCookieName(state, TEST_WEB_TRIGGER_URL)}=forged`;
      expect((await forge.callback({ state: [state], code: ['a-code'] }, cookie)).statusCode).toBe(400);
    });
    expect(writes).toEqual([]);
  });
});

describe('live logins per installation are bounded: past the bound a login is shed with 503 and Retry-After', () => {
  const LIMIT = 3;
  let b: InProcessBridge;
  beforeAll(async () => {
    b = await inProcessBridge({ liveLoginLimit: LIMIT });
  });

  // Issued at the bridge's clock, which these tests move by whole windows.
  const sso = () =>
    b.get('/saml/sso', {
      SAMLRequest: [redirectEncode(authnRequestXml({ issueInstant: new Date(b.clock.now()).toISOString() }))],
      RelayState: ['https://start.atlassian.com'],
    });
  const loginKeys = () => b.store.keys(storageKeys.login(''));

  it('admits logins up to the bound, then sheds the next with a clear page, a reference and nothing stored', async () => {
    // Start at the beginning of a counting window, so the window's count alone decides.
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    b.clock.offsetMs = Math.ceil(Date.now() / windowMs) * windowMs - Date.now() + 1000;
    for (let i = 0; i < LIMIT; i += 1) expect((await sso()).status).toBe(302);
    expect(loginKeys()).toHaveLength(LIMIT);

    const before = { writes: b.store.writes, audit: (b.audit as MemoryAuditTrail).size, logs: b.logger.records.length, fetches: b.provider.calls.length };
    const shed = await sso();
    expect(shed.status).toBe(503);
    expect(shed.headers['X-Bridge-Error']).toBe('login_capacity');
    const reference = shed.headers['X-Bridge-Reference']!;
    expect(shed.body).toContain(reference);
    expect(shed.headers['Content-Type']).toMatch(/^text\/html/);
    expect(shed.headers.Location).toBeUndefined();
    // All three logins started this window: the bound frees when the window has passed.
    const retryAfter = Number(shed.headers['Retry-After']);
    expect(retryAfter).toBe(LOGIN_COUNT_WINDOW_SECONDS - 1);
    // Nothing stored: no transaction, no count, no audit record; the provider was not asked.
    expect(b.store.writes).toBe(before.writes);
    expect(loginKeys()).toHaveLength(LIMIT);
    expect((b.audit as MemoryAuditTrail).size).toBe(before.audit);
    expect(b.provider.calls.length).toBe(before.fetches);
    // The log line carries the reference and the code.
    const logged = b.logger.records.slice(before.logs);
    expect(logged).toEqual([expect.objectContaining({ level: 'error', event: 'request.failed', fields: expect.objectContaining({ reference, code: 'login_capacity', status: 503 }) })]);

    // Retry-After is when the bound frees: a second early is still shed, then a login starts.
    b.clock.offsetMs += (retryAfter - 1) * 1000;
    expect((await sso()).status).toBe(503);
    b.clock.offsetMs += 1000;
    expect((await sso()).status).toBe(302);
  });

  it('counts the previous window in proportion to what of it is still inside the last ten minutes', async () => {
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    // A fresh window; the previous one counted LIMIT logins (the last test's window may differ).
    b.clock.offsetMs = Math.ceil((Date.now() + b.clock.offsetMs) / windowMs) * windowMs - Date.now() + 10 * windowMs;
    const window = Math.floor((Date.now() + b.clock.offsetMs) / windowMs);
    await b.store.set(storageKeys.loginCount(window - 1), LIMIT * 2, { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS });
    // At the window's start the previous window weighs in whole: 6 ≥ 3, shed.
    const shed = await sso();
    expect(shed.status).toBe(503);
    // 6·(1 − t/window) < 3 from half the window on.
    expect(Number(shed.headers['Retry-After'])).toBe(LOGIN_COUNT_WINDOW_SECONDS / 2);
    b.clock.offsetMs += (windowMs / 2) + 1000;
    expect((await sso()).status).toBe(302);
  });

  it('refuses a bound that is not a positive integer', async () => {
    await expect(inProcessBridge({ liveLoginLimit: 0 })).rejects.toThrow(TypeError);
  });
});

describe('admitting a login on Forge is cheap: counted in the instance, synced at most every few seconds, no query scan', () => {
  let forge: ForgeBridge;
  beforeAll(async () => {
    forge = await forgeBridge();
    // A cold instance counts its first login without reading the stored count.
    const before = forge.platform.kvs.requests.length;
    expect((await forge.sso()).statusCode).toBe(302);
    expect(countingRequests(forge.platform.kvs.requests.slice(before))).toEqual([]);
  });
  afterAll(() => forge.uninstall());

  const countingRequests = (requests: { path: string; body: unknown }[]) =>
    requests.filter((request) => JSON.stringify(request.body).includes(':login-count:')).map((request) => request.path);

  it('a warm login between syncs costs no storage round trip for the count', async () => {
    const before = forge.platform.kvs.requests.length;
    expect((await forge.sso()).statusCode).toBe(302);
    const requests = forge.platform.kvs.requests.slice(before);
    expect(countingRequests(requests)).toEqual([]);
    expect(requests.filter((request) => /query/.test(request.path))).toEqual([]);
  });

});

describe('each instance adds the logins it admitted to the stored count, at most every few seconds', () => {
  let b: InProcessBridge;
  beforeAll(async () => {
    b = await inProcessBridge();
  });
  const sso = () =>
    b.get('/saml/sso', {
      SAMLRequest: [redirectEncode(authnRequestXml({ issueInstant: new Date(b.clock.now()).toISOString() }))],
      RelayState: ['https://start.atlassian.com'],
    });

  it('counts three logins locally, then stores all three with the first login past the interval', async () => {
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    // Well inside one window, so no window change interferes.
    b.clock.offsetMs = Math.ceil(Date.now() / windowMs) * windowMs - Date.now() + 1000;
    const window = Math.floor(b.clock.now() / windowMs);
    for (let i = 0; i < 2; i += 1) expect((await sso()).status).toBe(302);
    await expect(b.store.get(storageKeys.loginCount(window))).resolves.toBeUndefined();
    b.clock.offsetMs += LOGIN_COUNT_SYNC_MS;
    expect((await sso()).status).toBe(302);
    await expect(b.store.get(storageKeys.loginCount(window))).resolves.toBe(3);
  });

  it('learns what other instances counted when it syncs, and sheds past the bound', async () => {
    const limited = await inProcessBridge({ liveLoginLimit: 10 });
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    limited.clock.offsetMs = Math.ceil(Date.now() / windowMs) * windowMs - Date.now() + 1000;
    const window = Math.floor(limited.clock.now() / windowMs);
    const start = () =>
      limited.get('/saml/sso', {
        SAMLRequest: [redirectEncode(authnRequestXml({ issueInstant: new Date(limited.clock.now()).toISOString() }))],
        RelayState: ['https://start.atlassian.com'],
      });
    expect((await start()).status).toBe(302);
    // Other instances stored 9 meanwhile; the next sync adds this one's and reads the total.
    await limited.store.set(storageKeys.loginCount(window), 9, { ttlSeconds: 2 * LOGIN_COUNT_WINDOW_SECONDS });
    limited.clock.offsetMs += LOGIN_COUNT_SYNC_MS;
    expect((await start()).status).toBe(302);
    await expect(limited.store.get(storageKeys.loginCount(window))).resolves.toBe(11);
    expect((await start()).status).toBe(503);
  });
});

describe('refused AuthnRequests are bounded too: their audit records count toward the same bound', () => {
  it('records refusals up to the bound, then keeps only the log line; a login past it is shed', async () => {
    const limited = await inProcessBridge({ liveLoginLimit: 2 });
    const windowMs = LOGIN_COUNT_WINDOW_SECONDS * 1000;
    limited.clock.offsetMs = Math.ceil(Date.now() / windowMs) * windowMs - Date.now() + 1000;
    const audit = limited.audit as MemoryAuditTrail;
    // Anyone can send this: an AuthnRequest from an SP no connection names.
    const foreign = () =>
      limited.get('/saml/sso', {
        SAMLRequest: [redirectEncode(authnRequestXml({ issuer: 'https://attacker.example/sp', issueInstant: new Date(limited.clock.now()).toISOString() }))],
      });
    const before = audit.size;
    for (let i = 0; i < 2; i += 1) expect((await foreign()).status).toBe(400);
    expect(audit.size).toBe(before + 2);
    const past = await foreign();
    expect(past.status).toBe(400);
    expect(audit.size).toBe(before + 2);
    expect(limited.logger.records).toContainEqual(expect.objectContaining({ event: 'audit.shed', fields: expect.objectContaining({ reference: past.headers['X-Bridge-Reference'], code: 'login_capacity' }) }));
    const login = await limited.get('/saml/sso', {
      SAMLRequest: [redirectEncode(authnRequestXml({ issueInstant: new Date(limited.clock.now()).toISOString() }))],
      RelayState: ['https://start.atlassian.com'],
    });
    expect(login.headers['X-Bridge-Error']).toBe('login_capacity');
  });
});
