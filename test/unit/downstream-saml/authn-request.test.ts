import { describe, expect, it } from '@jest/globals';
import { deflateRawSync } from 'node:zlib';
import { BridgeError, type BridgeErrorCode } from '../../../src/core/errors.js';
import { AUTHN_REQUEST_LIMITS, readAuthnRequest, type AuthnRequestExpectations, type SamlBinding } from '../../../src/downstream-saml/authn-request.js';
import { ACS_URL, SP_ENTITY_ID } from '../../support/peer-names.js';
import { authnRequestXml, postEncode, redirectEncode, type AuthnRequestFields } from '../../support/saml-messages.js';

/**
 * The AuthnRequest checks, called directly: one named case per refusal, and the boundaries of
 * each limit. The corpus and the fuzzer (test/security) drive the same checks over HTTP; these
 * are the fast ones the mutation run leans on.
 */

const NOW = Date.parse('2030-01-01T12:00:00Z');
const MAX_AGE_S = 300;
const MAX_FUTURE_S = 60;
const expectations: AuthnRequestExpectations = {
  now: NOW,
  serviceProviderFor(issuer) {
    if (issuer !== SP_ENTITY_ID && issuer !== 'https://other.example/sp') throw new BridgeError('saml_unknown_sp', 'no such SP');
    // An SP whose directory entry names another entity ID than the Issuer that found it.
    return { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, ssoUrl: 'https://bridge.example/saml/sso', maxAgeSeconds: MAX_AGE_S, maxFutureSeconds: MAX_FUTURE_S };
  },
};

const xml = (fields: AuthnRequestFields = {}) => authnRequestXml({ id: '_req1', issueInstant: new Date(NOW).toISOString(), ...fields });
const read = (encoded: string | undefined, binding: SamlBinding = 'redirect') => readAuthnRequest(binding, encoded, expectations);

function refusal(run: () => unknown): BridgeErrorCode {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return (error as BridgeError).code;
  }
  throw new Error('the request was accepted');
}

describe('readAuthnRequest: what it keeps of a good request', () => {
  it('reads ID, Issuer, IssueInstant and ForceAuthn over HTTP-Redirect', () => {
    expect(read(redirectEncode(xml()))).toEqual({ id: '_req1', issuer: SP_ENTITY_ID, issueInstant: new Date(NOW).toISOString(), forceAuthn: false });
  });

  it('reads the same over HTTP-POST, line-wrapped base64 included', () => {
    const wrapped = postEncode(xml()).replace(/(.{76})/g, '$1\r\n');
    expect(read(wrapped, 'post').id).toBe('_req1');
  });

  it('takes ForceAuthn "true" and "1" as true, and "false" or "0" as false', () => {
    expect(read(redirectEncode(xml({ extra: 'ForceAuthn="true"' }))).forceAuthn).toBe(true);
    expect(read(redirectEncode(xml({ extra: 'ForceAuthn="1"' }))).forceAuthn).toBe(true);
    expect(read(redirectEncode(xml({ extra: 'ForceAuthn="false"' }))).forceAuthn).toBe(false);
    expect(read(redirectEncode(xml({ extra: 'ForceAuthn="0"' }))).forceAuthn).toBe(false);
  });

  it('accepts IsPassive="false", no ACS URL, no ProtocolBinding, and a Signature over the request itself', () => {
    expect(read(redirectEncode(xml({ extra: 'IsPassive="false"' }))).id).toBe('_req1');
    expect(read(redirectEncode(xml({ acsUrl: null, protocolBinding: null }))).id).toBe('_req1');
    const signed = xml().replace('</saml:Issuer>', `</saml:Issuer>${signature('#_req1')}`);
    expect(read(redirectEncode(signed)).id).toBe('_req1');
  });

  it('accepts an XML declaration naming UTF-8 in any spelling', () => {
    for (const encoding of ['UTF-8', 'utf-8', 'utf8']) {
      expect(read(redirectEncode(`<?xml version="1.0" encoding="${encoding}"?>${xml()}`)).id).toBe('_req1');
    }
  });

  it('accepts an IssueInstant at the edges of the window', () => {
    expect(read(redirectEncode(xml({ issueInstant: new Date(NOW - MAX_AGE_S * 1000).toISOString() }))).id).toBe('_req1');
    expect(read(redirectEncode(xml({ issueInstant: new Date(NOW + MAX_FUTURE_S * 1000).toISOString() }))).id).toBe('_req1');
  });
});

/** A ds:Signature element whose one Reference points at `uri` (its value is never checked here). */
function signature(uri: string): string {
  return (
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
    `<ds:Reference URI="${uri}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>`
  );
}

