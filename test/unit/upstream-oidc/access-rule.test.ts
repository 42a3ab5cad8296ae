import { describe, expect, it } from '@jest/globals';
import { checkConfig, parseConfig, type RawConfig } from '../../../src/core/config.js';
import { bridgeErrorCodes, publicError } from '../../../src/core/errors.js';
import { accessDecision } from '../../../src/upstream-oidc/access-rule.js';
import { mergedClaims } from '../../../src/upstream-oidc/upstream-oidc.js';
import { userFromClaims, type ClaimsPolicy } from '../../../src/upstream-oidc/user-from-claims.js';
import { claimsRefusal } from '../../support/claims-refusal.js';

/**
 * The access rule (issue 13, item 4): only users whose groups claim lists an allowed group may
 * sign in. One named case per refusal, each through `userFromClaims`, the function every login,
 * connection test and preview calls, so a check dropped from either place fails here.
 */

const base: RawConfig = {
  baseUrl: 'https://bridge.example.net',
  oidc: { issuer: 'https://idp.example.com', clientId: 'client', clientSecret: 'secret' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
  allowedEmailDomains: ['example.com'],
};
const policy = (extra: Partial<RawConfig> = {}): ClaimsPolicy => parseConfig({ ...base, ...extra } as RawConfig, { allowLoopbackHttp: false });
const ruled = (allowedGroups: string[], groupsClaim?: string) => policy({ allowedGroups, ...(groupsClaim ? { groupsClaim } : {}) });
const alice = { sub: 'alice-sub-1', email: 'alice@example.com', email_verified: true };

const refusal = claimsRefusal;

describe('access rule: allowed groups', () => {
  it('has no rule by default: a user without any groups claim signs in', () => {
    expect(policy().allowedGroups).toEqual([]);
    expect(policy().groupsClaim).toBe('groups');
    expect(userFromClaims(alice, policy()).email).toBe('alice@example.com');
    expect(userFromClaims({ ...alice, groups: 'not even a list' }, policy()).email).toBe('alice@example.com');
  });

  it('lets in a user whose groups claim lists an allowed group (control)', () => {
    expect(userFromClaims({ ...alice, groups: ['Everyone', 'Engineering'] }, ruled(['Engineering', 'Sales'])).email).toBe('alice@example.com');
    expect(accessDecision({ ...alice, groups: ['Everyone', 'Sales', 'Engineering'] }, ruled(['Engineering', 'Sales']))).toEqual({ kind: 'allowed', group: 'Sales' });
  });

  it('refuses a user in none of the allowed groups (user_not_in_allowed_group)', () => {
    expect(refusal({ ...alice, groups: ['Everyone', 'Marketing'] }, ruled(['Engineering']))).toBe('user_not_in_allowed_group');
  });

  it('refuses a user with an empty groups list (user_not_in_allowed_group)', () => {
    expect(refusal({ ...alice, groups: [] }, ruled(['Engineering']))).toBe('user_not_in_allowed_group');
  });

  it.each([
    ['another letter case', 'engineering'],
    ['a trailing space', 'Engineering '],
    ['a leading space', ' Engineering'],
    ['full-width letters (NFKC would map them)', 'Ｅｎｇｉｎｅｅｒｉｎｇ'],
    ['a zero-width space', 'Engi\u200Bneering'],
    ['a Keycloak full path for a name', '/Engineering'],
    ['a prefix', 'Engineering-contractors'],
  ])('compares exactly: a group with %s is not the allowed one', (_name, sent) => {
    expect(refusal({ ...alice, groups: [sent] }, ruled(['Engineering']))).toBe('user_not_in_allowed_group');
  });

  it('compares exactly the other way too: a Keycloak name is not the allowed full path', () => {
    expect(refusal({ ...alice, groups: ['team'] }, ruled(['/team']))).toBe('user_not_in_allowed_group');
    expect(userFromClaims({ ...alice, groups: ['/team'] }, ruled(['/team'])).email).toBe('alice@example.com');
  });

  it('refuses a missing groups claim (user_groups_missing)', () => {
    expect(refusal(alice, ruled(['Engineering']))).toBe('user_groups_missing');
  });

  it('reads the configured claim, not groups', () => {
    const p = ruled(['Engineering'], 'roles');
    expect(refusal({ ...alice, groups: ['Engineering'] }, p)).toBe('user_groups_missing');
    expect(userFromClaims({ ...alice, roles: ['Engineering'] }, p).email).toBe('alice@example.com');
  });

  it('reads only own claims: a claim named after an Object member is missing, not the prototype', () => {
    expect(refusal(alice, ruled(['Engineering'], 'constructor'))).toBe('user_groups_missing');
    expect(refusal(alice, ruled(['Engineering'], 'toString'))).toBe('user_groups_missing');
  });

  it.each([
    ['a single string', 'Engineering'],
    ['a comma-joined string', 'Engineering,Sales'],
    ['null', null],
    ['a number', 7],
    ['an object', { Engineering: true }],
    ['true', true],
  ])('refuses a groups claim that is %s (user_groups_claim_invalid)', (_name, value) => {
    expect(refusal({ ...alice, groups: value }, ruled(['Engineering', 'Engineering,Sales']))).toBe('user_groups_claim_invalid');
  });

  it.each([
    ['a number', 1],
    ['null', null],
    ['an object', { name: 'Engineering' }],
    ['a nested list', ['Engineering']],
    ['a boolean', false],
  ])('refuses a groups list holding %s, even beside an allowed group (user_groups_claim_invalid)', (_name, element) => {
    expect(refusal({ ...alice, groups: ['Engineering', element] }, ruled(['Engineering']))).toBe('user_groups_claim_invalid');
    expect(refusal({ ...alice, groups: [element, 'Engineering'] }, ruled(['Engineering']))).toBe('user_groups_claim_invalid');
  });

  it('refuses an Entra ID group overage (_claim_names.groups) as user_groups_overage', () => {
    const overage = { ...alice, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/t/users/u/getMemberObjects' } } };
    expect(refusal(overage, ruled(['Engineering']))).toBe('user_groups_overage');
  });

  it('refuses an overage even when a groups value came along (the list is not the whole)', () => {
    expect(refusal({ ...alice, groups: ['Engineering'], _claim_names: { groups: 'src1' } }, ruled(['Engineering']))).toBe('user_groups_overage');
  });

  it("refuses Entra's implicit-flow overage mark (hasgroups: true) when no groups are sent", () => {
    expect(refusal({ ...alice, hasgroups: true }, ruled(['Engineering']))).toBe('user_groups_overage');
    expect(refusal({ ...alice, hasgroups: 'true' }, ruled(['Engineering']))).toBe('user_groups_overage');
  });

  it('is not an overage when _claim_names names another claim', () => {
    expect(refusal({ ...alice, _claim_names: { roles: 'src1' } }, ruled(['Engineering']))).toBe('user_groups_missing');
    expect(userFromClaims({ ...alice, groups: ['Engineering'], _claim_names: { roles: 'src1' } }, ruled(['Engineering'])).email).toBe('alice@example.com');
  });

  it('runs after the email checks: an unverified user is refused as such, whatever the groups', () => {
    expect(refusal({ ...alice, email_verified: false, groups: ['Engineering'] }, ruled(['Engineering']))).toBe('user_email_unverified');
  });

  it('says in the log detail which claim was refused and why, for whoever holds the reference', () => {
    const detail = (claims: Record<string, unknown>) => {
      const decision = accessDecision(claims, ruled(['Engineering']));
      return decision.kind === 'refused' ? decision.detail : '';
    };
    expect(detail({ ...alice, _claim_names: { groups: 'src1' } })).toContain('_claim_names');
    expect(detail({ ...alice, hasgroups: true })).toContain('hasgroups');
    expect(detail({ ...alice, groups: null })).toContain('groups claim is null');
    expect(detail({ ...alice, groups: 'Engineering' })).toContain('groups claim is string');
    expect(detail({ ...alice, groups: ['Engineering', 1] })).toContain('not a string');
    expect(detail({ ...alice, groups: ['Sales', 'Ops'] })).toContain('none of the 2 groups in groups');
  });

  it('never names a group in the refusal detail (it goes to the log)', () => {
    for (const claims of [{ ...alice, groups: ['Secret-Project-X'] }, { ...alice, groups: ['Secret-Project-X', 3] }]) {
      const decision = accessDecision(claims, ruled(['Secret-Project-Y']));
      expect(decision.kind).toBe('refused');
      expect(JSON.stringify(decision)).not.toMatch(/Secret-Project/);
    }
  });

  it('takes the ID token groups over userinfo, and userinfo groups only when the ID token has none', () => {
    const fromIdToken = mergedClaims({ ...alice, groups: ['Marketing'] }, { sub: alice.sub, groups: ['Engineering'] }, ['email']);
    expect(refusal(fromIdToken, ruled(['Engineering']))).toBe('user_not_in_allowed_group');
    const fromUserinfo = mergedClaims(alice, { sub: alice.sub, groups: ['Engineering'] }, ['email']);
    expect(userFromClaims(fromUserinfo, ruled(['Engineering'])).email).toBe('alice@example.com');
  });

  it('has a 403 page of its own for each refusal', () => {
    for (const code of ['user_not_in_allowed_group', 'user_groups_missing', 'user_groups_claim_invalid', 'user_groups_overage'] as const) {
      expect(bridgeErrorCodes).toContain(code);
      expect(publicError(code).status).toBe(403);
    }
  });
});

describe('access rule: the schema', () => {
  const problems = (extra: Record<string, unknown>) => {
    const checked = checkConfig({ ...base, ...extra }, { allowLoopbackHttp: false });
    return checked.ok ? [] : checked.problems.map((p) => p.path);
  };

  it('accepts up to 100 groups of up to 256 characters (control)', () => {
    expect(problems({ allowedGroups: Array.from({ length: 100 }, (_, i) => `g${i}`.padEnd(256, 'x')) })).toEqual([]);
  });

  it('refuses more than 100 groups', () => {
    expect(problems({ allowedGroups: Array.from({ length: 101 }, (_, i) => `g${i}`) })).toEqual(['allowedGroups']);
  });

  it.each([
    ['empty', ''],
    ['over 256 characters', 'x'.repeat(257)],
    ['with a leading space', ' Engineering'],
    ['with a trailing space', 'Engineering '],
    ['with a control character', 'Engi\u0007neering'],
    ['with a zero-width space', 'Engi\u200Bneering'],
    ['with a bidi override', 'Engi\u202Eneering'],
  ])('refuses a group name %s', (_name, group) => {
    expect(problems({ allowedGroups: ['Sales', group] })).toEqual(['allowedGroups.1']);
  });

  it('refuses a groups claim that is not a claim name', () => {
    expect(problems({ groupsClaim: 'my groups' })).toEqual(['groupsClaim']);
  });
});
