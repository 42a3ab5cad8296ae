import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SAML } from '@node-saml/node-saml';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';
import { alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { expectRefusal, isCallback, loginAs, mark, providerEndpoints, startLoginAtSp } from '../support/refusals.js';

/**
 * A user's error page after a login, against the real peers (oidc-provider, node-saml): it used
 * to tell a user who pressed Cancel to ask for assignment, and offered no way on. Now "Try
 * again" starts a fresh login at Atlassian (the connection's site, else start.atlassian.com),
 * and "Use another account" a new login at the provider that asks which account, where the
 * provider supports `prompt=select_account`.
 */

const mallory = demoUsers.find((u) => u.email_verified === false)!;
const eve = demoUsers.find((u) => !u.email.endsWith('@example.com'))!;

/** The page's links by their accessible name (the link text). */
function link(page: Page, name: string): string | undefined {
  const found = page.$('a').filter((_, element) => page.$(element).text().trim() === name);
  return found.length ? found.attr('href') : undefined;
}

async function cancelAtProvider(harness: Harness, agent: UserAgent): Promise<Page> {
  const { loginPage } = await startLoginAtSp(harness, agent);
  const stopped = await agent.submit(loginPage, { form: (f) => f.action.endsWith('/abort'), stopAt: isCallback(harness) });
  return agent.get(stopped.stopped!.url);
}

/** The provider's discovery document, with `prompt_values_supported` as `change` makes it. */
function withPromptValues(harness: Harness, change: (values: string[]) => string[]): void {
  harness.upstream.intercept = async (url, response) => {
    if (!url.endsWith('/.well-known/openid-configuration')) return response;
    const document = (await response.json()) as Record<string, unknown>;
    return Response.json({ ...document, prompt_values_supported: change((document.prompt_values_supported as string[] | undefined) ?? []) });
  };
}

describe('error pages of a provider without select_account, and a connection naming no site', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
    // As Okta's document: no select_account among its prompt values.
    withPromptValues(harness, (values) => values.filter((v) => v !== 'select_account'));
  });
  afterAll(async () => harness.close());

  it('does not tell a user who pressed Cancel at the provider to ask to be assigned (it said the provider refused them)', async () => {
    const since = mark(harness);
    const page = await cancelAtProvider(harness, new UserAgent({ stopAt: stopAtAcs }));
    expectRefusal(page, since, { status: 403, code: 'oidc_access_denied' });
    expect(page.text()).toMatch(/cancelled/);
    expect(page.text()).not.toMatch(/assign you/);
  });

  it('offers "Try again" at start.atlassian.com on a login error page (there was no way forward)', async () => {
    const cancelled = await cancelAtProvider(harness, new UserAgent({ stopAt: stopAtAcs }));
    expect(link(cancelled, 'Try again')).toBe('https://start.atlassian.com');
    const refused = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), mallory);
    expect(refused.headers.get('x-bridge-error')).toBe('user_email_unverified');
    expect(link(refused, 'Try again')).toBe('https://start.atlassian.com');
    // A bad request at the SSO URL is a login's page too.
    const bad = await new UserAgent().get(`${harness.app.baseUrl}/saml/sso?SAMLRequest=not-deflated`);
    expect(bad.headers.get('x-bridge-error')).toBe('saml_request_malformed');
    expect(link(bad, 'Try again')).toBe('https://start.atlassian.com');
  });

  it('offers no "Use another account" where the provider does not list prompt=select_account (it may refuse the request)', async () => {
    const refused = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), eve);
    expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    expect(link(refused, 'Use another account')).toBeUndefined();
  });

  it('offers no way to Atlassian on pages that are no login (metadata, unknown addresses)', async () => {
    const missing = await new UserAgent().get(`${harness.app.baseUrl}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(link(missing, 'Try again')).toBeUndefined();
  });
});

describe('error pages of a provider listing select_account, and a connection naming its site', () => {
  let harness: Harness;
  let authorizationEndpoint: string;
  beforeAll(async () => {
    harness = await startHarness({ config: (base) => ({ ...base, atlassianSiteUrl: 'https://acme.atlassian.net/' }) });
    authorizationEndpoint = (await providerEndpoints(harness)).authorization;
  });
  afterAll(async () => harness.close());

  it('sends "Try again" to the Atlassian site the connection names', async () => {
    const page = await cancelAtProvider(harness, new UserAgent({ stopAt: stopAtAcs }));
    expect(link(page, 'Try again')).toBe('https://acme.atlassian.net');
  });

  it('"Use another account" is a new login for the same AuthnRequest that asks the provider which account (prompt=select_account)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage, sp } = await startLoginAtSp(harness, agent, 'relay-another');
    const firstState = new URL(loginPage.hops.find((h) => h.location?.startsWith(authorizationEndpoint))!.location!).searchParams.get('state');
    const refused = await signInAtProvider(agent, loginPage, eve);
    expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    const another = new URL(link(refused, 'Use another account')!);
    expect(`${another.origin}${another.pathname}`).toBe(authorizationEndpoint);
    expect(another.searchParams.get('prompt')).toBe('select_account');
    expect(another.searchParams.get('state')).not.toBe(firstState);
    expect(another.searchParams.get('code_challenge_method')).toBe('S256');

    // The demo provider lists select_account and answers it with its sign-in page, where the user picks an account.
    let signedIn = await signInAtProvider(agent, await agent.get(another), alice);
    // Another user over the provider's session: oidc-provider ends eve's first (its self-posting form).
    for (let hop = 0; hop < 3 && signedIn.url.startsWith(harness.providerUrl); hop++) signedIn = await agent.submit(signedIn);
    const post = readAutoPost(signedIn);
    expect(post.RelayState).toBe('relay-another');
    const { profile } = await (sp as SAML).validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('offers "Use another account" only for refusals of the account, not for a broken or replayed login', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    // A provider error that is no refusal of the user (error=server_error), for a started login.
    const { loginPage } = await startLoginAtSp(harness, agent);
    const authorization = new URL(loginPage.hops.find((h) => h.location?.startsWith(authorizationEndpoint))!.location!);
    const callback = new URL(`${harness.app.baseUrl}/oidc/callback`);
    callback.searchParams.set('error', 'server_error');
    callback.searchParams.set('state', authorization.searchParams.get('state')!);
    callback.searchParams.set('iss', harness.providerUrl);
    const broken = await agent.get(callback);
    expect(broken.headers.get('x-bridge-error')).toBe('oidc_authorization_error');
    expect(link(broken, 'Try again')).toBe('https://acme.atlassian.net');
    expect(link(broken, 'Use another account')).toBeUndefined();

    const replayed = await agent.get(`${harness.app.baseUrl}/oidc/callback?state=${'A'.repeat(43)}&code=x`);
    expect(replayed.headers.get('x-bridge-error')).toBe('login_unknown');
    expect(link(replayed, 'Try again')).toBe('https://start.atlassian.com');
    expect(link(replayed, 'Use another account')).toBeUndefined();
  });
});
