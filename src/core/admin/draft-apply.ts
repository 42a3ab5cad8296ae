import { z } from 'zod';
import { storageKeys } from '../storage-keys.js';
import type { Json } from '../ports.js';
import { evaluateSettings, testConfigFrom } from '../stored-config.js';
import { connectionFieldPath, settingsOf, withConnection } from '../connections/connections-document.js';
import { draftDifferences, draftSecretOf, draftTests, forgetDraft, readDraft } from '../connections/connection-draft.js';
import { APPLY_UNTESTED_CONFIRMATION, type DraftApplyResponse, type DraftDiscardResponse, type FieldProblem } from './admin-api-types.js';
import { fieldProblems, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { changeConnections, recordChange, summarizeConnections } from './connection-changes.js';
import { loadSetupState, setupStatus, targetFields } from './setup-state.js';

const applySchema = z.strictObject({ ...targetFields, confirmUntested: z.string().max(100).optional() });
const discardSchema = z.strictObject(targetFields);

/**
 * `draft/apply` (owners only, `RESOLVER_ACCESS`): makes a connection's draft the stored
 * connection that logins read. Allowed when a connection test of exactly this draft passed for
 * every provider of the connection, or when the admin typed `APPLY UNTESTED`, which the audit
 * trail records as `connection.apply-untested`. Refused when the draft is incomplete (no typed
 * word makes a broken configuration the one users get) or stale (the applied connection changed
 * since the draft was started). The draft's new secrets are moved into place before the document
 * is written under compare-and-set, as `config/save` does, so a reader of the new document finds
 * the new secret.
 */
export async function draftApply(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<DraftApplyResponse>> {
  const parsed = parsePayload(applySchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const state = await loadSetupState(ctx, parsed.value);
  const draft = state.draft?.record;
  const applied = state.connection;
  if (!draft || !applied) return { ok: false, reason: 'no_draft', message: 'This connection has no draft to apply. Reload the page.' };
  const { connectionId } = state;
  if (applied.revision !== draft.baseRevision) {
    return { ok: false, reason: 'stale', message: 'The applied connection changed since this draft was started. Discard the draft and make the change again.' };
  }
  const options = { allowLoopbackHttp: ctx.allowLoopbackHttp };
  const providers = await Promise.all(
    draft.connection.providers.map(async ({ id }) => {
      const secret = await draftSecretOf(ctx.ports.secrets, connectionId, id);
      const settings = settingsOf(draft.connection, id) ?? {};
      return { id, secret, settings, evaluation: evaluateSettings(settings, secret.secret, ctx.baseUrl, { ...options, scope: { connectionId, providerId: id } }) };
    }),
  );
  const problems: FieldProblem[] = providers.flatMap((p) => (p.evaluation.ok ? [] : fieldProblems(p.evaluation.problems).map((problem) => ({ ...problem, path: connectionFieldPath(problem.path, p.id) }))));
  if (problems.length) {
    return { ok: false, reason: 'incomplete', message: 'The draft is incomplete or has a wrong value, so it cannot be applied. Complete it, or discard it.', problems };
  }
  const tests = await draftTests(ctx.ports, draft, ctx.baseUrl, options);
  const tested = tests.every((t) => t.passed);
  const confirmed = parsed.value.confirmUntested?.trim() === APPLY_UNTESTED_CONFIRMATION;
  if (!tested && !confirmed) {
    return {
      ok: false,
      reason: 'untested',
      message: `The draft has not passed a connection test. Run the test (step 4), or type ${APPLY_UNTESTED_CONFIRMATION} to apply it untested.`,
    };
  }

  const fields = draftDifferences(applied, draft.connection);
  for (const provider of providers) {
    if (provider.secret.own) await ctx.ports.secrets.setSecret(storageKeys.clientSecret(connectionId, provider.id), provider.secret.secret as string);
  }
  const written = await changeConnections(ctx, (current) => {
    const existing = current.connections.find((c) => c.id === connectionId);
    if (!existing || existing.revision !== draft.baseRevision) {
      return { ok: false, reason: 'conflict', message: 'The applied connection changed since this draft was started. Discard the draft and make the change again.' };
    }
    return { ok: true, document: withConnection(current, { ...draft.connection, revision: existing.revision }) };
  });
  if (!written.ok) return { ok: false, reason: written.reason === 'conflict' ? 'stale' : 'conflict', message: written.message };

  // The applied settings' test results: a tested draft's pass now vouches for the applied
  // provider settings; an untested apply leaves none, so the page cannot say live until a test passes.
  const now = ctx.ports.clock.now();
  for (const provider of providers) {
    const test = testConfigFrom(provider.settings, provider.secret.secret, ctx.baseUrl, { ...options, scope: { connectionId, providerId: provider.id } });
    if (tested && test.ok) {
      await ctx.ports.store.set(storageKeys.wizardTestPassed(connectionId, provider.id), { fingerprint: test.test.providerFingerprint, at: now } as Json);
    } else {
      await ctx.ports.store.delete(storageKeys.wizardTestPassed(connectionId, provider.id));
    }
  }
  await forgetDraft(ctx.ports, connectionId, [...applied.providers, ...draft.connection.providers].map((p) => p.id));
  await recordChange(ctx, { action: tested ? 'connection.apply' : 'connection.apply-untested', connectionId, fields });
  const after = await loadSetupState(ctx, { connectionId, providerId: state.providerId });
  return { ok: true, untested: !tested, status: setupStatus(after), connection: summarizeConnections(ctx, written.document).find((c) => c.id === connectionId)! };
}

/** `draft/discard` (owners only): drops a connection's draft and its secrets; users keep the applied settings. */
export async function draftDiscard(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<DraftDiscardResponse>> {
  const parsed = parsePayload(discardSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const state = await loadSetupState(ctx, parsed.value);
  const draft = await readDraft(ctx.ports.store, state.connectionId);
  if (!draft || !state.connection) return { ok: false, reason: 'no_draft', message: 'This connection has no draft. Reload the page.' };
  const fields = draftDifferences(state.connection, draft.connection);
  await forgetDraft(ctx.ports, state.connectionId, [...state.connection.providers, ...draft.connection.providers].map((p) => p.id));
  await recordChange(ctx, { action: 'connection.draft-discard', connectionId: state.connectionId, fields });
  const after = await loadSetupState(ctx, { connectionId: state.connectionId, providerId: state.providerId });
  return { ok: true, status: setupStatus(after), connection: summarizeConnections(ctx, after.document).find((c) => c.id === state.connectionId)! };
}
