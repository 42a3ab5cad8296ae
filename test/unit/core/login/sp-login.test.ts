import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { BridgeResponse } from '../../../../src/core/http-types.js';
import { SAML_ATTRIBUTE } from '../../../../src/downstream-saml/saml-attributes.js';
import { inProcessBridge, type InProcessBridge } from '../../../support/in-process-bridge.js';
import { authnRequestXml, redirectEncode } from '../../../support/saml-messages.js';
import { stubAlice } from '../../../support/stub-provider.js';

/**
 * The callback of an SP-initiated login, in-process (core bridge, memory ports, stub provider):
 * the checks between the provider's answer and the signed response, each named after what it
 * refuses. Fast enough for the mutation run.
 */

let b: InProcessBridge;
beforeAll(async () => {
  b = await inProcessBridge();
});
afterEach(() => {
  b.provider.idTokenClaims = undefined;
  b.provider.userinfoClaims = undefined;
  b.reconfigure((base) => base);
});

const code = (response: BridgeResponse) => ({ status: response.status, code: response.headers['X-Bridge-Error'] });

/** Starts a login with the AuthnRequest's extra attributes, signs in at the stub, returns the callback's answer. */
async function login(options: { extra?: string; between?: () => void } = {}) {
  const started = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(authnRequestXml(options.extra ? { extra: options.extra } : {}))] });
  expect(started.status).toBe(302);
  const location = started.headers.Location!;
  const cookie = started.cookies?.[0]?.split(';')[0];
  const query = b.provider.authorize(location);
  options.between?.();
  const page = await b.get('/oidc/callback', query, cookie ? { cookie: [cookie] } : {});
  return { location: new URL(location), page };
}

function assertedAttributes(page: BridgeResponse): string {
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(page.body)?.[1];
  expect(samlResponse).toBeDefined();
  return Buffer.from(samlResponse!, 'base64').toString('utf8');
}

describe('ForceAuthn at the callback', () => {
  it('refuses a ForceAuthn login when the ID token carries no auth_time', async () => {
    const { location, page } = await login({ extra: 'ForceAuthn="true"' });
    expect(location.searchParams.get('prompt')).toBe('login');
    expect(code(page)).toEqual({ status: 502, code: 'oidc_id_token_invalid' });
  });

  it('refuses a ForceAuthn login when the provider reused an authentication older than the login', async () => {
    b.provider.idTokenClaims = (claims) => ({ ...claims, auth_time: Math.floor(b.clock.now() / 1000) - 3600 });
    const { page } = await login({ extra: 'ForceAuthn="true"' });
    expect(code(page)).toEqual({ status: 502, code: 'oidc_id_token_invalid' });
  });

  it('accepts a ForceAuthn login whose authentication happened after it started', async () => {
    b.provider.idTokenClaims = (claims) => ({ ...claims, auth_time: Math.floor(b.clock.now() / 1000) });
    const { page } = await login({ extra: 'ForceAuthn="true"' });
    expect(page.status).toBe(200);
  });

  it('accepts a login without ForceAuthn and without auth_time', async () => {
    const { location, page } = await login();
    expect(location.searchParams.has('prompt')).toBe(false);
    expect(page.status).toBe(200);
  });
});

describe('email_verified at the callback', () => {
  it("refuses when userinfo says the ID token's own address is unverified", async () => {
    b.provider.idTokenClaims = ({ email_verified: _dropped, ...claims }) => claims;
    b.provider.userinfoClaims = (claims) => ({ ...claims, email_verified: false });
    const { page } = await login();
    expect(code(page)).toEqual({ status: 403, code: 'user_email_unverified' });
  });

  it("does not let userinfo's word about another address decide for the ID token's address", async () => {
    // The ID token vouches for its own address; userinfo's "false" is about another one.
    b.provider.idTokenClaims = (claims) => ({ ...claims, email_verified: true });
    b.provider.userinfoClaims = (claims) => ({ ...claims, email: 'alice.old@example.com', email_verified: false });
    const { page } = await login();
    expect(page.status).toBe(200);
    expect(assertedAttributes(page)).toContain(`>${stubAlice.email}<`);
  });
});

describe('the service provider of a login in flight', () => {
  it('refuses the callback when the connection now names another SP than the one the login started for', async () => {
    const { page } = await login({
      between: () =>
        b.reconfigure((base) => ({ ...base, serviceProvider: { entityId: 'https://auth.atlassian.com/saml/another', acsUrl: 'https://evil.example/acs' } })),
    });
    expect(code(page)).toEqual({ status: 400, code: 'login_unknown' });
    expect(page.body).not.toContain('evil.example');
  });

  it('finishes the login when the connection changed in other ways', async () => {
    const { page } = await login({ between: () => b.reconfigure((base) => ({ ...base, assertionLifetimeSeconds: 120 })) });
    expect(page.status).toBe(200);
  });
});

