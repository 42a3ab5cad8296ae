import { z } from 'zod';
import type { SigningCredentials } from '../../downstream-saml/signing-key.js';
import { bridgeUrls, idpInitiatedStartUrl, type BridgeConfig } from '../config.js';
import { KEY_AUTH_METHOD, settingsMaskOfStep } from '../config-fields.js';
import type { Json } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import { evaluateSettings, testConfigFrom, type SettingsProblem } from '../stored-config.js';
import { ID_PATTERN, readConnections, settingsOf, writeConnections, type ConnectionRecord, type ConnectionsRead, type ConnectionsDocument } from '../connections/connections-document.js';
import { DEFAULT_ID } from '../storage-keys.js';
import type { AdminSettings, BridgeValues, BrowserBindingStatus, DraftStatus, FieldProblem, RolloutChecklist, SetupStatus, WizardStep } from './admin-api-types.js';
import { draftDifferences, draftSecretOf, draftTests, readDraft, type ConnectionDraft } from '../connections/connection-draft.js';
import { bindingMode, parseBindingCookieCheck, type BindingCookieCheck } from '../browser-binding.js';
import type { AdminContext } from './admin-context.js';

/** The wizard's steps in order (`WizardStep`). */
export const WIZARD_STEPS = ['overview', 'callback', 'provider', 'test', 'idp-values', 'sp-values', 'users', 'enforce'] as const satisfies readonly WizardStep[];

export const ROLLOUT_ITEMS = ['domainLinked', 'testPolicyCreated', 'adminOutsideSso', 'enforced'] as const satisfies readonly (keyof RolloutChecklist)[];

const progressSchema = z.object({ steps: z.array(z.enum(WIZARD_STEPS)).max(WIZARD_STEPS.length) });
const flag = () => z.boolean().catch(false).default(false);
const rolloutSchema = z.object({ domainLinked: flag(), testPolicyCreated: flag(), adminOutsideSso: flag(), enforced: flag() });
const testPassedSchema = z.object({ fingerprint: z.string(), at: z.number() });

/** Which connection and provider a wizard call is about; every resolver accepts these two fields. */
export const targetFields = {
  connectionId: z.string().regex(ID_PATTERN, 'not a connection id').optional(),
  providerId: z.string().regex(ID_PATTERN, 'not a provider id').optional(),
};

export interface SetupTarget {
  connectionId?: string;
  providerId?: string;
}

/**
 * Everything the wizard knows about one provider of one connection, read from storage once per
 * resolver call. The client secret is read to decide whether the configuration is complete and
 * whether the last test still counts; it stays in here and never reaches a response.
 */
export interface SetupState {
  /** The stored connections (`unreadable`: the wizard starts over from empty settings). */
  read: ConnectionsRead;
  /** The document a save builds on; empty while nothing is stored. */
  document: ConnectionsDocument;
  /** The connection and provider the call is about; absent when the document has no such one. */
  connection: ConnectionRecord | undefined;
  connectionId: string;
  providerId: string;
  /** The wizard's view of that provider (`settingsOf`); empty when there is none yet. */
  settings: AdminSettings;
  clientSecret: unknown;
  evaluation: { ok: true; config: BridgeConfig } | { ok: false; problems: SettingsProblem[] };
  progress: WizardStep[];
  rollout: RolloutChecklist;
  testPassed: boolean;
  /** What the last connection test saw of the binding cookie through this host. */
  bindingCheck: BindingCookieCheck | undefined;
  /**
   * The settings users sign in with (the stored connection), apart from what the wizard edits:
   * while a draft exists, `settings`, `clientSecret`, `evaluation` and `testPassed` above are the
   * draft's, these the applied ones.
   */
  applied: AppliedState;
  /** The connection's draft, which differences it has from the applied connection, and its tests. */
  draft: DraftState | undefined;
}

export interface AppliedState {
  settings: AdminSettings;
  clientSecret: unknown;
  evaluation: { ok: true; config: BridgeConfig } | { ok: false; problems: SettingsProblem[] };
  /** A connection test of exactly these provider settings (fingerprint) passed. */
  testPassed: boolean;
}

export interface DraftState {
  record: ConnectionDraft;
  /** Connection paths the draft changes (`draftDifferences`). */
  fields: string[];
  tests: { providerId: string; passed: boolean }[];
}

