import { describe, expect, it } from '@jest/globals';
import { parseConfig, type RawConfig } from '../../../src/core/config.js';
import type { BridgeErrorCode } from '../../../src/core/errors.js';
import { NAMEID_FORMAT, SAML_ATTRIBUTE } from '../../../src/downstream-saml/saml-attributes.js';
import { samlSubjectFor } from '../../../src/downstream-saml/saml-subject.js';
import { userFromClaims, type ClaimsPolicy } from '../../../src/upstream-oidc/user-from-claims.js';
import { claimsRefusal } from '../../support/claims-refusal.js';

/**
 * The user mapping, one named case per check it makes: who may sign in (email, domain,
 * email_verified, the NameID claim's domain) and what is said about them (stableId, names).
 * Fast and pure, so the mutation run (`npm run test:mutation`) can lean on it.
 */

const base: RawConfig = {
  baseUrl: 'https://bridge.example.net',
  oidc: { issuer: 'https://idp.example.com', clientId: 'client', clientSecret: 'secret' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
  allowedEmailDomains: ['example.com', 'bücher.example'],
};
const policy = (extra: Partial<RawConfig> = {}): ClaimsPolicy => parseConfig({ ...base, ...extra } as RawConfig, { allowLoopbackHttp: false });
const alice = { sub: 'alice-sub-1', email: 'alice@example.com', email_verified: true, given_name: 'Alice', family_name: 'Liddell', name: 'Alice L.' };

const refusal = (claims: Record<string, unknown>, p: ClaimsPolicy = policy()): BridgeErrorCode => claimsRefusal(claims, p);

describe('userFromClaims: who may sign in', () => {
  it('maps an allowed, verified user to the neutral user with the email as NameID', () => {
    const user = userFromClaims(alice, policy());
    expect(user).toEqual({
      subject: 'alice-sub-1',
      email: 'alice@example.com',
      givenName: 'Alice',
      familyName: 'Liddell',
      displayName: 'Alice L.',
      stableId: 'alice-sub-1',
      nameId: { value: 'alice@example.com', kind: 'email' },
      claims: alice,
    });
  });

  it('refuses a missing, blank, non-string or XML-unsafe sub', () => {
    expect(refusal({ ...alice, sub: undefined })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: '   ' })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: 42 })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: 'a\u0001b' })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: 'a\uFFFEb' })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: 'a\uD800b' })).toBe('oidc_id_token_invalid');
    expect(refusal({ ...alice, sub: 'x'.repeat(1025) })).toBe('oidc_id_token_invalid');
  });

  it('trims the sub and accepts one of exactly 1024 characters', () => {
    expect(userFromClaims({ ...alice, sub: '  s-1  ' }, policy()).subject).toBe('s-1');
    expect(userFromClaims({ ...alice, sub: 'x'.repeat(1024) }, policy()).subject).toHaveLength(1024);
  });

  it('refuses a missing email as missing, and an unusable string as invalid', () => {
    expect(refusal({ ...alice, email: undefined })).toBe('user_email_missing');
    expect(refusal({ ...alice, email: '  ' })).toBe('user_email_missing');
    expect(refusal({ ...alice, email: 7 })).toBe('user_email_missing');
    expect(refusal({ ...alice, email: `${'a'.repeat(1020)}@example.com` })).toBe('user_email_invalid');
    expect(refusal({ ...alice, email: 'alice\u0000@example.com' })).toBe('user_email_invalid');
  });

  it.each([
    ['no @', 'alice.example.com'],
    ['an empty local part', '@example.com'],
    ['two @', 'alice@evil.test@example.com'],
    ['a space', 'alice smith@example.com'],
    ['an angle bracket', 'alice<x>@example.com'],
    ['a quote', '"alice"@example.com'],
    ['a comma', 'alice,bob@example.com'],
    ['a semicolon', 'alice;bob@example.com'],
    ['a colon', 'alice:bob@example.com'],
    ['a backslash', 'alice\\bob@example.com'],
    ['a bracket', 'alice[1]@example.com'],
    ['a parenthesis', 'alice(x)@example.com'],
    ['a bidi override', 'alice\u202E@example.com'],
    ['a zero-width space', 'ali\u200Bce@example.com'],
    ['a soft hyphen in the domain', 'alice@exam\u00ADple.com'],
    ['a domain that is no host name', 'alice@[127.0.0.1]'],
    ['full-width letters that IDNA would map to the allowed domain', 'alice@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com'],
    ['an ideographic dot that IDNA would map to a dot', 'alice@example\u3002com'],
  ])('refuses an email with %s', (_name, email) => {
    expect(refusal({ ...alice, email })).toBe('user_email_invalid');
  });

  it('accepts the domain in any letter case and in either IDNA spelling, and asserts it in lower-case punycode', () => {
    expect(userFromClaims({ ...alice, email: 'Alice@EXAMPLE.com' }, policy()).email).toBe('Alice@example.com');
    expect(userFromClaims({ ...alice, email: 'alice@BÜCHER.example' }, policy()).email).toBe('alice@xn--bcher-kva.example');
    expect(userFromClaims({ ...alice, email: 'alice@xn--bcher-kva.example' }, policy()).email).toBe('alice@xn--bcher-kva.example');
    expect(userFromClaims({ ...alice, email: '  alice@example.com\n' }, policy()).email).toBe('alice@example.com');
  });

  it('refuses a domain outside the allowed list, a subdomain and a look-alike', () => {
    expect(refusal({ ...alice, email: 'alice@example.org' })).toBe('user_domain_not_allowed');
    expect(refusal({ ...alice, email: 'alice@sub.example.com' })).toBe('user_domain_not_allowed');
    expect(refusal({ ...alice, email: 'alice@ex\u0430mple.com' })).toBe('user_domain_not_allowed');
  });

  it('refuses email_verified false, and the string "false" in any case, when verified emails are required', () => {
    expect(refusal({ ...alice, email_verified: false })).toBe('user_email_unverified');
    expect(refusal({ ...alice, email_verified: 'false' })).toBe('user_email_unverified');
    expect(refusal({ ...alice, email_verified: ' FALSE ' })).toBe('user_email_unverified');
  });

  it('takes only email_verified true or "true" as verified; anything else is a refusal', () => {
    for (const verified of [true, 'true']) expect(userFromClaims({ ...alice, email_verified: verified }, policy()).email).toBe('alice@example.com');
    for (const verified of [undefined, 0, null, 'no']) expect(refusal({ ...alice, email_verified: verified })).toBe('user_email_unverified');
  });

  it('lets an unverified email through when the policy does not require verification, but not its domain', () => {
    const lax = policy({ requireVerifiedEmail: false });
    expect(userFromClaims({ ...alice, email_verified: false }, lax).email).toBe('alice@example.com');
    expect(userFromClaims({ ...alice, email_verified: 'false' }, lax).email).toBe('alice@example.com');
    expect(refusal({ ...alice, email_verified: false, email: 'alice@example.org' }, lax)).toBe('user_domain_not_allowed');
  });
});

