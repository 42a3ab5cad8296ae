import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { ACS_URL, SP_ENTITY_ID, startHarness, type Harness } from '../support/login-harness.js';
import { authnRequestXml, postEncode, redirectEncode, ssoUrl } from '../support/refusals.js';
import { expectSsoRefusal, getSso, loginKeyCount, postSso, rawRequest } from '../support/corpus.js';
import { inProcessBridge } from '../support/in-process-bridge.js';

/**
 * The adversarial corpus for the SSO URL, beyond test/integration/refusals.test.ts (which holds
 * the first 25 AuthnRequest cases; SECURITY.md lists both). One named case per attack: the
 * bridge answers with its error page (status, code, reference, the `request.failed` log line),
 * never redirects to the provider, never stores a login and never mints a SAML response.
 */

const ACS_ATTR = ACS_URL.replace(/&/g, '&amp;');

/** A schema-valid ds:Signature whose one Reference points at `uri` (its value is never checked). */
function signatureElement(uri: string): string {
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="${uri}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
    '<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>' +
    '<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>'
  );
}

/** Inserts `xml` right after the Issuer, where the schema puts Signature and Extensions. */
function afterIssuer(request: string, xml: string): string {
  return request.replace('</saml:Issuer>', `</saml:Issuer>${xml}`);
}

const BILLION_LAUGHS =
  '<!DOCTYPE samlp:AuthnRequest [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>';

describe('SAMLRequest corpus: encoding', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  it('refuses base64 of random bytes (HTTP-POST)', async () => {
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: randomBytes(300).toString('base64') }), {
      status: 400,
      code: 'saml_request_malformed',
    });
  });

  it('refuses URL-safe base64 (characters outside the base64 alphabet)', async () => {
    const encoded = redirectEncode(authnRequestXml()).replace(/\+/g, '-').replace(/\//g, '_');
    expect(encoded).toMatch(/[-_]/);
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: encoded }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses base64 with padding in the middle', async () => {
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: 'QUJD=RA==' }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses base64 one character too long (length 4n+1)', async () => {
    let encoded = postEncode(authnRequestXml()).replace(/=+$/, '');
    while (encoded.length % 4 !== 1) encoded += 'A';
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: encoded }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an 8 MB deflate bomb, stopping at the 64 KB cap instead of inflating it', async () => {
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024, 0x20), { level: 9 }).toString('base64');
    expect(bomb.length).toBeLessThan(12 * 1024);
    const started = process.hrtime.bigint();
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: bomb }), { status: 400, code: 'saml_request_too_large' });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1_000);
  });

  it('refuses a SAMLRequest over the encoded-size limit (HTTP-POST)', async () => {
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: 'A'.repeat(40 * 1024) }), { status: 400, code: 'saml_request_too_large' });
  });

  it('refuses a SAMLRequest over the encoded-size limit without decoding it (HTTP-Redirect, in-process as on Forge)', async () => {
    const bridge = await inProcessBridge();
    const response = await bridge.get('/saml/sso', { SAMLRequest: ['A'.repeat(40 * 1024)] });
    expect({ status: response.status, code: response.headers['X-Bridge-Error'] }).toEqual({ status: 400, code: 'saml_request_too_large' });
    expect(bridge.store.keys('')).toEqual([]);
    expect(bridge.provider.calls).toEqual([]);
  });

  it('refuses a URL over the server header limit with 431 before the bridge runs (HTTP-Redirect, standalone)', async () => {
    const stored = loginKeyCount(harness);
    const page = await rawRequest(ssoUrl(harness, { SAMLRequest: 'A'.repeat(40 * 1024) }));
    expect(page.status).toBe(431);
    expect(page.headers.get('location')).toBeNull();
    expect(loginKeyCount(harness)).toBe(stored);
  });

  it('refuses an oversized AuthnRequest (HTTP-POST, 70 KB of XML)', async () => {
    const xml = afterIssuer(authnRequestXml(), `<samlp:Extensions><x:pad xmlns:x="urn:pad">${'p'.repeat(70 * 1024)}</x:pad></samlp:Extensions>`);
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: postEncode(xml) }), { status: 400, code: 'saml_request_too_large' });
  });

  it('refuses a form body over the server limit with 413 before reading it (HTTP-POST)', async () => {
    const stored = loginKeyCount(harness);
    const page = await rawRequest(ssoUrl(harness), {
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: `SAMLRequest=${'A'.repeat(300 * 1024)}`,
    });
    expect(page.status).toBe(413);
    expect(page.body).not.toContain('SAMLResponse');
    expect(page.headers.get('location')).toBeNull();
    expect(loginKeyCount(harness)).toBe(stored);
  });

  it('refuses an HTTP-POST whose content type is not a form', async () => {
    await expectSsoRefusal(
      harness,
      () => rawRequest(ssoUrl(harness), { method: 'POST', contentType: 'application/json', body: JSON.stringify({ SAMLRequest: postEncode(authnRequestXml()) }) }),
      { status: 400, code: 'saml_request_malformed' },
    );
  });

  it('refuses UTF-16 XML (NUL-padded bytes that would slip a DTD past the check)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${authnRequestXml({ issuer: '&e;' })}`;
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(Buffer.from(xml, 'utf16le')) }), {
      status: 400,
      code: 'saml_request_malformed',
    });
  });

  it('refuses an XML declaration that names another encoding (UTF-7)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE x +AFs-+ADwAIQ-ENTITY e +ACI-e+ACIAPg-+AF0APg-${authnRequestXml()}`;
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses control characters in the XML', async () => {
    const xml = authnRequestXml().replace('</saml:Issuer>', '\u0001</saml:Issuer>');
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: postEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });
});