/**
 * Reads the wizard's state of one provider of one connection (by default the first release's
 * `default`/`default`, or the first stored connection and its first provider): the document,
 * then five reads run together. A document migrated from the first release's single
 * configuration is stored now, so the wizard edits connections from here on.
 */
export async function loadSetupState(ctx: AdminContext, target: SetupTarget = {}): Promise<SetupState> {
  const { store, secrets } = ctx.ports;
  let read = await readConnections(store);
  if (read.state === 'ok' && read.migrated) {
    const stored = await writeConnections(store, read.document, { revision: 0, stored: false });
    read = stored ? { ...read, migrated: false } : await readConnections(store);
  }
  const document = read.state === 'ok' ? read.document : { v: 2 as const, revision: 0, connections: [] };
  const byDefault = document.connections.find((c) => c.id === DEFAULT_ID) ?? document.connections[0];
  const connection = target.connectionId ? document.connections.find((c) => c.id === target.connectionId) : byDefault;
  const connectionId = connection?.id ?? target.connectionId ?? DEFAULT_ID;
  const providerId = target.providerId ?? connection?.providers[0]?.id ?? DEFAULT_ID;
  const settings = (connection && settingsOf(connection, providerId)) || {};
  const [storedSecret, progress, rollout, passed, bindingCheck, record] = await Promise.all([
    secrets.getSecret(storageKeys.clientSecret(connectionId, providerId)),
    store.get(storageKeys.wizardProgress(connectionId)),
    store.get(storageKeys.wizardRollout(connectionId)),
    store.get(storageKeys.wizardTestPassed(connectionId, providerId)),
    store.get(storageKeys.bindingCookieCheck()),
    connection ? readDraft(store, connectionId) : undefined,
  ]);
  const applied = stateOf(ctx, { read, document, connection, connectionId, providerId, settings, clientSecret: storedSecret, progress, rollout, passed, bindingCheck });
  const appliedState: AppliedState = { settings: applied.settings, clientSecret: applied.clientSecret, evaluation: applied.evaluation, testPassed: applied.testPassed };
  const draftSettings = record && settingsOf(record.connection, providerId);
  if (!record || !draftSettings) return { ...applied, applied: appliedState, draft: undefined };
  // The wizard edits the draft: its settings, its secret (or the applied one), its test.
  const [{ secret }, tests] = await Promise.all([draftSecretOf(secrets, connectionId, providerId), draftTests(ctx.ports, record, ctx.baseUrl, { allowLoopbackHttp: ctx.allowLoopbackHttp })]);
  const edited = scopeOf(ctx, applied);
  return {
    ...applied,
    settings: draftSettings,
    clientSecret: secret,
    evaluation: evaluateSettings(draftSettings, secret, ctx.baseUrl, edited),
    testPassed: tests.find((t) => t.providerId === providerId)?.passed ?? false,
    applied: appliedState,
    draft: { record, fields: draftDifferences(connection, record.connection), tests },
  };
}

/**
 * Whether users sign in with the connection's applied settings: they are complete and the admin
 * confirmed the rollout in Guard. From then on a change goes to a draft (`config/save`).
 */
export function inUse(state: SetupState): boolean {
  return state.applied.evaluation.ok && state.read.state !== 'unreadable' && ROLLOUT_ITEMS.every((item) => state.rollout[item]);
}

/**
 * Live, derived from facts and never stored: in use (complete applied settings, rollout
 * confirmed) and a connection test of exactly the applied provider settings passed.
 */
export function isLive(state: SetupState): boolean {
  return inUse(state) && state.applied.testPassed;
}

/** Parse options of one connection and provider: its metadata URL and ids go into the configuration. */
export function scopeOf(ctx: AdminContext, state: Pick<SetupState, 'connectionId' | 'providerId'>) {
  return { allowLoopbackHttp: ctx.allowLoopbackHttp, scope: { connectionId: state.connectionId, providerId: state.providerId } };
}