describe('userFromClaims: a NameID from another claim', () => {
  const byUsername = policy({ nameIdClaim: 'preferred_username' });

  it('asserts the claim as an unspecified NameID when it is an address in an allowed domain', () => {
    const user = userFromClaims({ ...alice, preferred_username: 'a.liddell@example.com' }, byUsername);
    expect(user.nameId).toEqual({ value: 'a.liddell@example.com', kind: 'other' });
    expect(samlSubjectFor(user)).toMatchObject({ nameId: 'a.liddell@example.com', nameIdFormat: NAMEID_FORMAT.unspecified });
    expect(userFromClaims({ ...alice, preferred_username: 'a@BÜCHER.example' }, byUsername).nameId.value).toBe('a@xn--bcher-kva.example');
  });

  it('refuses a NameID claim in a domain outside the allowed list (it would bypass the domain check)', () => {
    expect(refusal({ ...alice, preferred_username: 'mallory@evil.test' }, byUsername)).toBe('user_domain_not_allowed');
    expect(refusal({ ...alice, preferred_username: 'mallory@sub.example.com' }, byUsername)).toBe('user_domain_not_allowed');
  });

  it('refuses a NameID claim that is not one address', () => {
    expect(refusal({ ...alice, preferred_username: 'alice' }, byUsername)).toBe('user_email_invalid');
    expect(refusal({ ...alice, preferred_username: '@example.com' }, byUsername)).toBe('user_email_invalid');
    expect(refusal({ ...alice, preferred_username: 'mallory@evil.test@example.com' }, byUsername)).toBe('user_email_invalid');
    expect(refusal({ ...alice, preferred_username: 'mallory@[127.0.0.1]' }, byUsername)).toBe('user_email_invalid');
  });

  it('refuses a missing or unusable NameID claim as missing', () => {
    expect(refusal({ ...alice }, byUsername)).toBe('user_email_missing');
    expect(refusal({ ...alice, preferred_username: ' ' }, byUsername)).toBe('user_email_missing');
    expect(refusal({ ...alice, preferred_username: ['alice@example.com'] }, byUsername)).toBe('user_email_missing');
  });

  it('still checks the email itself first', () => {
    expect(refusal({ ...alice, email: 'alice@evil.test', preferred_username: 'alice@example.com' }, byUsername)).toBe('user_domain_not_allowed');
  });
});

describe('userFromClaims: what is said about the user', () => {
  it('honours attributeClaims.stableId: the stable identifier comes from the configured claim', () => {
    const byEmployeeId = policy({ attributeClaims: { stableId: 'employee_id' } } as Partial<RawConfig>);
    const user = userFromClaims({ ...alice, employee_id: 'E-1234' }, byEmployeeId);
    expect(user.stableId).toBe('E-1234');
    expect(samlSubjectFor(user).attributes).toContainEqual({ name: SAML_ATTRIBUTE.stableId, values: ['E-1234'] });
  });

  it('falls back to the sub when the stableId claim is missing or unusable', () => {
    const byEmployeeId = policy({ attributeClaims: { stableId: 'employee_id' } } as Partial<RawConfig>);
    expect(userFromClaims(alice, byEmployeeId).stableId).toBe('alice-sub-1');
    expect(userFromClaims({ ...alice, employee_id: ' ' }, byEmployeeId).stableId).toBe('alice-sub-1');
  });

  it('reads the names from the configured claims, and drops names that are not usable text', () => {
    const custom = policy({ attributeClaims: { givenName: 'first', surname: 'last', displayName: 'nickname' } } as Partial<RawConfig>);
    const user = userFromClaims({ ...alice, first: ' Al ', last: 'L', nickname: 'Ally' }, custom);
    expect(user).toMatchObject({ givenName: 'Al', familyName: 'L', displayName: 'Ally' });
    const dropped = userFromClaims({ ...alice, given_name: 5, family_name: 'x'.repeat(1025), name: 'a\u0007b' }, policy());
    expect(dropped).toMatchObject({ givenName: undefined, familyName: undefined, displayName: undefined });
  });

  it('never changes the claims it maps', () => {
    const claims = Object.freeze({ ...alice, email: ' Alice@EXAMPLE.com ' });
    const user = userFromClaims(claims, policy());
    expect(user.claims).toBe(claims);
    expect(claims.email).toBe(' Alice@EXAMPLE.com ');
  });
});
