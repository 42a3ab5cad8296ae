import { z } from 'zod';
import { BridgeError, publicError } from '../errors.js';
import { mapTestUser } from '../login/connection-test.js';
import { storageKeys } from '../storage-keys.js';
import { adminSettingsSchema, settingsMaskOfStep } from '../config-fields.js';
import { checkRawConfig, PLACEHOLDERS, settingsToRawConfig } from '../stored-config.js';
import { loadSetupState, scopeOf, targetFields, type SetupState } from './setup-state.js';
import { actorHash, isTooLargeMarker, type LastTestClaims } from '../test-login.js';
import type { AccessRulePreview, AdminSettings, UsersPreviewResponse } from './admin-api-types.js';
import { adviceFor } from './test-advice.js';
import { accessDecision, type AccessRefusalCode, type AccessRule } from '../../upstream-oidc/access-rule.js';
import type { ConfigProblem } from '../config.js';
import { fieldProblems, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { mergeSettings } from './config-save.js';

const requestSchema = z.strictObject({
  ...targetFields,
  settings: adminSettingsSchema('strict').pick(settingsMaskOfStep('users')).optional(),
});

const lastTestSchema = z.object({ claims: z.record(z.string(), z.unknown()), finishedAt: z.number(), expiresAt: z.number() });

/**
 * `users/preview`: step 7's settings, unsaved, applied to the claims of the last connection
 * test this admin ran, with the login's own checks and mapping: the NameID and attributes Atlassian would get,
 * or the code this user would be refused with.
 */
export async function usersPreview(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<UsersPreviewResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const saved = await loadSetupState(ctx, parsed.value);
  const last = await readLastTest(ctx, saved);
  if (!last) return { state: 'no_test' };
  return previewClaims(ctx, saved, mergeSettings(saved.settings, parsed.value.settings ?? {}), last.claims);
}

/**
 * The claims of the last connection test this admin ran of this provider, while they are kept;
 * another admin's test user is not theirs to see.
 */
export async function readLastTest(ctx: AdminContext, state: Pick<SetupState, 'connectionId' | 'providerId'>): Promise<LastTestClaims | undefined> {
  const last = lastTestSchema.safeParse(await ctx.ports.store.get(storageKeys.wizardLastTest(state.connectionId, state.providerId, actorHash(ctx.actor))));
  if (!last.success || last.data.expiresAt <= ctx.ports.clock.now()) return undefined;
  return { claims: last.data.claims as LastTestClaims['claims'], finishedAt: last.data.finishedAt, expiresAt: last.data.expiresAt };
}

/**
 * `settings` applied to a test's claims with the login's own checks and mapping: the NameID and
 * attributes Atlassian would get, or the code this user would be refused with.
 */
export function previewClaims(
  ctx: AdminContext,
  state: Pick<SetupState, 'connectionId' | 'providerId'>,
  settings: AdminSettings,
  claims: LastTestClaims['claims'],
): Exclude<UsersPreviewResponse, { state: 'no_test' }> {
  const { checksDomains, checked } = userSettingsConfig(ctx, state, settings);
  if (!checked.ok) return { state: 'invalid', errors: fieldProblems(checked.problems) };
  let config = checked.config;
  const extraWarnings: ConfigProblem[] = [];
  const access = accessRulePreview(claims, config);
  if (access?.verdict === 'not_checked') {
    // The test judged the whole claim; the stored copy is only a marker, so the preview leaves the rule out and says so.
    config = { ...config, allowedGroups: [] };
    extraWarnings.push({ path: 'allowedGroups', message: access.message });
  }
  const extra = access ? { access } : {};
  try {
    const mapped = mapTestUser(claims, config, checksDomains);
    const warnings = [...mapped.warnings, ...extraWarnings];
    return {
      state: 'accepted',
      claims,
      nameId: mapped.subject.nameId,
      nameIdFormat: mapped.subject.nameIdFormat,
      attributes: mapped.subject.attributes.map((a) => ({ name: a.name, values: [...a.values] })),
      ...(warnings.length ? { warnings: fieldProblems(warnings) } : {}),
      ...extra,
    };
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    const { title, message } = publicError(error.code);
    return { state: 'refused', claims, code: error.code, title, message, ...extra };
  }
}

/**
 * The access rule alone on the test's claims, with the same `accessDecision` a login runs, in
 * words for the admin; undefined without a rule. Group names appear here (the admin's own test
 * user and their own list), never in a log line.
 */
export function accessRulePreview(claims: LastTestClaims['claims'], rule: AccessRule): AccessRulePreview | undefined {
  const claim = rule.groupsClaim;
  if (rule.allowedGroups.length > 0 && isTooLargeMarker(Object.hasOwn(claims, claim) ? claims[claim] : undefined)) {
    return {
      verdict: 'not_checked',
      message: `The last test's ${claim} claim was too large to keep, so this preview could not apply the group rule; the test itself did (see its result), and every login does.`,
    };
  }
  const decision = accessDecision(claims, rule);
  if (decision.kind === 'no_rule') return undefined;
  if (decision.kind === 'allowed') {
    return { verdict: 'allowed', group: decision.group, message: `This test user would be allowed: their ${claim} claim lists "${decision.group}", one of the allowed groups.` };
  }
  const why: Record<AccessRefusalCode, string> = {
    user_not_in_allowed_group: `their ${claim} claim lists ${decision.groupCount ?? 0} group${decision.groupCount === 1 ? '' : 's'}, and none of them is exactly one of the allowed groups (letter case, spaces and a leading / count).`,
    user_groups_missing: `the last test's claims have no ${claim} claim.`,
    user_groups_claim_invalid: `${decision.detail}; it must be a list of group names.`,
    user_groups_overage: 'the provider left the groups out (Entra ID group overage).',
  };
  const advice = adviceFor(decision.code)?.message;
  return { verdict: 'refused', code: decision.code, message: `This test user would be refused (${decision.code}): ${why[decision.code]}${advice ? ` ${advice}` : ''}` };
}

/**
 * The configuration a login would run with for these user settings, fully defaulted, before the
 * provider's and Guard's values are complete: those are filled with placeholders that are never
 * used. `checksDomains` false: no allowed domains yet, so the user's own is accepted.
 */
export function userSettingsConfig(ctx: AdminContext, state: Pick<SetupState, 'connectionId' | 'providerId'>, settings: AdminSettings) {
  const checksDomains = (settings.allowedEmailDomains?.length ?? 0) > 0;
  const raw = {
    ...settingsToRawConfig(settings, PLACEHOLDERS.oidc.clientSecret, ctx.baseUrl),
    oidc: { ...PLACEHOLDERS.oidc },
    serviceProvider: { ...PLACEHOLDERS.serviceProvider },
    allowedEmailDomains: checksDomains ? settings.allowedEmailDomains : [PLACEHOLDERS.domain],
  };
  return { checksDomains, checked: checkRawConfig(raw, scopeOf(ctx, state)) };
}
