import { beforeEach, describe, expect, it } from '@jest/globals';
import { bindingMode, readBindingCookieCheck, writeBindingCookieCheck } from '../../../src/core/browser-binding.js';
import { cryptoRandom } from '../../../src/core/default-ports.js';
import type { BridgeResponse } from '../../../src/core/http-types.js';
import { startTestLogin } from '../../../src/core/login/connection-test.js';
import type { Json, Ports } from '../../../src/core/ports.js';
import { storageKeys } from '../../../src/core/storage-keys.js';
import { actorHash, readTestRecord, writeTestRecord } from '../../../src/core/test-login.js';
import { inProcessBridge, type InProcessBridge } from '../../support/in-process-bridge.js';

/**
 * The browser binding against login CSRF, in-process over the core (https host, in-memory
 * store, stub provider): the cookie's attributes, the check before the burn, the connection
 * test's measurement of the cookie and what it changes. Each case names the check it proves.
 */

const HOST_COOKIE = /^__Host-bridge_login_[\w-]{16}=[\w-]{43}; Path=\/; Max-Age=(\d+); HttpOnly; Secure; SameSite=Lax$/;

let b: InProcessBridge;

beforeEach(async () => {
  b = await inProcessBridge({ connectionTests: true });
});

const ports = (): Ports => ({ store: b.store, secrets: b.store, clock: b.clock, random: cryptoRandom, logger: b.logger, fetch: b.provider.fetch });
const code = (response: BridgeResponse) => ({ status: response.status, code: response.headers['X-Bridge-Error'] });
const tokenCalls = () => b.provider.calls.filter((url) => url === b.provider.endpoints.token).length;
const callback = (query: Record<string, string[]>, cookie?: string) => b.get('/oidc/callback', query, cookie ? { cookie: [cookie] } : {});

/** A login at the SSO URL, signed in at the provider: the callback query and the binding cookie (name=value). */
async function loginUpToCallback() {
  const started = await b.startLogin();
  return { query: b.provider.authorize(started.location), cookie: started.cookie, setCookie: started.response.cookies?.[0] };
}

/** A connection test as `test/start` begins it: the pending record and the start URL's query. */
async function startTest() {
  const testId = cryptoRandom.token(16);
  const now = b.clock.now();
  await writeTestRecord(b.store, testId, { v: 1, state: 'pending', actorHash: actorHash('admin'), createdAt: now, expiresAt: now + 600_000 });
  const started = await startTestLogin({ ports: ports(), providerCache: b.caches.provider, allowLoopbackHttp: false }, b.config, testId, { reference: 'R-TEST-0001', startedAt: now, flow: 'test' });
  return { testId, startQuery: { state: [started.state], binding: [started.bindingValue] } };
}

/** The admin's browser through the test: the start URL (sets the cookie), the provider, the callback. */
async function runTest(options: { cookiesComeBack: boolean; code?: string; cookie?: string }) {
  const { testId, startQuery } = await startTest();
  const start = await b.get('/test/start', startQuery);
  expect(start.status).toBe(302);
  const query = b.provider.authorize(start.headers.Location!);
  if (options.code) query.code = [options.code];
  const cookie = options.cookie ?? (options.cookiesComeBack ? start.cookies![0]!.split(';')[0] : undefined);
  const page = await callback(query, cookie);
  return { testId, start, page, record: await readTestRecord(b.store, testId) };
}

describe('the binding cookie', () => {
  it('is __Host- prefixed, Path=/, Secure, HttpOnly, SameSite=Lax on an https host, for the login timeout', async () => {
    const { setCookie } = await loginUpToCallback();
    expect(setCookie).toMatch(HOST_COOKIE);
    expect(HOST_COOKIE.exec(setCookie!)![1]).toBe('600');
  });

  it('is cleared when the login ends, on the success page and on a failure after the burn', async () => {
    const { query, cookie } = await loginUpToCallback();
    const done = await callback(query, cookie);
    expect(done.status).toBe(200);
    expect(done.cookies?.[0]).toBe(`${cookie!.split('=')[0]}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`);

    const next = await loginUpToCallback();
    const failed = await callback({ ...next.query, code: ['not-a-code'] }, next.cookie);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.cookies?.[0]).toMatch(/^__Host-bridge_login_[\w-]{16}=; Path=\/; Max-Age=0;/);
  });

  it('counts only under its __Host- name on https: the same value under the plain name is refused', async () => {
    const { query, cookie } = await loginUpToCallback();
    const page = await callback(query, cookie!.replace(/^__Host-/, ''));
    expect(code(page)).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect(tokenCalls()).toBe(0);
  });
});

