import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import forge from 'node-forge';
import { SignedXml } from 'xml-crypto';
import { createDemoServiceProvider, type DemoServiceProvider } from '../../dev/demo/demo-service-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';

/**
 * The demo SP against responses this test signs itself (xml-crypto, a test key), so that its
 * verification is proven before the bridge exists: one named case per way a response can be
 * wrong, and the positive case.
 */

const IDP_SSO_URL = 'http://127.0.0.1:9/saml/sso';
const IDP_ISSUER = 'http://127.0.0.1:9/saml/metadata';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const ATTR = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
const isIdp = (url: URL) => url.href.startsWith(IDP_SSO_URL);

interface Credentials {
  privateKeyPem: string;
  certificatePem: string;
}

function createCredentials(commonName: string): Credentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 86_400_000);
  certificate.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { privateKeyPem: privateKey, certificatePem: forge.pki.certificateToPem(certificate) };
}

const idpKey = createCredentials('test idp');
const otherKey = createCredentials('someone else');

let server: http.Server;
let base: string;
let sp: DemoServiceProvider;

beforeAll(async () => {
  let handler: http.RequestListener = () => undefined;
  server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sp = createDemoServiceProvider({
    baseUrl: `${base}/demo-sp`,
    entityId: `${base}/demo-sp/metadata`,
    idpSsoUrl: IDP_SSO_URL,
    idpIssuer: IDP_ISSUER,
    idpCertificate: async () => idpKey.certificatePem,
  });
  handler = (req, res) => {
    if (req.url?.startsWith('/demo-sp')) sp.handle(req, res);
    else res.writeHead(404).end();
  };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function startPage(ua = new UserAgent()): Promise<Page> {
  return ua.get(`${base}/demo-sp/`);
}

/** Presses a sign-in button and returns the AuthnRequest that would reach the IdP. */
async function requestViaRedirect(relayState?: string) {
  const ua = new UserAgent({ stopAt: isIdp });
  const start = await startPage(ua);
  const stopped = await ua.submit(start, {
    button: 'Sign in with HTTP-Redirect',
    ...(relayState !== undefined ? { fields: { RelayState: relayState } } : {}),
  });
  expect(stopped.stopped?.method).toBe('GET');
  const url = new URL(stopped.url);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const request = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
  return { url, xml, request, id: request.getAttribute('ID')! };
}

interface ResponseInput {
  inResponseTo: string;
  destination?: string;
  recipient?: string;
  audience?: string;
  issuer?: string;
  nameId?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  method?: string;
}

function responseXml(input: ResponseInput): string {
  const now = Date.now();
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const acs = sp.acsUrl;
  const id = () => `_${randomBytes(16).toString('hex')}`;
  const notBefore = iso(input.notBefore ?? new Date(now - 180_000));
  const notOnOrAfter = iso(input.notOnOrAfter ?? new Date(now + 300_000));
  const issuer = input.issuer ?? IDP_ISSUER;
  const attribute = (name: string, value: string) =>
    `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${value}</saml:AttributeValue></saml:Attribute>`;
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id()}" Version="2.0" IssueInstant="${iso(new Date(now))}" Destination="${input.destination ?? acs}" InResponseTo="${input.inResponseTo}">`
    + `<saml:Issuer>${issuer}</saml:Issuer>`
    + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
    + `<saml:Assertion ID="${id()}" Version="2.0" IssueInstant="${iso(new Date(now))}">`
    + `<saml:Issuer>${issuer}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${EMAIL_FORMAT}">${input.nameId ?? 'alice@example.com'}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="${input.method ?? 'urn:oasis:names:tc:SAML:2.0:cm:bearer'}"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${input.recipient ?? acs}" InResponseTo="${input.inResponseTo}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${input.audience ?? sp.entityId}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${iso(new Date(now))}" SessionIndex="_session-1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `<saml:AttributeStatement>${attribute(`${ATTR}givenname`, 'Alice')}${attribute(`${ATTR}surname`, '&lt;Ångström&gt;')}${attribute(`${ATTR}name`, '00u1alice')}</saml:AttributeStatement>`
    + '</saml:Assertion></samlp:Response>';
}

const RESPONSE_XPATH = "/*[local-name(.)='Response']";
const ASSERTION_XPATH = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";

function sign(xml: string, xpath: string, key: Credentials): string {
  const signer = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  signer.computeSignature(xml, { location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' } });
  return signer.getSignedXml();
}

function signBoth(xml: string, key = idpKey): string {
  return sign(sign(xml, ASSERTION_XPATH, key), RESPONSE_XPATH, key);
}

async function postToAcs(fields: Record<string, string>): Promise<Page> {
  return new UserAgent().post(sp.acsUrl, fields, { initiator: IDP_SSO_URL });
}

const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

describe('demo SAML service provider: start page and AuthnRequests', () => {
  it('renders the start page with both sign-in buttons and a RelayState', async () => {
    const page = await startPage();
    expect(page.status).toBe(200);
    expect(page.title()).toBe('Demo Atlassian (SAML service provider)');
    const form = page.form();
    expect(form.method).toBe('GET');
    expect(form.action).toBe(`${base}/demo-sp/login`);
    expect(form.buttons.map((b) => b.text)).toEqual(['Sign in with HTTP-Redirect', 'Sign in with HTTP-POST']);
    expect(page.field('RelayState')).toBe('https://start.atlassian.com');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*style-src 'sha256-/);
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('sends a deflated AuthnRequest by HTTP-Redirect with its Issuer and ACS URL', async () => {
    const { url, request } = await requestViaRedirect();
    expect(`${url.origin}${url.pathname}`).toBe(IDP_SSO_URL);
    expect(url.searchParams.get('RelayState')).toBe('https://start.atlassian.com');
    expect(url.searchParams.get('Signature')).toBeNull();
    expect(request.localName).toBe('AuthnRequest');
    expect(request.getAttribute('AssertionConsumerServiceURL')).toBe(sp.acsUrl);
    expect(request.getAttribute('Destination')).toBe(IDP_SSO_URL);
    expect(request.getAttribute('ProtocolBinding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(request.getAttribute('ID')).toMatch(/^_/);
    const issuer = request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0];
    expect(issuer?.textContent).toBe(`${base}/demo-sp/metadata`);
    const policy = request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'NameIDPolicy')[0];
    expect(policy?.getAttribute('Format')).toBe(EMAIL_FORMAT);
    expect(request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'RequestedAuthnContext')).toHaveLength(0);
    expect(request.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')).toHaveLength(0);
  });

  it('carries the RelayState the user typed', async () => {
    const { url } = await requestViaRedirect('https://example.atlassian.net/wiki?a=1&b=<2>');
    expect(url.searchParams.get('RelayState')).toBe('https://example.atlassian.net/wiki?a=1&b=<2>');
  });

  it('sends a base64 (not deflated) AuthnRequest by HTTP-POST from an auto-submitting page', async () => {
    const ua = new UserAgent({ stopAt: isIdp });
    const page = await ua.submit(await startPage(ua), { button: 'Sign in with HTTP-POST' });
    expect(page.status).toBe(200);
    const form = page.form('#saml-post');
    expect(form.method).toBe('POST');
    expect(form.action).toBe(IDP_SSO_URL);
    expect(page.field('RelayState', '#saml-post')).toBe('https://start.atlassian.com');
    const xml = Buffer.from(page.field('SAMLRequest', '#saml-post')!, 'base64').toString('utf8');
    const request = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
    expect(request.localName).toBe('AuthnRequest');
    expect(request.getAttribute('AssertionConsumerServiceURL')).toBe(sp.acsUrl);

    const nonce = page.$('script').attr('nonce');
    expect(nonce).toEqual(expect.any(String));
    expect(page.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`);

    const posted = await ua.submit(page);
    expect(posted.stopped).toMatchObject({ method: 'POST', url: IDP_SSO_URL });
  });

  it('publishes SP metadata naming its entity ID and ACS URL', async () => {
    const response = await fetch(`${base}/demo-sp/metadata`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
    expect(root.getAttribute('entityID')).toBe(sp.entityId);
    expect(xml).toContain(`Location="${sp.acsUrl}"`);
  });

  it('answers 404 outside its paths', async () => {
    expect((await fetch(`${base}/demo-sp/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/demo-spx`)).status).toBe(404);
  });
});

