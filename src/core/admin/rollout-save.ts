import { loggedActor } from '../test-login.js';
import { z } from 'zod';
import { storageKeys } from '../storage-keys.js';
import type { RolloutChecklist, RolloutSaveResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { loadSetupState, ROLLOUT_ITEMS, setupStatus, targetFields, updatedState } from './setup-state.js';
import { recordChange } from './connection-changes.js';

const requestSchema = z.strictObject({
  ...targetFields,
  rollout: z.strictObject({
    domainLinked: z.boolean().optional(),
    testPolicyCreated: z.boolean().optional(),
    adminOutsideSso: z.boolean().optional(),
    enforced: z.boolean().optional(),
  }),
});

/**
 * `rollout/save`: ticks of step 8's checklist (done in Atlassian's admin, so the bridge can only
 * record what the admin says). SSO counts as live when every item is ticked and the
 * configuration is complete. Changes are audited like configuration changes.
 */
export async function rolloutSave(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<RolloutSaveResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const state = await loadSetupState(ctx, parsed.value);
  const rollout: RolloutChecklist = { ...state.rollout };
  for (const item of ROLLOUT_ITEMS) {
    const value = parsed.value.rollout[item];
    if (value !== undefined) rollout[item] = value;
  }
  const changed = ROLLOUT_ITEMS.filter((item) => rollout[item] !== state.rollout[item]);
  if (changed.length) {
    await ctx.ports.store.set(storageKeys.wizardRollout(state.connectionId), { ...rollout });
    ctx.ports.logger.log('info', 'rollout.changed', { actor: loggedActor(ctx.actor), items: changed.map((item) => `${item}=${rollout[item]}`).join(',') });
    await recordChange(ctx, { action: 'rollout.update', connectionId: state.connectionId, fields: changed.map((item) => `rollout.${item}`) });
  }
  return { rollout, status: setupStatus(updatedState(ctx, state, { rollout })) };
}
