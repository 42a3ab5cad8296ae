import { domainToUnicode } from 'node:url';
import { normalizeDomain, type BridgeConfig } from '../core/config.js';
import { BridgeError } from '../core/errors.js';
import type { AuthenticatedUser } from '../core/authenticated-user.js';
import { checkAccessRule } from './access-rule.js';

/** Characters XML 1.0 cannot carry (§2.2), lone surrogates included: a claim holding one would make the signed response unparseable. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/u;

/** Control, format (bidi overrides, soft hyphens, zero-width) and surrogate code points: never part of a real address. */
const NOT_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Cs}\uFFFE\uFFFF]/u;

/**
 * RFC 5322 §3.2.3 dot-atom over ASCII atext: what every mail system and Atlassian accept, and
 * nothing that needs quoting, Unicode normalization or a case mapping to compare.
 */
const ASCII_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** RFC 6531 §3.3: the same dot-atom, with any non-ASCII character (controls and the like are refused before). */
const INTERNATIONAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+)*$/u;

/** RFC 5321 §4.5.3.1.1. */
const LOCAL_PART_MAX = 64;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= 1024 && !NOT_XML.test(trimmed) ? trimmed : undefined;
}

/** A string that `text()` drops (too long, or not representable in XML) is an unusable address, not a missing one. */
function missingOrUnusable(raw: unknown): 'user_email_invalid' | 'user_email_missing' {
  return typeof raw === 'string' && raw.trim() ? 'user_email_invalid' : 'user_email_missing';
}

/** What of the configuration decides who may sign in and how claims map: the provider's policy. */
export type ClaimsPolicy = Pick<
  BridgeConfig,
  'allowedEmailDomains' | 'requireVerifiedEmail' | 'allowInternationalEmail' | 'nameIdClaim' | 'attributeClaims' | 'groupsClaim' | 'allowedGroups'
>;

/**
 * Whether the provider vouches for a claim: JSON `true`, or the string `"true"` (Cognito sends
 * its booleans as strings). Anything else (missing, null, 0, "0", "no", [false], {}) is no.
 */
