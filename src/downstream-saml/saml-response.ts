import type { BridgeConfig } from '../core/config.js';
import type { RandomSource } from '../core/ports.js';
import type { SamlAttribute } from './saml-attributes.js';
import type { SigningCredentials } from './signing-key.js';
import { fill } from './xml-template.js';
import { createHash, sign } from 'node:crypto';
import { XmlC14NMode, XmlDocument, type C14NOptions, type XmlOutputBufferHandler } from 'libxml2-wasm';

/** What the downstream half needs to answer one AuthnRequest, or to sign a user in unasked. */
export interface SamlAssertionInput {
  /**
   * The AuthnRequest's ID; undefined for an unsolicited response (IdP-initiated login), which
   * then carries no `InResponseTo` on the Response nor on SubjectConfirmationData (SAML core
   * §3.2.2, profiles §4.1.4.2: present only in a response to a request).
   */
  inResponseTo: string | undefined;
  nameId: string;
  nameIdFormat: string;
  attributes: readonly SamlAttribute[];
  /** When the user authenticated at the provider (the ID token's auth_time, else now). */
  authnInstant: number;
  /** Identifies this login session at the IdP; derived from the login transaction. */
  sessionIndex: string;
  now: number;
}

export interface SignedSamlResponse {
  responseId: string;
  assertionId: string;
  /** Base64 of the signed Response XML, the SAMLResponse form field. */
  samlResponse: string;
}

// The Response (SAML core §3.3.3 and §2.3.3) in the pieces the signatures go between: the
// schema puts each ds:Signature right after its element's Issuer. `fill` puts the values in.
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const RESPONSE_HEAD =
  `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="${SAML_NS}" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}"@@IN_RESPONSE_TO@@>` +
  '<saml:Issuer>{Issuer}</saml:Issuer>';
const STATUS = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>';
const RESPONSE_TAIL = '</samlp:Response>';
const ASSERTION_HEAD = '<saml:Assertion ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}"><saml:Issuer>{Issuer}</saml:Issuer>';
const ASSERTION_BODY =
  '<saml:Subject>' +
  '<saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
  '<saml:SubjectConfirmationData NotOnOrAfter="{NotOnOrAfter}" Recipient="{Destination}"@@IN_RESPONSE_TO@@/>' +
  '</saml:SubjectConfirmation>' +
  '</saml:Subject>' +
  '<saml:Conditions NotBefore="{NotBefore}" NotOnOrAfter="{NotOnOrAfter}">' +
  '<saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction>' +
  '</saml:Conditions>' +
  '<saml:AuthnStatement AuthnInstant="{AuthnInstant}" SessionIndex="{SessionIndex}">' +
  '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
  '</saml:AuthnStatement>' +
  '@@ATTRIBUTES@@' +
  '</saml:Assertion>';

const ATTRIBUTE_TEMPLATE =
  '<saml:Attribute Name="{Name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">@@VALUES@@</saml:Attribute>';
const VALUE_TEMPLATE =
  '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{Value}</saml:AttributeValue>';

/**
 * Builds the SAML Response for a successful login and signs the Assertion, then the Response
 * (RSA-SHA256, SHA-256 digests, exclusive C14N, the certificate in KeyInfo).
 *
 * Canonicalization is libxml2's (the one xmlsec1 uses), digest and signature are `node:crypto`,
 * and the `ds:Signature` element comes from one fixed template with one Reference. Every output
 * shape is checked by independent verifiers in `npm test` (xml-crypto, node-saml, xmlsec1).
 */
export async function createSignedSamlResponse(
  config: BridgeConfig,
  credentials: SigningCredentials,
  random: RandomSource,
  input: SamlAssertionInput,
): Promise<SignedSamlResponse> {
  // IDs are xs:ID (an NCName): they must not start with a digit.
  const responseId = `_${random.token(20)}`;
  const assertionId = `_${random.token(20)}`;
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const values: Record<string, string> = {
    ID: responseId,
    AssertionID: assertionId,
    IssueInstant: iso(input.now),
    Destination: config.serviceProvider.acsUrl,
    Issuer: config.idpEntityId,
    NameIDFormat: input.nameIdFormat,
    NameID: input.nameId,
    NotBefore: iso(input.now - config.clockSkewSeconds * 1000),
    NotOnOrAfter: iso(input.now + config.assertionLifetimeSeconds * 1000),
    Audience: config.serviceProvider.entityId,
    AuthnInstant: iso(input.authnInstant),
    SessionIndex: input.sessionIndex,
  };
  const attributeXml = input.attributes.length
    ? `<saml:AttributeStatement>${input.attributes
        .map((attribute) =>
          fill(ATTRIBUTE_TEMPLATE, { Name: attribute.name }).replace(
            '@@VALUES@@',
            () => attribute.values.map((value) => fill(VALUE_TEMPLATE, { Value: value })).join(''),
          ),
        )
        .join('')}</saml:AttributeStatement>`
    : '';
  // Into the templates before they are filled, so no value can stand in for the marker.
  const inResponseTo = input.inResponseTo === undefined ? '' : ' InResponseTo="{InResponseTo}"';
  if (input.inResponseTo !== undefined) values.InResponseTo = input.inResponseTo;
  const assertionHead = fill(ASSERTION_HEAD, values);
  const assertionBody = fill(ASSERTION_BODY.replace('@@IN_RESPONSE_TO@@', inResponseTo), values).replace('@@ATTRIBUTES@@', () => attributeXml);
  const responseHead = fill(RESPONSE_HEAD.replace('@@IN_RESPONSE_TO@@', inResponseTo), values);

  // The Assertion is signed first, as a document of its own, so that the Response signature
  // covers the Assertion's signature too. Exclusive C14N renders only the namespaces an element
  // uses (and `xs`, listed as inclusive, only where it is declared: on each AttributeValue), so
  // the Assertion canonicalizes the same alone, declaring its saml prefix, as inside the Response.
  // The enveloped-signature transform removes a signature that is not there yet: the digest of
  // the unsigned element is the digest a verifier computes of the signed one.
  const assertionAlone = `<saml:Assertion xmlns:saml="${SAML_NS}"${assertionHead.slice('<saml:Assertion'.length)}`;
  const assertionSignature = signatureFor(assertionId, assertionAlone + assertionBody, credentials);
  const signedAssertion = assertionAlone + assertionSignature + assertionBody;
  const responseSignature = signatureFor(responseId, responseHead + STATUS + signedAssertion + RESPONSE_TAIL, credentials);
  const response = responseHead + responseSignature + STATUS + signedAssertion + RESPONSE_TAIL;
  return { responseId, assertionId, samlResponse: Buffer.from(response, 'utf8').toString('base64') };
}

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/**
 * Prefixes exclusive C14N must treat as inclusive: `xs` appears only inside the value of
 * `xsi:type="xs:string"`, which exclusive C14N does not count as a use, so without this the
 * signed form would carry a QName whose prefix it no longer declares.
 */
