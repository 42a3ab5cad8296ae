import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { BridgeErrorCode } from '../../src/core/errors.js';
import { alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { authnRequestXml, expectRefusal, loginUpToCallback, mark, providerEndpoints, redirectEncode, startLoginAtSp } from '../support/refusals.js';
import { expectSsoRefusal, getSso, loginKeyCount } from '../support/corpus.js';
import { brokenJsonAnswer, closedPortUrl, failEndpoint, hangingServer, htmlAnswer, restoreEndpoints, type Failure } from '../support/failing-peer.js';
import { forgeBridge, type ForgeBridge } from '../support/forge-bridge.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * Peers that fail: the provider's discovery, token, JWKS and userinfo endpoints down, hanging
 * past the timeout, or answering HTML or broken JSON; storage failing on write and on read. Each
 * case ends in the bridge's error page (502/503/504 with a reference, logged), leaves no login
 * behind that should not be there, and a retry works once the peer is back.
 *
 * The provider timeout is set to 1 s here (upstreamTimeoutSeconds; default 10 s, at most 30 s):
 * one hanging call costs the user that long, well inside Forge's 55 s web trigger limit.
 */

const TIMEOUT_SECONDS = 1;

describe('failing provider endpoints (standalone, real oidc-provider)', () => {
  let harness: Harness;
  let endpoints: { discovery: string; token: string; userinfo: string; jwks: string };
  let hanging: Awaited<ReturnType<typeof hangingServer>>;
  let closed: string;
  beforeAll(async () => {
    harness = await startHarness({ config: (base) => ({ ...base, upstreamTimeoutSeconds: TIMEOUT_SECONDS }) });
    const discovery = `${harness.providerUrl}/.well-known/openid-configuration`;
    const metadata = (await (await fetch(discovery)).json()) as { jwks_uri: string };
    endpoints = { ...(await providerEndpoints(harness)), discovery, jwks: metadata.jwks_uri };
    hanging = await hangingServer();
    closed = await closedPortUrl();
  });
  afterAll(async () => {
    await hanging.close();
    await harness.close();
  });
  afterEach(() => restoreEndpoints(harness));

  const down = (): Failure => ({ kind: 'down', url: closed });
  const slow = (): Failure => ({ kind: 'hanging', url: hanging.url });

  /** Once the peer is back, a user who starts again from Atlassian signs in. */
  const retryWorks = async () => {
    restoreEndpoints(harness);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage, sp } = await startLoginAtSp(harness, agent);
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  };

  /**
   * A login stopped at the callback, `endpoint` failing while the callback runs: the error page,
   * the login burned (no second try with a code that may have been redeemed), nothing else
   * stored; then a new login works. `cold` starts without cached provider metadata, so the
   * JWKS is fetched during the callback.
   */
  const failAtCallback = async (endpoint: keyof typeof endpoints, failure: Failure, expected: { status: number; code: BridgeErrorCode }, cold = false) => {
    if (cold) harness.app.caches.provider.clear();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const stored = loginKeyCount(harness);
    failEndpoint(harness, endpoints[endpoint], failure);
    const since = mark(harness);
    const started = Date.now();
    const page = await agent.get(callback);
    const elapsedMs = Date.now() - started;
    restoreEndpoints(harness);
    expectRefusal(page, since, expected);
    expect(since.calls().map((url) => url.split('?')[0])).toContain(endpoints[endpoint]);
    expect(loginKeyCount(harness)).toBe(stored - 1);
    // The same link again: the login is gone, the page says to start over.
    const again = mark(harness);
    expectRefusal(await agent.get(callback), again, { status: 400, code: 'login_unknown' });
    await retryWorks();
    return elapsedMs;
  };

  /** Discovery failing at the SSO URL (no cached metadata): nothing stored, then a retry works. */
  const failAtSso = async (failure: Failure, expected: { status: number; code: BridgeErrorCode }) => {
    harness.app.caches.provider.clear();
    failEndpoint(harness, endpoints.discovery, failure);
    const started = Date.now();
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }), expected, { upstreamCalls: [endpoints.discovery] });
    const elapsedMs = Date.now() - started;
    await retryWorks();
    return elapsedMs;
  };

  it('token endpoint down: 502 oidc_unreachable', async () => {
    await failAtCallback('token', down(), { status: 502, code: 'oidc_unreachable' });
  });

  it(`token endpoint not answering: 504 oidc_timeout after the ${TIMEOUT_SECONDS} s timeout`, async () => {
    const elapsed = await failAtCallback('token', slow(), { status: 504, code: 'oidc_timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
  });

  /** The token endpoint's RFC 6749 §5.2 error answer. */
  const oauthError = (error: string, description: string) => () =>
    new Response(JSON.stringify({ error, error_description: description }), { status: 400, headers: { 'content-type': 'application/json' } });

  it('token endpoint answering unauthorized_client: 502 oidc_client_unauthorized (a configuration fault, not "try again later")', async () => {
    await failAtCallback('token', { kind: 'answer', response: oauthError('unauthorized_client', 'grant type not allowed') }, { status: 502, code: 'oidc_client_unauthorized' });
  });

  it('token endpoint answering invalid_grant over the redirect URI: 502 oidc_redirect_uri_rejected', async () => {
    await failAtCallback('token', { kind: 'answer', response: oauthError('invalid_grant', 'redirect_uri did not match the one used in the authorization request') }, { status: 502, code: 'oidc_redirect_uri_rejected' });
  });

  it('token endpoint answering redirect_uri_mismatch: 502 oidc_redirect_uri_rejected', async () => {
    await failAtCallback('token', { kind: 'answer', response: oauthError('redirect_uri_mismatch', 'Bad Request') }, { status: 502, code: 'oidc_redirect_uri_rejected' });
  });

  it('token endpoint answering invalid_grant for a spent code stays login_unknown (control)', async () => {
    await failAtCallback('token', { kind: 'answer', response: oauthError('invalid_grant', 'grant request is invalid') }, { status: 400, code: 'login_unknown' });
  });

  it('token endpoint answering an HTML page with 200: 502 oidc_response_invalid', async () => {
    await failAtCallback('token', { kind: 'answer', response: htmlAnswer(200) }, { status: 502, code: 'oidc_response_invalid' });
  });

  it("token endpoint answering a proxy's 503 HTML page: 502 oidc_response_invalid", async () => {
    await failAtCallback('token', { kind: 'answer', response: htmlAnswer(503) }, { status: 502, code: 'oidc_response_invalid' });
  });

  it('token endpoint answering broken JSON: 502 oidc_response_invalid', async () => {
    await failAtCallback('token', { kind: 'answer', response: brokenJsonAnswer }, { status: 502, code: 'oidc_response_invalid' });
  });

  it('JWKS endpoint answering 500: 502 oidc_response_invalid', async () => {
    await failAtCallback('jwks', { kind: 'answer', response: htmlAnswer(500) }, { status: 502, code: 'oidc_response_invalid' }, true);
  });

  it('JWKS endpoint down: 502 oidc_unreachable', async () => {
    await failAtCallback('jwks', down(), { status: 502, code: 'oidc_unreachable' }, true);
  });

  it(`JWKS endpoint not answering: 504 oidc_timeout after the ${TIMEOUT_SECONDS} s timeout`, async () => {
    const elapsed = await failAtCallback('jwks', slow(), { status: 504, code: 'oidc_timeout' }, true);
    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
  });

  it('userinfo endpoint answering 500: 502 oidc_response_invalid', async () => {
    await failAtCallback('userinfo', { kind: 'answer', response: htmlAnswer(500) }, { status: 502, code: 'oidc_response_invalid' });
  });

  it('userinfo endpoint down: 502 oidc_unreachable', async () => {
    await failAtCallback('userinfo', down(), { status: 502, code: 'oidc_unreachable' });
  });

  it(`userinfo endpoint not answering: 504 oidc_timeout after the ${TIMEOUT_SECONDS} s timeout`, async () => {
    const elapsed = await failAtCallback('userinfo', slow(), { status: 504, code: 'oidc_timeout' });
    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
  });

  it('userinfo endpoint answering broken JSON: 502 oidc_response_invalid', async () => {
    await failAtCallback('userinfo', { kind: 'answer', response: brokenJsonAnswer }, { status: 502, code: 'oidc_response_invalid' });
  });

  it('discovery down at the SSO URL: 502 oidc_unreachable, no login stored', async () => {
    await failAtSso(down(), { status: 502, code: 'oidc_unreachable' });
  });

  it(`discovery not answering at the SSO URL: 504 oidc_timeout after the ${TIMEOUT_SECONDS} s timeout, no login stored`, async () => {
    const elapsed = await failAtSso(slow(), { status: 504, code: 'oidc_timeout' });
    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
  });

  it('discovery answering HTML at the SSO URL: 502 oidc_response_invalid, no login stored', async () => {
    await failAtSso({ kind: 'answer', response: htmlAnswer(200) }, { status: 502, code: 'oidc_response_invalid' });
  });
});

