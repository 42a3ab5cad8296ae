import samlify from 'samlify';
import type { BridgeConfig } from '../core/config.js';
import type { RandomSource } from '../core/ports.js';
import { NAMEID_FORMAT, type SamlAttribute } from './saml-attributes.js';
import { samlParties } from './saml-identity-provider.js';
import type { SigningCredentials } from './signing-key.js';

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

// The Response template (SAML core §3.3.3 and §2.3.3). Element order follows the schema: the
// signatures go right after each Issuer (samlify inserts them there). Values are filled in by
// samlify's replaceTagsByValue, which XML-escapes every value.
const RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
  '<saml:Assertion ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
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
  '</saml:Assertion>' +
  '</samlp:Response>';

const ATTRIBUTE_TEMPLATE =
  '<saml:Attribute Name="{Name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">@@VALUES@@</saml:Attribute>';
const VALUE_TEMPLATE =
  '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{Value}</saml:AttributeValue>';

const replaceTags = samlify.SamlLib.replaceTagsByValue as (template: string, values: Record<string, string>) => string;

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
  const { idp, sp } = samlParties(config, credentials);
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
          replaceTags(ATTRIBUTE_TEMPLATE, { Name: attribute.name }).replace(
            '@@VALUES@@',
            attribute.values.map((value) => replaceTags(VALUE_TEMPLATE, { Value: value })).join(''),
          ),
        )
        .join('')}</saml:AttributeStatement>`
    : '';
  const xml = replaceTags(RESPONSE_TEMPLATE, values).replace('@@ATTRIBUTES@@', attributeXml);
  const result = await idp.createLoginResponse(sp, { extract: { request: { id: input.inResponseTo } } } as Parameters<typeof idp.createLoginResponse>[1], 'post', {}, {
    customTagReplacement: () => ({ id: responseId, context: xml }),
  });
  return { responseId, assertionId, samlResponse: result.context };
}

export { NAMEID_FORMAT };
