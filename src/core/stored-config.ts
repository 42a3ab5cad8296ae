import type { AdminSettings } from './admin/admin-api-types.js';
import { atomicValue, CONFIG_FIELDS, isGroup, type FieldTable } from './config-fields.js';
import { checkConfig, type BridgeConfig, type ConfigParseOptions, type ConfigProblem } from './config.js';
import { providerFingerprint, type TestConfig } from './test-login.js';

/**
 * The wizard's settings of one provider of one connection (`AdminSettings`, no secret, no base
 * URL) plus its client secret, completed with the host's base URL and parsed with the file
 * schema (`config.ts`). The stored form is `connections/connections-document.ts`.
 */

/** The raw configuration the settings stand for, ready for the config schema. */
export function settingsToRawConfig(settings: AdminSettings, clientSecret: unknown, baseUrl: string): Record<string, unknown> {
  return { baseUrl, ...rawOf(CONFIG_FIELDS, settings, clientSecret) };
}

/**
 * The file's fields of a settings object: the wizard's values and the secret, nothing undefined.
 * An object the file requires is always there, so each missing field is reported at its own
 * path; an atomic one keeps only its non-empty values (`oidc.endpoints`: manual mode or not).
 */
function rawOf(table: FieldTable, settings: Record<string, unknown>, clientSecret: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(table)) {
    const value = settings[key];
    if (!isGroup(node)) {
      const raw = node.secret ? clientSecret : node.file && node.wizard ? value : undefined;
      if (raw !== undefined) out[key] = raw;
    } else if (node.atomic) {
      const kept = atomicValue(value);
      if (kept) out[key] = kept;
    } else if (value !== undefined || !node.presence) {
      out[key] = rawOf(node.fields, (value ?? {}) as Record<string, unknown>, clientSecret);
    }
  }
  return out;
}

/** A problem of the whole configuration, and whether it is only a value not given yet. */
export interface SettingsProblem extends ConfigProblem {
  /** No value yet (a later step), as opposed to a value that is wrong. */
  absent: boolean;
}

function valueAt(raw: unknown, path: string): unknown {
  let value = raw;
  for (const part of path ? path.split('.') : []) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/** Parses a raw configuration, marking each problem as absent (not given) or invalid. */
export function checkRawConfig(
  raw: Record<string, unknown>,
  options: ConfigParseOptions,
): { ok: true; config: BridgeConfig } | { ok: false; problems: SettingsProblem[] } {
  const checked = checkConfig(raw, options);
  if (checked.ok) return checked;
  return {
    ok: false,
    problems: checked.problems.map((problem) => {
      const absent = isAbsent(valueAt(raw, problem.path));
      return { path: problem.path, message: absent && valueAt(raw, problem.path) === undefined ? 'Enter a value.' : problem.message, absent };
    }),
  };
}

/** The saved settings plus the secret as a whole configuration, or what is missing or wrong. */
export function evaluateSettings(
  settings: AdminSettings,
  clientSecret: unknown,
  baseUrl: string,
  options: ConfigParseOptions,
): { ok: true; config: BridgeConfig } | { ok: false; problems: SettingsProblem[] } {
  return checkRawConfig(settingsToRawConfig(settings, clientSecret, baseUrl), options);
}

/**
 * Stand-ins for the parts a connection test or a preview does not need yet. The service
 * provider is a URN and a reserved `.invalid` host (RFC 2606): a response can never reach
 * anyone through them, and the test path never mints one.
 */
export const PLACEHOLDERS = {
  serviceProvider: { entityId: 'urn:oidc-saml-bridge:connection-test', acsUrl: 'https://connection-test.invalid/never-posted' },
  domain: 'domains-not-set.invalid',
  oidc: { issuer: 'https://provider-not-set.invalid', clientId: 'not-set', clientSecret: 'not-set' },
} as const;

/**
 * The configuration of a connection test: the saved provider and user settings with the
 * placeholders above; fails only on the provider part (and the secret).
 */
export function testConfigFrom(
  settings: AdminSettings,
  clientSecret: unknown,
  baseUrl: string,
  options: ConfigParseOptions,
): { ok: true; test: TestConfig } | { ok: false; problems: SettingsProblem[] } {
  const checksDomains = (settings.allowedEmailDomains?.length ?? 0) > 0;
  const raw = {
    ...settingsToRawConfig(settings, clientSecret, baseUrl),
    serviceProvider: { ...PLACEHOLDERS.serviceProvider },
    allowedEmailDomains: checksDomains ? settings.allowedEmailDomains : [PLACEHOLDERS.domain],
  };
  const checked = checkRawConfig(raw, options);
  if (!checked.ok) return checked;
  return { ok: true, test: { config: checked.config, checksDomains, providerFingerprint: providerFingerprint(checked.config) } };
}
