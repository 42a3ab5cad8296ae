import { inflateRawSync } from 'node:zlib';
import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { BridgeError } from '../core/errors.js';
import { loggableValue } from '../core/log-text.js';
import { unsafeXmlText, withValidSamlDocument, XML_TEXT_REFUSALS } from './xml-schema.js';

/** SAML bindings through which an AuthnRequest can arrive (SAML bindings §3.4 and §3.5). */
export type SamlBinding = 'redirect' | 'post';

/** What the bridge keeps from a checked AuthnRequest. */
export interface AuthnRequestInfo {
  id: string;
  issuer: string;
  issueInstant: string;
  /** ForceAuthn="true": the provider is asked to authenticate again (`prompt=login`). */
  forceAuthn: boolean;
  /**
   * The NameID of the request's `<Subject>`: the login may be answered only for this user
   * (SAML core §3.4.1: "the assertion(s) returned MUST contain a <Subject> element that
   * strongly matches"), so the callback refuses anyone else.
   */
  requestedNameId?: string;
  /** The NameIDPolicy's Format when it names one (emailAddress): the response must use it. */
  nameIdFormat?: string;
}

/** What the bridge expects of a request from one service provider. */
export interface ServiceProviderExpectations {
  entityId: string;
  acsUrl: string;
  /** The bridge's SSO URL, where the request arrived: a `Destination` must name it. */
  ssoUrl: string;
  /** How old an IssueInstant may be. */
  maxAgeSeconds: number;
  /** How far in the future an IssueInstant may be (clock skew). */
  maxFutureSeconds: number;
}

export interface AuthnRequestExpectations {
  now: number;
  /**
   * The expectations for the service provider the request's Issuer names; throws (a
   * `BridgeError`, such as `saml_unknown_sp`) for an Issuer the bridge does not serve.
   */
  serviceProviderFor(issuer: string): ServiceProviderExpectations;
}

/**
 * Limits far above any real AuthnRequest (Atlassian's are under 1 KB) and far below anything
 * that costs memory: the inflated size is capped during inflation, so a deflate bomb stops at
 * the cap instead of filling memory.
 */
export const AUTHN_REQUEST_LIMITS = { encodedChars: 32 * 1024, xmlBytes: 64 * 1024 } as const;

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const HTTP_POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/**
 * The NameID formats the bridge can honour: it always asserts an email address. Persistent,
 * transient, encrypted, X.509 subject names and the rest are identifiers it cannot give.
 */