describe('SAMLRequest corpus: XML', () => {
  let harness: Harness;
  let attacker: http.Server;
  let attackerUrl: string;
  const attackerHits: string[] = [];
  beforeAll(async () => {
    harness = await startHarness();
    // Where an external DTD or entity would be fetched from, had the parser tried.
    attacker = http.createServer((req, res) => {
      attackerHits.push(req.url ?? '');
      res.end('<!ENTITY leak "leaked">');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await harness.close();
    await new Promise<void>((resolve) => attacker.close(() => resolve()));
  });

  it('refuses an external entity (XXE) and reads no file', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE samlp:AuthnRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${authnRequestXml({ issuer: '&xxe;' })}`;
    const { page, since } = await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), {
      status: 400,
      code: 'saml_request_malformed',
    });
    expect(page.body).not.toContain('root:');
    expect(JSON.stringify(since.logs())).not.toContain('root:');
  });

  it('refuses an external DTD and never fetches it', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE samlp:AuthnRequest SYSTEM "${attackerUrl}/evil.dtd">${authnRequestXml()}`;
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
    expect(attackerHits).toEqual([]);
  });

  it('refuses a parameter entity that pulls a remote DTD, and never fetches it', async () => {
    const xml = `<!DOCTYPE x [<!ENTITY % remote SYSTEM "${attackerUrl}/p.dtd"> %remote;]>${authnRequestXml()}`;
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: postEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
    expect(attackerHits).toEqual([]);
  });

  it('refuses entity expansion (billion laughs) at once', async () => {
    const xml = `${BILLION_LAUGHS}${authnRequestXml({ issuer: '&lol9;' })}`;
    const started = Date.now();
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a DTD in the HTTP-POST binding', async () => {
    const xml = `<!DOCTYPE samlp:AuthnRequest [<!ENTITY sp "${SP_ENTITY_ID}">]>${authnRequestXml({ issuer: '&sp;' })}`;
    await expectSsoRefusal(harness, () => postSso(harness, { SAMLRequest: postEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a lower-case doctype', async () => {
    const xml = `<!doctype samlp:AuthnRequest>${authnRequestXml()}`;
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses several root elements (CVE-2022-39353 shape)', async () => {
    const xml = `${authnRequestXml({ acsUrl: 'https://attacker.example/acs' })}${authnRequestXml()}`;
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a Response sent instead of an AuthnRequest', async () => {
    const xml =
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"' +
      ` ID="_r1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>` +
      '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>';
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an AuthnRequest outside the SAML protocol namespace', async () => {
    const xml = authnRequestXml().replace('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"', 'xmlns:samlp="urn:example:not-saml"');
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses XML nested deeper than the parser allows', async () => {
    const depth = 1_000;
    const xml = afterIssuer(authnRequestXml(), `<samlp:Extensions xmlns:x="urn:n">${'<x:n>'.repeat(depth)}${'</x:n>'.repeat(depth)}</samlp:Extensions>`);
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an XInclude and never resolves it', async () => {
    const xml = afterIssuer(authnRequestXml(), `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${attackerUrl}/inc.xml"/>`);
    await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml) }), { status: 400, code: 'saml_request_malformed' });
    expect(attackerHits).toEqual([]);
  });
});

