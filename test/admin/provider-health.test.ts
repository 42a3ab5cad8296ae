import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import type { ProviderHealth, ProviderHealthResponse } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import {
  HEALTH_CACHE_SECONDS,
  HEALTH_CHECKS_PER_CALL,
  HEALTH_CHECKS_PER_MINUTE,
  HEALTH_RECHECK_SECONDS,
  HEALTH_TIMEOUT_MS,
  providersHealth,
} from '../../src/core/admin/provider-health.js';
import type { LoginAuditRecord } from '../../src/core/audit/audit-trail.js';
import type { ConnectionRecord, ConnectionsDocument } from '../../src/core/connections/connections-document.js';
import type { Fetch } from '../../src/core/ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { memoryAdmin, type MemoryAdmin } from './support/memory-ports.js';

/**
 * `providers/health` on memory ports, with a scripted provider behind the context's fetch (the
 * host's fetch, which on Forge is the egress proxy's): every way a provider can be unwell, said
 * as one code; the cache, the "Check again" floor and the rate limit that keep the page from
 * hammering a provider; the last sign-ins read from the audit trail without the users in them.
 * Against a real oidc-provider and the standalone egress guard: test/integration/provider-health.test.ts.
 */

const ISSUER = 'https://idp.example.com/oauth2/default';
const JWKS = 'https://idp.example.com/oauth2/default/v1/keys';
const rsaKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };

type Handler = (url: string) => Response | Promise<Response>;

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const discoveryOf = (issuer: string, extra: Record<string, unknown> = {}) => ({ issuer, authorization_endpoint: `${issuer}/v1/authorize`, token_endpoint: `${issuer}/v1/token`, jwks_uri: `${issuer}/v1/keys`, ...extra });

/** A provider per issuer: a well-known discovery document and a one-key JWKS, unless `routes` says otherwise. */
function scriptedFetch(routes: Record<string, Handler> = {}): { fetch: Fetch; calls: string[] } {
  const calls: string[] = [];
  const fetch: Fetch = async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    calls.push(url);
    if (routes[url]) return routes[url]!(url);
    if (url.endsWith('/.well-known/openid-configuration')) return json(discoveryOf(url.slice(0, -'/.well-known/openid-configuration'.length)));
    if (url.endsWith('/v1/keys')) return json({ keys: [rsaKey] });
    return new Response('not found', { status: 404 });
  };
  return { fetch, calls };
}

function connection(id: string, providers: { id: string; issuer?: string; extra?: Record<string, unknown> }[]): ConnectionRecord {
  return {
    id,
    name: `Connection ${id}`,
    revision: 1,
    providers: providers.map((p) => ({ id: p.id, name: `Provider ${p.id}`, ...(p.issuer ? { oidc: { issuer: p.issuer, clientId: 'client-1', ...p.extra } } : {}) })),
  } as ConnectionRecord;
}

async function installation(connections: ConnectionRecord[], options: { routes?: Record<string, Handler>; host?: 'forge' | 'standalone' } = {}) {
  const scripted = scriptedFetch(options.routes);
  const admin = memoryAdmin({ fetch: scripted.fetch, host: options.host ?? 'forge' });
  const document: ConnectionsDocument = { v: 2, revision: 1, connections };
  await admin.store.set(storageKeys.connections(), JSON.parse(JSON.stringify(document)));
  return { admin, calls: scripted.calls };
}

async function health(admin: MemoryAdmin, payload: unknown = {}): Promise<ProviderHealth[]> {
  const answer = await providersHealth(admin.ctx, payload);
  if ('error' in answer) throw new Error(`refused: ${answer.message}`);
  return (answer as ProviderHealthResponse).providers;
}

const one = (id = 'p1', issuer = ISSUER, extra?: Record<string, unknown>) => [connection('default', [{ id, issuer, ...(extra ? { extra } : {}) }])];

