import { domainToUnicode } from 'node:url';
import { normalizeDomain, type BridgeConfig } from './config.js';
import { BridgeError } from './errors.js';
import { NAMEID_FORMAT, SAML_ATTRIBUTE, type SamlAttribute } from '../downstream-saml/saml-attributes.js';

/**
 * The neutral type where the two protocol halves meet: the upstream (OIDC) half produces it,
 * the downstream (SAML) half consumes it, and the pure functions below sit between.
 */
export interface AuthenticatedUser {
  /** The provider's stable subject identifier (`sub`). */
  readonly subject: string;
  readonly email: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly displayName?: string;
  /** Every claim received, for the admin's connection test; never mutated. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** What will be said about the user to the service provider. */
export interface SamlSubject {
  nameId: string;
  nameIdFormat: string;
  attributes: SamlAttribute[];
}

/** Characters XML 1.0 cannot carry (§2.2), lone surrogates included: a claim holding one would make the signed response unparseable. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/u;

/** Control, format (bidi overrides, soft hyphens, zero-width) and surrogate code points: never part of a real address. */
const NOT_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Cs}\uFFFE\uFFFF]/u;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= 1024 && !NOT_XML.test(trimmed) ? trimmed : undefined;
}

/**
 * Checks the provider's claims against the configuration and builds the user, or refuses:
 * no email, an email that is not one plain address, `email_verified: false` (when required),
 * or a domain outside the allowed list (compared in lower-case punycode, so look-alike Unicode
 * domains never match an ASCII one).
 */
export function authenticatedUserFrom(claims: Readonly<Record<string, unknown>>, config: BridgeConfig): AuthenticatedUser {
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
  if (config.requireVerifiedEmail && (verified === false || (typeof verified === 'string' && verified.trim().toLowerCase() === 'false'))) {
    throw new BridgeError('user_email_unverified');
  }
  if (!config.allowedEmailDomains.includes(domain)) {
    throw new BridgeError('user_domain_not_allowed', `domain ${domain}`);
  }
  const { attributeClaims } = config;
  return {
    subject,
    email: `${email.slice(0, at)}@${domain}`,
    givenName: text(claims[attributeClaims.givenName]),
    familyName: text(claims[attributeClaims.surname]),
    displayName: text(claims[attributeClaims.displayName]),
    claims,
  };
}

/** The NameID and attributes for Atlassian Guard (PLATFORM.md §1). Pure. */
export function samlSubjectFor(user: AuthenticatedUser, config: BridgeConfig): SamlSubject {
  const byEmail = config.nameIdClaim === 'email';
  const nameId = byEmail ? user.email : text(user.claims[config.nameIdClaim]);
  if (!nameId) throw new BridgeError('user_email_missing', `claim ${config.nameIdClaim} for the NameID is missing`);
  // Guard matches the NameID as an email address: one taken from another claim must be an
  // address in an allowed domain too, or that claim would bypass the domain check.
  if (!byEmail) {
    const at = nameId.lastIndexOf('@');
    const domain = at > 0 && nameId.indexOf('@') === at ? normalizeDomain(nameId.slice(at + 1)) : undefined;
    if (!domain || !config.allowedEmailDomains.includes(domain)) {
      throw new BridgeError('user_domain_not_allowed', `NameID claim ${config.nameIdClaim} is not an address in an allowed domain`);
    }
  }
  const stableId = text(user.claims[config.attributeClaims.stableId]) ?? user.subject;
  const displayName = user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || undefined);
  const attributes: SamlAttribute[] = [
    { name: SAML_ATTRIBUTE.email, values: [user.email] },
    { name: SAML_ATTRIBUTE.stableId, values: [stableId] },
  ];
  if (user.givenName) attributes.push({ name: SAML_ATTRIBUTE.givenName, values: [user.givenName] });
  if (user.familyName) attributes.push({ name: SAML_ATTRIBUTE.surname, values: [user.familyName] });
  if (displayName) attributes.push({ name: SAML_ATTRIBUTE.displayName, values: [displayName] });
  return { nameId, nameIdFormat: byEmail ? NAMEID_FORMAT.emailAddress : NAMEID_FORMAT.unspecified, attributes };
}
