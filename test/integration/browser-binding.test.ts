import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserAgent } from '../support/user-agent.js';
import { alice, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { calledTimes, expectRefusal, loginUpToCallback, mark, providerEndpoints } from '../support/refusals.js';

/**
 * Login CSRF: an attacker starts a login as themselves, stops before the callback and makes a
 * victim's browser open it. The login is bound to the browser that started it by a cookie.
 */
describe('a login bound to the browser that started it', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  it('refuses a callback finished in another browser, before the token endpoint', async () => {
    const { token } = await providerEndpoints(harness);
    const attacker = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, attacker, alice);
    const since = mark(harness);
    const victim = new UserAgent({ stopAt: stopAtAcs });
    const page = await victim.get(callback, { initiator: 'https://attacker.example/' });
    expectRefusal(page, since, { status: 400, code: 'login_browser_mismatch' });
    expect(calledTimes(since, token)).toBe(0);
  });

  it('sets the binding cookie on loopback http with a plain name, HttpOnly, SameSite=Lax, not Secure, and clears it after use', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const setCookie = agent.history.find((hop) => hop.url.includes('/saml/sso'))!.headers.get('set-cookie')!;
    // __Host- would need Secure, which http cannot carry: the plain name exists only here.
    expect(setCookie).toMatch(/^bridge_login_[\w-]{16}=[\w-]{40,}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    const page = await agent.get(callback);
    expect(readAutoPost(page).SAMLResponse).toBeTruthy();
    expect(page.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('a login not bound to the browser (bindLoginToBrowser: false)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ config: (base) => ({ ...base, bindLoginToBrowser: false }) });
  });
  afterAll(async () => harness.close());

  it('accepts a callback finished in another browser', async () => {
    const first = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, first, alice);
    const other = new UserAgent({ stopAt: stopAtAcs });
    const page = await other.get(callback);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe('alice@example.com');
  });
});