describe('providers/health: what it checks', () => {
  it('reads discovery and the JWKS of a healthy provider: issuer as configured, keys counted, one usable for RS256', async () => {
    const { admin, calls } = await installation(one());
    const [p] = await health(admin);
    expect(p).toMatchObject({
      connectionId: 'default',
      providerId: 'p1',
      providerName: 'Provider p1',
      state: 'checked',
      checkedAt: new Date(admin.clock.now).toISOString(),
      discovery: { status: 'ok' },
      jwks: { status: 'ok', keys: 1, algorithms: ['RS256'] },
      loginsSearched: 'all',
    });
    expect(calls).toEqual([`${ISSUER}/.well-known/openid-configuration`, JWKS]);
  });

  it.each([
    ['the discovery document names another issuer', { [`${ISSUER}/.well-known/openid-configuration`]: () => json(discoveryOf('https://idp.example.com/oauth2/other')) }, 'discovery', 'issuer_mismatch'],
    ['a trailing slash differs (logins compare exactly)', { [`${ISSUER}/.well-known/openid-configuration`]: () => json(discoveryOf(`${ISSUER}/`)) }, 'discovery', 'issuer_mismatch'],
    ['discovery answers HTTP 500', { [`${ISSUER}/.well-known/openid-configuration`]: () => new Response('oops', { status: 500 }) }, 'discovery', 'http_error'],
    ['discovery answers HTML', { [`${ISSUER}/.well-known/openid-configuration`]: () => new Response('<html>', { status: 200 }) }, 'discovery', 'not_json'],
    ['discovery names an http:// JWKS URI', { [`${ISSUER}/.well-known/openid-configuration`]: () => json(discoveryOf(ISSUER, { jwks_uri: 'http://idp.example.com/keys' })) }, 'discovery', 'missing_endpoints'],
    ['the JWKS endpoint is down (503)', { [JWKS]: () => new Response('down', { status: 503 }) }, 'jwks', 'http_error'],
    ['the JWKS is garbage', { [JWKS]: () => new Response('garbage{', { status: 200 }) }, 'jwks', 'not_json'],
    ['the JWKS is JSON but no key set', { [JWKS]: () => json(['k']) }, 'jwks', 'not_a_key_set'],
    ['the JWKS has only ES256 keys for an RS256 provider', { [JWKS]: () => json({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) }] }) }, 'jwks', 'no_usable_key'],
    // Valid JSON past the size bound: without the bound it would parse, as a set with no usable key.
    ['the JWKS is larger than any key set', { [JWKS]: () => json({ keys: [], padding: 'x'.repeat(300 * 1024) }) }, 'jwks', 'not_json'],
    ['a redirect instead of the JWKS (not followed)', { [JWKS]: () => new Response(null, { status: 302, headers: { Location: 'https://elsewhere.example/keys' } }) }, 'jwks', 'http_error'],
  ] as const)('says so when %s', async (_name, routes, check, failure) => {
    const { admin, calls } = await installation(one(), { routes: routes as Record<string, Handler> });
    const [p] = await health(admin);
    expect(p![check]).toMatchObject({ status: 'failed', failure, message: expect.any(String) });
    expect(calls).not.toContain('https://elsewhere.example/keys');
    // A failed discovery leaves the JWKS unchecked, and says why.
    if (check === 'discovery') expect(p!.jwks).toMatchObject({ status: 'skipped' });
  });

  it('says which Forge egress refused a host, naming the host to approve', async () => {
    const issuer = 'https://login.company.example';
    const { admin } = await installation(one('p1', issuer), { routes: { [`${issuer}/.well-known/openid-configuration`]: () => new Response('', { status: 403 }) } });
    const [p] = await health(admin);
    expect(p!.discovery).toMatchObject({ status: 'failed', failure: 'egress_not_approved', blockedHost: 'login.company.example' });
  });

  it('tells DNS and TLS failures apart from an unreachable host', async () => {
    const failing = (code: string) => () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) }));
    for (const [code, failure] of [['ENOTFOUND', 'dns_failure'], ['CERT_HAS_EXPIRED', 'tls_failure'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_failure'], ['ECONNREFUSED', 'unreachable']] as const) {
      const { admin } = await installation(one(), { routes: { [`${ISSUER}/.well-known/openid-configuration`]: failing(code) } });
      expect((await health(admin))[0]!.discovery).toMatchObject({ status: 'failed', failure });
    }
  });

  it('gives up on a provider that does not answer within the deadline, even when its fetch ignores the signal', async () => {
    const { admin } = await installation(one(), { routes: { [`${ISSUER}/.well-known/openid-configuration`]: () => new Promise<Response>(() => undefined) } });
    const started = Date.now();
    const [p] = await health(admin);
    expect(p!.discovery).toMatchObject({ status: 'failed', failure: 'timeout' });
    expect(Date.now() - started).toBeLessThan(HEALTH_TIMEOUT_MS + 2_000);
  }, 15_000);

  it('skips discovery for endpoints entered by hand and reads their JWKS', async () => {
    const endpoints = { authorizationEndpoint: `${ISSUER}/a`, tokenEndpoint: `${ISSUER}/t`, jwksUri: JWKS };
    const { admin, calls } = await installation(one('p1', ISSUER, { endpoints }));
    const [p] = await health(admin);
    expect(p).toMatchObject({ discovery: { status: 'skipped' }, jwks: { status: 'ok', keys: 1 } });
    expect(calls).toEqual([JWKS]);
  });

  it('fetches nothing for a provider without an issuer yet', async () => {
    const { admin, calls } = await installation([connection('default', [{ id: 'p1' }])]);
    expect((await health(admin))[0]).toMatchObject({ state: 'incomplete' });
    expect(calls).toEqual([]);
  });
});