export const INCLUSIVE_NAMESPACE_PREFIXES: readonly string[] = ['xs'];

/**
 * The one SignedInfo the bridge produces, already in canonical form (no empty-element tags,
 * attributes in canonical order): one Reference to the signed element by ID, enveloped-signature
 * then exclusive C14N with the inclusive prefixes, SHA-256, RSA-SHA256 (xmldsig-core §4.3).
 */
const SIGNED_INFO_INNER =
  `<ds:CanonicalizationMethod Algorithm="${EXCLUSIVE_C14N}"></ds:CanonicalizationMethod>` +
  '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod>' +
  '<ds:Reference URI="#{ID}">' +
  '<ds:Transforms>' +
  '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>' +
  `<ds:Transform Algorithm="${EXCLUSIVE_C14N}"><ec:InclusiveNamespaces xmlns:ec="${EXCLUSIVE_C14N}" PrefixList="${INCLUSIVE_NAMESPACE_PREFIXES.join(' ')}"></ec:InclusiveNamespaces></ds:Transform>` +
  '</ds:Transforms>' +
  '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>' +
  '<ds:DigestValue>{DigestValue}</ds:DigestValue>' +
  '</ds:Reference>';

const REFERENCE_C14N: C14NOptions = {
  mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0,
  inclusiveNamespacePrefixes: [...INCLUSIVE_NAMESPACE_PREFIXES],
};
// SignedInfo's own CanonicalizationMethod names no inclusive prefixes.
const SIGNED_INFO_C14N: C14NOptions = { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 };

/**
 * The `ds:Signature` for the document element of `unsignedXml` (whose ID is `id`), to be placed
 * right after that element's Issuer as the SAML schema requires.
 */
function signatureFor(id: string, unsignedXml: string, credentials: SigningCredentials): string {
  const digest = canonicalSha256(unsignedXml, REFERENCE_C14N).toString('base64');
  const signedInfoInner = fill(SIGNED_INFO_INNER, { ID: id, DigestValue: digest });
  // What is signed is SignedInfo's canonical form in the final document. Exclusive C14N of an
  // element needs only the namespaces it and its descendants use (ds, and ec declared where it is
  // used), so SignedInfo as a document of its own, declaring ds, canonicalizes to the same bytes.
  const canonicalSignedInfo = canonicalBytes(`<ds:SignedInfo xmlns:ds="${DS_NS}">${signedInfoInner}</ds:SignedInfo>`, SIGNED_INFO_C14N);
  // RSASSA-PKCS1-v1_5 with SHA-256: Node's default padding for an RSA KeyObject.
  const signatureValue = sign('sha256', canonicalSignedInfo, credentials.privateKey).toString('base64');
  return (
    `<ds:Signature xmlns:ds="${DS_NS}"><ds:SignedInfo>${signedInfoInner}</ds:SignedInfo>` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${credentials.certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</ds:Signature>'
  );
}

/**
 * SHA-256 of the canonical form of the document `xml` (libxml2's C14N), hashed as libxml2 writes
 * it: its output arrives in chunks of about 4 KiB that may split a UTF-8 sequence, so the bytes go
 * into the hash as they are and are never decoded.
 */
function canonicalSha256(xml: string, options: C14NOptions): Buffer {
  const hash = createHash('sha256');
  canonicalize(xml, options, {
    write(chunk) {
      hash.update(chunk);
      return chunk.length;
    },
    close: () => true,
  });
  return hash.digest();
}

function canonicalBytes(xml: string, options: C14NOptions): Buffer {
  const chunks: Buffer[] = [];
  canonicalize(xml, options, {
    // The chunk is a view into libxml2's memory, reused after the call: copy it.
    write(chunk) {
      chunks.push(Buffer.from(chunk));
      return chunk.length;
    },
    close: () => true,
  });
  return Buffer.concat(chunks);
}

function canonicalize(xml: string, options: C14NOptions, handler: XmlOutputBufferHandler): void {
  // The XML is the bridge's own (templates and escaped values), so a parse failure is a bug.
  const document = XmlDocument.fromString(xml);
  try {
    document.canonicalize(handler, options);
  } finally {
    // libxml2's memory lives outside the JS heap: nothing collects it for us.
    document.dispose();
  }
}