describe('the check before the burn', () => {
  it('refuses a callback without the cookie and keeps the login: the browser that started it still finishes it', async () => {
    const { query, cookie } = await loginUpToCallback();
    const elsewhere = await callback(query);
    expect(code(elsewhere)).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect(tokenCalls()).toBe(0);
    // No cookie to clear in a browser that never had it.
    expect(elsewhere.cookies?.[0]).toBeUndefined();
    const own = await callback(query, cookie);
    expect(own.status).toBe(200);
    expect(own.body).toContain('name="SAMLResponse"');
  });

  it('burns the login on a cookie of the wrong value (no legitimate browser sends one)', async () => {
    const { query, cookie } = await loginUpToCallback();
    const forged = await callback(query, `${cookie!.split('=')[0]}=${'A'.repeat(43)}`);
    expect(code(forged)).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect(code(await callback(query, cookie))).toEqual({ status: 400, code: 'login_unknown' });
  });

  it('decides on the record the atomic take returned, not on what the pre-check read', async () => {
    const { query } = await loginUpToCallback();
    // The read says "not bound" (as a record changed between read and take would); the taken record is bound.
    const get = b.store.get.bind(b.store);
    b.store.get = async <T extends Json>(key: string): Promise<T | undefined> => {
      const value = await get<T>(key);
      return key.startsWith('v1:login:') && value && typeof value === 'object' ? ({ ...value, browserHash: null } as unknown as T) : value;
    };
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect(tokenCalls()).toBe(0);
  });
});

describe('the connection test measures the cookie', () => {
  it('records "not seen" when the host drops it, after which logins are not bound (and say so in the log)', async () => {
    const { page, record } = await runTest({ cookiesComeBack: false });
    expect(page.status).toBe(200);
    expect(record).toMatchObject({ state: 'succeeded', bindingCookie: 'not_seen' });
    await expect(readBindingCookieCheck(b.store)).resolves.toEqual({ v: 1, seen: false, at: expect.any(Number) });

    // The cookie is still offered; its absence at the callback is what this host's test allows.
    const { query, setCookie } = await loginUpToCallback();
    expect(setCookie).toMatch(HOST_COOKIE);
    const done = await callback(query);
    expect(done.status).toBe(200);
    expect(done.body).toContain('name="SAMLResponse"');
    expect(b.logger.records).toContainEqual(expect.objectContaining({ event: 'login.unbound', fields: expect.objectContaining({ reason: 'cookie_not_seen' }) }));
  });

  it('turns binding back on when a later test sees the cookie come back', async () => {
    await runTest({ cookiesComeBack: false });
    const { record } = await runTest({ cookiesComeBack: true });
    expect(record).toMatchObject({ state: 'succeeded', bindingCookie: 'seen' });
    await expect(readBindingCookieCheck(b.store)).resolves.toMatchObject({ seen: true });
    const { query, setCookie } = await loginUpToCallback();
    expect(setCookie).toMatch(HOST_COOKIE);
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
  });

  it('decides at the callback from the stored observation only, for logins already under way too', async () => {
    const { query, cookie } = await loginUpToCallback();
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
    await runTest({ cookiesComeBack: false });
    // A wrong cookie is refused in the degraded mode as well: no legitimate browser sends one.
    const other = await loginUpToCallback();
    expect(code(await callback(other.query, `${other.cookie!.split('=')[0]}=${'A'.repeat(43)}`))).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect((await callback(query)).status).toBe(200);
    expect(code(await callback(query, cookie))).toEqual({ status: 400, code: 'login_unknown' });
  });

  it('binds a test to the admin\'s browser once this host is known to carry the cookie: another browser is refused, the admin\'s still finishes', async () => {
    await runTest({ cookiesComeBack: true });
    const { testId, startQuery } = await startTest();
    const start = await b.get('/test/start', startQuery);
    const query = b.provider.authorize(start.headers.Location!);
    // Another browser, holding only the link: refused before the burn, nothing recorded.
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
    await expect(readTestRecord(b.store, testId)).resolves.toMatchObject({ state: 'pending' });
    await expect(readBindingCookieCheck(b.store)).resolves.toMatchObject({ seen: true });
    // The admin's browser, with the cookie the start URL set.
    expect((await callback(query, start.cookies![0]!.split(';')[0])).status).toBe(200);
    await expect(readTestRecord(b.store, testId)).resolves.toMatchObject({ state: 'succeeded', bindingCookie: 'seen' });
  });

  it('records nothing when the provider did not redeem the test\'s code', async () => {
    const { page, record } = await runTest({ cookiesComeBack: false, code: 'not-a-code' });
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(record).toMatchObject({ state: 'failed' });
    expect(record).not.toHaveProperty('bindingCookie');
    await expect(readBindingCookieCheck(b.store)).resolves.toBeUndefined();
    const { query } = await loginUpToCallback();
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
  });

  it('refuses a test callback with a cookie of the wrong value, and records nothing', async () => {
    const { startQuery } = await startTest();
    const start = await b.get('/test/start', startQuery);
    const name = start.cookies![0]!.split('=')[0];
    const page = await callback(b.provider.authorize(start.headers.Location!), `${name}=${'B'.repeat(43)}`);
    expect(code(page)).toEqual({ status: 400, code: 'login_browser_mismatch' });
    await expect(readBindingCookieCheck(b.store)).resolves.toBeUndefined();
  });

  it('starts a test only with the binding value issued for it, and only for a test', async () => {
    const { startQuery } = await startTest();
    const wrong = await b.get('/test/start', { ...startQuery, binding: ['C'.repeat(43)] });
    expect(code(wrong)).toEqual({ status: 400, code: 'login_unknown' });
    expect(wrong.headers.Location).toBeUndefined();
    expect(wrong.cookies?.[0]).toBeUndefined();
    expect(code(await b.get('/test/start', { ...startQuery, binding: [startQuery.binding[0]!, startQuery.binding[0]!] }))).toEqual({ status: 400, code: 'login_unknown' });
    expect(code(await b.get('/test/start', { state: startQuery.state }))).toEqual({ status: 400, code: 'login_unknown' });

    // A login's state is not a test: no redirect from here, whatever value is offered.
    const login = await b.startLogin();
    const asTest = await b.get('/test/start', { state: [login.state], binding: [login.cookie!.split('=')[1]!] });
    expect(code(asTest)).toEqual({ status: 400, code: 'login_unknown' });

    const right = await b.get('/test/start', startQuery);
    expect(right.status).toBe(302);
    expect(right.cookies?.[0]).toMatch(HOST_COOKIE);
    expect(right.headers['Referrer-Policy']).toBe('no-referrer');
    expect(new URL(right.headers.Location!).origin).toBe(b.provider.issuer);
  });
});