describe('providers/health: the client secret expiry', () => {
  it('warns from 30 days before, says expired after, and shows nothing without a date', async () => {
    const day = (offset: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + offset * 86_400_000).toISOString().slice(0, 10);
    const { admin } = await installation([
      connection('default', [
        { id: 'soon', issuer: ISSUER, extra: { clientSecretExpiresAt: day(12) } },
        { id: 'later', issuer: ISSUER, extra: { clientSecretExpiresAt: day(120) } },
        { id: 'gone', issuer: ISSUER, extra: { clientSecretExpiresAt: day(-3) } },
        { id: 'unknown', issuer: ISSUER },
      ]),
    ]);
    const byId = Object.fromEntries((await health(admin)).map((p) => [p.providerId, p.clientSecret]));
    expect(byId).toEqual({
      soon: { expiresAt: day(12), daysLeft: 12, state: 'expires_soon' },
      later: { expiresAt: day(120), daysLeft: 120, state: 'ok' },
      gone: { expiresAt: day(-3), daysLeft: -3, state: 'expired' },
      unknown: undefined,
    });
  });
});

describe('providers/health: the last sign-ins, from the audit trail', () => {
  const login = (reference: string, minutesAgo: number, extra: Partial<LoginAuditRecord>): LoginAuditRecord => ({
    kind: 'login',
    reference,
    time: Date.parse('2030-01-01T00:00:00Z') - minutesAgo * 60_000,
    connectionId: 'default',
    providerId: 'p1',
    flow: 'sp',
    outcome: 'ok',
    email: 'someone.private@example.com',
    subject: '00u-private-subject',
    durationMs: 900,
    ...extra,
  });

  it('names the newest success and refusal of each provider (time, reference, code), never who it was, and leaves tests out', async () => {
    const { admin } = await installation([connection('default', [{ id: 'p1', issuer: ISSUER }, { id: 'p2', issuer: ISSUER }])]);
    await admin.audit.record(login('R-OK00-0001', 90, {}));
    await admin.audit.record(login('R-OK00-0002', 30, {}));
    await admin.audit.record(login('R-BAD0-0001', 40, { outcome: 'refused', code: 'user_domain_not_allowed' }));
    await admin.audit.record(login('R-TEST-0001', 1, { flow: 'test' }));
    await admin.audit.record(login('R-TEST-0002', 2, { flow: 'test', outcome: 'refused', code: 'oidc_client_rejected' }));
    await admin.audit.record(login('R-P200-0001', 5, { providerId: 'p2', outcome: 'refused', code: 'oidc_unreachable' }));
    await admin.audit.record(login('R-OTHR-0001', 3, { connectionId: 'other' }));
    const answer = await providersHealth(admin.ctx, { connectionId: 'default' });
    const [p1, p2] = (answer as ProviderHealthResponse).providers;
    expect(p1).toMatchObject({
      lastSuccess: { time: '2029-12-31T23:30:00.000Z', reference: 'R-OK00-0002' },
      lastFailure: { time: '2029-12-31T23:20:00.000Z', reference: 'R-BAD0-0001', code: 'user_domain_not_allowed', codeTitle: expect.any(String) },
    });
    expect(p2).toMatchObject({ lastFailure: { reference: 'R-P200-0001', code: 'oidc_unreachable' } });
    expect(p2!.lastSuccess).toBeUndefined();
    expect(JSON.stringify(answer)).not.toMatch(/private/);
  });

  it('finds a success older than a page of refusals, and says when it searched only the newest records', async () => {
    const { admin } = await installation(one());
    await admin.audit.record(login('R-OLD0-0001', 2000, {}));
    for (let i = 0; i < 1100; i++) await admin.audit.record(login(`R-R${String(i).padStart(3, '0')}-0001`, 1000 - i * 0.5, { outcome: 'refused', code: 'user_domain_not_allowed', providerId: 'p-other' }));
    const [p] = await health(admin);
    expect(p).toMatchObject({ lastSuccess: { reference: 'R-OLD0-0001' }, loginsSearched: 'recent' });
    expect(p!.lastFailure).toBeUndefined();
  });
});