function vouched(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * The claims that state whether the provider verified a claim: OIDC Core's `<claim>_verified`
 * (§5.1: `email_verified`, `phone_number_verified`), and for the email Entra ID's `xms_edov`
 * ("email domain owner verified", an optional claim), read only where no `email_verified` is
 * sent. `completeAuthorization` takes each from the claim set that supplied the claim itself.
 */
export function verificationClaims(claim: string): string[] {
  return claim === 'email' ? ['email_verified', 'xms_edov'] : [`${claim}_verified`];
}

/** The statement about `claim`: the first of its verification claims the provider sent. */
function verificationOf(claims: Readonly<Record<string, unknown>>, claim: string): { stated: boolean; vouched: boolean } {
  const name = verificationClaims(claim).find((candidate) => claims[candidate] !== undefined);
  return name === undefined ? { stated: false, vouched: false } : { stated: true, vouched: vouched(claims[name]) };
}

/**
 * Checks the provider's claims against the policy and builds the neutral user, or refuses: no
 * email, an email that is not one plain address (see `checkedAddress`), an email the provider
 * does not vouch for with `email_verified: true` (when required), a domain outside the allowed
 * list, or a NameID claim (other than the email) that fails any of the same checks; then, with
 * the user known, the provider's access rule (`access-rule.ts`: allowed groups). Every login,
 * connection test and users-step preview comes through here, so none can skip a check.
 */
export function userFromClaims(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy): AuthenticatedUser {
  const subject = text(claims.sub);
  if (!subject) throw new BridgeError('oidc_id_token_invalid', 'no sub claim');
  const email = text(claims.email);
  if (!email) throw new BridgeError(missingOrUnusable(claims.email));
  const address = checkedAddress(email, policy, 'email');
  // Default on: a provider that says nothing about the address has not vouched for it (OIDC
  // Core §5.7: an unverified email must not be used as an identifier). Entra ID sends no
  // email_verified at all; the wizard asks its admin to decide (xms_edov, or the check off).
  const verification = verificationOf(claims, 'email');
  if (policy.requireVerifiedEmail && !verification.vouched) {
    throw new BridgeError('user_email_unverified', verification.stated ? 'email_verified is not true' : 'no email_verified claim');
  }
  if (!policy.allowedEmailDomains.includes(address.domain)) {
    throw new BridgeError('user_domain_not_allowed', `domain ${address.domain}`);
  }
  const { attributeClaims } = policy;
  const user: AuthenticatedUser = {
    subject,
    email: address.value,
    givenName: text(claims[attributeClaims.givenName]),
    familyName: text(claims[attributeClaims.surname]),
    displayName: text(claims[attributeClaims.displayName]),
    stableId: text(claims[attributeClaims.stableId]) ?? subject,
    nameId: nameIdFrom(claims, policy, address.value),
    claims,
  };
  checkAccessRule(claims, policy);
  return user;
}

/**
 * One plain address, or a refusal (`user_email_invalid`): one `@`; no control, format (bidi
 * overrides, zero-width, soft hyphen) or whitespace character; a dot-atom local part, ASCII
 * unless the admin allows internationalised addresses, and then one that NFKC and case mapping
 * leave as it is (so no two spellings of one mailbox, such as full-width letters, a ligature or
 * ß, become two accounts); a host-name domain already in its canonical form. The value returned
 * has the domain in lower-case punycode.
 */
function checkedAddress(value: string, policy: ClaimsPolicy, what: string): { value: string; domain: string } {
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@') || /\s/u.test(value) || NOT_IN_EMAIL.test(value)) {
    throw new BridgeError('user_email_invalid', `${what}: not a single plain address`);
  }
  const localPart = value.slice(0, at);
  if (localPart.length > LOCAL_PART_MAX) throw new BridgeError('user_email_invalid', `${what}: local part over ${LOCAL_PART_MAX} characters`);
  if (!ASCII_DOT_ATOM.test(localPart)) {
    if (!policy.allowInternationalEmail) throw new BridgeError('user_email_invalid', `${what}: local part is not plain ASCII (dot-atom)`);
    if (!INTERNATIONAL_DOT_ATOM.test(localPart) || !stableUnderNormalization(localPart)) {
      throw new BridgeError('user_email_invalid', `${what}: local part is not a dot-atom stable under NFKC and case folding`);
    }
  }
  const rawDomain = value.slice(at + 1);
  const domain = normalizeDomain(rawDomain);
  if (!domain) throw new BridgeError('user_email_invalid', `${what}: domain is not a host name`);
  // The domain must already be in its canonical form, up to letter case and the A-label/U-label
  // spelling: IDNA mapping would otherwise turn full-width letters, ideographic dots and the like
  // into the allowed ASCII domain, and the NameID would name an address the provider never sent.
  const spelled = rawDomain.normalize('NFC').toLowerCase();
  if (domain !== spelled && domainToUnicode(domain) !== spelled) {
    throw new BridgeError('user_email_invalid', `${what}: domain is not in canonical form`);
  }
  return { value: `${localPart}@${domain}`, domain };
}

/**
 * NFKC leaves it unchanged, and so does case folding: its lower case is NFKC-stable and survives
 * a round trip through upper case (ß → SS → ss, and the like, are refused).
 */
function stableUnderNormalization(localPart: string): boolean {
  if (localPart.normalize('NFKC') !== localPart) return false;
  const folded = localPart.toLowerCase();
  return folded.normalize('NFKC') === folded && folded.toUpperCase().toLowerCase() === folded;
}

/**
 * The name to assert. Guard matches the NameID as an email address: one taken from another
 * claim gets every check the email gets (one plain address in an allowed domain, in canonical
 * form), and the verified rule where the provider states one for that claim, or that claim
 * would bypass them. A value that is the checked email is covered by the email's checks.
 */
function nameIdFrom(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy, email: string): AuthenticatedUser['nameId'] {
  if (policy.nameIdClaim === 'email') return { value: email, kind: 'email' };
  const value = text(claims[policy.nameIdClaim]);
  if (!value) throw new BridgeError(missingOrUnusable(claims[policy.nameIdClaim]), `claim ${policy.nameIdClaim} for the NameID is missing or unusable`);
  const address = checkedAddress(value, policy, `NameID claim ${policy.nameIdClaim}`);
  if (!policy.allowedEmailDomains.includes(address.domain)) {
    throw new BridgeError('user_domain_not_allowed', `NameID claim ${policy.nameIdClaim} is not an address in an allowed domain`);
  }
  const verification = verificationOf(claims, policy.nameIdClaim);
  if (policy.requireVerifiedEmail && verification.stated && !verification.vouched && address.value.toLowerCase() !== email.toLowerCase()) {
    throw new BridgeError('user_email_unverified', `NameID claim ${policy.nameIdClaim}: the provider says it is not verified`);
  }
  return { value: address.value, kind: 'other' };
}