describe('demo SAML service provider: ACS', () => {
  it('accepts a response with a signed Response and a signed Assertion', async () => {
    const { id } = await requestViaRedirect();
    const page = await postToAcs({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id }))), RelayState: 'https://start.atlassian.com' });
    expect(page.status).toBe(200);
    expect(page.$('h1').text()).toBe('Signed in');
    expect(page.$('#name-id').text()).toBe('alice@example.com');
    expect(page.text()).toContain(EMAIL_FORMAT);
    expect(page.text()).toContain(`${ATTR}surname`);
    expect(page.text()).toContain('<Ångström>');
    expect(page.body).toContain('&lt;Ångström&gt;');
    expect(page.text()).toContain('https://start.atlassian.com');
    expect(page.text()).toContain('_session-1');
    expect(sp.lastResult()).toMatchObject({
      ok: true,
      nameID: 'alice@example.com',
      nameIDFormat: EMAIL_FORMAT,
      relayState: 'https://start.atlassian.com',
      sessionIndex: '_session-1',
      issuer: IDP_ISSUER,
      inResponseTo: id,
      attributes: { [`${ATTR}givenname`]: ['Alice'], [`${ATTR}surname`]: ['<Ångström>'], [`${ATTR}name`]: ['00u1alice'] },
    });
  });

  it('accepts a response to a request sent by HTTP-POST', async () => {
    const ua = new UserAgent({ stopAt: isIdp });
    const page = await ua.submit(await startPage(ua), { button: 'Sign in with HTTP-POST' });
    const xml = Buffer.from(page.field('SAMLRequest', '#saml-post')!, 'base64').toString('utf8');
    const id = new DOMParser().parseFromString(xml, 'text/xml').documentElement!.getAttribute('ID')!;
    const result = await postToAcs({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id }))) });
    expect(result.status).toBe(200);
    expect(sp.lastResult()).toMatchObject({ ok: true, relayState: undefined });
  });

  async function expectRefused(fields: Record<string, string>, error: RegExp): Promise<Page> {
    const page = await postToAcs(fields);
    expect(page.status).toBe(400);
    expect(page.$('h1').text()).toBe('Sign-in refused');
    const result = sp.lastResult();
    expect(result?.ok).toBe(false);
    expect(result?.ok === false && result.error).toMatch(error);
    expect(page.$('#error').text()).toBe(result?.ok === false ? result.error : '');
    return page;
  }

  it('refuses garbage', async () => {
    await expectRefused({ SAMLResponse: 'this is not a SAML response' }, /./);
  });

  it('refuses a request without SAMLResponse', async () => {
    await expectRefused({ RelayState: 'x' }, /no \(or more than one\) SAMLResponse/);
  });

  it('refuses response.unsigned', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(responseXml({ inResponseTo: id })) }, /Invalid document signature/);
  });

  it('refuses response.root-unsigned.assertion-signed', async () => {
    const { id } = await requestViaRedirect();
    const xml = sign(responseXml({ inResponseTo: id }), ASSERTION_XPATH, idpKey);
    await expectRefused({ SAMLResponse: encode(xml) }, /Invalid document signature/);
  });

  it('refuses response.root-signed.assertion-unsigned', async () => {
    const { id } = await requestViaRedirect();
    const xml = sign(responseXml({ inResponseTo: id }), RESPONSE_XPATH, idpKey);
    await expectRefused({ SAMLResponse: encode(xml) }, /Invalid signature/);
  });

  it('refuses response.signed-by-another-key', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id }), otherKey)) }, /signature/i);
  });

  it('refuses response.tampered-after-signing', async () => {
    const { id } = await requestViaRedirect();
    const xml = signBoth(responseXml({ inResponseTo: id })).replace('alice@example.com', 'mallory@example.com');
    await expectRefused({ SAMLResponse: encode(xml) }, /signature/i);
  });

  it('refuses response.unknown-in-response-to', async () => {
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: '_never-issued' }))) }, /InResponseTo is not valid/);
  });

  it('refuses response.unsolicited (no InResponseTo) unless told to accept IdP-initiated logins', async () => {
    const unsolicited = signBoth(responseXml({ inResponseTo: '' }).replaceAll(' InResponseTo=""', ''));
    expect(unsolicited).not.toContain('InResponseTo');
    await expectRefused({ SAMLResponse: encode(unsolicited) }, /InResponseTo is missing/);
  });

  it('refuses response.replayed', async () => {
    const { id } = await requestViaRedirect();
    const samlResponse = encode(signBoth(responseXml({ inResponseTo: id })));
    expect((await postToAcs({ SAMLResponse: samlResponse })).status).toBe(200);
    await expectRefused({ SAMLResponse: samlResponse }, /InResponseTo is not valid/);
  });

  it('refuses response.wrong-audience', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id, audience: 'https://other.example/sp' }))) }, /audience mismatch/);
  });

  it('refuses response.expired', async () => {
    const { id } = await requestViaRedirect();
    const xml = responseXml({ inResponseTo: id, notBefore: new Date(Date.now() - 600_000), notOnOrAfter: new Date(Date.now() - 60_000) });
    await expectRefused({ SAMLResponse: encode(signBoth(xml)) }, /expired|subject confirmation/i);
  });

  it('refuses response.wrong-issuer', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id, issuer: 'https://evil.example/idp' }))) }, /Unexpected assertion Issuer/);
  });

  it('refuses response.wrong-destination', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id, destination: 'https://other.example/acs' }))) }, /Unexpected response Destination/);
  });

  it('refuses response.wrong-recipient', async () => {
    const { id } = await requestViaRedirect();
    await expectRefused({ SAMLResponse: encode(signBoth(responseXml({ inResponseTo: id, recipient: 'https://other.example/acs' }))) }, /Recipient/);
  });

  it('escapes what it shows on the refusal page', async () => {
    const page = await expectRefused({ SAMLResponse: 'x', RelayState: '<script>alert(1)</script>' }, /./);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.text()).toContain('<script>alert(1)</script>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'none'");
  });

  it('accepts only POST at the ACS', async () => {
    expect((await fetch(sp.acsUrl)).status).toBe(405);
  });
});
