import { describe, expect, it } from '@jest/globals';
import { userFromClaims, type ClaimsPolicy } from '../../../src/upstream-oidc/user-from-claims.js';
import { mergedClaims } from '../../../src/upstream-oidc/upstream-oidc.js';
import { BridgeError, type BridgeErrorCode } from '../../../src/core/errors.js';

/**
 * The identity checks on the provider's claims (issue 10, item 2): what counts as a verified
 * email, which claim set vouches for it, the NameID claim checked like the email, and the
 * local part's alphabet. One named case each; the integration corpus
 * (test/security/id-token-corpus.test.ts) runs the same rules through a real provider.
 */

const policy: ClaimsPolicy = {
  allowedEmailDomains: ['example.com', 'xn--bcher-kva.example'],
  requireVerifiedEmail: true,
  allowInternationalEmail: false,
  nameIdClaim: 'email',
  attributeClaims: { givenName: 'given_name', surname: 'family_name', displayName: 'name', stableId: 'sub' },
  groupsClaim: 'groups',
  allowedGroups: [],
};

const alice = { sub: 'alice-sub', email: 'alice@example.com', email_verified: true };

function refusal(claims: Record<string, unknown>, with_: Partial<ClaimsPolicy> = {}): BridgeErrorCode {
  try {
    userFromClaims(claims, { ...policy, ...with_ });
  } catch (error) {
    if (error instanceof BridgeError) return error.code;
    throw error;
  }
  throw new Error('the claims were accepted');
}

describe('email_verified', () => {
  it.each([
    ['missing', undefined],
    ['null', null],
    ['0', 0],
    ['"0"', '0'],
    ['"no"', 'no'],
    ['[false]', [false]],
    ['[true]', [true]],
    ['{}', {}],
    ['false', false],
    ['"false"', 'false'],
    ['"TRUE"', 'TRUE'],
    ['1', 1],
  ])('refuses email_verified %s', (_name, value) => {
    const { email_verified: _v, ...rest } = alice;
    expect(refusal(value === undefined ? rest : { ...rest, email_verified: value })).toBe('user_email_unverified');
  });

  it.each([
    ['true', true],
    ['"true"', 'true'],
  ])('accepts email_verified %s (control)', (_name, value) => {
    expect(userFromClaims({ ...alice, email_verified: value }, policy).email).toBe('alice@example.com');
  });

  it('accepts a missing email_verified when the admin turned the check off', () => {
    const { email_verified: _v, ...rest } = alice;
    expect(userFromClaims(rest, { ...policy, requireVerifiedEmail: false }).email).toBe('alice@example.com');
  });

  it("takes Entra ID's xms_edov where no email_verified is sent", () => {
    const { email_verified: _v, ...rest } = alice;
    expect(userFromClaims({ ...rest, xms_edov: true }, policy).email).toBe('alice@example.com');
    expect(refusal({ ...rest, xms_edov: false })).toBe('user_email_unverified');
  });

  it('never lets xms_edov overrule an email_verified that is not true', () => {
    expect(refusal({ ...alice, email_verified: false, xms_edov: true })).toBe('user_email_unverified');
  });
});

