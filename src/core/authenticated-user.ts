/**
 * The neutral user where the two protocol halves meet: the upstream (OIDC) half produces it
 * from the provider's claims (`upstream-oidc/user-from-claims.ts`), the downstream (SAML) half
 * consumes it (`downstream-saml/saml-subject.ts`). No OIDC claim name and no SAML name here.
 */
export interface AuthenticatedUser {
  /** The provider's stable subject identifier. */
  readonly subject: string;
  /** Checked: one plain address in an allowed domain, the domain in lower-case punycode. */
  readonly email: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly displayName?: string;
  /** The stable, non-email identifier to assert (the subject unless mapped otherwise). */
  readonly stableId: string;
  /**
   * The identifier to assert as the user's name: the email, or another address the mapping
   * chose (checked to be in an allowed domain as well).
   */
  readonly nameId: { readonly value: string; readonly kind: 'email' | 'other' };
  /** Everything the provider sent, for the admin's connection test; never read to build the assertion. */
  readonly claims: Readonly<Record<string, unknown>>;
}