describe('readAuthnRequest: decoding', () => {
  it('refuses a missing or blank SAMLRequest', () => {
    expect(refusal(() => read(undefined))).toBe('saml_request_missing');
    expect(refusal(() => read(' \n'))).toBe('saml_request_missing');
  });

  it('refuses an encoded request over the limit, and reads one at the limit', () => {
    expect(refusal(() => read('A'.repeat(AUTHN_REQUEST_LIMITS.encodedChars + 1)))).toBe('saml_request_too_large');
    // At the limit it is decoded (and then found not to be DEFLATE), not refused for its size.
    expect(refusal(() => read('A'.repeat(AUTHN_REQUEST_LIMITS.encodedChars)))).toBe('saml_request_malformed');
  });

  it('bounds HTTP-POST bytes by the encoded limit alone: the most base64 it takes decodes to less than the XML limit', () => {
    // decodeSamlMessage has no byte check of its own for HTTP-POST; raising encodedChars past this needs one.
    expect((AUTHN_REQUEST_LIMITS.encodedChars / 4) * 3).toBeLessThanOrEqual(AUTHN_REQUEST_LIMITS.xmlBytes);
  });

  it('refuses text that is not base64', () => {
    expect(refusal(() => read('not base64!'))).toBe('saml_request_malformed');
    expect(refusal(() => read('AAAAA'))).toBe('saml_request_malformed');
    expect(refusal(() => read('AA=A'))).toBe('saml_request_malformed');
  });

  it('refuses HTTP-Redirect bytes that are not DEFLATE', () => {
    expect(refusal(() => read(postEncode(xml())))).toBe('saml_request_malformed');
  });

  it('stops a deflate bomb at the cap, and inflates a request at the cap', () => {
    const bomb = deflateRawSync(Buffer.alloc(AUTHN_REQUEST_LIMITS.xmlBytes + 1, 0x20)).toString('base64');
    expect(refusal(() => read(bomb))).toBe('saml_request_too_large');
    const padded = xml() + ' '.repeat(AUTHN_REQUEST_LIMITS.xmlBytes - Buffer.byteLength(xml()));
    expect(read(redirectEncode(padded)).id).toBe('_req1');
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(refusal(() => read(redirectEncode(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]))))).toBe('saml_request_malformed');
  });

  it('refuses characters XML does not allow (NUL-padded UTF-16 among them)', () => {
    expect(refusal(() => read(redirectEncode(Buffer.from(xml(), 'utf16le'))))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Consent="a\u000Bb"' }))))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Consent="a\uFFFEb"' }))))).toBe('saml_request_malformed');
  });

  it('refuses an XML declaration naming another encoding', () => {
    expect(refusal(() => read(redirectEncode(`<?xml version="1.0" encoding="ISO-8859-1"?>${xml()}`)))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(`\uFEFF<?xml version="1.0" encoding='UTF-16'?>${xml()}`)))).toBe('saml_request_malformed');
  });

  it.each(['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION', 'doctype'])('refuses a document type declaration (<!%s)', (keyword) => {
    expect(refusal(() => read(redirectEncode(`<! ${keyword} x>${xml()}`)))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(`<!${keyword} x>${xml()}`)))).toBe('saml_request_malformed');
  });

  it('refuses text that is not XML, and XML that is not schema-valid', () => {
    expect(refusal(() => read(redirectEncode('<samlp:AuthnRequest')))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Unknown="x"' }))))).toBe('saml_request_malformed');
  });
});

