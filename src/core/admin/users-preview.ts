import { z } from 'zod';
import { BridgeError, publicError } from '../errors.js';
import { mapTestUser } from '../login/connection-test.js';
import { storageKeys } from '../storage-keys.js';
import { adminSettingsSchema, settingsMaskOfStep } from '../config-fields.js';
import { checkRawConfig, PLACEHOLDERS, settingsToRawConfig } from '../stored-config.js';
import { loadSetupState, scopeOf, targetFields, type SetupState } from './setup-state.js';
import { actorHash, type LastTestClaims } from '../test-login.js';
import type { AdminSettings, UsersPreviewResponse } from './admin-api-types.js';
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
  try {
    const { subject, warnings } = mapTestUser(claims, checked.config, checksDomains);
    return {
      state: 'accepted',
      claims,
      nameId: subject.nameId,
      nameIdFormat: subject.nameIdFormat,
      attributes: subject.attributes.map((a) => ({ name: a.name, values: [...a.values] })),
      ...(warnings.length ? { warnings: fieldProblems(warnings) } : {}),
    };
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    const { title, message } = publicError(error.code);
    return { state: 'refused', claims, code: error.code, title, message };
  }
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
