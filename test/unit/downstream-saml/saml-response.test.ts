import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import type { BridgeConfig } from '../../../src/core/config.js';
import type { SigningCredentials } from '../../../src/downstream-saml/signing-key.js';
import { mint, mintConfig, mintCredentials, verifyWithNodeSaml, verifyWithXmlCrypto, xmlCryptoDigests, type MintInput } from '../../support/minted-response.js';

/**
 * The minted response (libxml2's exclusive C14N, node:crypto, a templated Signature) against
 * verifiers that share no code with it. Every response minted here goes through xml-crypto's
 * verifier and node-saml.
 */

const GIVEN_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname';
const STABLE_ID = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

// What XML 1.0 cannot carry (the claims mapper drops or refuses it before minting).
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/u;

const AWKWARD_UNITS = ['&', '<', '>', '"', "'", '\t', '\r', '\n', '\r\n', ']]>', 'é', 'ß', '中', '😀', '👩‍👩‍👧', '\u00A0', '\u0085', '\u2028', '\u2029', '\r\u0085', ' ', '&amp;', '{ID}', '$&', 'a'];

const awkward = fc.oneof(
  fc.string({ unit: fc.constantFrom(...AWKWARD_UNITS), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  // Longer than libxml2's 4 KiB output chunks, in characters of one to four UTF-8 bytes, so that
  // chunk boundaries fall inside multi-byte sequences and escapes.
  fc.string({ unit: fc.constantFrom(...AWKWARD_UNITS), minLength: 4200, maxLength: 9000 }),
);
const xmlSafe = (value: string) => !NOT_XML.test(value);

/**
 * What node-saml reads back: the value itself, but for NEL and LS, which C14N writes as they are
 * into the signed form and node-saml's xmldom (0.8; 0.9 adds PS), re-parsing that form, turns
 * into LF as XML 1.1 line ends. The digest does not depend on it, only the SP's own reading.
 */
const asNodeSamlReads = (value: string) => value.replace(/[\u0085\u2028]/g, '\n');

async function mintAndVerify(config: BridgeConfig, credentials: SigningCredentials, input: MintInput) {
  const minted = await mint(config, credentials, input);
  verifyWithXmlCrypto(minted.xml, credentials);
  const read = await verifyWithNodeSaml(minted.samlResponse, config, credentials);
  return { minted, read };
}

describe('the minted SAML response', () => {
  let config: BridgeConfig;
  let credentials: SigningCredentials;
  beforeAll(async () => {
    config = mintConfig();
    credentials = await mintCredentials();
  });

  it('signs the Assertion, then the Response, each with one Reference to its own ID', async () => {
    const { minted, read } = await mintAndVerify(config, credentials, {
      nameId: 'alice@example.com',
      attributes: [
        { name: GIVEN_NAME, values: ['Alice'] },
        { name: STABLE_ID, values: ['00u1abcd'] },
      ],
    });
    expect(read.nameId).toBe('alice@example.com');
    expect(read.attributes[GIVEN_NAME]).toBe('Alice');
    const document = new DOMParser().parseFromString(minted.xml, 'text/xml');
    const references = document.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Reference');
    expect(Array.from(references).map((r) => r.getAttribute('URI'))).toEqual([`#${minted.responseId}`, `#${minted.assertionId}`]);
  });

  it('keeps xmlns:xs in the signed form, where xsi:type="xs:string" needs it (InclusiveNamespaces PrefixList="xs")', async () => {
    const { minted } = await mintAndVerify(config, credentials, { nameId: 'alice@example.com', attributes: [{ name: GIVEN_NAME, values: ['Alice'] }] });
    const digests = xmlCryptoDigests(minted.xml);
    expect(digests.Assertion.actual).toBe(digests.Assertion.expected);
    expect(digests.Assertion.canonical).toContain(
      '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">Alice</saml:AttributeValue>',
    );
    // The control: plain exclusive C14N counts only element and attribute names as uses of a
    // prefix, so it drops xs and leaves the QName in xsi:type unresolvable in what was signed.
    const assertion = new DOMParser().parseFromString(minted.xml, 'text/xml').getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'AttributeValue')[0]!;
    const plain = new ExclusiveCanonicalization().process(assertion as never, {}).toString();
    expect(plain).not.toContain('xmlns:xs=');
    expect(plain).toContain('xsi:type="xs:string"');
  });

  it('carries tabs, CR, LF, CR LF and XML 1.1 line ends (NEL, LS, PS) in values unchanged (as character references)', async () => {
    // xmldom (under xml-crypto and node-saml) normalizes NEL, LS and PS as line ends, libxml2
    // does not: written literally, the two sides disagreed about the digest.
    const value = 'a\tb\rc\nd\r\ne\u0085f\u2028g\u2029h';
    const { minted, read } = await mintAndVerify(config, credentials, { nameId: value, attributes: [{ name: GIVEN_NAME, values: [value] }] });
    expect(read.nameId).toBe('a\tb\rc\nd\r\ne\nf\ng\u2029h');
    expect(read.attributes[GIVEN_NAME]).toBe(asNodeSamlReads(value));
    expect(minted.xml).toContain('a&#9;b&#13;c&#10;d&#13;&#10;e&#133;f&#8232;g&#8233;h');
    const digests = xmlCryptoDigests(minted.xml);
    expect(digests.Assertion.actual).toBe(digests.Assertion.expected);
  });

  it('a value past 4 KiB with multi-byte characters across every chunk boundary', async () => {
    // 1, 2, 3 and 4-byte UTF-8 characters in turn: some boundary of libxml2's 4 KiB chunks falls
    // inside each kind of sequence.
    const value = 'aé中😀&<'.repeat(2000);
    const { minted, read } = await mintAndVerify(config, credentials, { nameId: 'alice@example.com', attributes: [{ name: GIVEN_NAME, values: [value] }] });
    expect(read.attributes[GIVEN_NAME]).toBe(value);
    const digests = xmlCryptoDigests(minted.xml);
    expect(Buffer.byteLength(digests.Assertion.canonical)).toBeGreaterThan(4 * 4096);
    expect(digests.Assertion.actual).toBe(digests.Assertion.expected);
    expect(digests.Response.actual).toBe(digests.Response.expected);
  });

  it("property: libxml2's digest of the Assertion and of the Response equals xml-crypto's, and both verifiers accept, for awkward NameIDs and values", async () => {
    await fc.assert(
      fc.asyncProperty(
        // node-saml reads a NameID of white space only as none (the bridge's NameIDs are addresses).
        awkward.filter((value) => xmlSafe(value) && /\S/.test(asNodeSamlReads(value))),
        fc.array(fc.array(awkward.filter(xmlSafe), { minLength: 1, maxLength: 3 }), { minLength: 0, maxLength: 3 }),
        async (nameId, attributeValues) => {
          const attributes = attributeValues.map((values, index) => ({ name: `urn:test:attribute:${index}`, values }));
          const { minted, read } = await mintAndVerify(config, credentials, { nameId, attributes });
          const digests = xmlCryptoDigests(minted.xml);
          expect(digests.Assertion.actual).toBe(digests.Assertion.expected);
          expect(digests.Response.actual).toBe(digests.Response.expected);
          expect(read.nameId).toBe(asNodeSamlReads(nameId));
          for (const [index, values] of attributeValues.entries()) {
            const got = read.attributes[`urn:test:attribute:${index}`];
            // node-saml reads an AttributeValue of white space only as no value.
            const expected = values.map(asNodeSamlReads).map((value) => (/^\s*$/.test(value) ? undefined : value));
            expect(values.length === 1 ? [got] : got).toEqual(expected);
          }
        },
      ),
      // Counterexamples run to thousands of characters, and shrinking them takes minutes: report
      // the first failing input as generated.
      { numRuns: 120, endOnFailure: true },
    );
  });

  it('is refused by xml-crypto when the signed content changes after minting', async () => {
    const { minted } = await mintAndVerify(config, credentials, { nameId: 'alice@example.com', attributes: [{ name: GIVEN_NAME, values: ['Alice'] }] });
    expect(() => verifyWithXmlCrypto(minted.xml.replace('>Alice<', '>Mallory<'), credentials)).toThrow();
  });
});
