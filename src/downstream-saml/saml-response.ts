import type { BridgeConfig } from '../core/config.js';
import type { RandomSource } from '../core/ports.js';
import type { SamlAttribute } from './saml-attributes.js';
import type { SigningCredentials } from './signing-key.js';
import { SignedXml } from 'xml-crypto';

/** What the downstream half needs to answer one AuthnRequest. */
export interface SamlAssertionInput {
  inResponseTo: string;
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
  `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="${SAML_NS}" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">` +
  '<saml:Issuer>{Issuer}</saml:Issuer>';
const STATUS = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>';
const RESPONSE_TAIL = '</samlp:Response>';
const ASSERTION_HEAD = '<saml:Assertion ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}"><saml:Issuer>{Issuer}</saml:Issuer>';
const ASSERTION_BODY =
  '<saml:Subject>' +
  '<saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
  '<saml:SubjectConfirmationData NotOnOrAfter="{NotOnOrAfter}" Recipient="{Destination}" InResponseTo="{InResponseTo}"/>' +
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

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Fills `{Name}` placeholders with XML-escaped values, in one pass over the template: a value
 * that itself reads like a placeholder stays as it is.
 */
function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TypeError(`No value for ${placeholder}`);
    return value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
  });
}

/**
 * Builds the SAML Response for a successful login and signs the Assertion, then the Response
 * (RSA-SHA256, SHA-256 digests, exclusive C14N, the certificate in KeyInfo).
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
    InResponseTo: input.inResponseTo,
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
  const assertionHead = fill(ASSERTION_HEAD, values);
  const assertionBody = fill(ASSERTION_BODY, values).replace('@@ATTRIBUTES@@', () => attributeXml);
  const responseHead = fill(RESPONSE_HEAD, values);

  // The Assertion is signed first, as a document of its own, so that the Response signature
  // covers the Assertion's signature too; exclusive C14N renders only the namespaces an element
  // uses, so the Assertion canonicalizes the same alone (declaring its saml prefix) as inside the
  // Response. Signing it alone spares xml-crypto a parse of the whole Response.
  const assertionAlone = `<saml:Assertion xmlns:saml="${SAML_NS}"${assertionHead.slice('<saml:Assertion'.length)}${assertionBody}`;
  const signedAssertion = signEnveloped(assertionAlone, 'Assertion', credentials);
  const response = signEnveloped(responseHead + STATUS + signedAssertion + RESPONSE_TAIL, 'Response', credentials);
  return { responseId, assertionId, samlResponse: Buffer.from(response, 'utf8').toString('base64') };
}

const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const keyInfoByCredentials = new WeakMap<SigningCredentials, string>();

/**
 * The KeyInfo content (X509Data with the certificate), built by xml-crypto's own
 * `getKeyInfoContent` once per credentials: given the certificate, xml-crypto would parse it
 * again for every signature.
 */
function keyInfoContent(credentials: SigningCredentials): string {
  let content = keyInfoByCredentials.get(credentials);
  if (content === undefined) {
    content = SignedXml.getKeyInfoContent({ publicCert: credentials.certificatePem, prefix: 'ds' }) ?? '';
    keyInfoByCredentials.set(credentials, content);
  }
  return content;
}
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/**
 * An enveloped signature over the document element (xml-crypto): RSA-SHA256, SHA-256 digest,
 * exclusive C14N, the certificate in KeyInfo, placed right after the element's Issuer as the
 * SAML schema requires.
 */
function signEnveloped(xml: string, rootName: 'Assertion' | 'Response', credentials: SigningCredentials): string {
  const signer = new SignedXml({
    privateKey: credentials.privateKey,
    getKeyInfoContent: () => keyInfoContent(credentials),
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXCLUSIVE_C14N,
  });
  signer.addReference({
    xpath: `/*[local-name(.)='${rootName}']`,
    transforms: [ENVELOPED, EXCLUSIVE_C14N],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `/*[local-name(.)='${rootName}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

