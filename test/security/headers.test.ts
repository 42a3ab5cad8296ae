import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as cheerio from 'cheerio';
import { createBridge } from '../../src/core/bridge.js';
import { cryptoRandom } from '../../src/core/default-ports.js';
import { internalErrorResponse } from '../../src/forge/web-trigger.js';
import { alice, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { authnRequestXml, loginAs, loginUpToCallback, redirectEncode, ssoUrl } from '../support/refusals.js';
import { expectPageHeaders, rawRequest } from '../support/corpus.js';
import { MemoryStore, MovableClock, recordingLogger } from '../support/memory-ports.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';

/**
 * Every HTML page the bridge serves carries Content-Security-Policy (default-src 'none',
 * frame-ancestors 'none', scripts and styles only by nonce), Referrer-Policy: no-referrer,
 * X-Content-Type-Options: nosniff and Cache-Control: no-store; every script and style on the
 * page carries that response's nonce, and no two responses share one. The browser side (the
 * auto-post page still submits under this policy) is test/security/auto-post-browser.test.ts.
 */

/** The nonce of the CSP, and every script and style of the page carrying exactly it. */
function expectNoncedPage(page: { headers: Headers; body: string }): string {
  expectPageHeaders(page.headers);
  const csp = page.headers.get('content-security-policy')!;
  const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
  expect(nonce).toBeDefined();
  const $ = cheerio.load(page.body);
  for (const element of $('script, style').toArray()) expect($(element).attr('nonce')).toBe(nonce);
  const handlers = $('*')
    .toArray()
    .flatMap((el) => Object.keys((el as unknown as { attribs?: Record<string, string> }).attribs ?? {}))
    .filter((name) => /^on/i.test(name));
  expect(handlers).toEqual([]);
  expect($('base, iframe, object, embed')).toHaveLength(0);
  return nonce!;
}

describe('security headers on every page the bridge serves', () => {
  let harness: Harness;
  const eve = demoUsers.find((u) => !u.email.endsWith('@example.com'))!;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const pages: [string, (h: Harness) => Promise<Page>][] = [
    ['the auto-post page (200)', async (h) => loginAs(h, new UserAgent({ stopAt: stopAtAcs }), alice)],
    ['an SSO refusal (400)', async (h) => rawRequest(ssoUrl(h, { SAMLRequest: 'not base64!' }))],
    ['a callback refusal (400)', async (h) => rawRequest(`${h.app.baseUrl}/oidc/callback?state=unknown&code=x`)],
    ['a refused user (403)', async (h) => loginAs(h, new UserAgent({ stopAt: stopAtAcs }), eve)],
    ['a provider failure (502)', async (h) => providerError(h)],
    ['an unknown path (404)', async (h) => rawRequest(`${h.app.baseUrl}/nothing-here`)],
    ['a method not allowed at the SSO URL (405)', async (h) => rawRequest(ssoUrl(h), { method: 'DELETE' })],
    ['a method not allowed at the callback (405)', async (h) => rawRequest(`${h.app.baseUrl}/oidc/callback`, { method: 'POST' })],
    ['a method not allowed at the metadata (405)', async (h) => rawRequest(`${h.app.baseUrl}/saml/metadata`, { method: 'POST' })],
  ];

  /** A login whose callback reports a provider error (error=server_error), in its own browser. */
  async function providerError(h: Harness): Promise<Page> {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(h, agent, alice);
    callback.searchParams.delete('code');
    callback.searchParams.set('error', 'server_error');
    const page = await agent.get(callback);
    expect(page.status).toBe(502);
    return page;
  }

  for (const [name, load] of pages) {
    it(`${name} carries CSP, Referrer-Policy, nosniff and no-store, with nonce'd scripts and styles`, async () => {
      const page = await load(harness);
      expect(page.headers.get('content-type')).toContain('text/html');
      expectNoncedPage(page);
    });
  }

  it('allows the auto-post form to post only to the ACS origin (and https, for the redirects after it)', async () => {
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), alice);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain(`form-action ${new URL(page.form('#saml-post').action).origin} https:`);
  });

  it('gives every response its own nonce', async () => {
    const first = await rawRequest(`${harness.app.baseUrl}/nothing-here`);
    const second = await rawRequest(`${harness.app.baseUrl}/nothing-here`);
    expect(expectNoncedPage(first)).not.toBe(expectNoncedPage(second));
  });

  it('sends the SSO redirect with no-store and no-referrer (the provider never sees the SAMLRequest URL)', async () => {
    const page = await rawRequest(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }));
    expect(page.status).toBe(302);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves the metadata as XML with nosniff', async () => {
    const page = await rawRequest(`${harness.app.baseUrl}/saml/metadata`);
    expect(page.headers.get('content-type')).toBe('application/samlmetadata+xml; charset=utf-8');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the not-configured page (503) with the same headers', async () => {
    const clock = new MovableClock();
    const store = new MemoryStore(clock);
    const bridge = createBridge({
      ports: { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: () => Promise.reject(new Error('no network')) },
      directory: async () => ({ connections: [], unready: [] }),
      baseUrl: 'https://bridge.test',
      allowLoopbackHttp: false,
    });
    const response = await bridge.handle({ method: 'GET', path: '/saml/sso', query: { SAMLRequest: ['x'] }, headers: {}, body: '' });
    expect({ status: response.status, code: response.headers['X-Bridge-Error'] }).toEqual({ status: 503, code: 'config_missing' });
    expectNoncedPage({ headers: new Headers(response.headers), body: response.body });
  });

  it("serves the Forge adapter's own 500 page with the same headers", () => {
    const response = internalErrorResponse();
    const headers = new Headers(Object.entries(response.headers).map(([name, values]) => [name, values.join(', ')] as [string, string]));
    expectPageHeaders(headers);
    expect(cheerio.load(response.body)('script, style')).toHaveLength(0);
  });
});
