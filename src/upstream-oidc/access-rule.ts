import type { BridgeConfig } from '../core/config.js';
import { BridgeError, type BridgeErrorCode } from '../core/errors.js';

/** A provider's access rule: users in at least one of `allowedGroups`, as its `groupsClaim` lists them; no groups, no rule. */
export type AccessRule = Pick<BridgeConfig, 'groupsClaim' | 'allowedGroups'>;

/** The codes an access rule refuses with. */
export type AccessRefusalCode = Extract<BridgeErrorCode, 'user_not_in_allowed_group' | 'user_groups_missing' | 'user_groups_claim_invalid' | 'user_groups_overage'>;

export type AccessDecision =
  | { kind: 'no_rule' }
  /** `group`: the first allowed group the claim lists. */
  | { kind: 'allowed'; group: string }
  /** `detail`: for the log, so it names no group (the audit trail has the code). */
  | { kind: 'refused'; code: AccessRefusalCode; detail: string; groupCount?: number };

/**
 * The access rule against the provider's claims (the ID token's, completed from userinfo by
 * `completeAuthorization`). The claim must be a JSON array of strings, one of which equals an
 * allowed group exactly: no trimming, case folding or Unicode normalization on either side, so
 * `Admins` does not admit `admins` and `/team` does not admit `team`. A single string is not
 * taken as one group: a provider that sends one is configured otherwise than the admin thinks,
 * and a comma-joined string would read as a group name no one meant. Entra ID's group overage
 * (over 200 groups: `_claim_names` names the claim and points into `_claim_sources`; in the
 * implicit flow `hasgroups: true`) is a refusal of its own: the list is not in the token, and the
 * endpoint `_claim_sources` names is never called (it would need a Graph token, and a token
 * naming an endpoint of its own choosing is not a place to fetch authority from).
 */
export function accessDecision(claims: Readonly<Record<string, unknown>>, rule: AccessRule): AccessDecision {
  if (rule.allowedGroups.length === 0) return { kind: 'no_rule' };
  const claim = rule.groupsClaim;
  const names = claims._claim_names;
  if (names !== null && typeof names === 'object' && Object.hasOwn(names, claim)) {
    return { kind: 'refused', code: 'user_groups_overage', detail: `the groups claim ${claim} is an overage reference (_claim_names), not a list` };
  }
  // Own properties only: a claim named like an Object.prototype member must not read one.
  const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
  if (value === undefined) {
    if (claims.hasgroups === true || claims.hasgroups === 'true') {
      return { kind: 'refused', code: 'user_groups_overage', detail: `no ${claim} claim, and hasgroups says the user has too many groups for the token` };
    }
    return { kind: 'refused', code: 'user_groups_missing', detail: `no ${claim} claim` };
  }
  if (!Array.isArray(value)) return { kind: 'refused', code: 'user_groups_claim_invalid', detail: `the ${claim} claim is ${value === null ? 'null' : typeof value}, not an array` };
  if (!value.every((group): group is string => typeof group === 'string')) {
    return { kind: 'refused', code: 'user_groups_claim_invalid', detail: `the ${claim} claim holds a value that is not a string` };
  }
  const allowed = new Set(rule.allowedGroups);
  const group = value.find((candidate) => allowed.has(candidate));
  if (group === undefined) {
    return { kind: 'refused', code: 'user_not_in_allowed_group', detail: `none of the ${value.length} groups in ${claim} is allowed`, groupCount: value.length };
  }
  return { kind: 'allowed', group };
}

/** Refuses (`BridgeError` with the decision's code) unless the rule lets the user in. */
export function checkAccessRule(claims: Readonly<Record<string, unknown>>, rule: AccessRule): void {
  const decision = accessDecision(claims, rule);
  if (decision.kind === 'refused') throw new BridgeError(decision.code, decision.detail);
}
