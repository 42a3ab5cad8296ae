import { z } from 'zod';
import { BridgeError, publicError } from '../errors.js';
import { mapTestUser } from '../login/connection-test.js';
import { storageKeys } from '../storage-keys.js';
import { adminSettingsSchema, settingsMaskOfStep } from '../config-fields.js';
import { checkRawConfig, PLACEHOLDERS, settingsToRawConfig } from '../stored-config.js';
import { loadSetupState, scopeOf, targetFields } from './setup-state.js';
import { actorHash, type LastTestClaims } from '../test-login.js';
import type { UsersPreviewResponse } from './admin-api-types.js';
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
  const { store, clock } = ctx.ports;
  const saved = await loadSetupState(ctx, parsed.value);
  // This admin's own last test only: another admin's test user is not theirs to see.
  const last = lastTestSchema.safeParse(await store.get(storageKeys.wizardLastTest(saved.connectionId, saved.providerId, actorHash(ctx.actor))));
  if (!last.success || last.data.expiresAt <= clock.now()) return { state: 'no_test' };
  const claims = last.data.claims as LastTestClaims['claims'];

  const merged = mergeSettings(saved.settings, parsed.value.settings ?? {});
  const checksDomains = (merged.allowedEmailDomains?.length ?? 0) > 0;
  // Only the user settings matter here; the rest is filled with placeholders that are never used.
  const raw = {
    ...settingsToRawConfig(merged, PLACEHOLDERS.oidc.clientSecret, ctx.baseUrl),
    oidc: { ...PLACEHOLDERS.oidc },
    serviceProvider: { ...PLACEHOLDERS.serviceProvider },
    allowedEmailDomains: checksDomains ? merged.allowedEmailDomains : [PLACEHOLDERS.domain],
  };
  const checked = checkRawConfig(raw, scopeOf(ctx, saved));
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
