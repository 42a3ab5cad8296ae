import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RELAY_STATE_MAX_BYTES } from '../../src/core/login/steps/check-relay-state.js';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Clock } from '../../src/core/ports.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';
import { ACS_URL, alice, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import {
  authnRequestXml,
  calledTimes,
  expectRefusal,
  isCallback,
  loginAs,
  loginUpToCallback,
  logoutRequestXml,
  mark,
  postEncode,
  providerEndpoints,
  redirectEncode,
  ssoUrl,
  startLoginAtSp,
  type Since,
} from '../support/refusals.js';

/**
 * Every way a login must be refused, each against the real peers: the bridge answers with an
 * error page (status, code in `X-Bridge-Error`, a reference) and never with a SAML response.
 */

const mallory = demoUsers.find((u) => u.email_verified === false)!;
const eve = demoUsers.find((u) => !u.email.endsWith('@example.com'))!;

/** Puts `xml` after the Issuer: where the schema wants Subject and NameIDPolicy (nothing else comes between here). */
function withChild(request: string, xml: string): string {
  return request.replace('</saml:Issuer>', `</saml:Issuer>${xml}`);
}

/** A refusal at the SSO URL: the browser is not sent to the provider and no login is recorded. */
function expectNoLoginStarted(page: Page, since: Since): void {
  expect(page.hops).toHaveLength(1);
  expect(page.hops[0]!.location).toBeUndefined();
  expect(since.logs().filter((r) => r.event === 'login.started')).toEqual([]);
}

describe('refusals on the return from the OpenID provider', () => {
  let harness: Harness;
  let endpoints: Awaited<ReturnType<typeof providerEndpoints>>;
  beforeAll(async () => {
    harness = await startHarness();
    endpoints = await providerEndpoints(harness);
  });
  afterAll(async () => harness.close());

  it('refuses a replayed callback', async () => {
    const since = mark(harness);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);

    const first = await agent.get(callback);
    expect(first.status).toBe(200);
    const post = readAutoPost(first);
    expect(post.action).toBe(ACS_URL);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);

    const replay = mark(harness);
    const second = await agent.get(callback);
    expectRefusal(second, replay, { status: 400, code: 'login_unknown' });
    expect(calledTimes(since, endpoints.token)).toBe(1);
    expect(since.logs().filter((r) => r.event === 'login.succeeded')).toHaveLength(1);
  });

  it('refuses the second of two concurrent callbacks', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const since = mark(harness);
    const pages = await Promise.all([agent.get(callback), agent.get(callback)]);
    const winners = pages.filter((p) => p.status === 200);
    const losers = pages.filter((p) => p.status !== 200);
    expect(winners).toHaveLength(1);
    expect(readAutoPost(winners[0]!).SAMLResponse).toBeTruthy();
    expect(losers).toHaveLength(1);
    expect({ status: losers[0]!.status, code: losers[0]!.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'login_unknown' });
    expect(losers[0]!.body).not.toContain('SAMLResponse');
    expect(since.logs().filter((r) => r.event === 'login.succeeded')).toHaveLength(1);
    expect(calledTimes(since, endpoints.token)).toBe(1);
  });

  it('refuses an unknown state', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.set('state', randomBytes(32).toString('base64url'));
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'login_unknown' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback without state', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.delete('state');
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'login_state_missing' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback with an empty state', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.set('state', '');
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'login_state_missing' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback with the state repeated', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.append('state', callback.searchParams.get('state')!);
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'callback_malformed' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback without code', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.delete('code');
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'oidc_code_missing' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a callback whose iss names another provider (RFC 9207 mix-up)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    callback.searchParams.set('iss', 'https://attacker.example');
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'oidc_issuer_mismatch' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a user whose email domain is not allowed', async () => {
    const since = mark(harness);
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), eve);
    expectRefusal(page, since, { status: 403, code: 'user_domain_not_allowed' });
    expect(calledTimes(since, endpoints.token)).toBe(1);
  });

  it('refuses a user whose email is not verified', async () => {
    const since = mark(harness);
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), mallory);
    expectRefusal(page, since, { status: 403, code: 'user_email_unverified' });
    expect(calledTimes(since, endpoints.token)).toBe(1);
  });

  it('refuses a login the user cancelled at the provider (error=access_denied)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage } = await startLoginAtSp(harness, agent);
    const since = mark(harness);
    const stopped = await agent.submit(loginPage, { form: (f) => f.action.endsWith('/abort'), stopAt: isCallback(harness) });
    const callback = new URL(stopped.stopped!.url);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBeTruthy();
    expectRefusal(await agent.get(callback), since, { status: 403, code: 'oidc_access_denied' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('refuses a provider error redirect for a started login (error=access_denied)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage } = await startLoginAtSp(harness, agent);
    const authorization = new URL(loginPage.hops.find((h) => h.location?.startsWith(endpoints.authorization))!.location!);
    const callback = new URL(`${harness.app.baseUrl}/oidc/callback`);
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('error_description', 'User is not assigned to the client application.');
    callback.searchParams.set('state', authorization.searchParams.get('state')!);
    callback.searchParams.set('iss', harness.providerUrl);
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 403, code: 'oidc_access_denied' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });

  it('reports a provider error redirect that is not a refusal (error=server_error)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage } = await startLoginAtSp(harness, agent);
    const authorization = new URL(loginPage.hops.find((h) => h.location?.startsWith(endpoints.authorization))!.location!);
    const callback = new URL(`${harness.app.baseUrl}/oidc/callback`);
    callback.searchParams.set('error', 'server_error');
    callback.searchParams.set('state', authorization.searchParams.get('state')!);
    callback.searchParams.set('iss', harness.providerUrl);
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 502, code: 'oidc_authorization_error' });
    expect(calledTimes(since, endpoints.token)).toBe(0);
  });
});