describe('readAuthnRequest: the checks against the service provider', () => {
  it('refuses a message that is not an AuthnRequest', () => {
    const logout =
      `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l" Version="2.0" IssueInstant="${new Date(NOW).toISOString()}">` +
      `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer><saml:NameID>alice@example.com</saml:NameID></samlp:LogoutRequest>`;
    expect(refusal(() => read(redirectEncode(logout)))).toBe('saml_request_malformed');
  });

  it('refuses a Version other than 2.0', () => {
    expect(refusal(() => read(redirectEncode(xml().replace('Version="2.0"', 'Version="2.1"'))))).toBe('saml_request_malformed');
  });

  it('refuses a request without an Issuer, or with a blank one', () => {
    expect(refusal(() => read(redirectEncode(xml({ issuer: null }))))).toBe('saml_unknown_sp');
    expect(refusal(() => read(redirectEncode(xml({ issuer: '  ' }))))).toBe('saml_unknown_sp');
  });

  it('refuses an Issuer the bridge does not serve, and one that names another entity ID than its SP', () => {
    expect(refusal(() => read(redirectEncode(xml({ issuer: 'https://evil.example/sp' }))))).toBe('saml_unknown_sp');
    expect(refusal(() => read(redirectEncode(xml({ issuer: 'https://other.example/sp' }))))).toBe('saml_unknown_sp');
  });

  it('reads the Issuer trimmed', () => {
    expect(read(redirectEncode(xml({ issuer: ` ${SP_ENTITY_ID}\n` }))).issuer).toBe(SP_ENTITY_ID);
  });

  it('refuses an AssertionConsumerServiceURL other than the configured one', () => {
    expect(refusal(() => read(redirectEncode(xml({ acsUrl: 'https://evil.example/acs' }))))).toBe('saml_acs_mismatch');
    expect(refusal(() => read(redirectEncode(xml({ acsUrl: '' }))))).toBe('saml_acs_mismatch');
  });

  it('refuses an AssertionConsumerServiceIndex', () => {
    expect(refusal(() => read(redirectEncode(xml({ acsUrl: null, extra: 'AssertionConsumerServiceIndex="0"' }))))).toBe('saml_acs_mismatch');
  });

  it('refuses a ProtocolBinding other than HTTP-POST', () => {
    expect(refusal(() => read(redirectEncode(xml({ protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' }))))).toBe('saml_request_unsupported');
  });

  it('refuses IsPassive ("true" or "1")', () => {
    expect(refusal(() => read(redirectEncode(xml({ extra: 'IsPassive="true"' }))))).toBe('saml_request_unsupported');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'IsPassive="1"' }))))).toBe('saml_request_unsupported');
  });

  it('refuses a Signature that references another element than the request', () => {
    const wrapped = xml().replace('</saml:Issuer>', `</saml:Issuer>${signature('#_other')}`);
    expect(refusal(() => read(redirectEncode(wrapped)))).toBe('saml_request_malformed');
    const empty = xml().replace('</saml:Issuer>', `</saml:Issuer>${signature('')}`);
    expect(refusal(() => read(redirectEncode(empty)))).toBe('saml_request_malformed');
  });

  it('refuses an IssueInstant older than the window or beyond the allowed skew', () => {
    expect(refusal(() => read(redirectEncode(xml({ issueInstant: new Date(NOW - MAX_AGE_S * 1000 - 1000).toISOString() }))))).toBe('saml_request_stale');
    expect(refusal(() => read(redirectEncode(xml({ issueInstant: new Date(NOW + MAX_FUTURE_S * 1000 + 1000).toISOString() }))))).toBe('saml_request_stale');
  });
});

const NAMEID_FORMAT = (name: string) => `urn:oasis:names:tc:SAML:${name === 'persistent' || name === 'transient' ? '2.0' : '1.1'}:nameid-format:${name}`;
const subjectOf = (nameId: string, format?: string) =>
  `<saml:Subject><saml:NameID${format ? ` Format="${format}"` : ''}>${nameId}</saml:NameID></saml:Subject>`;
const policyOf = (format?: string) => `<samlp:NameIDPolicy${format ? ` Format="${format}"` : ''} AllowCreate="true"/>`;

