import { expect } from '@jest/globals';
import type { SAML } from '@node-saml/node-saml';
import type { BridgeErrorCode } from '../../src/core/errors.js';
import { signInAtProvider, type Harness, type LogRecord } from './login-harness.js';
// The hand-built messages live apart from the real peers, for the in-process tests.
export { authnRequestXml, logoutRequestXml, postEncode, redirectEncode, type AuthnRequestFields } from './saml-messages.js';
import { UserAgent, type Page } from './user-agent.js';

/**
 * Helpers for the refusal tests: where a test starts in a shared harness's logs and upstream
 * calls, the assertion every refusal makes, ways to stop a login at the callback, and
 * hand-built SAML messages.
 */

/** What happened in the harness since `mark` was taken. */
export interface Since {
  logs(): LogRecord[];
  calls(): string[];
}

export function mark(harness: Harness): Since {
  const logsAt = harness.logs.length;
  const callsAt = harness.upstream.calls.length;
  return { logs: () => harness.logs.slice(logsAt), calls: () => harness.upstream.calls.slice(callsAt) };
}

/** The provider's endpoints, read from its discovery document (not through the bridge's fetch). */
export async function providerEndpoints(harness: Harness): Promise<{ token: string; userinfo: string; authorization: string }> {
  const metadata = (await (await fetch(`${harness.providerUrl}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  return { token: metadata.token_endpoint!, userinfo: metadata.userinfo_endpoint!, authorization: metadata.authorization_endpoint! };
}

/**
 * A refusal by the bridge: the status and code (from the header, never the text), a reference
 * on the page that matches the header and the log record, and no SAML response anywhere.
 */
export function expectRefusal(page: Page, since: Since, expected: { status: number; code: BridgeErrorCode }): string {
  expect({ status: page.status, code: page.headers.get('x-bridge-error') }).toEqual(expected);
  const reference = page.headers.get('x-bridge-reference');
  expect(reference).toMatch(/^R-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  expect(page.$('code#reference').text()).toBe(reference);
  expect(page.body).not.toContain('SAMLResponse');
  expect(page.forms()).toEqual([]);
  const logs = since.logs();
  expect(logs.filter((r) => r.event === 'login.succeeded')).toEqual([]);
  expect(logs).toContainEqual(
    expect.objectContaining({
      event: 'request.failed',
      fields: expect.objectContaining({ reference, code: expected.code, status: expected.status }),
    }),
  );
  return reference!;
}

export function calledTimes(since: Since, endpoint: string): number {
  return since.calls().filter((url) => url.split('?')[0] === endpoint).length;
}

/**
 * Starts a login at the SP (node-saml, HTTP-Redirect) and returns the provider's login page,
 * and the SP, which alone can validate the response (it remembers the request's ID).
 */
export async function startLoginAtSp(harness: Harness, agent: UserAgent, relayState = 'relay-1'): Promise<{ loginPage: Page; sp: SAML }> {
  const sp = await harness.serviceProvider();
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync(relayState, undefined, {}));
  expect(loginPage.status).toBe(200);
  expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
  return { loginPage, sp };
}

/** True for the bridge's callback URL: the user agent stops there instead of opening it. */
export function isCallback(harness: Harness): (url: URL) => boolean {
  const callback = new URL(`${harness.app.baseUrl}/oidc/callback`);
  return (url) => url.origin === callback.origin && url.pathname === callback.pathname;
}

/**
 * Starts a login, signs in at the provider and stops where the provider redirects back: the
 * returned URL is the callback with a real code and state, not yet opened.
 */
export async function loginUpToCallback(
  harness: Harness,
  agent: UserAgent,
  user: { email: string; password: string },
): Promise<{ callback: URL; sp: SAML }> {
  const { loginPage, sp } = await startLoginAtSp(harness, agent);
  const stopped = await agent.submit(loginPage, { fields: { email: user.email, password: user.password }, stopAt: isCallback(harness) });
  expect(stopped.stopped?.method).toBe('GET');
  const callback = new URL(stopped.stopped!.url);
  expect(callback.searchParams.get('code')).toBeTruthy();
  expect(callback.searchParams.get('state')).toBeTruthy();
  return { callback, sp };
}

/** Signs in and follows the redirects back to the bridge; returns the bridge's page. */
export async function loginAs(harness: Harness, agent: UserAgent, user: { email: string; password: string }): Promise<Page> {
  const { loginPage } = await startLoginAtSp(harness, agent);
  const page = await signInAtProvider(agent, loginPage, user);
  expect(new URL(page.url).origin).toBe(new URL(harness.app.baseUrl).origin);
  return page;
}

/** The bridge's SSO URL with the given query parameters. */
export function ssoUrl(harness: Harness, params: Record<string, string> = {}): URL {
  const url = new URL(`${harness.app.baseUrl}/saml/sso`);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  return url;
}