describe('attributeClaims.stableId at the callback', () => {
  it("asserts the configured claim as Guard's stable identifier", async () => {
    b.reconfigure((base) => ({ ...base, attributeClaims: { stableId: 'email' } }));
    const { page } = await login();
    expect(page.status).toBe(200);
    const xml = assertedAttributes(page);
    const stable = new RegExp(`Name="${SAML_ATTRIBUTE.stableId}"[^>]*>\\s*<saml:AttributeValue[^>]*>([^<]*)<`).exec(xml)?.[1];
    expect(stable).toBe(stubAlice.email);
  });
});

describe('the signed response of a login', () => {
  it('answers the request it started from, at the configured ACS URL, with the RelayState echoed', async () => {
    const started = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(authnRequestXml({ id: '_request-42' }))], RelayState: ['relay & "state"'] });
    const query = b.provider.authorize(started.headers.Location!);
    const page = await b.get('/oidc/callback', query, { cookie: [started.cookies![0]!.split(';')[0]!] });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="${b.config.serviceProvider.acsUrl.replace(/&/g, '&amp;')}"`);
    expect(page.body).toContain('name="RelayState" value="relay &amp; &quot;state&quot;"');
    const xml = assertedAttributes(page);
    expect(xml).toMatch(/<samlp:Response [^>]*InResponseTo="_request-42"/);
    expect(xml).toContain(`>${stubAlice.email}</saml:NameID>`);
  });

  it("states the provider's auth_time as AuthnInstant, and the bridge's time when auth_time is in the future", async () => {
    const authTime = Math.floor(b.clock.now() / 1000) - 30;
    b.provider.idTokenClaims = (claims) => ({ ...claims, auth_time: authTime });
    const past = assertedAttributes((await login()).page);
    expect(/AuthnInstant="([^"]+)"/.exec(past)?.[1]).toBe(new Date(authTime * 1000).toISOString());
    b.provider.idTokenClaims = (claims) => ({ ...claims, auth_time: Math.floor(b.clock.now() / 1000) + 3600 });
    const future = assertedAttributes((await login()).page);
    const instant = Date.parse(/AuthnInstant="([^"]+)"/.exec(future)![1]!);
    expect(Math.abs(instant - b.clock.now())).toBeLessThan(60_000);
  });
});

describe('what the AuthnRequest asked for, kept through the login', () => {
  const withChild = (xml: string) => authnRequestXml().replace('</saml:Issuer>', `</saml:Issuer>${xml}`);
  const loginFor = async (request: string) => {
    const started = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(request)] });
    expect(started.status).toBe(302);
    const query = b.provider.authorize(started.headers.Location!);
    return b.get('/oidc/callback', query, { cookie: [started.cookies![0]!.split(';')[0]!] });
  };

  it('refuses to answer for another user than the Subject the request named', async () => {
    const page = await loginFor(withChild('<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">bob@example.com</saml:NameID></saml:Subject>'));
    expect(code(page)).toEqual({ status: 403, code: 'saml_subject_mismatch' });
  });

  it('answers in the emailAddress format the NameIDPolicy asked for, even for a NameID from another claim', async () => {
    b.reconfigure((base) => ({ ...base, nameIdClaim: 'preferred_username' }));
    b.provider.idTokenClaims = (claims) => ({ ...claims, preferred_username: stubAlice.email });
    const page = await loginFor(withChild('<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>'));
    expect(page.status).toBe(200);
    expect(assertedAttributes(page)).toMatch(/<saml:NameID [^>]*Format="urn:oasis:names:tc:SAML:1\.1:nameid-format:emailAddress"/);
  });

  it("offers the provider the Subject's account as login_hint, and no hint when the request named none", async () => {
    const named = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(withChild('<saml:Subject><saml:NameID>bob@example.com</saml:NameID></saml:Subject>'))] });
    expect(new URL(named.headers.Location!).searchParams.get('login_hint')).toBe('bob@example.com');
    const unnamed = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(authnRequestXml())] });
    expect(new URL(unnamed.headers.Location!).searchParams.has('login_hint')).toBe(false);
  });

  it('states a SessionIndex of its own in the AuthnStatement', async () => {
    const page = await loginFor(authnRequestXml());
    expect(assertedAttributes(page)).toMatch(/<saml:AuthnStatement [^>]*SessionIndex="_[\w-]{16,}"/);
  });
});