describe('readAuthnRequest: Destination, NameIDPolicy and Subject (SAML core §3.2.1, §3.4.1)', () => {
  it('accepts a Destination that is the SSO URL, spelled as a URL parser would erase (host case, default port)', () => {
    expect(read(redirectEncode(xml({ extra: 'Destination="https://bridge.example/saml/sso"' }))).id).toBe('_req1');
    expect(read(redirectEncode(xml({ extra: 'Destination="https://BRIDGE.example:443/saml/sso"' }))).id).toBe('_req1');
  });

  it('refuses a Destination that is another URL, or not a URL at all', () => {
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Destination="https://other-idp.example/saml/sso"' }))))).toBe('saml_destination_mismatch');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Destination="https://bridge.example/saml/sso/other"' }))))).toBe('saml_destination_mismatch');
    expect(refusal(() => read(redirectEncode(xml({ extra: 'Destination="bridge.example"' }))))).toBe('saml_destination_mismatch');
  });

  it('honours a NameIDPolicy of emailAddress (kept for the response), unspecified, or one without a Format', () => {
    expect(read(redirectEncode(xml({ children: policyOf(NAMEID_FORMAT('emailAddress')) }))).nameIdFormat).toBe(NAMEID_FORMAT('emailAddress'));
    const unspecified = read(redirectEncode(xml({ children: policyOf(NAMEID_FORMAT('unspecified')) })));
    expect(unspecified.id).toBe('_req1');
    expect(unspecified).not.toHaveProperty('nameIdFormat');
    expect(read(redirectEncode(xml({ children: policyOf() }))).id).toBe('_req1');
  });

  it.each(['persistent', 'transient', 'X509SubjectName'])('refuses a NameIDPolicy asking for the %s format', (format) => {
    expect(refusal(() => read(redirectEncode(xml({ children: policyOf(NAMEID_FORMAT(format)) }))))).toBe('saml_nameid_policy_unsupported');
  });

  it('finds the NameIDPolicy after Extensions and a Subject', () => {
    const children = `<samlp:Extensions><x:Hint xmlns:x="urn:example:hint">h</x:Hint></samlp:Extensions>${subjectOf('alice@example.com')}${policyOf(NAMEID_FORMAT('persistent'))}`;
    expect(refusal(() => read(redirectEncode(xml({ children }))))).toBe('saml_nameid_policy_unsupported');
  });

  it('reads a Subject NameID as the one user the answer may be about', () => {
    expect(read(redirectEncode(xml({ children: subjectOf('alice@example.com') }))).requestedNameId).toBe('alice@example.com');
    expect(read(redirectEncode(xml({ children: subjectOf('alice@example.com', NAMEID_FORMAT('emailAddress')) }))).requestedNameId).toBe('alice@example.com');
    expect(read(redirectEncode(xml()))).not.toHaveProperty('requestedNameId');
  });

  it('refuses a Subject without a NameID (nothing to match the user against)', () => {
    const confirmationOnly = '<saml:Subject><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject>';
    expect(refusal(() => read(redirectEncode(xml({ children: confirmationOnly }))))).toBe('saml_request_unsupported');
  });

  it('refuses a Subject NameID of a format the bridge cannot give', () => {
    expect(refusal(() => read(redirectEncode(xml({ children: subjectOf('AAA1', NAMEID_FORMAT('persistent')) }))))).toBe('saml_nameid_policy_unsupported');
  });

  it('refuses a Subject NameID that is blank or over 1024 characters, and reads one of 1024', () => {
    expect(refusal(() => read(redirectEncode(xml({ children: subjectOf('') }))))).toBe('saml_request_malformed');
    expect(refusal(() => read(redirectEncode(xml({ children: subjectOf('   ') }))))).toBe('saml_request_malformed');
    const long = `${'a'.repeat(1024 - '@example.com'.length)}@example.com`;
    expect(read(redirectEncode(xml({ children: subjectOf(long) }))).requestedNameId).toBe(long);
    expect(refusal(() => read(redirectEncode(xml({ children: subjectOf(`a${long}`) }))))).toBe('saml_request_malformed');
  });

  it('never takes a Subject for the Issuer of a request that has none', () => {
    // The Subject is the first element of the assertion namespace once the Issuer is gone.
    expect(refusal(() => read(redirectEncode(xml({ issuer: null, children: subjectOf(SP_ENTITY_ID) }))))).toBe('saml_unknown_sp');
  });
});

describe('readAuthnRequest: decoding, the edges a lenient decoder would let through', () => {
  it('refuses characters outside the base64 alphabet before or after valid base64 (HTTP-POST, where nothing inflates)', () => {
    const encoded = postEncode(xml());
    expect(read(encoded, 'post').id).toBe('_req1');
    expect(refusal(() => read(`!!!!${encoded}`, 'post'))).toBe('saml_request_malformed');
    expect(refusal(() => read(`${encoded}!!!!`, 'post'))).toBe('saml_request_malformed');
  });

  it('refuses base64 with one character left over (no byte can end there)', () => {
    const encoded = postEncode(xml());
    expect(encoded.length % 4).toBe(0);
    expect(refusal(() => read(`${encoded}A`, 'post'))).toBe('saml_request_malformed');
  });

  it('refuses a byte that is not UTF-8 inside an otherwise well-formed request (no replacement characters)', () => {
    const [head, tail] = xml({ extra: 'Consent="a_b"' }).split('_b');
    const bytes = Buffer.concat([Buffer.from(`${head}`), Buffer.from([0xff]), Buffer.from(`b${tail}`)]);
    expect(refusal(() => read(redirectEncode(bytes)))).toBe('saml_request_malformed');
  });

  it('refuses an IssueInstant that is a valid xs:dateTime but no date JavaScript can place', () => {
    expect(refusal(() => read(redirectEncode(xml({ issueInstant: '10000-01-01T00:00:00Z' }))))).toBe('saml_request_malformed');
  });
});