/** The state after a change this call has just written, without reading storage again. */
export function updatedState(
  ctx: AdminContext,
  state: SetupState,
  change: { settings?: AdminSettings; clientSecret?: unknown; progress?: WizardStep[]; rollout?: RolloutChecklist; document?: ConnectionsDocument },
): SetupState {
  const settings = change.settings ?? state.settings;
  const clientSecret = change.clientSecret ?? state.clientSecret;
  const evaluation = change.settings || change.clientSecret !== undefined ? evaluateSettings(settings, clientSecret, ctx.baseUrl, scopeOf(ctx, state)) : state.evaluation;
  const testPassed = state.testPassed && sameProvider(ctx, state, settings, clientSecret);
  return {
    ...state,
    // Without a draft the wizard edits the applied settings themselves.
    applied: state.draft ? state.applied : { settings, clientSecret, evaluation, testPassed },
    ...(change.document ? { document: change.document, read: { state: 'ok', document: change.document, migrated: false } } : {}),
    settings,
    clientSecret,
    evaluation,
    progress: change.progress ?? state.progress,
    rollout: change.rollout ?? state.rollout,
    testPassed,
  };
}

function sameProvider(ctx: AdminContext, state: SetupState, settings: AdminSettings, clientSecret: unknown): boolean {
  const options = scopeOf(ctx, state);
  const before = testConfigFrom(state.settings, state.clientSecret, ctx.baseUrl, options);
  const after = testConfigFrom(settings, clientSecret, ctx.baseUrl, options);
  return before.ok && after.ok && before.test.providerFingerprint === after.test.providerFingerprint;
}

function stateOf(
  ctx: AdminContext,
  input: Pick<SetupState, 'read' | 'document' | 'connection' | 'connectionId' | 'providerId' | 'settings'> & {
    clientSecret: unknown;
    progress: unknown;
    rollout: unknown;
    passed: unknown;
    bindingCheck: unknown;
  },
): Omit<SetupState, 'applied' | 'draft'> {
  const options = scopeOf(ctx, input);
  const evaluation = evaluateSettings(input.settings, input.clientSecret, ctx.baseUrl, options);
  const passed = testPassedSchema.safeParse(input.passed);
  const test = testConfigFrom(input.settings, input.clientSecret, ctx.baseUrl, options);
  return {
    read: input.read,
    document: input.document,
    connection: input.connection,
    connectionId: input.connectionId,
    providerId: input.providerId,
    settings: input.settings,
    clientSecret: input.clientSecret,
    evaluation,
    progress: progressSchema.safeParse(input.progress).data?.steps ?? [],
    rollout: readRollout(input.rollout),
    testPassed: passed.success && test.ok && passed.data.fingerprint === test.test.providerFingerprint,
    bindingCheck: parseBindingCookieCheck(input.bindingCheck),
  };
}

/** The binding a login would get now, as the wizard shows it (same decision as the SSO URL). */
export function browserBindingStatus(state: SetupState): BrowserBindingStatus {
  const mode = bindingMode({ bindLoginToBrowser: state.evaluation.ok ? state.evaluation.config.bindLoginToBrowser : true }, state.bindingCheck);
  const check = state.bindingCheck;
  return {
    cookie: check ? (check.seen ? 'seen' : 'not_seen') : 'not_measured',
    ...(check ? { checkedAt: check.at } : {}),
    bound: mode.bind,
    ...(mode.reason === 'config_off' ? { offInConfig: true } : {}),
  };
}

/** The stored rollout checklist; anything unreadable counts as not ticked. */
export function readRollout(raw: unknown): RolloutChecklist {
  return rolloutSchema.safeParse(raw ?? {}).data ?? { domainLinked: false, testPolicyCreated: false, adminOutsideSso: false, enforced: false };
}

/** The stored form of wizard progress, steps in wizard order. */
export function progressRecord(steps: readonly WizardStep[]): Json {
  return { steps: WIZARD_STEPS.filter((step) => steps.includes(step)) };
}