describe('the claim set that vouches for the email', () => {
  it('refuses an ID token email_verified: true for an email only userinfo sent', () => {
    const merged = mergedClaims({ sub: 'alice-sub', email_verified: true }, { sub: 'alice-sub', email: 'alice@example.com' }, ['email']);
    expect(merged.email).toBe('alice@example.com');
    expect(merged.email_verified).toBeUndefined();
    expect(refusal(merged)).toBe('user_email_unverified');
  });

  it("takes userinfo's email_verified with userinfo's email", () => {
    const merged = mergedClaims({ sub: 'alice-sub', email_verified: false }, { sub: 'alice-sub', email: 'alice@example.com', email_verified: true }, ['email']);
    expect(userFromClaims(merged, policy).email).toBe('alice@example.com');
  });

  it("refuses userinfo's email_verified: true for the ID token's other email", () => {
    const merged = mergedClaims({ sub: 'alice-sub', email: 'alice@example.com' }, { sub: 'alice-sub', email: 'bob@example.com', email_verified: true }, ['email']);
    expect(merged.email).toBe('alice@example.com');
    expect(refusal(merged)).toBe('user_email_unverified');
  });

  it("takes userinfo's email_verified when userinfo sent the ID token's very email", () => {
    const merged = mergedClaims({ sub: 'alice-sub', email: 'alice@example.com' }, { sub: 'alice-sub', email: 'alice@example.com', email_verified: true }, ['email']);
    expect(userFromClaims(merged, policy).email).toBe('alice@example.com');
  });

  it("keeps the ID token's email_verified: false over userinfo's true for the same email", () => {
    const merged = mergedClaims(
      { sub: 'alice-sub', email: 'alice@example.com', email_verified: false },
      { sub: 'alice-sub', email: 'alice@example.com', email_verified: true },
      ['email'],
    );
    expect(refusal(merged)).toBe('user_email_unverified');
  });

  it("drops the ID token's xms_edov for an email only userinfo sent", () => {
    const merged = mergedClaims({ sub: 'alice-sub', xms_edov: true }, { sub: 'alice-sub', email: 'alice@example.com' }, ['email']);
    expect(merged.xms_edov).toBeUndefined();
  });

  it('pairs a NameID claim with its own verification claim in the same way', () => {
    const merged = mergedClaims(
      { sub: 'alice-sub', email: 'alice@example.com', email_verified: true, upn_verified: true },
      { sub: 'alice-sub', upn: 'boss@example.com' },
      ['upn', 'email'],
    );
    expect(merged.upn_verified).toBeUndefined();
  });
});

describe('a NameID claim other than the email', () => {
  const upn = (value: unknown, extra: Record<string, unknown> = {}) => ({ ...alice, upn: value, ...extra });
  const withUpn = { nameIdClaim: 'upn' };

  it('asserts a checked address, its domain in lower case (control)', () => {
    const user = userFromClaims(upn('Alice.Smith@EXAMPLE.com'), { ...policy, ...withUpn });
    expect(user.nameId).toEqual({ value: 'Alice.Smith@example.com', kind: 'other' });
  });

  it.each([
    ['two addresses', 'alice@example.com,mallory@example.com'],
    ['two @', 'mallory@attacker.example@example.com'],
    ['a right-to-left override', 'alice\u202E@example.com'],
    ['a zero-width space', 'ali\u200Bce@example.com'],
    ['a space', 'ali ce@example.com'],
    ['a no-break space', 'ali\u00A0ce@example.com'],
    ['a control character', 'ali\u0007ce@example.com'],
    ['a full-width domain', 'alice@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com'],
    ['an ideographic full stop', 'alice@example\u3002com'],
    ['a trailing dot', 'alice@example.com.'],
    ['a quoted local part', '"alice"@example.com'],
    ['a non-ASCII local part', 'ålice@example.com'],
  ])('refuses %s (user_email_invalid)', (_name, value) => {
    expect(refusal(upn(value), withUpn)).toBe('user_email_invalid');
  });

  it('refuses a domain outside the allowed list', () => {
    expect(refusal(upn('alice@attacker.example'), withUpn)).toBe('user_domain_not_allowed');
  });

  it('refuses a look-alike domain in Cyrillic letters', () => {
    expect(refusal(upn('alice@ex\u0430mple.com'), withUpn)).toBe('user_domain_not_allowed');
  });

  it('refuses a missing NameID claim', () => {
    expect(refusal(alice, withUpn)).toBe('user_email_missing');
  });

  it('refuses a claim the provider says is not verified', () => {
    expect(refusal(upn('boss@example.com', { upn_verified: false }), withUpn)).toBe('user_email_unverified');
    expect(refusal(upn('boss@example.com', { upn_verified: 'no' }), withUpn)).toBe('user_email_unverified');
  });

  it('accepts a claim the provider says is verified, or says nothing about (control)', () => {
    expect(userFromClaims(upn('boss@example.com', { upn_verified: true }), { ...policy, ...withUpn }).nameId.value).toBe('boss@example.com');
    expect(userFromClaims(upn('boss@example.com'), { ...policy, ...withUpn }).nameId.value).toBe('boss@example.com');
  });
});

