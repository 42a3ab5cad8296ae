import { z } from 'zod';
import { describeConfigFields } from '../config.js';
import { storageKeys } from '../storage-keys.js';
import { actorHash } from '../test-login.js';
import type { AdminSettings, ConfigGetResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { bridgeValues, loadSetupState, settingsWarnings, setupStatus } from './setup-state.js';

const latestTestSchema = z.object({ testId: z.string(), expiresAt: z.number() });

/**
 * `config/get`: the saved settings, the bridge's own values, the overview status, the rollout
 * checklist, field help from the config schema, and warnings. Never a secret: the settings
 * record holds none, and of the signing key only the certificate is used.
 */
export async function configGet(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConfigGetResponse>> {
  const parsed = parsePayload(z.strictObject({}), payload);
  if (!parsed.ok) return parsed.refusal;
  const [state, credentials, latest] = await Promise.all([
    loadSetupState(ctx),
    ctx.signingCredentials(),
    ctx.ports.store.get(storageKeys.wizardLatestTest(actorHash(ctx.actor))),
  ]);
  const latestTest = latestTestSchema.safeParse(latest);
  const warnings = settingsWarnings(state.settings);
  if (state.read.state === 'unreadable') {
    warnings.unshift({ path: '', message: 'The saved settings could not be read. Saving the steps again replaces them.' });
  }
  return {
    settings: copySettings(state.settings),
    bridge: bridgeValues(ctx, credentials, state.evaluation.ok ? state.evaluation.config : undefined),
    status: setupStatus(state),
    rollout: state.rollout,
    fieldHelp: describeConfigFields(),
    warnings,
    ...(latestTest.success && latestTest.data.expiresAt > ctx.ports.clock.now() ? { lastTestId: latestTest.data.testId } : {}),
  };
}

/** A deep copy, so nothing shared with the state object travels outward by reference. */
export function copySettings(settings: AdminSettings): AdminSettings {
  return JSON.parse(JSON.stringify(settings)) as AdminSettings;
}