const HONOURED_NAMEID_FORMATS: ReadonlySet<string> = new Set([NAMEID_UNSPECIFIED, NAMEID_EMAIL]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes, parses, schema-validates and checks an AuthnRequest. Every failure is a
 * `BridgeError` with a 4xx code; nothing here trusts the request beyond what it checks.
 */
export function readAuthnRequest(
  binding: SamlBinding,
  encoded: string | undefined,
  expect: AuthnRequestExpectations,
): AuthnRequestInfo {
  const xml = decodeSamlMessage(binding, encoded);
  const parsed = withValidSamlDocument(xml, (document) => readFields(document));
  if (!parsed.ok) {
    throw new BridgeError('saml_request_malformed', parsed.failure === 'schema' ? `schema: ${parsed.detail}` : `not XML: ${parsed.detail}`);
  }
  const fields = parsed.value;
  checkFields(fields, expect);
  return {
    id: fields.id,
    issuer: fields.issuer!,
    issueInstant: fields.issueInstant,
    forceAuthn: fields.forceAuthn,
    ...(fields.subject?.nameId !== undefined ? { requestedNameId: fields.subject.nameId } : {}),
    ...(fields.nameIdPolicy?.format === NAMEID_EMAIL ? { nameIdFormat: NAMEID_EMAIL } : {}),
  };
}

/** Base64 (and for HTTP-Redirect, DEFLATE) to UTF-8 XML, bounded, with DTDs refused. */
export function decodeSamlMessage(binding: SamlBinding, encoded: string | undefined): string {
  if (encoded === undefined || encoded.trim() === '') throw new BridgeError('saml_request_missing');
  if (encoded.length > AUTHN_REQUEST_LIMITS.encodedChars) {
    throw new BridgeError('saml_request_too_large', `encoded length ${encoded.length}`);
  }
  // HTTP-POST bodies may be line-wrapped (RFC 2045 style); nothing else may be in there.
  const compact = encoded.replace(/[\r\n\t ]/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new BridgeError('saml_request_malformed', 'not base64');
  }
  const bytes = Buffer.from(compact, 'base64');
  let xmlBytes: Buffer;
  if (binding === 'redirect') {
    try {
      xmlBytes = inflateRawSync(bytes, { maxOutputLength: AUTHN_REQUEST_LIMITS.xmlBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BridgeError('saml_request_too_large', 'inflated size over the cap');
      }
      throw new BridgeError('saml_request_malformed', 'not DEFLATE');
    }
  } else {
    // No size check of its own: the encoded bound above holds HTTP-POST bytes to three quarters
    // of `encodedChars` (24 KiB), under `xmlBytes`.
    xmlBytes = bytes;
  }
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(xmlBytes);
  } catch {
    throw new BridgeError('saml_request_malformed', 'not UTF-8');
  }
  const refusal = unsafeXmlText(xml);
  if (refusal) throw new BridgeError('saml_request_malformed', XML_TEXT_REFUSALS[refusal]);
  return xml;
}

interface AuthnRequestFields {
  id: string;
  version: string;
  issueInstant: string;
  issuer?: string;
  acsUrl?: string;
  acsIndex?: string;
  protocolBinding?: string;
  destination?: string;
  /** Present when the request has a `<saml:Subject>`; `nameId` only when it holds a NameID. */
  subject?: { nameId?: string; format?: string };
  nameIdPolicy?: { format?: string };
  isPassive: boolean;
  forceAuthn: boolean;
  signatureReferences: string[];
}

function readFields(document: XmlDocument): AuthnRequestFields | undefined {
  const root = document.root;
  if (root.name !== 'AuthnRequest' || root.namespaceUri !== PROTOCOL_NS) return undefined;
  const attr = (name: string) => root.attr(name)?.value;
  const issuer = childElements(root).find((e) => e.name === 'Issuer' && e.namespaceUri === ASSERTION_NS);
  const subject = childElements(root).find((e) => e.name === 'Subject' && e.namespaceUri === ASSERTION_NS);
  // The schema allows one BaseID, NameID or EncryptedID here; only a NameID names a user the bridge can compare.
  const subjectNameId = subject && childElements(subject).find((e) => e.name === 'NameID' && e.namespaceUri === ASSERTION_NS);
  const nameIdPolicy = childElements(root).find((e) => e.name === 'NameIDPolicy' && e.namespaceUri === PROTOCOL_NS);
  const signatureReferences = childElements(root)
    .filter((e) => e.name === 'Signature' && e.namespaceUri === DSIG_NS)
    .flatMap((signature) => signature.find('.//ds:Reference/@URI', { ds: DSIG_NS }))
    .map((node) => node.content);
  return {
    id: attr('ID') ?? '',
    version: attr('Version') ?? '',
    issueInstant: attr('IssueInstant') ?? '',
    issuer: issuer?.content.trim(),
    acsUrl: attr('AssertionConsumerServiceURL'),
    acsIndex: attr('AssertionConsumerServiceIndex'),
    protocolBinding: attr('ProtocolBinding'),
    destination: attr('Destination'),
    ...(subject ? { subject: subjectNameId ? { nameId: subjectNameId.content, format: subjectNameId.attr('Format')?.value } : {} } : {}),
    ...(nameIdPolicy ? { nameIdPolicy: { format: nameIdPolicy.attr('Format')?.value } } : {}),
    isPassive: isTrue(attr('IsPassive')),
    forceAuthn: isTrue(attr('ForceAuthn')),
    signatureReferences,
  };
}

function childElements(element: XmlElement): XmlElement[] {
  const children: XmlElement[] = [];
  for (let node = element.firstChild; node; node = node.next) {
    if ('attrs' in node) children.push(node as XmlElement);
  }
  return children;
}

/** The same absolute URL: compared after parsing, so only spelling a URL parser erases (host case, default port) may differ. */
function sameUrl(given: string, expected: string): boolean {
  try {
    return new URL(given).href === new URL(expected).href;
  } catch {
    return false;
  }
}

/** xs:boolean allows "true" and "1". */
function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

function checkFields(fields: AuthnRequestFields | undefined, expect: AuthnRequestExpectations): asserts fields is AuthnRequestFields {
  if (!fields) throw new BridgeError('saml_request_malformed', 'root element is not samlp:AuthnRequest');
  if (fields.version !== '2.0') throw new BridgeError('saml_request_malformed', 'Version is not 2.0');
  if (!fields.issuer) throw new BridgeError('saml_unknown_sp', 'no Issuer');
  const sp = expect.serviceProviderFor(fields.issuer);
  // The log names what arrived (an SP identifier, not personal data): a swapped or mistyped
  // Guard value is then visible in the log line instead of only "Unknown service provider".
  if (fields.issuer !== sp.entityId) throw new BridgeError('saml_unknown_sp', `Issuer ${loggableValue(fields.issuer)} does not match the configured SP entity ID`);
  // SAML core §3.4.1: the IdP must not send the assertion anywhere but a known ACS.
  if (fields.acsUrl !== undefined && fields.acsUrl !== sp.acsUrl) {
    throw new BridgeError('saml_acs_mismatch', `AssertionConsumerServiceURL ${loggableValue(fields.acsUrl)} (Issuer ${loggableValue(fields.issuer)}) differs from the configured ACS URL`);
  }
  if (fields.acsIndex !== undefined) {
    throw new BridgeError('saml_acs_mismatch', 'AssertionConsumerServiceIndex is not supported; the configured ACS URL is the only one');
  }
  // SAML core §3.2.1: a recipient must check that a Destination names where the message arrived;
  // a request addressed to another IdP (or another of our connections' peers) is not ours to answer.
  if (fields.destination !== undefined && !sameUrl(fields.destination, sp.ssoUrl)) {
    throw new BridgeError('saml_destination_mismatch', 'Destination is not the SSO URL');
  }
  // SAML core §3.4.1.1: an IdP that cannot give the requested format must fail the request.
  if (fields.nameIdPolicy?.format !== undefined && !HONOURED_NAMEID_FORMATS.has(fields.nameIdPolicy.format)) {
    throw new BridgeError('saml_nameid_policy_unsupported', 'NameIDPolicy asks for a format other than emailAddress or unspecified');
  }
  if (fields.subject) {
    // SAML core §3.4.1: the answer must be about this subject; one the bridge cannot read
    // (BaseID, EncryptedID, no identifier at all) cannot be matched, so it cannot be answered.
    if (fields.subject.nameId === undefined) throw new BridgeError('saml_request_unsupported', 'a Subject without a NameID');
    if (fields.subject.format !== undefined && !HONOURED_NAMEID_FORMATS.has(fields.subject.format)) {
      throw new BridgeError('saml_nameid_policy_unsupported', 'the Subject NameID has a format other than emailAddress or unspecified');
    }
    if (fields.subject.nameId.trim() === '' || fields.subject.nameId.length > 1024) {
      throw new BridgeError('saml_request_malformed', 'the Subject NameID is empty or too long');
    }
  }
  if (fields.protocolBinding !== undefined && fields.protocolBinding !== HTTP_POST_BINDING) {
    throw new BridgeError('saml_request_unsupported', 'ProtocolBinding other than HTTP-POST');
  }
  if (fields.isPassive) {
    // Signing in at the provider may need the user; a passive login cannot be promised.
    throw new BridgeError('saml_request_unsupported', 'IsPassive');
  }
  if (fields.signatureReferences.some((uri) => uri !== `#${fields.id}`)) {
    throw new BridgeError('saml_request_malformed', 'a Signature references another element');
  }
  const issued = Date.parse(fields.issueInstant);
  if (!Number.isFinite(issued)) throw new BridgeError('saml_request_malformed', 'IssueInstant is not a date');
  if (issued < expect.now - sp.maxAgeSeconds * 1000 || issued > expect.now + sp.maxFutureSeconds * 1000) {
    throw new BridgeError('saml_request_stale', 'IssueInstant outside the accepted window');
  }
}