describe('providers/health: no fetch cannon', () => {
  it('answers from the cache for a minute, fetching again only after it', async () => {
    const { admin, calls } = await installation(one());
    await health(admin);
    admin.clock.now += (HEALTH_CACHE_SECONDS - 1) * 1000;
    const [cached] = await health(admin);
    expect(calls).toHaveLength(2);
    expect(cached!.checkedAt).toBe('2030-01-01T00:00:00.000Z');
    admin.clock.now += 2000;
    await health(admin);
    expect(calls).toHaveLength(4);
  });

  it('lets "Check again" fetch anew only once the last check is some seconds old', async () => {
    const { admin, calls } = await installation(one());
    await health(admin);
    admin.clock.now += (HEALTH_RECHECK_SECONDS - 1) * 1000;
    await health(admin, { recheck: true });
    expect(calls).toHaveLength(2);
    admin.clock.now += 1000;
    await health(admin, { recheck: true });
    expect(calls).toHaveLength(4);
  });

  it('forgets a result when the issuer changes', async () => {
    const { admin, calls } = await installation(one());
    await health(admin);
    const other = 'https://idp.example.com/oauth2/second';
    await admin.store.set(storageKeys.connections(), JSON.parse(JSON.stringify({ v: 2, revision: 2, connections: one('p1', other) })));
    const [p] = await health(admin);
    expect(calls.slice(2)).toEqual([`${other}/.well-known/openid-configuration`, `${other}/v1/keys`]);
    expect(p!.state).toBe('checked');
  });

  it(`fetches for at most ${HEALTH_CHECKS_PER_CALL} providers a call and ${HEALTH_CHECKS_PER_MINUTE} a minute, showing the last result of the others`, async () => {
    const providers = (c: number) => Array.from({ length: 10 }, (_, i) => ({ id: `p${i}`, issuer: `https://idp${c}-${i}.example.com` }));
    const { admin, calls } = await installation([0, 1, 2, 3].map((c) => connection(`c${c}`, providers(c))));
    const all = await health(admin);
    expect(all).toHaveLength(40);
    expect(all.filter((p) => p.state === 'checked')).toHaveLength(HEALTH_CHECKS_PER_CALL);
    expect(all.filter((p) => p.state === 'rate_limited')).toHaveLength(40 - HEALTH_CHECKS_PER_CALL);
    expect(calls).toHaveLength(2 * HEALTH_CHECKS_PER_CALL);

    // c0 was checked by the first call; c1 and c2 take the rest of this minute's budget.
    for (const c of ['c1', 'c2']) expect((await health(admin, { connectionId: c })).every((p) => p.state === 'checked')).toBe(true);
    expect(calls).toHaveLength(2 * HEALTH_CHECKS_PER_MINUTE);
    const limited = await health(admin, { connectionId: 'c3' });
    expect(limited.every((p) => p.state === 'rate_limited' && p.discovery === undefined)).toBe(true);
    expect(calls).toHaveLength(2 * HEALTH_CHECKS_PER_MINUTE);
    expect(admin.logs).toContainEqual(expect.objectContaining({ level: 'warn', event: 'admin.provider_health_limited' }));

    // Past the cache's minute, in the next window: c0 is checked anew; a limited provider shows its last result.
    admin.clock.now += 61_000;
    expect((await health(admin, { connectionId: 'c0' })).every((p) => p.state === 'checked')).toBe(true);
    await health(admin, { connectionId: 'c1' });
    admin.clock.now += HEALTH_RECHECK_SECONDS * 1000;
    expect((await health(admin, { connectionId: 'c1', recheck: true })).every((p) => p.state === 'checked')).toBe(true);
    const stale = await health(admin, { connectionId: 'c2' });
    expect(stale.every((p) => p.state === 'rate_limited' && p.discovery?.status === 'ok' && p.checkedAt === '2030-01-01T00:00:00.000Z')).toBe(true);
  });

  it('takes ids only, never a URL, and refuses what names nothing stored', async () => {
    const { admin, calls } = await installation(one());
    for (const payload of [{ issuer: 'https://169.254.169.254' }, { url: 'https://x.example' }, { providerId: 'p1' }, { connectionId: 'NOT AN ID' }, { recheck: 'yes' }]) {
      expect(await providersHealth(admin.ctx, payload)).toMatchObject({ error: 'bad_request' });
    }
    expect(await providersHealth(admin.ctx, { connectionId: 'missing' })).toMatchObject({ error: 'bad_request' });
    expect(await providersHealth(admin.ctx, { connectionId: 'default', providerId: 'missing' })).toMatchObject({ error: 'bad_request' });
    expect(calls).toEqual([]);
  });

  it('is open to every admin (it changes nothing), through the resolver table', async () => {
    const { admin } = await installation(one());
    const outcome = await runAdminResolver('providers/health', { ...admin.ctx, actor: 'not-an-owner' }, { connectionId: 'default', providerId: 'p1' });
    expect(outcome).toMatchObject({ kind: 'answer', body: { providers: [{ providerId: 'p1', state: 'checked' }] } });
  });
});
