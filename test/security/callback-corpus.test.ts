import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { storageKeys } from '../../src/core/storage-keys.js';
import { alice, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { calledTimes, expectRefusal, loginUpToCallback, mark, providerEndpoints } from '../support/refusals.js';
import { loginKeyCount, rawRequest } from '../support/corpus.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * The adversarial corpus for the callback, beyond test/integration/refusals.test.ts (replay,
 * concurrency, unknown/missing/empty/repeated state, missing code, iss mismatch, expiry) and
 * browser-binding.test.ts (login CSRF). Each case drives a real login against oidc-provider and
 * tampers with the return only; every refusal is the bridge's page with no SAML response.
 */
describe('callback corpus', () => {
  let harness: Harness;
  let endpoints: Awaited<ReturnType<typeof providerEndpoints>>;
  beforeAll(async () => {
    harness = await startHarness();
    endpoints = await providerEndpoints(harness);
  });
  afterAll(async () => harness.close());

  /** A real login stopped at the callback, then changed by `tamper` and sent. */
  const tamperedCallback = async (tamper: (callback: URL) => void) => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    tamper(callback);
    const since = mark(harness);
    const page = await agent.get(callback);
    return { page, since, agent, callback };
  };

  it('refuses a state from another login: the code is redeemed with that login\'s PKCE verifier and refused', async () => {
    // The victim's code (leaked) with the attacker's own state, sent from the attacker's browser.
    const victim = new UserAgent({ stopAt: stopAtAcs });
    const attacker = new UserAgent({ stopAt: stopAtAcs });
    const first = await loginUpToCallback(harness, victim, alice);
    const second = await loginUpToCallback(harness, attacker, alice);
    const spliced = new URL(second.callback);
    spliced.searchParams.set('code', first.callback.searchParams.get('code')!);
    const since = mark(harness);
    expectRefusal(await attacker.get(spliced), since, { status: 400, code: 'login_unknown' });
    expect(calledTimes(since, endpoints.token)).toBe(1);
    // The attacker's login was burned by the attempt; the victim's is untouched and completes.
    const replay = mark(harness);
    expectRefusal(await attacker.get(second.callback), replay, { status: 400, code: 'login_unknown' });
    const page = await victim.get(first.callback);
    const post = readAutoPost(page);
    const { profile } = await first.sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('refuses an empty code without calling the token endpoint', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.set('code', ''));
    expectRefusal(page, since, { status: 400, code: 'oidc_code_missing' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a repeated code', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.append('code', 'another-code'));
    expectRefusal(page, since, { status: 400, code: 'callback_malformed' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a repeated iss', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.append('iss', harness.providerUrl));
    expectRefusal(page, since, { status: 400, code: 'callback_malformed' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a state longer than any the bridge issues', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.set('state', 's'.repeat(513)));
    expectRefusal(page, since, { status: 400, code: 'login_unknown' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a state shaped like another storage key, and leaves that key alone', async () => {
    const before = loginKeyCount(harness);
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.set('state', `../${storageKeys.signingKey()}`));
    expectRefusal(page, since, { status: 400, code: 'login_unknown' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
    // The real login of this attempt is still stored (nothing was taken), and the key is intact.
    expect(loginKeyCount(harness)).toBe(before + 1);
    expect(await harness.app.store.getSecret(storageKeys.signingKey())).toEqual(expect.objectContaining({ certificatePem: expect.any(String) }));
  });

  it('refuses an iss with a trailing slash (exact comparison, RFC 9207)', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.set('iss', `${harness.providerUrl}/`));
    expectRefusal(page, since, { status: 400, code: 'oidc_issuer_mismatch' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback without iss from a provider that announces it (RFC 9207)', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.delete('iss'));
    expectRefusal(page, since, { status: 400, code: 'oidc_issuer_mismatch' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('shows none of the HTML an error_description carries (access_denied)', async () => {
    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const { page, since } = await tamperedCallback((callback) => {
      callback.searchParams.delete('code');
      callback.searchParams.set('error', 'access_denied');
      callback.searchParams.set('error_description', payload);
    });
    expectRefusal(page, since, { status: 403, code: 'oidc_access_denied' });
    expect(page.body).not.toContain('onerror');
    expect(page.body).not.toContain('alert(');
    expect(page.$('script, img')).toHaveLength(0);
  });

  it('shows none of the HTML an error value carries, and logs it as one JSON-safe field', async () => {
    const payload = '"><script>alert(1)</script>\n{"forged":"log line"}';
    const { page, since } = await tamperedCallback((callback) => {
      callback.searchParams.delete('code');
      callback.searchParams.set('error', payload);
    });
    expectRefusal(page, since, { status: 502, code: 'oidc_authorization_error' });
    expect(page.body).not.toContain('<script>alert');
    expect(page.$('script')).toHaveLength(0);
    const failed = since.logs().find((r) => r.event === 'request.failed')!;
    // A log field is data: one JSON line however the value is shaped.
    expect(JSON.stringify(failed.fields).split('\n')).toHaveLength(1);
  });

  it('refuses an error response that has no state', async () => {
    const since = mark(harness);
    const page = await new UserAgent().get(`${harness.app.baseUrl}/oidc/callback?error=access_denied&error_description=%3Cb%3Ex%3C%2Fb%3E`);
    expectRefusal(page, since, { status: 400, code: 'login_state_missing' });
    expect(page.body).not.toContain('<b>x');
  });

  it('never redeems a code smuggled in next to an error', async () => {
    const { page, since } = await tamperedCallback((callback) => callback.searchParams.set('error', 'access_denied'));
    expectRefusal(page, since, { status: 403, code: 'oidc_access_denied' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('lets exactly one of ten concurrent callbacks for one state win', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);
    const since = mark(harness);
    const pages = await Promise.all(Array.from({ length: 10 }, () => agent.get(callback)));
    const winners = pages.filter((p) => p.status === 200);
    expect(winners).toHaveLength(1);
    const post = readAutoPost(winners[0]!);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    for (const loser of pages.filter((p) => p.status !== 200)) {
      expect({ status: loser.status, code: loser.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'login_unknown' });
      expect(loser.body).not.toContain('SAMLResponse');
    }
    expect(calledTimes(since, endpoints.token)).toBe(1);
    expect(since.logs().filter((r) => r.event === 'login.succeeded')).toHaveLength(1);
  });

  it('refuses a POST to the callback without burning the login', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const since = mark(harness);
    const refused = await rawRequest(callback, { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: callback.search.slice(1) });
    expectRefusal(refused, since, { status: 405, code: 'method_not_allowed' });
    expect(refused.headers.get('allow')).toBe('GET');
    expect(calledTimes(since, endpoints.token)).toBe(0);
    expect(readAutoPost(await agent.get(callback)).SAMLResponse).toBeTruthy();
  });
});
