import { createHash } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml, findAncestorNs } from 'xml-crypto';
import { parseConfig, type BridgeConfig } from '../../src/core/config.js';
import { cryptoRandom } from '../../src/core/default-ports.js';
import { createSignedSamlResponse, INCLUSIVE_NAMESPACE_PREFIXES, type SignedSamlResponse } from '../../src/downstream-saml/saml-response.js';
import type { SamlAttribute } from '../../src/downstream-saml/saml-attributes.js';
import { createSigningKey, toCredentials, type SigningCredentials } from '../../src/downstream-saml/signing-key.js';

/**
 * Mints responses with the bridge's minting module and checks them with verifiers that share no
 * code with it: xml-crypto (xmldom, its own canonicalization) and node-saml as a service provider.
 */

export const SP = {
  entityId: 'https://auth.atlassian.com/saml/5f1b2c3d-0000-4000-8000-000000000001',
  acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-000000000001',
};

export function mintConfig(): BridgeConfig {
  return parseConfig(
    {
      baseUrl: 'https://6f1a2b3c.webtrigger.atlassian.app/public/bridge-0123456789abcdef',
      oidc: { issuer: 'https://example.okta.com/oauth2/default', clientId: '0oa123', clientSecret: 'secret' },
      serviceProvider: SP,
      allowedEmailDomains: ['example.com'],
    },
    { allowLoopbackHttp: false },
  );
}

export async function mintCredentials(): Promise<SigningCredentials> {
  return toCredentials(await createSigningKey({ now: () => Date.now() }, 'mint-test'));
}

export interface MintInput {
  nameId: string;
  attributes: readonly SamlAttribute[];
}

export async function mint(config: BridgeConfig, credentials: SigningCredentials, input: MintInput): Promise<SignedSamlResponse & { xml: string }> {
  const now = Date.now();
  const signed = await createSignedSamlResponse(config, credentials, cryptoRandom, {
    inResponseTo: `_${cryptoRandom.token(16)}`,
    nameId: input.nameId,
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    attributes: input.attributes,
    authnInstant: now,
    sessionIndex: `_${cryptoRandom.token(16)}`,
    now,
  });
  return { ...signed, xml: Buffer.from(signed.samlResponse, 'base64').toString('utf8') };
}

const DS = 'http://www.w3.org/2000/09/xmldsig#';

function signatureOf(element: Element): Element {
  const signature = Array.from(element.childNodes).find((n) => (n as Element).namespaceURI === DS && (n as Element).localName === 'Signature');
  if (!signature) throw new Error(`${element.localName} carries no Signature`);
  return signature as Element;
}

function signedElements(xml: string): { document: Document; response: Element; assertion: Element } {
  const document = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
  const response = document.documentElement!;
  const assertion = Array.from(response.childNodes).find((n) => (n as Element).localName === 'Assertion') as Element;
  return { document, response, assertion };
}

/**
 * Both signatures checked by xml-crypto against the expected certificate (never the embedded
 * one), each Reference pointing at the element that holds the signature, and the KeyInfo
 * carrying exactly that certificate.
 */
export function verifyWithXmlCrypto(xml: string, credentials: SigningCredentials): void {
  const { response, assertion } = signedElements(xml);
  for (const element of [assertion, response]) {
    const signature = signatureOf(element);
    const verifier = new SignedXml({ publicCert: credentials.certificatePem, getCertFromKeyInfo: () => null });
    verifier.loadSignature(signature as never);
    if (!verifier.checkSignature(xml)) throw new Error(`xml-crypto: the ${element.localName} signature does not verify`);
    const references = verifier.getReferences();
    if (references.length !== 1 || references[0]!.uri !== `#${element.getAttribute('ID')}`) {
      throw new Error(`xml-crypto: the ${element.localName} signature does not reference its element`);
    }
    const certificates = signature.getElementsByTagNameNS(DS, 'X509Certificate');
    if (certificates.length !== 1 || certificates[0]!.textContent !== credentials.certificateBase64) {
      throw new Error(`xml-crypto: the ${element.localName} KeyInfo does not carry the signing certificate`);
    }
  }
}

/** node-saml as the service provider, both signatures required; returns what it read. */
export async function verifyWithNodeSaml(
  samlResponse: string,
  config: BridgeConfig,
  credentials: SigningCredentials,
): Promise<{ nameId: string | undefined; attributes: Record<string, unknown> }> {
  const sp = new SAML({
    idpCert: credentials.certificateBase64,
    issuer: SP.entityId,
    audience: SP.entityId,
    callbackUrl: SP.acsUrl,
    idpIssuer: config.idpEntityId,
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 5_000,
  });
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
  if (!profile) throw new Error('node-saml: no profile');
  return { nameId: profile.nameID, attributes: (profile.attributes ?? {}) as Record<string, unknown> };
}

/**
 * xml-crypto's view of what a Reference covers: the element without its own Signature
 * (enveloped-signature), in xml-crypto's exclusive canonical form with the bridge's inclusive
 * prefixes, and the SHA-256 of it, next to the DigestValue the bridge put in that Reference.
 */
export function xmlCryptoDigests(xml: string): Record<'Assertion' | 'Response', { canonical: string; expected: string; actual: string }> {
  const { document, assertion, response } = signedElements(xml);
  const result = {} as Record<'Assertion' | 'Response', { canonical: string; expected: string; actual: string }>;
  for (const [name, element, path] of [
    ['Assertion', assertion, "/*[local-name()='Response']/*[local-name()='Assertion']"],
    ['Response', response, "/*[local-name()='Response']"],
  ] as const) {
    const signature = signatureOf(element);
    const actual = signature.getElementsByTagNameNS(DS, 'DigestValue')[0]!.textContent!;
    const copy = element.cloneNode(true) as Element;
    copy.removeChild(signatureOf(copy));
    const canonical = new ExclusiveCanonicalization()
      .process(copy as never, {
        inclusiveNamespacesPrefixList: [...INCLUSIVE_NAMESPACE_PREFIXES],
        ancestorNamespaces: findAncestorNs(document as never, path),
      })
      .toString();
    result[name] = { canonical, actual, expected: createHash('sha256').update(canonical, 'utf8').digest('base64') };
  }
  return result;
}
