import { createHash, sign } from 'node:crypto';
import { XmlC14NMode, XmlDocument } from 'libxml2-wasm';
import type { SigningCredentials } from './signing-key.js';

/**
 * Enveloped XML signatures (XML-DSig 1.1) over XML the bridge has just built itself: RSA-SHA256,
 * SHA-256 digest, exclusive C14N, the certificate in KeyInfo. The same profile and the same bytes
 * as xml-crypto's `SignedXml` produces for it, at a quarter of the cost: xml-crypto parses the
 * document into a JavaScript DOM for every signature, deep-clones the signed element twice and
 * runs XPath over the whole document, which costs four times the RSA operation itself.
 *
 * The hard parts stay with maintained code: canonicalization is libxml2's (the C14N of xmlsec,
 * already loaded for AuthnRequests), digest and signature are Node's. What remains here is the
 * fixed Signature element and where it goes, which the caller decides by construction, never by
 * searching the XML. The enveloped-signature transform needs no code: the digest is taken over
 * the element before its Signature is inserted, which is what the transform reproduces.
 */

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const C14N_OPTIONS = { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 } as const;

/** Exclusive canonical form (without comments) of a whole XML document. */
export function exclusiveCanonicalXml(xml: string): string {
  const document = XmlDocument.fromString(xml);
  try {
    return document.canonicalizeToString(C14N_OPTIONS);
  } finally {
    document.dispose();
  }
}

function signedInfo(referenceId: string, digest: string): string {
  return (
    '<ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="#${referenceId}">` +
    '<ds:Transforms>' +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '</ds:Transforms>' +
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>' +
    `<ds:DigestValue>${digest}</ds:DigestValue>` +
    '</ds:Reference>' +
    '</ds:SignedInfo>'
  );
}

// SignedInfo is signed in its canonical form, as it reads inside ds:Signature (which declares ds).
// Only the reference ID (an NCName) and the digest (base64) vary, and C14N leaves both as they
// are, so libxml2 canonicalizes SignedInfo once, with markers where they go.
const ID_MARKER = '_referenceIdMarker';
const DIGEST_MARKER = 'digestValueMarker';
let canonicalSignedInfoTemplate: string | undefined;

function canonicalSignedInfo(referenceId: string, digest: string): string {
  canonicalSignedInfoTemplate ??= exclusiveCanonicalXml(`<ds:SignedInfo xmlns:ds="${DS_NS}"${signedInfo(ID_MARKER, DIGEST_MARKER).slice('<ds:SignedInfo'.length)}`);
  return canonicalSignedInfoTemplate.replace(ID_MARKER, () => referenceId).replace(DIGEST_MARKER, () => digest);
}

/**
 * The `ds:Signature` element for the element with ID `referenceId`, given that element's
 * exclusive canonical form without the signature. `referenceId` must be an xs:ID (an NCName:
 * nothing in it needs escaping).
 */
export function signatureElement(referenceId: string, canonicalElement: string, credentials: SigningCredentials): string {
  if (!/^[A-Za-z_][\w.-]*$/.test(referenceId)) throw new TypeError('The signed element needs an ID that is an NCName');
  const digest = createHash('sha256').update(canonicalElement, 'utf8').digest('base64');
  const info = signedInfo(referenceId, digest);
  const value = sign('sha256', Buffer.from(canonicalSignedInfo(referenceId, digest), 'utf8'), credentials.privateKey).toString('base64');
  return (
    `<ds:Signature xmlns:ds="${DS_NS}">${info}<ds:SignatureValue>${value}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${credentials.certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</ds:Signature>'
  );
}
