import { deflateRawSync } from 'node:zlib';
import { ACS_URL, SP_ENTITY_ID } from './peer-names.js';

/** Hand-built SAML messages and their bindings' encodings, with nothing else loaded (no peers). */

/** Fields of a hand-built AuthnRequest; each can be replaced or (with null) left out. */
export interface AuthnRequestFields {
  id?: string;
  issueInstant?: string;
  issuer?: string | null;
  acsUrl?: string | null;
  protocolBinding?: string | null;
  /** Extra attributes, written as they are. */
  extra?: string;
  /** Child elements after the Issuer (Extensions, Subject, NameIDPolicy, …), written as they are. */
  children?: string;
}

/** An AuthnRequest as Atlassian Guard sends one, by hand (for the cases node-saml cannot build). */
export function authnRequestXml(fields: AuthnRequestFields = {}): string {
  const attr = (name: string, value: string | null | undefined) => (value == null ? '' : ` ${name}="${value}"`);
  const issuer = fields.issuer === undefined ? SP_ENTITY_ID : fields.issuer;
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="${fields.id ?? `_${Math.random().toString(36).slice(2)}`}" Version="2.0"` +
    ` IssueInstant="${fields.issueInstant ?? new Date().toISOString()}"` +
    attr('AssertionConsumerServiceURL', fields.acsUrl === undefined ? ACS_URL.replace(/&/g, '&amp;') : fields.acsUrl) +
    attr('ProtocolBinding', fields.protocolBinding === undefined ? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' : fields.protocolBinding) +
    (fields.extra ? ` ${fields.extra}` : '') +
    `>` +
    (issuer === null ? '' : `<saml:Issuer>${issuer}</saml:Issuer>`) +
    (fields.children ?? '') +
    `</samlp:AuthnRequest>`
  );
}

/** A well-formed, schema-valid SAML message that is not an AuthnRequest. */
export function logoutRequestXml(): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="_logout1" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
    `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>` +
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>` +
    `</samlp:LogoutRequest>`
  );
}

/** HTTP-Redirect encoding (SAML bindings §3.4.4.1): DEFLATE, then base64. */
export function redirectEncode(xml: string | Buffer): string {
  return deflateRawSync(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml).toString('base64');
}

/** HTTP-POST encoding (SAML bindings §3.5.4): base64 only. */
export function postEncode(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}
