import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { checkConfig, type RawConfig } from '../../src/core/config.js';
import type { LoginAuditRecord } from '../../src/core/audit/audit-trail.js';
import { UserAgent, type Page } from '../support/user-agent.js';
import { ACS_URL, alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { expectRefusal, isCallback, mark } from '../support/refusals.js';

/**
 * IdP-initiated login (a bookmark, an Okta dashboard tile) against the real peers: the start URL
 * `/saml/start/<connection>` → oidc-provider → the bridge's callback → an unsolicited response
 * that node-saml verifies with InResponseTo checks set as an SP accepting IdP-initiated logins
 * sets them ('ifPresent', 'never'), and that node-saml's strict setting ('always') refuses, which
 * proves the response really answers no request. Every refusal ends on the error page with a
 * reference and never in a SAML response.
 */

const SITE = 'https://acme.atlassian.net';
const START_PATH = '/saml/start/default';
const BASE: RawConfig = {
  baseUrl: 'http://127.0.0.1:1',
  oidc: { issuer: 'http://127.0.0.1:2', clientId: 'c', clientSecret: 's' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
  allowedEmailDomains: ['example.com'],
};

const withIdpInitiated = (idpInitiated: RawConfig['idpInitiated'], extra: Partial<RawConfig> = {}) => (base: RawConfig): RawConfig => ({ ...base, ...extra, idpInitiated });

/** The start URL opened in a fresh browser, signed in at the provider, up to the auto-post page. */
async function signInFromStartUrl(harness: Harness, query = ''): Promise<{ page: Page; agent: UserAgent }> {
  const agent = new UserAgent({ stopAt: stopAtAcs });
  const loginPage = await agent.get(`${harness.app.baseUrl}${START_PATH}${query}`);
  expect(loginPage.status).toBe(200);
  return { page: await signInAtProvider(agent, loginPage, alice), agent };
}

function decoded(samlResponse: string): Document {
  return new DOMParser().parseFromString(Buffer.from(samlResponse, 'base64').toString('utf8'), 'text/xml') as unknown as Document;
}

async function loginRecords(harness: Harness): Promise<LoginAuditRecord[]> {
  const page = await harness.app.audit.query({ kind: 'login', limit: 50 });
  return page.records as LoginAuditRecord[];
}

describe('IdP-initiated login, on with the default landing page', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ config: withIdpInitiated({ enabled: true }) });
  });
  afterAll(async () => harness.close());

  it('ends in an unsolicited response node-saml accepts, with RelayState https://start.atlassian.com', async () => {
    const { page } = await signInFromStartUrl(harness);
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe('https://start.atlassian.com');

    for (const validateInResponseTo of [ValidateInResponseTo.ifPresent, ValidateInResponseTo.never]) {
      const sp = await harness.serviceProvider({ validateInResponseTo });
      const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(loggedOut).toBe(false);
      expect(profile?.nameID).toBe(alice.email);
      expect(profile?.inResponseTo).toBeUndefined();
    }
    // node-saml's strict setting wants an InResponseTo: the response has none.
    const strict = await harness.serviceProvider({ validateInResponseTo: ValidateInResponseTo.always });
    await expect(strict.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).rejects.toThrow(/InResponseTo is missing/);
  });

  it('omits InResponseTo on the Response and on SubjectConfirmationData and keeps recipient, audience and lifetime', async () => {
    const { page } = await signInFromStartUrl(harness);
    const xml = decoded(readAutoPost(page).SAMLResponse!);
    const response = xml.documentElement;
    expect(response.localName).toBe('Response');
    expect(response.hasAttribute('InResponseTo')).toBe(false);
    expect(response.getAttribute('Destination')).toBe(ACS_URL);
    const confirmation = xml.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'SubjectConfirmationData');
    expect(confirmation.length).toBe(1);
    expect(confirmation[0]!.hasAttribute('InResponseTo')).toBe(false);
    expect(confirmation[0]!.getAttribute('Recipient')).toBe(ACS_URL);
    const notOnOrAfter = Date.parse(confirmation[0]!.getAttribute('NotOnOrAfter')!);
    expect(notOnOrAfter).toBeGreaterThan(Date.now());
    expect(notOnOrAfter).toBeLessThanOrEqual(Date.now() + 301_000);
    expect(Buffer.from(readAutoPost(page).SAMLResponse!, 'base64').toString('utf8')).not.toContain('InResponseTo');
    expect(xml.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').length).toBe(2);
  });

  it('records the login as IdP-initiated in the audit trail, under the reference of its start', async () => {
    const since = mark(harness);
    await signInFromStartUrl(harness);
    const started = since.logs().find((r) => r.event === 'login.started');
    expect(started?.fields).toMatchObject({ flow: 'idp', connection: 'default' });
    const [latest] = await loginRecords(harness);
    expect(latest).toMatchObject({ flow: 'idp', outcome: 'ok', connectionId: 'default', email: alice.email, reference: started!.fields.reference });
    expect(latest!.samlRequestId).toBeUndefined();
  });

  it('refuses a target parameter while the connection names no site (no destination from the URL)', async () => {
    const since = mark(harness);
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(`${harness.app.baseUrl}${START_PATH}?target=/jira`);
    expectRefusal(page, since, { status: 400, code: 'idp_initiated_target_refused' });
    expect(page.hops).toHaveLength(1);
  });

  it('refuses a connection id no connection has, as it refuses one that has it off', async () => {
    const since = mark(harness);
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(`${harness.app.baseUrl}/saml/start/no-such-connection`);
    expectRefusal(page, since, { status: 404, code: 'idp_initiated_off' });
    const [latest] = await loginRecords(harness);
    expect(latest).toMatchObject({ flow: 'idp', outcome: 'refused', code: 'idp_initiated_off' });
  });

  it('binds the login to the browser that opened the start URL: a callback from another browser is refused, and the login stays its own', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(`${harness.app.baseUrl}${START_PATH}`);
    expect(loginPage.hops[0]!.headers.get('set-cookie')).toMatch(/bridge/i);
    const stopped = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password }, stopAt: isCallback(harness) });
    const callback = new URL(stopped.stopped!.url);
    const since = mark(harness);
    // A victim's browser handed the attacker's callback (login CSRF): no cookie, no login.
    expectRefusal(await new UserAgent({ stopAt: stopAtAcs }).get(callback), since, { status: 400, code: 'login_browser_mismatch' });
    const own = await agent.get(callback);
    expect(readAutoPost(own).RelayState).toBe('https://start.atlassian.com');
  });

  it('answers only GET', async () => {
    const response = await fetch(`${harness.app.baseUrl}${START_PATH}`, { method: 'POST', body: '' });
    expect(response.status).toBe(405);
    expect(response.headers.get('x-bridge-error')).toBe('method_not_allowed');
  });
});

