/**
 * Names of the SAML attributes Atlassian Guard reads for just-in-time accounts and profile
 * names (PLATFORM.md §1): the WS-Federation claim URIs most SAML service providers accept.
 */
export const SAML_ATTRIBUTE = {
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  /** Guard's stable, non-email identifier: the OIDC `sub`. */
  stableId: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
} as const;

export const NAMEID_FORMAT = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

/** One attribute of the AttributeStatement; values are plain strings. */
export interface SamlAttribute {
  name: string;
  values: readonly string[];
}