describe('SAMLRequest corpus: AuthnRequest fields', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const refuseXml = (xml: string, expected: Parameters<typeof expectSsoRefusal>[2]) =>
    expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(xml), RelayState: 'relay' }), expected);

  it('refuses an AuthnRequest without an ID', async () => {
    await refuseXml(authnRequestXml({ id: 'X' }).replace(' ID="X"', ''), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a duplicated ID attribute', async () => {
    await refuseXml(authnRequestXml({ id: '_one' }).replace(' ID="_one"', ' ID="_one" ID="_two"'), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an ID that is not an xs:ID', async () => {
    await refuseXml(authnRequestXml({ id: '1-starts-with-a-digit' }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses Version 1.1', async () => {
    await refuseXml(authnRequestXml().replace('Version="2.0"', 'Version="1.1"'), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an Issuer in other letter case', async () => {
    await refuseXml(authnRequestXml({ issuer: SP_ENTITY_ID.toUpperCase() }), { status: 400, code: 'saml_unknown_sp' });
  });

  it('refuses an Issuer that extends the SP entity ID', async () => {
    await refuseXml(authnRequestXml({ issuer: `${SP_ENTITY_ID}/evil` }), { status: 400, code: 'saml_unknown_sp' });
  });

  it('refuses an empty Issuer', async () => {
    await refuseXml(authnRequestXml({ issuer: '' }), { status: 400, code: 'saml_unknown_sp' });
  });

  it('refuses two Issuer elements', async () => {
    await refuseXml(afterIssuer(authnRequestXml(), `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses an ACS URL that differs only in its query', async () => {
    await refuseXml(authnRequestXml({ acsUrl: ACS_ATTR.replace('connection=saml-', 'connection=saml-0') }), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an ACS URL on plain http', async () => {
    await refuseXml(authnRequestXml({ acsUrl: ACS_ATTR.replace('https://', 'http://') }), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an ACS URL that starts with the configured one', async () => {
    await refuseXml(authnRequestXml({ acsUrl: `${ACS_ATTR}&amp;next=https://attacker.example` }), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses an AssertionConsumerServiceIndex next to the right ACS URL', async () => {
    await refuseXml(authnRequestXml({ extra: 'AssertionConsumerServiceIndex="0"' }), { status: 400, code: 'saml_acs_mismatch' });
  });

  it('refuses ProtocolBinding HTTP-Redirect for the response', async () => {
    await refuseXml(authnRequestXml({ protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect' }), {
      status: 400,
      code: 'saml_request_unsupported',
    });
  });

  it('refuses ProtocolBinding PAOS (ECP)', async () => {
    await refuseXml(authnRequestXml({ protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS' }), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses IsPassive="1" (the other spelling of true)', async () => {
    await refuseXml(authnRequestXml({ extra: 'IsPassive="1"' }), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses an IssueInstant an hour in the future', async () => {
    await refuseXml(authnRequestXml({ issueInstant: new Date(Date.now() + 3_600_000).toISOString() }), { status: 400, code: 'saml_request_stale' });
  });

  it('refuses an IssueInstant one second past the login timeout', async () => {
    const maxAge = harness.app.config!.loginTimeoutSeconds;
    await refuseXml(authnRequestXml({ issueInstant: new Date(Date.now() - (maxAge + 1) * 1000).toISOString() }), {
      status: 400,
      code: 'saml_request_stale',
    });
  });

  it('accepts an IssueInstant inside the clock-skew allowance (control for the two above)', async () => {
    const page = await getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml({ issueInstant: new Date(Date.now() + 60_000).toISOString() })) });
    expect(page.hops[0]!.status).toBe(302);
    expect(page.stopped?.url.startsWith(harness.providerUrl)).toBe(true);
  });

  it('refuses an IssueInstant that is not a date', async () => {
    await refuseXml(authnRequestXml({ issueInstant: 'yesterday' }), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a Signature that claims to sign another element', async () => {
    await refuseXml(afterIssuer(authnRequestXml({ id: '_req' }), signatureElement('#_other')), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a Signature over the whole document (empty URI)', async () => {
    await refuseXml(afterIssuer(authnRequestXml({ id: '_req' }), signatureElement('')), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses signature wrapping: a Signature over a genuine-looking request hidden in Extensions', async () => {
    const hidden = authnRequestXml({ id: '_genuine' });
    const outer = authnRequestXml({ id: '_forged', acsUrl: 'https://attacker.example/acs' });
    const xml = afterIssuer(outer, `${signatureElement('#_genuine')}<samlp:Extensions>${hidden}</samlp:Extensions>`);
    await refuseXml(xml, { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses a Destination that leaves the SSO path through dot segments', async () => {
    await refuseXml(authnRequestXml({ extra: `Destination="${ssoUrl(harness).href}/../../evil"` }), { status: 400, code: 'saml_destination_mismatch' });
  });

  it('refuses a Destination with the SSO path on another host', async () => {
    const other = new URL(ssoUrl(harness).href);
    other.hostname = 'bridge.attacker.example';
    await refuseXml(authnRequestXml({ extra: `Destination="${other.href}"` }), { status: 400, code: 'saml_destination_mismatch' });
  });

  it('refuses a Destination that is not a URL', async () => {
    await refuseXml(authnRequestXml({ extra: 'Destination="saml/sso"' }), { status: 400, code: 'saml_destination_mismatch' });
  });

  it('refuses an empty Destination', async () => {
    await refuseXml(authnRequestXml({ extra: 'Destination=""' }), { status: 400, code: 'saml_destination_mismatch' });
  });

  it('accepts a Destination whose scheme differs only in letter case (control: compared as URLs)', async () => {
    const url = ssoUrl(harness).href.replace(/^http/, 'HTTP');
    expect(url).not.toBe(ssoUrl(harness).href);
    const page = await getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml({ extra: `Destination="${url}"` })) });
    expect(page.hops[0]!.status).toBe(302);
  });

  it.each([
    ['transient', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
    ['encrypted', 'urn:oasis:names:tc:SAML:2.0:nameid-format:encrypted'],
    ['X.509 subject name', 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName'],
    ['entity', 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity'],
    ['an invented format', 'urn:example:nameid-format:whatever'],
  ])('refuses a NameIDPolicy asking for a %s NameID', async (_name, format) => {
    await refuseXml(afterIssuer(authnRequestXml(), `<samlp:NameIDPolicy Format="${format}"/>`), { status: 400, code: 'saml_nameid_policy_unsupported' });
  });

  it('accepts a NameIDPolicy without a Format (control)', async () => {
    const page = await getSso(harness, { SAMLRequest: redirectEncode(afterIssuer(authnRequestXml(), '<samlp:NameIDPolicy AllowCreate="true"/>')) });
    expect(page.hops[0]!.status).toBe(302);
  });

  it('refuses a Subject with an EncryptedID (it cannot be matched)', async () => {
    const encryptedId =
      '<saml:Subject><saml:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedID></saml:Subject>';
    await refuseXml(afterIssuer(authnRequestXml(), encryptedId), { status: 400, code: 'saml_request_unsupported' });
  });

  it('refuses a Subject with an empty NameID', async () => {
    await refuseXml(afterIssuer(authnRequestXml(), '<saml:Subject><saml:NameID> </saml:NameID></saml:Subject>'), { status: 400, code: 'saml_request_malformed' });
  });

  it('refuses PUT on the SSO URL with 405 and an Allow header', async () => {
    const { page } = await expectSsoRefusal(
      harness,
      () => rawRequest(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }), { method: 'PUT' }),
      { status: 405, code: 'method_not_allowed' },
    );
    expect(page.headers.get('allow')).toBe('GET, POST');
  });

  it('refuses a repeated RelayState', async () => {
    await expectSsoRefusal(
      harness,
      () =>
        getSso(harness, [
          ['SAMLRequest', redirectEncode(authnRequestXml())],
          ['RelayState', 'one'],
          ['RelayState', 'two'],
        ]),
      { status: 400, code: 'relay_state_invalid' },
    );
  });
});
