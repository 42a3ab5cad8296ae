import { z } from 'zod';
import type { SigningCredentials } from '../../downstream-saml/signing-key.js';
import type { BridgeConfig } from '../config.js';
import type { Json } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import { evaluateSettings, readStoredSettings, testConfigFrom, type SettingsProblem, type StoredSettingsRead } from '../stored-config.js';
import type { AdminSettings, BridgeValues, BrowserBindingStatus, FieldProblem, RolloutChecklist, SetupStatus, WizardStep } from './admin-api-types.js';
import { bindingMode, parseBindingCookieCheck, type BindingCookieCheck } from '../browser-binding.js';
import type { AdminContext } from './admin-context.js';

/** The wizard's steps in order (`WizardStep`). */
export const WIZARD_STEPS = ['overview', 'callback', 'provider', 'test', 'idp-values', 'sp-values', 'users', 'enforce'] as const satisfies readonly WizardStep[];

export const ROLLOUT_ITEMS = ['domainLinked', 'testPolicyCreated', 'adminOutsideSso', 'enforced'] as const satisfies readonly (keyof RolloutChecklist)[];

const progressSchema = z.object({ steps: z.array(z.enum(WIZARD_STEPS)).max(WIZARD_STEPS.length) });
const flag = () => z.boolean().catch(false).default(false);
const rolloutSchema = z.object({ domainLinked: flag(), testPolicyCreated: flag(), adminOutsideSso: flag(), enforced: flag() });
const testPassedSchema = z.object({ fingerprint: z.string(), at: z.number() });

/**
 * Everything the wizard knows, read from storage once per resolver call. The client secret is
 * read to decide whether the configuration is complete and whether the last test still counts;
 * it stays in here and never reaches a response.
 */
export interface SetupState {
  read: StoredSettingsRead;
  settings: AdminSettings;
  clientSecret: unknown;
  evaluation: { ok: true; config: BridgeConfig } | { ok: false; problems: SettingsProblem[] };
  progress: WizardStep[];
  rollout: RolloutChecklist;
  testPassed: boolean;
  /** What the last connection test saw of the binding cookie through this host. */
  bindingCheck: BindingCookieCheck | undefined;
}

/** Reads the wizard's state: six reads, run together. */
export async function loadSetupState(ctx: AdminContext): Promise<SetupState> {
  const { store, secrets } = ctx.ports;
  const [read, storedSecret, progress, rollout, passed, bindingCheck] = await Promise.all([
    readStoredSettings(store),
    secrets.getSecret(storageKeys.clientSecret()),
    store.get(storageKeys.wizardProgress()),
    store.get(storageKeys.wizardRollout()),
    store.get(storageKeys.wizardTestPassed()),
    store.get(storageKeys.bindingCookieCheck()),
  ]);
  return stateOf(ctx, { read, settings: read.settings, clientSecret: storedSecret, progress, rollout, passed, bindingCheck });
}

/** The state after a change this call has just written, without reading storage again. */
export function updatedState(
  ctx: AdminContext,
  state: SetupState,
  change: { settings?: AdminSettings; clientSecret?: unknown; progress?: WizardStep[]; rollout?: RolloutChecklist },
): SetupState {
  const settings = change.settings ?? state.settings;
  const clientSecret = change.clientSecret ?? state.clientSecret;
  const options = { allowLoopbackHttp: ctx.allowLoopbackHttp };
  const evaluation = change.settings || change.clientSecret !== undefined ? evaluateSettings(settings, clientSecret, ctx.baseUrl, options) : state.evaluation;
  return {
    ...state,
    read: change.settings && state.read.state !== 'ok' ? { state: 'ok', settings, revision: '' } : state.read,
    settings,
    clientSecret,
    evaluation,
    progress: change.progress ?? state.progress,
    rollout: change.rollout ?? state.rollout,
    testPassed: state.testPassed && sameProvider(ctx, state, settings, clientSecret),
  };
}

function sameProvider(ctx: AdminContext, state: SetupState, settings: AdminSettings, clientSecret: unknown): boolean {
  const options = { allowLoopbackHttp: ctx.allowLoopbackHttp };
  const before = testConfigFrom(state.settings, state.clientSecret, ctx.baseUrl, options);
  const after = testConfigFrom(settings, clientSecret, ctx.baseUrl, options);
  return before.ok && after.ok && before.test.providerFingerprint === after.test.providerFingerprint;
}

function stateOf(
  ctx: AdminContext,
  input: { read: StoredSettingsRead; settings: AdminSettings; clientSecret: unknown; progress: unknown; rollout: unknown; passed: unknown; bindingCheck: unknown },
): SetupState {
  const options = { allowLoopbackHttp: ctx.allowLoopbackHttp };
  const evaluation = evaluateSettings(input.settings, input.clientSecret, ctx.baseUrl, options);
  const passed = testPassedSchema.safeParse(input.passed);
  const test = testConfigFrom(input.settings, input.clientSecret, ctx.baseUrl, options);
  return {
    read: input.read,
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
  const configured = state.evaluation.ok && state.read.state !== 'unreadable';
  const live = configured && ROLLOUT_ITEMS.every((item) => state.rollout[item]);
  const clientSecretSet = typeof state.clientSecret === 'string' && state.clientSecret !== '';
  const none = (prefixes: string[]) => !missing.some((path) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`)));
  // Steps that hold data are done when their data is complete (so a later change can undo
  // them); the informational steps are done when the admin said so.
  const done: Record<WizardStep, boolean> = {
    overview: state.progress.includes('overview'),
    callback: state.progress.includes('callback'),
    provider: none(['oidc']) && clientSecretSet,
    test: state.testPassed,
    'idp-values': state.progress.includes('idp-values'),
    'sp-values': none(['serviceProvider']),
    users: none(['allowedEmailDomains', 'nameIdClaim', 'attributeClaims', 'requireVerifiedEmail']),
    enforce: live,
  };
  const completedSteps = WIZARD_STEPS.filter((step) => done[step]);
  const nextStep = WIZARD_STEPS.find((step) => step !== 'overview' && !done[step]) ?? 'overview';
  return { configured, missing, clientSecretSet, testPassed: state.testPassed, live, completedSteps, nextStep, browserBinding: browserBindingStatus(state) };
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

/** The bridge's own values for the provider and for Guard; only the public certificate. */
export function bridgeValues(ctx: AdminContext, credentials: SigningCredentials, config?: BridgeConfig): BridgeValues {
  const base = ctx.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl: base,
    callbackUrl: `${base}/oidc/callback`,
    idpEntityId: config?.idpEntityId ?? `${base}/saml/metadata`,
    ssoUrl: `${base}/saml/sso`,
    metadataUrl: `${base}/saml/metadata`,
    certificatePem: credentials.certificatePem,
  };
}
