import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';

describe('a whole login: SP → bridge → oidc-provider → bridge → SP', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  it('is accepted by node-saml with the HTTP-Redirect binding', async () => {
    const sp = await harness.serviceProvider();
    const relayState = 'https://start.atlassian.com/?a=1&b="<x>"';
    const start = await sp.getAuthorizeUrlAsync(relayState, undefined, {});
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(start);
    expect(loginPage.status).toBe(200);
    const bridgePage = await signInAtProvider(agent, loginPage, alice);
    expect(bridgePage.status).toBe(200);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe(relayState);
    const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(loggedOut).toBe(false);
    expect(profile?.nameID).toBe('alice@example.com');
    expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']).toBe(alice.given_name);
    expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']).toBe(alice.family_name);
    expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']).toBe(alice.sub);
  });
});

describe('ForceAuthn', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  it('asks the provider for a fresh authentication and is accepted when it happened', async () => {
    const sp = await harness.serviceProvider({ forceAuthn: true });
    const start = new URL(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(start);
    const toProvider = loginPage.hops.find((hop) => hop.location?.startsWith(harness.providerUrl));
    const authorize = new URL(toProvider!.location!);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    expect(authorize.searchParams.get('max_age')).toBe('0');
    const post = readAutoPost(await signInAtProvider(agent, loginPage, alice));
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe('alice@example.com');
  });
});