describe('the local part', () => {
  it.each([
    ['a-umlaut', 'ålice@example.com'],
    ['a quoted string', '"a b"@example.com'],
    ['a leading dot', '.alice@example.com'],
    ['two dots in a row', 'al..ice@example.com'],
    ['a comma', 'alice,bob@example.com'],
    ['65 characters', `${'a'.repeat(65)}@example.com`],
  ])('refuses %s by default', (_name, email) => {
    expect(refusal({ ...alice, email })).toBe('user_email_invalid');
  });

  it('accepts a local part of exactly 64 characters, the RFC 5321 limit (control for the 65 above)', () => {
    const email = `${'a'.repeat(64)}@example.com`;
    expect(userFromClaims({ ...alice, email }, policy).email).toBe(email);
  });

  it("accepts RFC 5322 atext such as O'Brien+tag (control)", () => {
    expect(userFromClaims({ ...alice, email: "Alice.O'Brien+tag@example.com" }, policy).email).toBe("Alice.O'Brien+tag@example.com");
  });

  it('emits the domain in lower case (punycode for a Unicode domain)', () => {
    expect(userFromClaims({ ...alice, email: 'alice@EXAMPLE.Com' }, policy).email).toBe('alice@example.com');
    expect(userFromClaims({ ...alice, email: 'alice@BÜCHER.example' }, policy).email).toBe('alice@xn--bcher-kva.example');
  });

  describe('with internationalised addresses allowed', () => {
    const international = { allowInternationalEmail: true };

    it('accepts a stable non-ASCII local part (control)', () => {
      expect(userFromClaims({ ...alice, email: 'ålice@example.com' }, { ...policy, ...international }).email).toBe('ålice@example.com');
      expect(userFromClaims({ ...alice, email: 'Ålice@example.com' }, { ...policy, ...international }).email).toBe('Ålice@example.com');
      expect(userFromClaims({ ...alice, email: 'å.lice@example.com' }, { ...policy, ...international }).email).toBe('å.lice@example.com');
    });

    it.each([
      ['a decomposed a-ring (not NFKC)', 'a\u030Alice@example.com'],
      ['full-width letters (NFKC maps them)', '\uFF41lice@example.com'],
      ['a ligature (NFKC maps it)', '\uFB01nn@example.com'],
      ['sharp s (case folding makes it ss)', 'stra\u00DFe@example.com'],
      ['a superscript digit', 'alice\u00B2@example.com'],
      ['a quoted string', '"ålice"@example.com'],
      ['a leading dot', '.ålice@example.com'],
      ['a trailing dot', 'ålice.@example.com'],
      ['two dots in a row', 'å..lice@example.com'],
      ['a comma', 'å,lice@example.com'],
      ['the Kelvin sign (NFKC makes it K; its lower case is a plain k)', '\u212Aelvin@example.com'],
    ])('refuses %s', (_name, email) => {
      expect(refusal({ ...alice, email }, international)).toBe('user_email_invalid');
    });
  });
});

describe('a null verification claim', () => {
  it("is a statement: the ID token's email_verified: null is not replaced by userinfo's true", () => {
    const merged = mergedClaims(
      { sub: 'alice-sub', email: 'alice@example.com', email_verified: null },
      { sub: 'alice-sub', email: 'alice@example.com', email_verified: true },
      ['email'],
    );
    expect(merged.email_verified).toBeNull();
  });
});

describe('the edges of one plain address', () => {
  it('refuses an email claim without an @, even one that is an allowed domain itself', () => {
    // Read as "local part before the last character, domain after no @" it would become
    // example.co@example.com, an address the provider never sent.
    expect(refusal({ ...alice, email: 'example.com' })).toBe('user_email_invalid');
    expect(refusal({ ...alice, email: '@example.com' })).toBe('user_email_invalid');
  });

  it('lets a NameID claim that is the verified email itself (in another case) through, though its own claim says unverified', () => {
    // The email's checks already cover that address; only another address needs its own word.
    const user = userFromClaims({ ...alice, upn: 'ALICE@example.com', upn_verified: false }, { ...policy, nameIdClaim: 'upn' });
    expect(user.nameId).toEqual({ value: 'ALICE@example.com', kind: 'other' });
  });
});
