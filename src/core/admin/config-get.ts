import { z } from 'zod';
import { configFieldInfo, describeConfigFields } from '../config-fields.js';
import { storageKeys } from '../storage-keys.js';
import { actorHash } from '../test-login.js';
import type { AdminSettings, ConfigGetResponse } from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { bridgeValues, loadSetupState, settingsWarnings, setupStatus, targetFields } from './setup-state.js';
import { summarizeConnections } from './connection-changes.js';
import { newConnection } from '../connections/connections-document.js';
import { certificateStatus, connectionKeyRing } from './certificates.js';

const latestTestSchema = z.object({ testId: z.string(), expiresAt: z.number() });

/**
 * `config/get`: the saved settings, the bridge's own values, the overview status, the rollout
 * checklist, field help and labels from the field table, and warnings. Never a secret: the settings
 * record holds none, and of the signing key only the certificate is used.
 */
export async function configGet(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConfigGetResponse>> {
  const parsed = parsePayload(z.strictObject(targetFields), payload);
  if (!parsed.ok) return parsed.refusal;
  const state = await loadSetupState(ctx, parsed.value);
  if (parsed.value.connectionId && !state.connection) return badRequest('There is no such connection. Reload the page.');
  if (state.connection && !state.connection.providers.some((p) => p.id === state.providerId)) return badRequest('There is no such provider in this connection. Reload the page.');
  const [ring, latest] = await Promise.all([
    connectionKeyRing(ctx, state.connectionId),
    ctx.ports.store.get(storageKeys.wizardLatestTest(actorHash(ctx.actor), state.connectionId, state.providerId)),
  ]);
  const latestTest = latestTestSchema.safeParse(latest);
  const warnings = settingsWarnings(state.settings);
  if (state.read.state === 'unreadable') {
    warnings.unshift({ path: '', message: 'The saved settings could not be read. Saving the steps again replaces them.' });
  }
  const connections = summarizeConnections(ctx, state.document);
  return {
    connection: connections.find((c) => c.id === state.connectionId) ?? summarizeConnections(ctx, { v: 2, revision: 0, connections: [newConnection(state.connectionId, 'Atlassian', state.providerId)] })[0]!,
    providerId: state.providerId,
    connections,
    settings: copySettings(state.settings),
    bridge: bridgeValues(ctx, ring.active.certificatePem, state.connectionId),
    certificate: certificateStatus(ring, ctx.ports.clock.now()),
    status: setupStatus(state),
    rollout: state.rollout,
    fieldHelp: describeConfigFields(),
    fields: configFieldInfo(),
    warnings,
    ...(latestTest.success && latestTest.data.expiresAt > ctx.ports.clock.now() ? { lastTestId: latestTest.data.testId } : {}),
  };
}

/** A deep copy, so nothing shared with the state object travels outward by reference. */
export function copySettings(settings: AdminSettings): AdminSettings {
  return JSON.parse(JSON.stringify(settings)) as AdminSettings;
}
