import { z } from 'zod';
import { storageKeys } from '../storage-keys.js';
import { changedLeafPaths, leafValues } from '../leaf-paths.js';
import { adminSettingsSchema, atomicValue, CONFIG_FIELDS, configFieldEntries, isGroup, KEY_AUTH_METHOD, requiredInFile, type FieldTable } from '../config-fields.js';
import { ensureProviderClientKey } from './client-keys.js';
import { evaluateSettings } from '../stored-config.js';
import { copySettings } from './config-get.js';
import { applySettings, connectionFieldPath, newConnection, settingsOf, withConnection } from '../connections/connections-document.js';
import { changeConnections, recordChange, revisionConflict, summarizeConnections } from './connection-changes.js';
import type { AdminSettings, ConfigSaveResponse, FieldProblem, WizardStep } from './admin-api-types.js';
import { draftDifferences, forgetDraft, writeDraft } from '../connections/connection-draft.js';
import { badRequest, fieldProblems, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { guardValueProblems } from './guard-values.js';
import { IDP_TARGET_MESSAGES, idpInitiatedTarget } from '../login/steps/idp-initiated-target.js';
import { secretRebindingProblem } from './secret-rebinding.js';
import { inUse, loadSetupState, progressRecord, scopeOf, settingsWarnings, setupStatus, targetFields, updatedState, WIZARD_STEPS, type SetupState } from './setup-state.js';

const requestSchema = z.strictObject({
  ...targetFields,
  settings: adminSettingsSchema('strict'),
  clientSecret: z.string().max(4096).optional(),
  step: z.enum(WIZARD_STEPS).optional(),
  expectedRevision: z.number().int().min(1).optional(),
});

/**
 * `config/save`: merges the patch into the saved settings of one provider of one connection,
 * validates the merged whole with the one config schema, and stores it only when the fields in
 * the patch are valid. Fields of later steps that are still missing are not errors (they show
 * in `status.missing`). The client secret goes to secret storage only. The connection is
 * written under compare-and-set: a save against an older revision than the stored one is
 * refused as a conflict. Every change is recorded in the audit trail with the changed paths and
 * who changed them, never a value.
 */
export async function configSave(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConfigSaveResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { settings: patch, step, expectedRevision } = parsed.value;
  // A pasted secret often carries a line break or space from the clipboard; no provider issues
  // secrets with leading or trailing whitespace.
  const newSecret = parsed.value.clientSecret?.trim() || undefined;

  const before = await loadSetupState(ctx, parsed.value);
  if (before.connection && !before.connection.providers.some((p) => p.id === before.providerId)) {
    return badRequest('There is no such provider in this connection. Reload the page.');
  }
  if (!before.connection && parsed.value.connectionId && before.document.connections.length) {
    return badRequest('There is no such connection. Reload the page.');
  }
  const merged = mergeSettings(before.settings, patch);
  const clientSecret = newSecret ?? before.clientSecret;
  const touched = touchedPaths(patch);
  if (newSecret !== undefined) touched.push('oidc.clientSecret');
  const { errors, warnings, swapGuardValues } = settingsSaveProblems(ctx, before, merged, touched, newSecret);
  if (errors.length) return { ok: false, errors, warnings, ...(swapGuardValues ? { swapGuardValues: true as const } : {}) };

  const changed = changedPaths(before.settings, merged);
  const secretChanged = newSecret !== undefined && newSecret !== before.clientSecret;
  const { connectionId, providerId } = before;
  // The method that signs with a key gets its key with the save that chooses it, so the wizard
  // can show the JWKS to register before the first test.
  const wantsClientKey = merged.oidc?.clientAuthMethod === KEY_AUTH_METHOD;
  if (before.connection && (before.draft || inUse(before))) {
    const drafted = await saveDraft(ctx, before, { patch, newSecret: secretChanged ? newSecret : undefined, changed, step, expectedRevision, warnings });
    if (wantsClientKey && drafted.ok) await ensureProviderClientKey(ctx, { connectionId, providerId });
    return drafted;
  }
  // The secret first, then the document: a reader that sees the new document (and so a new
  // revision, see connections/directory.ts) must find the new secret, or it would cache the old
  // one under it.
  if (secretChanged) await ctx.ports.secrets.setSecret(storageKeys.clientSecret(connectionId, providerId), newSecret);
  let document = before.document;
  if (changed.length || secretChanged || !before.connection) {
    const secretRevision = secretChanged ? ctx.ports.random.token(12) : undefined;
    const written = await changeConnections(ctx, (current) => {
      const existing = current.connections.find((c) => c.id === connectionId);
      // A connection deleted since the read is refused, not made again from this one patch.
      const conflict = existing || before.connection ? revisionConflict(existing, expectedRevision ?? before.connection?.revision) : undefined;
      if (conflict) return conflict;
      const base = existing ?? newConnection(connectionId, 'Atlassian', providerId);
      // Only the fields this save changed are applied over the stored ones. The secret rule
      // above was judged on the settings read; a connection changed since then is a revision
      // conflict here, so it cannot be bypassed by racing another admin's save.
      const next = applySettings(base, providerId, mergeSettings(settingsOf(base, providerId) ?? {}, patch));
      if (secretRevision) next.providers.find((p) => p.id === providerId)!.secretRevision = secretRevision;
      return { ok: true, document: withConnection(current, next) };
    });
    if (!written.ok) {
      return { ok: false, errors: [{ path: '', message: written.message }], warnings, ...(written.reason === 'conflict' ? { conflict: true as const } : {}) };
    }
    document = written.document;
  }
  let progress = before.progress;
  if (step && !progress.includes(step)) {
    progress = [...progress, step];
    await ctx.ports.store.set(storageKeys.wizardProgress(connectionId), progressRecord(progress));
  }
  if (changed.length || secretChanged) {
    await recordChange(ctx, {
      action: 'connection.update',
      connectionId,
      fields: [...changed, ...(secretChanged ? ['oidc.clientSecret'] : [])].map((path) => connectionFieldPath(path, providerId)),
    });
  }
  if (wantsClientKey) await ensureProviderClientKey(ctx, { connectionId, providerId });
  const after = updatedState(ctx, before, { settings: merged, clientSecret, progress, document });
  const summary = summarizeConnections(ctx, document).find((c) => c.id === connectionId)!;
  return { ok: true, status: setupStatus(after), warnings, connection: summary };
}

/** What `settingsSaveProblems` finds: the field errors that refuse a save, the warnings that do not. */
export interface SaveProblems {
  errors: FieldProblem[];
  warnings: FieldProblem[];
  /** Guard's two values look swapped: the page offers to swap them. */
  swapGuardValues: boolean;
}

/**
 * The field errors of a save of `merged` (the settings as they would be stored) over the state
 * `before`: the one config schema's problems of the fields the save touches (`touched`), a
 * client secret the new issuer or client id needs again, Guard's values swapped or the app's own
 * URLs pasted, and an IdP-initiated landing page off the connection's site. What config/save
 * refuses a save with, and what backup/preview and backup/import refuse a file's settings with.
 */
export function settingsSaveProblems(ctx: AdminContext, before: SetupState, merged: AdminSettings, touched: readonly string[], newSecret: string | undefined): SaveProblems {
  const evaluation = evaluateSettings(merged, newSecret ?? before.clientSecret, ctx.baseUrl, scopeOf(ctx, before));
  const errors: FieldProblem[] = evaluation.ok ? [] : evaluation.problems.filter((problem) => touched.some((path) => overlaps(problem.path, path)));
  const warnings = settingsWarnings(merged);
  const storedSecret = typeof before.clientSecret === 'string' && before.clientSecret !== '';
  const rebinding = secretRebindingProblem(before.settings, merged, { stored: storedSecret, given: newSecret !== undefined });
  // The schema never refuses the secret field too: the rule applies only to a stored secret,
  // which is a non-empty string the schema accepted when it was saved.
  if (rebinding) errors.push(rebinding);
  // Guard's two values swapped, or the app's own URLs pasted in, are valid URLs the schema
  // accepts; refused here, where the app's own address (ctx.baseUrl) is known.
  const guard = guardValueProblems(merged, ctx.baseUrl);
  const guardErrors = guard.problems.filter((problem) => touched.some((path) => overlaps(problem.path, path)) && !errors.some((e) => e.path === problem.path));
  errors.push(...guardErrors);
  const landing = idpLandingProblem(merged, [...touched], errors);
  if (landing) errors.push(landing);
  return { errors: fieldProblems(errors), warnings, swapGuardValues: guardErrors.length > 0 && guard.swappable };
}

/**
 * A save of a connection users sign in with: the change goes to the connection's draft (started
 * from the applied connection), a new secret to the draft's secret key, and the connections
 * document, which every login reads, stays as it is until `draft/apply`. A draft that no longer
 * differs from the applied connection is dropped.
 */
async function saveDraft(
  ctx: AdminContext,
  before: SetupState,
  change: { patch: AdminSettings; newSecret: string | undefined; changed: string[]; step: WizardStep | undefined; expectedRevision: number | undefined; warnings: FieldProblem[] },
): Promise<ConfigSaveResponse> {
  const { connectionId, providerId } = before;
  const applied = before.connection!;
  const conflict = revisionConflict(applied, change.expectedRevision ?? applied.revision);
  // The applied connection exists, so the only refusal is a conflict.
  if (conflict && !conflict.ok) return { ok: false, errors: [{ path: '', message: conflict.message }], warnings: change.warnings, conflict: true };
  const base = before.draft?.record.connection ?? applied;
  const next = applySettings(base, providerId, mergeSettings(settingsOf(base, providerId) ?? {}, change.patch));
  if (change.newSecret !== undefined) {
    await ctx.ports.secrets.setSecret(storageKeys.draftClientSecret(connectionId, providerId), change.newSecret);
    next.providers.find((p) => p.id === providerId)!.secretRevision = ctx.ports.random.token(12);
  }
  const draftChanged = change.changed.length > 0 || change.newSecret !== undefined;
  if (draftChanged) {
    if (draftDifferences(applied, next).length === 0) {
      await forgetDraft(ctx.ports, connectionId, [...applied.providers, ...next.providers].map((p) => p.id));
    } else {
      await writeDraft(ctx.ports.store, { v: 1, baseRevision: before.draft?.record.baseRevision ?? applied.revision, connection: next });
    }
  }
  if (change.step && !before.progress.includes(change.step)) {
    await ctx.ports.store.set(storageKeys.wizardProgress(connectionId), progressRecord([...before.progress, change.step]));
  }
  if (draftChanged) {
    await recordChange(ctx, {
      action: 'connection.draft-update',
      connectionId,
      fields: [...change.changed, ...(change.newSecret !== undefined ? ['oidc.clientSecret'] : [])].map((path) => connectionFieldPath(path, providerId)),
    });
  }
  const after = await loadSetupState(ctx, { connectionId, providerId });
  const summary = summarizeConnections(ctx, after.document).find((c) => c.id === connectionId)!;
  return { ok: true, status: setupStatus(after), warnings: change.warnings, connection: summary };
}

/** Settings paths whose value counts as one whole (atomic groups). */
const ATOMIC_PATHS = new Set(configFieldEntries().flatMap(({ path, node }) => (isGroup(node) && node.atomic ? [path] : [])));
/** Fields the file may leave out (optional, or with a default): for them, `''` means "not set". */
const OPTIONAL_PATHS = new Set(configFieldEntries().flatMap(({ path, node }) => (!isGroup(node) && !requiredInFile(node) ? [path] : [])));

/**
 * The patch applied to the saved settings, following the field table. Objects merge field by
 * field; an atomic one (`oidc.endpoints`: manual mode is all four endpoints or none) is replaced
 * as a whole, and an empty one turns manual mode off. An empty string for a field the file may
 * leave out means "not set" (back to its default); a merged object keeps no such empty string.
 * Arrays replace.
 */
export function mergeSettings(saved: AdminSettings, patch: AdminSettings): AdminSettings {
  return mergeInto(copySettings(saved), copySettings(patch), CONFIG_FIELDS, '') as AdminSettings;
}

function mergeInto(out: Record<string, unknown>, patch: Record<string, unknown>, table: FieldTable, prefix: string): Record<string, unknown> {
  for (const [key, node] of Object.entries(table)) {
    const value = patch[key];
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isGroup(node) && node.atomic) {
      const kept = atomicValue(value);
      if (kept) out[key] = kept;
      else delete out[key];
    } else if (isGroup(node)) {
      const merged = mergeInto({ ...(out[key] as Record<string, unknown> | undefined) }, value as Record<string, unknown>, node.fields, path);
      out[key] = Object.fromEntries(Object.entries(merged).filter(([inner, v]) => !(v === '' && OPTIONAL_PATHS.has(`${path}.${inner}`))));
    } else if (value === '' && OPTIONAL_PATHS.has(path)) {
      delete out[key];
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The settings paths a patch sets (atomic groups as one path). */
export function touchedPaths(patch: AdminSettings): string[] {
  return [...leafValues(patch, { whole: ATOMIC_PATHS }).keys()];
}

function changedPaths(before: AdminSettings, after: AdminSettings): string[] {
  return changedLeafPaths(leafValues(before, { whole: ATOMIC_PATHS }), leafValues(after, { whole: ATOMIC_PATHS }));
}

/**
 * The IdP-initiated landing page against the connection's site URL, judged whenever a save
 * touches either: the file schema checks each alone, and a landing page on another site than
 * the connection's would be an open redirect through Atlassian (`idpInitiatedTarget`). The
 * login start checks the stored pair again.
 */
function idpLandingProblem(merged: AdminSettings, touched: string[], errors: readonly { path: string }[]): FieldProblem | undefined {
  const paths = ['idpInitiated', 'atlassianSiteUrl'];
  if (!touched.some((path) => paths.some((own) => overlaps(own, path)))) return undefined;
  // A value the schema refused already has its message.
  if (errors.some((error) => paths.some((own) => overlaps(own, error.path)))) return undefined;
  const target = idpInitiatedTarget({ relayState: merged.idpInitiated?.relayState, siteUrl: merged.atlassianSiteUrl });
  return target.ok ? undefined : { path: 'idpInitiated.relayState', message: IDP_TARGET_MESSAGES[target.reason] };
}

/** A problem belongs to a patched field when one path contains the other. */
function overlaps(problemPath: string, touched: string): boolean {
  return problemPath === touched || problemPath.startsWith(`${touched}.`) || touched.startsWith(`${problemPath}.`);
}
