import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SAML } from '@node-saml/node-saml';
import type { ConfigGetResponse, ConfigSaveResponse, TestResultResponse, TestStartResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import type { WebTriggerEvent } from '../../src/forge/web-trigger.js';
import { guardServiceProvider, installFetchRoutes, metadataCertificate, pinnedHttpsFetch, providerStepSave, startHttpsDemoProvider, webTriggerFetch } from '../support/forge-login-support.js';
import { alice, readAutoPost, signInAtProvider, stopAtAcs } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL, type ForgePlatform } from './forge-platform.js';

// Cookies measured, not assumed: no Forge document says whether a web trigger passes `Cookie` in.
// The wizard's connection test (test/start → the trigger's /test/start, which sets the binding
// cookie → the provider → the trigger's /oidc/callback) records whether the cookie came back.
// Here the web trigger's front door is played twice: once dropping every Cookie header on the
// way in, once passing them. The rest is as in forge-login.test.ts: the real bridgeTrigger and
// adminResolver, @forge/kvs over the platform stand-in, oidc-provider over https, node-saml
// verifying the response.

const INSTALL_CONTEXT = 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222';
const JIRA = { extension: { type: 'jira:adminPage' } };
const HOST_COOKIE = /^__Host-bridge_login_[\w-]{16}=[\w-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/;

describe('the binding cookie through the Forge web trigger, measured by the connection test', () => {
  let platform: ForgePlatform;
  let provider: Awaited<ReturnType<typeof startHttpsDemoProvider>>;
  let issuer: string;
  let restoreFetch: () => void;
  let forgeApp: typeof import('../../src/forge/index.js');
  /** The front door of this "host": true drops the Cookie header of every request. */
  let dropsCookies = false;
  const triggerCalls: { event: WebTriggerEvent; status: number; setCookie?: string }[] = [];

  const admin = async <T,>(functionKey: string, payload: unknown = {}): Promise<T> =>
    (await forgeApp.adminResolver({ call: { functionKey, payload }, context: JIRA }, { principal: { accountId: 'admin-1' } })) as T;

  let sp: SAML;

  beforeAll(async () => {
    platform = installForgePlatform();
    provider = await startHttpsDemoProvider(`${TEST_WEB_TRIGGER_URL}/oidc/callback`);
    issuer = provider.issuer;
    restoreFetch = installFetchRoutes({
      [`${TEST_WEB_TRIGGER_URL}/`]: webTriggerFetch(
        TEST_WEB_TRIGGER_URL,
        (event, context) => {
          if (!dropsCookies) return forgeApp.bridgeTrigger(event, context);
          const headers = Object.fromEntries(Object.entries(event.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'cookie'));
          return forgeApp.bridgeTrigger({ ...event, headers }, context);
        },
        { installContext: INSTALL_CONTEXT },
        (event, response) => triggerCalls.push({ event, status: response.statusCode, setCookie: response.headers['Set-Cookie']?.[0] }),
      ),
      [`${issuer}/`]: pinnedHttpsFetch(issuer, provider.certificate),
    });
    forgeApp = await import('../../src/forge/index.js');

    const saved = await admin<ConfigSaveResponse>('config/save', providerStepSave(issuer));
    expect(saved).toMatchObject({ ok: true });
    sp = guardServiceProvider(TEST_WEB_TRIGGER_URL, metadataCertificate(await (await fetch(`${TEST_WEB_TRIGGER_URL}/saml/metadata`)).text())!);
  });

  afterAll(async () => {
    restoreFetch?.();
    platform?.uninstall();
    await provider?.close();
  });

  /** The admin's connection test in one browser: the answer of test/result afterwards. */
  async function connectionTest(): Promise<TestResultResponse> {
    const { testId, startUrl } = await admin<TestStartResponse>('test/start');
    expect(startUrl.startsWith(`${TEST_WEB_TRIGGER_URL}/test/start?`)).toBe(true);
    const agent = new UserAgent();
    const loginPage = await agent.get(startUrl);
    expect(loginPage.hops[0]).toMatchObject({ status: 302 });
    expect(loginPage.hops[0]!.headers.get('set-cookie')).toMatch(HOST_COOKIE);
    expect(new URL(loginPage.url).origin).toBe(issuer);
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.url.startsWith(`${TEST_WEB_TRIGGER_URL}/oidc/callback?`)).toBe(true);
    expect(page.status).toBe(200);
    return admin<TestResultResponse>('test/result', { testId });
  }

  /** A login from the SP up to the callback, in `agent`; the callback URL and the SSO URL's Set-Cookie. */
  async function loginUpToCallback(agent: UserAgent) {
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    const sso = loginPage.hops[0]!;
    expect(sso).toMatchObject({ url: expect.stringContaining(`${TEST_WEB_TRIGGER_URL}/saml/sso?`), status: 302 });
    const stopped = await agent.submit(loginPage, {
      fields: { email: alice.email, password: alice.password },
      stopAt: (url) => url.href.startsWith(`${TEST_WEB_TRIGGER_URL}/oidc/callback`),
    });
    return { callback: stopped.stopped!.url, setCookie: sso.headers.get('set-cookie') };
  }

  it('binds logins before any test has looked (today\'s behaviour), and the wizard says it is not measured', async () => {
    const status = (await admin<ConfigGetResponse>('config/get')).status;
    expect(status.browserBinding).toEqual({ cookie: 'not_measured', bound: true });
    const { setCookie } = await loginUpToCallback(new UserAgent({ stopAt: stopAtAcs }));
    expect(setCookie).toMatch(HOST_COOKIE);
  });

  it('records "not seen" through a host that drops cookies; logins then succeed unbound, and the wizard is told', async () => {
    dropsCookies = true;
    const result = await connectionTest();
    expect(result).toMatchObject({ state: 'succeeded', nameId: alice.email, bindingCookie: 'not_seen' });
    const status = (await admin<ConfigGetResponse>('config/get')).status;
    expect(status.browserBinding).toEqual({ cookie: 'not_seen', checkedAt: expect.any(Number), bound: false });
    expect(platform.kvs.data.has(storageKeys.bindingCookieCheck())).toBe(true);

    // A login through the same host: the cookie is offered but never comes back, and the
    // callback accepts that on this host only; signed in.
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, setCookie } = await loginUpToCallback(agent);
    expect(setCookie).toMatch(HOST_COOKIE);
    const page = await agent.get(callback);
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState ?? '' });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('records "seen" once cookies pass: binding is on again, another browser is refused, the login survives for its own', async () => {
    dropsCookies = false;
    const result = await connectionTest();
    expect(result).toMatchObject({ state: 'succeeded', bindingCookie: 'seen' });
    const status = (await admin<ConfigGetResponse>('config/get')).status;
    expect(status.browserBinding).toEqual({ cookie: 'seen', checkedAt: expect.any(Number), bound: true });

    const own = new UserAgent({ stopAt: stopAtAcs });
    const { callback, setCookie } = await loginUpToCallback(own);
    expect(setCookie).toMatch(HOST_COOKIE);
    const other = await new UserAgent({ stopAt: stopAtAcs }).get(callback, { initiator: 'https://attacker.example/' });
    expect(other.status).toBe(400);
    expect(other.headers.get('x-bridge-error')).toBe('login_browser_mismatch');
    expect(other.body).not.toContain('SAMLResponse');

    // Not burnt by the refusal: the browser that started the login finishes it.
    const page = await own.get(callback);
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toMatch(/^__Host-bridge_login_[\w-]{16}=; Path=\/; Max-Age=0; HttpOnly; Secure; SameSite=Lax$/);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState ?? '' });
    expect(profile?.nameID).toBe(alice.email);
    expect(triggerCalls.some((c) => c.event.userPath === '/test/start' && c.status === 302)).toBe(true);
  });
});