describe('IdP-initiated login, landing on the connection\'s own site', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ config: withIdpInitiated({ enabled: true, relayState: `${SITE}/jira/your-work` }, { atlassianSiteUrl: SITE }) });
  });
  afterAll(async () => harness.close());

  it('sends the configured page of the site as RelayState, and node-saml accepts the response', async () => {
    const { page } = await signInFromStartUrl(harness);
    const post = readAutoPost(page);
    expect(post.RelayState).toBe(`${SITE}/jira/your-work`);
    const sp = await harness.serviceProvider({ validateInResponseTo: ValidateInResponseTo.ifPresent });
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('takes a target path of the site from the start URL', async () => {
    const { page } = await signInFromStartUrl(harness, `?target=${encodeURIComponent('/wiki/spaces/ENG')}`);
    expect(readAutoPost(page).RelayState).toBe(`${SITE}/wiki/spaces/ENG`);
  });

  it.each([
    ['an absolute URL elsewhere', 'https://evil.example/'],
    ['an absolute URL on the site', `${SITE}/jira`],
    ['a scheme-relative URL', '//evil.example/jira'],
    ['a backslash a browser reads as a host', '/\\evil.example/jira'],
    ['a user name before the host', '@evil.example'],
    ['a fragment', '/jira#x'],
  ])('refuses a target that is %s', async (_name, target) => {
    const since = mark(harness);
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(`${harness.app.baseUrl}${START_PATH}?target=${encodeURIComponent(target)}`);
    expectRefusal(page, since, { status: 400, code: 'idp_initiated_target_refused' });
    expect(page.hops).toHaveLength(1);
    expect(since.logs().filter((r) => r.event === 'login.started')).toEqual([]);
  });

  it('refuses a repeated target', async () => {
    const since = mark(harness);
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(`${harness.app.baseUrl}${START_PATH}?target=/jira&target=/wiki`);
    expectRefusal(page, since, { status: 400, code: 'idp_initiated_target_refused' });
  });
});

describe('IdP-initiated login refused', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => Promise.all(harnesses.map((h) => h.close())));

  /** A bridge whose stored target the file schema accepts, but whose site the login start checks against. */
  async function refusedWith(
    config: (base: RawConfig) => RawConfig,
    code: 'idp_initiated_off' | 'idp_initiated_target_refused',
    status: number,
    tryAgain = 'https://start.atlassian.com',
  ): Promise<void> {
    const harness = await startHarness({ config });
    harnesses.push(harness);
    const since = mark(harness);
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(`${harness.app.baseUrl}${START_PATH}`);
    expectRefusal(page, since, { status, code });
    // No redirect to the provider, no transaction: the start page is the whole answer.
    expect(page.hops).toHaveLength(1);
    expect(harness.upstream.calls).toEqual([]);
    // "Try again" leads to Atlassian, never to the refused target.
    expect(page.$('a').toArray().map((a) => a.attribs.href)).toContain(tryAgain);
  }

  it('while off (the default)', async () => {
    await refusedWith((base) => base, 'idp_initiated_off', 404);
  });

  it('while turned off explicitly', async () => {
    await refusedWith(withIdpInitiated({ enabled: false, relayState: 'https://start.atlassian.com' }), 'idp_initiated_off', 404);
  });

  it('with a target on another Atlassian site than the connection\'s', async () => {
    await refusedWith(withIdpInitiated({ enabled: true, relayState: 'https://evil.atlassian.net/jira' }, { atlassianSiteUrl: SITE }), 'idp_initiated_target_refused', 400, SITE);
  });

  it('with a site target while the connection names no site', async () => {
    await refusedWith(withIdpInitiated({ enabled: true, relayState: `${SITE}/jira` }), 'idp_initiated_target_refused', 400);
  });

  it.each([
    ['plain http', 'http://acme.atlassian.net/jira'],
    ['a user name', 'https://user@acme.atlassian.net/jira'],
    ['another port', 'https://acme.atlassian.net:8443/jira'],
    ['a host outside Atlassian', 'https://acme.atlassian.net.evil.example/jira'],
  ])('with a configured target that has %s: the configuration itself is refused', (_name, relayState) => {
    // Such a value can only reach a login from storage written before the check; the start
    // checks it again (`idpInitiatedTarget`, test/unit/core/login/idp-initiated-target.test.ts).
    const checked = checkConfig(withIdpInitiated({ enabled: true, relayState }, { atlassianSiteUrl: SITE })(BASE), { allowLoopbackHttp: true });
    expect(checked.ok ? [] : checked.problems.map((p) => p.path)).toEqual(['idpInitiated.relayState']);
  });
});