describe('refusal of an expired login transaction', () => {
  let harness: Harness;
  let offsetMs = 0;
  const clock: Clock = { now: () => Date.now() + offsetMs };
  beforeAll(async () => {
    harness = await startHarness({ standalone: { clock } });
  });
  afterAll(async () => harness.close());

  it('refuses an expired transaction', async () => {
    const { token } = await providerEndpoints(harness);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    // Only the bridge's clock moves: the provider's code is still fresh.
    offsetMs = (harness.app.config!.loginTimeoutSeconds + 1) * 1000;
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 400, code: 'login_expired' });
    expect(calledTimes(since, token)).toBe(0);
    offsetMs = 0;
    // Expired means burned: the same callback does not work once the clock is back.
    const again = mark(harness);
    expectRefusal(await agent.get(callback), again, { status: 400, code: 'login_unknown' });
  });
});

describe('refusals of the AuthnRequest', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const refuse = async (url: URL, expected: Parameters<typeof expectRefusal>[2]) => {
    const since = mark(harness);
    const page = await new UserAgent().get(url, { stopAt: (u) => u.origin === harness.providerUrl });
    expectRefusal(page, since, expected);
    expectNoLoginStarted(page, since);
  };

  const refusePost = async (fields: Record<string, string>, expected: Parameters<typeof expectRefusal>[2]) => {
    const since = mark(harness);
    const page = await new UserAgent().post(ssoUrl(harness), fields, {
      initiator: 'https://auth.atlassian.test/login',
      stopAt: (u) => u.origin === harness.providerUrl,
    });
    expectRefusal(page, since, expected);
    expectNoLoginStarted(page, since);
  };

  it('accepts the hand-built AuthnRequest the malformed cases start from', async () => {
    const page = await new UserAgent().get(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }), {
      stopAt: (u) => u.origin === harness.providerUrl,
    });
    expect(page.hops).toHaveLength(1);
    expect(page.hops[0]!.status).toBe(302);
    expect(page.stopped?.url.startsWith(harness.providerUrl)).toBe(true);
  });

  it('refuses a foreign ACS URL in the AuthnRequest', async () => {
    const sp = await harness.serviceProvider({ callbackUrl: 'https://attacker.example/acs' });
    await refuse(new URL(await sp.getAuthorizeUrlAsync('relay', undefined, {})), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an AssertionConsumerServiceIndex', async () => {
    const xml = authnRequestXml({ acsUrl: null, protocolBinding: null, extra: 'AssertionConsumerServiceIndex="1"' });
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an AuthnRequest from an unknown SP issuer', async () => {
    const sp = await harness.serviceProvider({ issuer: 'https://other-sp.example/saml/metadata' });
    await refuse(new URL(await sp.getAuthorizeUrlAsync('relay', undefined, {})), { status: 400, code: 'saml_unknown_sp' });
  });

  /** The detail of the one `request.failed` line since `since`. */
  const failureDetail = (since: Since): string => String(since.logs().find((r) => r.event === 'request.failed')?.fields.detail);

  it('logs the Issuer an unknown-SP AuthnRequest carried, so a swapped Guard value shows', async () => {
    const since = mark(harness);
    // Guard's ACS URL sent as the Issuer: what the bridge sees when the admin swapped the two.
    const issuer = 'https://auth.atlassian.com/login/callback?connection=saml-0f8fad5b-d9cb-469f-a165-70867728950e';
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml({ issuer: issuer.replace(/&/g, '&amp;') })) }), { status: 400, code: 'saml_unknown_sp' });
    expect(failureDetail(since)).toContain(`Issuer "${issuer}"`);
  });

  it('logs the ACS URL a refused AuthnRequest carried, bounded and with control characters escaped', async () => {
    const since = mark(harness);
    const acs = `https://attacker.example/acs?x=${'a'.repeat(400)}`;
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml({ acsUrl: `https://evil.example/&#10;forged line` })) }), { status: 400, code: 'saml_acs_mismatch' });
    const detail = failureDetail(since);
    expect(detail).toContain('"https://evil.example/\\u{a}forged line"');
    expect(detail).not.toMatch(/[\n\r]/);
    const since2 = mark(harness);
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml({ acsUrl: acs })) }), { status: 400, code: 'saml_acs_mismatch' });
    const long = failureDetail(since2);
    expect(long).toContain(`${acs.slice(0, 200)}…(${acs.length} chars)`);
    expect(long).not.toContain(acs.slice(0, 201));
  });

  it('refuses an AuthnRequest without an Issuer', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml({ issuer: null })) }), { status: 400, code: 'saml_unknown_sp' });
  });

  it('refuses a passive AuthnRequest', async () => {
    const sp = await harness.serviceProvider({ passive: true });
    await refuse(new URL(await sp.getAuthorizeUrlAsync('relay', undefined, {})), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses an AuthnRequest asking for the artifact binding', async () => {
    const xml = authnRequestXml({ protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' });
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses an AuthnRequest issued an hour ago', async () => {
    const xml = authnRequestXml({ issueInstant: new Date(Date.now() - 3_600_000).toISOString() });
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_stale' });
  });

  it('refuses a missing SAMLRequest', async () => {
    await refuse(ssoUrl(harness), { status: 400, code: 'saml_request_missing' });
  });

  it('refuses an empty SAMLRequest', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: '', RelayState: 'relay' }), { status: 400, code: 'saml_request_missing' });
  });

  it('refuses a repeated SAMLRequest', async () => {
    const encoded = redirectEncode(authnRequestXml());
    const url = ssoUrl(harness, { SAMLRequest: encoded });
    url.searchParams.append('SAMLRequest', encoded);
    await refuse(url, { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a SAMLRequest that is not base64', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: 'this is *not* base64!' }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a base64 SAMLRequest that is not DEFLATE (HTTP-Redirect)', async () => {
    // The HTTP-POST encoding sent on the HTTP-Redirect binding: base64 of the bare XML.
    await refuse(ssoUrl(harness, { SAMLRequest: postEncode(authnRequestXml()) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses base64 bytes that are no DEFLATE stream (HTTP-Redirect)', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01]).toString('base64') }), {
      status: 400,
      code: 'saml_request_malformed',
    });
  });

  it('refuses a DEFLATE SAMLRequest that is not XML', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode('SAMLRequest, but not XML at all') }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a DEFLATE SAMLRequest that is not UTF-8', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(Buffer.from([0x3c, 0xc3, 0x28, 0xff, 0x3e])) }), {
      status: 400,
      code: 'saml_request_malformed',
    });
  });

  it('refuses XML that is not an AuthnRequest (a LogoutRequest)', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(logoutRequestXml()) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an AuthnRequest that breaks the SAML schema', async () => {
    const xml = authnRequestXml().replace('</samlp:AuthnRequest>', '<samlp:Bogus/></samlp:AuthnRequest>');
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an AuthnRequest with a DTD', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>${authnRequestXml()}`;
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a DEFLATE bomb', async () => {
    const bomb = deflateRawSync(Buffer.alloc(1024 * 1024, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(4 * 1024);
    await refuse(ssoUrl(harness, { SAMLRequest: bomb }), { status: 400, code: 'saml_request_too_large' });
  });

  it('refuses a SAMLRequest that is not base64 (HTTP-POST)', async () => {
    await refusePost({ SAMLRequest: '<samlp:AuthnRequest/>' }, { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses XML that is not an AuthnRequest (HTTP-POST)', async () => {
    await refusePost({ SAMLRequest: postEncode(logoutRequestXml()) }, { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a missing SAMLRequest (HTTP-POST)', async () => {
    await refusePost({ RelayState: 'relay' }, { status: 400, code: 'saml_request_missing' });
  });

  it('refuses a foreign ACS URL in the AuthnRequest (HTTP-POST)', async () => {
    const xml = authnRequestXml({ acsUrl: 'https://attacker.example/acs' });
    await refusePost({ SAMLRequest: postEncode(xml) }, { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an AuthnRequest whose Destination is another identity provider', async () => {
    const xml = authnRequestXml({ extra: 'Destination="https://other-idp.example/saml/sso"' });
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_destination_mismatch' });
  });

  it('accepts a Destination that is the SSO URL (control; node-saml, like Guard, always sends one)', async () => {
    const xml = authnRequestXml({ extra: `Destination="${ssoUrl(harness).href}"` });
    const page = await new UserAgent().get(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { stopAt: (u) => u.origin === harness.providerUrl });
    expect(page.hops[0]!.status).toBe(302);
    expect(page.stopped?.url.startsWith(harness.providerUrl)).toBe(true);
  });

  it('refuses a NameIDPolicy asking for a persistent NameID', async () => {
    const xml = withChild(authnRequestXml(), '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>');
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_nameid_policy_unsupported' });
  });

  it.each(['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'])(
    'accepts the NameIDPolicy format Guard sends, %s (control)',
    async (format) => {
      const xml = withChild(authnRequestXml(), `<samlp:NameIDPolicy Format="${format}" AllowCreate="true"/>`);
      const page = await new UserAgent().get(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { stopAt: (u) => u.origin === harness.providerUrl });
      expect(page.hops[0]!.status).toBe(302);
      expect(page.stopped?.url.startsWith(harness.providerUrl)).toBe(true);
    },
  );

  it('refuses a Subject the bridge cannot match (no NameID)', async () => {
    const xml = withChild(
      authnRequestXml(),
      '<saml:Subject><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject>',
    );
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses an over-long RelayState', async () => {
    await refuse(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()), RelayState: 'r'.repeat(RELAY_STATE_MAX_BYTES + 1) }), {
      status: 400,
      code: 'relay_state_invalid',
    });
  });
});

describe('an AuthnRequest that names its Subject', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const subjectRequest = (nameId: string, format = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress') =>
    withChild(authnRequestXml(), `<saml:Subject><saml:NameID Format="${format}">${nameId}</saml:NameID></saml:Subject>`);

  /** Sends the request, signs in at the provider as `user`, and returns the bridge's last page. */
  const signInFor = async (xml: string, user: { email: string; password: string }, agent = new UserAgent({ stopAt: stopAtAcs })) => {
    const loginPage = await agent.get(ssoUrl(harness, { SAMLRequest: redirectEncode(xml), RelayState: 'relay' }));
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const since = mark(harness);
    return { page: await agent.submit(loginPage, { fields: { email: user.email, password: user.password } }), since };
  };

  const assertedNameId = (page: Page) => {
    const xml = Buffer.from(readAutoPost(page).SAMLResponse!, 'base64').toString('utf8');
    return /<saml:NameID[^>]*>([^<]*)<\/saml:NameID>/.exec(xml)?.[1];
  };

  it('answers for the subject it names (control)', async () => {
    const { page } = await signInFor(subjectRequest(alice.email), alice);
    expect(page.status).toBe(200);
    expect(assertedNameId(page)).toBe(alice.email);
  });

  it('matches the subject as an address, whatever its letter case (control)', async () => {
    const { page } = await signInFor(subjectRequest('Alice@EXAMPLE.com'), alice);
    expect(page.status).toBe(200);
    expect(assertedNameId(page)).toBe(alice.email);
  });

  it('refuses to answer for another user than the subject it names', async () => {
    const bob = demoUsers.find((u) => u.email === 'bob@example.com')!;
    const { page, since } = await signInFor(subjectRequest(bob.email), alice);
    expectRefusal(page, since, { status: 403, code: 'saml_subject_mismatch' });
    expect(page.body).not.toContain('SAMLResponse');
  });

  it('keeps the requested subject through "Use another account": the new login may not answer for someone else', async () => {
    const bob = demoUsers.find((u) => u.email === 'bob@example.com')!;
    // The same browser throughout: the error page sets the new login's binding cookie.
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { page: refused } = await signInFor(subjectRequest(alice.email), eve, agent);
    expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    const another = refused.$('a').filter((_, element) => refused.$(element).text().trim() === 'Use another account').attr('href');
    expect(another).toBeDefined();
    let page = await agent.get(another!);
    const since = mark(harness);
    page = await agent.submit(page, { fields: { email: bob.email, password: bob.password } });
    for (let hop = 0; hop < 3 && page.url.startsWith(harness.providerUrl); hop++) page = await agent.submit(page);
    expectRefusal(page, since, { status: 403, code: 'saml_subject_mismatch' });
  });

  it('refuses a Subject NameID in a format the bridge cannot give (persistent)', async () => {
    const xml = subjectRequest('opaque-id-123', 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    const since = mark(harness);
    const page = await new UserAgent().get(ssoUrl(harness, { SAMLRequest: redirectEncode(xml) }), { stopAt: (u) => u.origin === harness.providerUrl });
    expectRefusal(page, since, { status: 400, code: 'saml_nameid_policy_unsupported' });
    expectNoLoginStarted(page, since);
  });
});

describe('refusal when the provider refuses the client', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ config: (base) => ({ ...base, oidc: { ...base.oidc, clientSecret: 'not-the-client-secret' } }) });
  });
  afterAll(async () => harness.close());

  it('refuses a login whose token request the provider rejects (invalid_client) as oidc_client_rejected, with a page that does not say try again', async () => {
    const { token } = await providerEndpoints(harness);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const since = mark(harness);
    const page = await agent.get(callback);
    expectRefusal(page, since, { status: 502, code: 'oidc_client_rejected' });
    expect(calledTimes(since, token)).toBe(1);
    // In words for a user: no "try again later", which cannot help.
    expect(page.body).toContain("your administrator corrects them");
    expect(page.body).not.toMatch(/try again later/i);
  });
});
