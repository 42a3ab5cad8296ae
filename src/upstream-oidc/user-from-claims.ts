import { domainToUnicode } from 'node:url';
import { normalizeDomain, type BridgeConfig } from '../core/config.js';
import { BridgeError } from '../core/errors.js';
import type { AuthenticatedUser } from '../core/authenticated-user.js';

/** Characters XML 1.0 cannot carry (§2.2), lone surrogates included: a claim holding one would make the signed response unparseable. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/u;

/** Control, format (bidi overrides, soft hyphens, zero-width) and surrogate code points: never part of a real address. */
const NOT_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Cs}\uFFFE\uFFFF]/u;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= 1024 && !NOT_XML.test(trimmed) ? trimmed : undefined;
}

/** What of the configuration decides who may sign in and how claims map: the provider's policy. */
export type ClaimsPolicy = Pick<BridgeConfig, 'allowedEmailDomains' | 'requireVerifiedEmail' | 'nameIdClaim' | 'attributeClaims'>;

/**
 * Checks the provider's claims against the policy and builds the neutral user, or refuses:
 * no email, an email that is not one plain address, `email_verified: false` (when required),
 * a domain outside the allowed list (compared in lower-case punycode, so look-alike Unicode
 * domains never match an ASCII one), or a NameID claim that is not an address in an allowed
 * domain.
 */
export function userFromClaims(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy): AuthenticatedUser {
  const subject = text(claims.sub);
  if (!subject) throw new BridgeError('oidc_id_token_invalid', 'no sub claim');
  const email = text(claims.email);
  if (!email) {
    // A string that text() drops (too long, or not representable in XML) is an unusable address, not a missing one.
    throw new BridgeError(typeof claims.email === 'string' && claims.email.trim() ? 'user_email_invalid' : 'user_email_missing');
  }
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@') || /[\s<>"(),;:\\[\]]/.test(email) || NOT_IN_EMAIL.test(email)) {
    throw new BridgeError('user_email_invalid', 'not a single plain address');
  }
  const rawDomain = email.slice(at + 1);
  const domain = normalizeDomain(rawDomain);
  if (!domain) throw new BridgeError('user_email_invalid', 'domain is not a host name');
  // The domain must already be in its canonical form, up to letter case and the A-label/U-label
  // spelling: IDNA mapping would otherwise turn full-width letters, ideographic dots and the like
  // into the allowed ASCII domain, and the NameID would name an address the provider never sent.
  const spelled = rawDomain.normalize('NFC').toLowerCase();
  if (domain !== spelled && domainToUnicode(domain) !== spelled) {
    throw new BridgeError('user_email_invalid', 'domain is not in canonical form');
  }
  // Some providers (Cognito among them) send the boolean as a string.
  const verified = claims.email_verified;
  if (policy.requireVerifiedEmail && (verified === false || (typeof verified === 'string' && verified.trim().toLowerCase() === 'false'))) {
    throw new BridgeError('user_email_unverified');
  }
  if (!policy.allowedEmailDomains.includes(domain)) {
    throw new BridgeError('user_domain_not_allowed', `domain ${domain}`);
  }
  const checkedEmail = `${email.slice(0, at)}@${domain}`;
  const { attributeClaims } = policy;
  return {
    subject,
    email: checkedEmail,
    givenName: text(claims[attributeClaims.givenName]),
    familyName: text(claims[attributeClaims.surname]),
    displayName: text(claims[attributeClaims.displayName]),
    stableId: text(claims[attributeClaims.stableId]) ?? subject,
    nameId: nameIdFrom(claims, policy, checkedEmail),
    claims,
  };
}

/**
 * The name to assert. Guard matches the NameID as an email address: one taken from another
 * claim must be an address in an allowed domain too, or that claim would bypass the domain check.
 */
function nameIdFrom(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy, email: string): AuthenticatedUser['nameId'] {
  if (policy.nameIdClaim === 'email') return { value: email, kind: 'email' };
  const value = text(claims[policy.nameIdClaim]);
  if (!value) throw new BridgeError('user_email_missing', `claim ${policy.nameIdClaim} for the NameID is missing`);
  const at = value.lastIndexOf('@');
  const domain = at > 0 && value.indexOf('@') === at ? normalizeDomain(value.slice(at + 1)) : undefined;
  if (!domain || !policy.allowedEmailDomains.includes(domain)) {
    throw new BridgeError('user_domain_not_allowed', `NameID claim ${policy.nameIdClaim} is not an address in an allowed domain`);
  }
  return { value, kind: 'other' };
}