describe('the binding mode', () => {
  it('binds when the stored observation cannot be read (a login may fail, never be weakened)', async () => {
    await writeBindingCookieCheck(b.store, { v: 1, seen: false, at: b.clock.now() });
    const { query } = await loginUpToCallback();
    b.store.failNext.read = 1;
    // The observation could not be read: the callback without the cookie is refused, and the
    // login is kept; read again, the observation lets it through.
    expect(code(await callback(query))).toEqual({ status: 400, code: 'login_browser_mismatch' });
    expect((await callback(query)).status).toBe(200);
  });

  it('is off with bindLoginToBrowser: false even where a test saw the cookie work', async () => {
    b = await inProcessBridge({ config: (base) => ({ ...base, bindLoginToBrowser: false }), connectionTests: true });
    await writeBindingCookieCheck(b.store, { v: 1, seen: true, at: b.clock.now() });
    expect((await loginUpToCallback()).setCookie).toBeUndefined();
    expect(bindingMode({ bindLoginToBrowser: false }, { v: 1, seen: true, at: 1 })).toEqual({ bind: false, reason: 'config_off' });
    expect(bindingMode({ bindLoginToBrowser: true }, undefined)).toEqual({ bind: true, reason: 'not_measured' });
    expect(bindingMode({ bindLoginToBrowser: true }, { v: 1, seen: false, at: 1 })).toEqual({ bind: false, reason: 'cookie_not_seen', at: 1 });
  });

  it('keeps the observation in one durable record under the storage-keys builder', async () => {
    await runTest({ cookiesComeBack: true });
    const entry = b.store.entries.get(storageKeys.bindingCookieCheck());
    expect(entry?.expiresAt).toBeUndefined();
    expect(JSON.parse(entry!.json)).toEqual({ v: 1, seen: true, at: expect.any(Number) });
  });
});
