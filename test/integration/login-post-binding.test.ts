import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SAML } from '@node-saml/node-saml';
import { Page, UserAgent } from '../support/user-agent.js';
import { ACS_URL, alice, CLIENT_ID, CLIENT_SECRET, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { calledTimes, mark, providerEndpoints } from '../support/refusals.js';

/**
 * The AuthnRequest arriving with the HTTP-POST binding (SAML bindings §3.5): node-saml renders
 * its auto-posting form, the user agent submits it cross-site to the bridge's SSO URL, and the
 * signed response comes back to node-saml as with HTTP-Redirect.
 */

/** The page at the SP that posts the AuthnRequest: a cross-site POST into the bridge. */
const SP_PAGE = 'https://auth.atlassian.test/login';

async function loginWithPostBinding(harness: Harness, sp: SAML, relayState: string) {
  const html = await sp.getAuthorizeFormAsync(relayState, undefined, {});
  const form = new Page(SP_PAGE, 200, new Headers({ 'content-type': 'text/html' }), html, []).form();
  expect(form.method).toBe('POST');
  expect(form.action).toBe(`${harness.app.baseUrl}/saml/sso`);
  const agent = new UserAgent({ stopAt: stopAtAcs });
  const since = mark(harness);
  const loginPage = await agent.post(form.action, form.fields, { initiator: SP_PAGE });
  expect(loginPage.hops[0]).toEqual(expect.objectContaining({ method: 'POST', status: 302 }));
  expect(loginPage.status).toBe(200);
  const bridgePage = await signInAtProvider(agent, loginPage, alice);
  expect(bridgePage.status).toBe(200);
  return { since, post: readAutoPost(bridgePage) };
}

describe.each([['client_secret_basic' as const], ['client_secret_post' as const]])(
  'a whole login with the HTTP-POST binding, token endpoint auth %s',
  (tokenEndpointAuthMethod) => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness({ tokenEndpointAuthMethod });
    });
    afterAll(async () => harness.close());

    it('is accepted by node-saml', async () => {
      // node-saml deflates HTTP-POST messages unless told not to; the binding says base64 only.
      const sp = await harness.serviceProvider({ authnRequestBinding: 'HTTP-POST', skipRequestCompression: true });
      const relayState = 'https://start.atlassian.com/?continue=/wiki&x="<y>"';
      const { since, post } = await loginWithPostBinding(harness, sp, relayState);
      expect(post.action).toBe(ACS_URL);
      expect(post.RelayState).toBe(relayState);
      const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(loggedOut).toBe(false);
      expect(profile?.nameID).toBe(alice.email);
      expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']).toBe(alice.given_name);
      expect(since.logs()).toContainEqual(expect.objectContaining({ event: 'login.started', fields: expect.objectContaining({ binding: 'post' }) }));
      expect(since.logs().filter((r) => r.event === 'login.succeeded')).toHaveLength(1);
      const { token } = await providerEndpoints(harness);
      expect(calledTimes(since, token)).toBe(1);
      // oidc-provider takes either method from a client registered for one, so look at the request.
      const tokenRequest = harness.upstream.requests.find((r) => r.url === token)!;
      const form = new URLSearchParams(tokenRequest.body);
      if (tokenEndpointAuthMethod === 'client_secret_post') {
        expect(tokenRequest.headers.get('authorization')).toBeNull();
        expect({ client_id: form.get('client_id'), client_secret: form.get('client_secret') }).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      } else {
        expect(tokenRequest.headers.get('authorization')).toMatch(/^Basic /);
        expect(form.get('client_secret')).toBeNull();
      }
    });
  },
);