/** The overview: what is configured, what is missing, whether SSO is live, and the next step. */
export function setupStatus(state: SetupState): SetupStatus {
  const missing = state.evaluation.ok ? [] : [...new Set(state.evaluation.problems.map((p) => p.path))];
  // What the SSO URL serves: the applied settings, whatever a draft holds.
  const configured = state.applied.evaluation.ok && state.read.state !== 'unreadable';
  const live = isLive(state);
  const clientSecretSet = typeof state.clientSecret === 'string' && state.clientSecret !== '';
  /** Nothing missing among the settings the step edits (the field table's steps). */
  const complete = (step: WizardStep) => {
    const prefixes = Object.keys(settingsMaskOfStep(step));
    return !missing.some((path) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`)));
  };
  // Steps that hold data are done when their data is complete (so a later change can undo
  // them); the informational steps are done when the admin said so.
  const done: Record<WizardStep, boolean> = {
    overview: state.progress.includes('overview'),
    callback: state.progress.includes('callback'),
    // A client with its own key needs no secret.
    provider: complete('provider') && (clientSecretSet || state.settings.oidc?.clientAuthMethod === KEY_AUTH_METHOD),
    test: state.testPassed,
    'idp-values': state.progress.includes('idp-values'),
    'sp-values': complete('sp-values'),
    users: complete('users'),
    enforce: live,
  };
  const completedSteps = WIZARD_STEPS.filter((step) => done[step]);
  const nextStep = WIZARD_STEPS.find((step) => step !== 'overview' && !done[step]) ?? 'overview';
  return {
    configured,
    missing,
    clientSecretSet,
    testPassed: state.testPassed,
    live,
    appliedTestPassed: state.applied.testPassed,
    editsGoToDraft: state.draft !== undefined || inUse(state),
    ...(state.draft ? { draft: draftStatus(state, state.draft) } : {}),
    completedSteps,
    nextStep,
    browserBinding: browserBindingStatus(state),
  };
}

/** What the page says of a draft: what it changes, whether each provider's test of it passed, whether it can be applied. */
function draftStatus(state: SetupState, draft: DraftState): DraftStatus {
  const untestedProviders = draft.tests.filter((t) => !t.passed).map((t) => t.providerId);
  return {
    fields: draft.fields,
    testPassed: untestedProviders.length === 0,
    untestedProviders,
    stale: state.connection?.revision !== draft.record.baseRevision,
  };
}

const ATLASSIAN_SP_ENTITY_ID = /^https:\/\/auth\.atlassian\.com\/saml\/[A-Za-z0-9-]+$/;
const ATLASSIAN_ACS_URL = /^https:\/\/auth\.atlassian\.com\/login\/callback\?connection=saml-[A-Za-z0-9-]+$/;

function looksLikeUrl(value: string): boolean {
  try {
    new URL(value.trim());
    return true;
  } catch {
    return false;
  }
}

/**
 * Remarks that do not block a save: Guard's values have a known shape, and a value of another
 * shape is usually a paste from the wrong field (or a test service provider).
 */
export function settingsWarnings(settings: AdminSettings): FieldProblem[] {
  const warnings: FieldProblem[] = [];
  const { entityId, acsUrl } = settings.serviceProvider ?? {};
  if (entityId && looksLikeUrl(entityId) && !ATLASSIAN_SP_ENTITY_ID.test(entityId.trim())) {
    warnings.push({
      path: 'serviceProvider.entityId',
      message: "This does not look like Atlassian Guard's SP Entity ID (https://auth.atlassian.com/saml/…). Check that it was copied from Guard.",
    });
  }
  if (acsUrl && looksLikeUrl(acsUrl) && !ATLASSIAN_ACS_URL.test(acsUrl.trim())) {
    warnings.push({
      path: 'serviceProvider.acsUrl',
      message: "This does not look like Atlassian Guard's ACS URL (https://auth.atlassian.com/login/callback?connection=saml-…). Check that it was copied from Guard.",
    });
  }
  return warnings;
}

/** The bridge's own values of one connection, for the provider and for Guard; only the public certificate. */
export function bridgeValues(ctx: AdminContext, certificatePem: string, connectionId: string = DEFAULT_ID): BridgeValues {
  const urls = bridgeUrls(ctx.baseUrl, connectionId);
  return {
    baseUrl: ctx.baseUrl.replace(/\/+$/, ''),
    callbackUrl: urls.callback,
    // The wizard's settings carry no IdP Entity ID: it is the connection's metadata URL.
    idpEntityId: urls.metadata,
    ssoUrl: urls.sso,
    metadataUrl: urls.metadata,
    idpInitiatedStartUrl: idpInitiatedStartUrl(ctx.baseUrl, connectionId),
    certificatePem,
  };
}