describe('failing storage (standalone, SQLite)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  /** Makes the next call of one store method throw, as a locked or full database does. */
  const failOnce = (method: 'set' | 'take') => {
    const store = harness.app.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = store[method]!;
    store[method] = async () => {
      store[method] = original;
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
  };

  it('a failing write at the SSO URL: 503 storage_unavailable, nothing stored, a retry works', async () => {
    await getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }); // provider metadata cached
    failOnce('set');
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }), { status: 503, code: 'storage_unavailable' });
    const page = await getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()) });
    expect(page.stopped?.url.startsWith(harness.providerUrl)).toBe(true);
  });

  it('a failing take at the callback: 503 storage_unavailable, the login kept, the same link then works', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);
    const stored = loginKeyCount(harness);
    failOnce('take');
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 503, code: 'storage_unavailable' });
    expect(since.calls()).toEqual([]);
    expect(loginKeyCount(harness)).toBe(stored);
    const page = await agent.get(callback);
    const post = readAutoPost(page);
    expect((await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).profile?.nameID).toBe(alice.email);
    expect(loginKeyCount(harness)).toBe(stored - 1);
  });
});

describe('failing storage (Forge, @forge/kvs)', () => {
  let forge: ForgeBridge;
  beforeEach(async () => {
    forge = await forgeBridge();
  });
  afterEach(() => forge.uninstall());

  const expectPage = (response: Awaited<ReturnType<ForgeBridge['invoke']>>, status: number, code: BridgeErrorCode) => {
    expect({ status: response.statusCode, code: response.headers['X-Bridge-Error']?.[0] }).toEqual({ status, code });
    const reference = response.headers['X-Bridge-Reference']?.[0];
    expect(reference).toMatch(/^R-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(response.body).toContain(reference);
    expect(response.body).not.toContain('SAMLResponse');
    expect(forge.logger.records).toContainEqual(expect.objectContaining({ event: 'request.failed', fields: expect.objectContaining({ reference, code, status }) }));
  };

  /** Starts a login and signs in at the stub provider: the callback query and the binding cookie. */
  const upToCallback = async () => {
    const started = await forge.sso();
    expect(started.statusCode).toBe(302);
    const cookie = started.headers['Set-Cookie']?.[0]?.split(';')[0];
    return { query: forge.provider.authorize(started.headers.Location![0]!), cookie };
  };

  const expectSignedIn = (response: Awaited<ReturnType<ForgeBridge['invoke']>>) => {
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('name="SAMLResponse"');
  };

  it('a failing KVS write at the SSO URL: 503, nothing stored, a retry works', async () => {
    forge.platform.kvs.fail('write');
    expectPage(await forge.sso(), 503, 'storage_unavailable');
    expect(forge.loginKeys()).toEqual([]);
    expect((await forge.sso()).statusCode).toBe(302);
    expect(forge.loginKeys()).toHaveLength(1);
  });

  it('a failing KVS read at the SSO URL (the configuration): 503, nothing stored, a retry works', async () => {
    forge.platform.kvs.fail('read');
    expectPage(await forge.sso(), 503, 'storage_unavailable');
    expect(forge.loginKeys()).toEqual([]);
    expect(forge.provider.calls).toEqual([]);
    expect((await forge.sso()).statusCode).toBe(302);
  });

  it('a failing KVS write at the callback (the take): 503, the login kept, the same link then works', async () => {
    const { query, cookie } = await upToCallback();
    forge.platform.kvs.fail('write');
    expectPage(await forge.callback(query, cookie), 503, 'storage_unavailable');
    expect(forge.loginKeys()).toHaveLength(1);
    expect(forge.provider.calls.filter((url) => url === forge.provider.endpoints.token)).toEqual([]);
    expectSignedIn(await forge.callback(query, cookie));
    expect(forge.loginKeys()).toEqual([]);
  });

  it('a failing KVS read at the callback on a cold instance (the configuration): 503, no code redeemed, a new login works', async () => {
    const { query, cookie } = await upToCallback();
    forge.restart();
    forge.platform.kvs.fail('read');
    expectPage(await forge.callback(query, cookie), 503, 'storage_unavailable');
    expect(forge.provider.calls.filter((url) => url === forge.provider.endpoints.token)).toEqual([]);
    const next = await upToCallback();
    expectSignedIn(await forge.callback(next.query, next.cookie));
  });

  it('a failing KVS read of the signing key after the code exchange: 503, no response, a new login works', async () => {
    const { query, cookie } = await upToCallback();
    // Userinfo is the provider's last answer; the next KVS read is the signing key (cold cache).
    forge.provider.onAnswer = (endpoint) => {
      if (endpoint === 'userinfo') forge.platform.kvs.fail('read');
    };
    const response = await forge.callback(query, cookie);
    forge.provider.onAnswer = undefined;
    expectPage(response, 503, 'storage_unavailable');
    expect(forge.provider.calls.filter((url) => url === forge.provider.endpoints.token)).toHaveLength(1);
    expect(forge.loginKeys()).toEqual([]);
    const next = await upToCallback();
    expectSignedIn(await forge.callback(next.query, next.cookie));
  });
});
