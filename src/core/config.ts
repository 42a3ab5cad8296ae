import type { z } from 'zod';
import { fileConfigSchema, KEY_AUTH_METHOD, normalizeDomain, type ConfigParseOptions, type FileConfigSchema } from './config-fields.js';
import { DEFAULT_ID } from './storage-keys.js';

/**
 * The configuration: its schema is derived from the field table (`config-fields.ts`), where
 * every field is documented once. `parseConfig` turns raw input (a JSON file, a wizard form, a
 * stored record) into a normalized, fully defaulted, read-only `BridgeConfig`, or lists every
 * problem.
 */

export { isLoopbackUrl, normalizeDomain, type ConfigParseOptions } from './config-fields.js';

export interface ConfigProblem {
  /** Dotted path of the field, such as `oidc.issuer`. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
  }
}

type ParsedConfig = z.output<FileConfigSchema>;

// The stored configuration is parsed whenever its record changes, and the wizard validates on
// every save; building the schema is the costly part, and it depends on one boolean only.
const schemaCache = new Map<boolean, FileConfigSchema>();

function cachedSchema(options: ConfigParseOptions): FileConfigSchema {
  let schema = schemaCache.get(options.allowLoopbackHttp);
  if (!schema) {
    schema = fileConfigSchema({ allowLoopbackHttp: options.allowLoopbackHttp });
    schemaCache.set(options.allowLoopbackHttp, schema);
  }
  return schema;
}

export type BridgeConfig = DeepReadonly<
  Omit<ParsedConfig, 'allowedEmailDomains' | 'idpEntityId'> & {
    /** Normalized (lower case, punycode) and de-duplicated. */
    allowedEmailDomains: string[];
    idpEntityId: string;
    /** The connection (one Guard identity provider entry) and the provider of that connection. */
    connectionId: string;
    providerId: string;
    /** Derived endpoints of this bridge. */
    urls: { sso: string; callback: string; metadata: string };
  }
>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The raw input shape, as a JSON config file or the wizard provides it. */
export type RawConfig = z.input<FileConfigSchema>;

/**
 * The bridge's URLs for one connection. Every connection shares the SSO URL (the AuthnRequest's
 * Issuer tells them apart) and the callback (the login transaction does); each has its own
 * metadata URL, the first connection the one of the first release.
 */
export function bridgeUrls(baseUrl: string, connectionId: string = DEFAULT_ID) {
  const base = baseUrl.replace(/\/+$/, '');
  const metadata = connectionId === DEFAULT_ID ? `${base}/saml/metadata` : `${base}/saml/metadata/${connectionId}`;
  return { sso: `${base}/saml/sso`, callback: `${base}/oidc/callback`, metadata };
}

/**
 * A connection's start URL for IdP-initiated login (a bookmark, a dashboard tile), the one
 * address of the bridge that names its connection in the path: no AuthnRequest says which.
 */
export function idpInitiatedStartUrl(baseUrl: string, connectionId: string = DEFAULT_ID): string {
  return `${baseUrl.replace(/\/+$/, '')}/saml/start/${connectionId}`;
}

/** Validates and normalizes; throws `ConfigError` listing every problem. */
export function parseConfig(raw: unknown, options: ConfigParseOptions): BridgeConfig {
  const checked = checkConfig(raw, options);
  if (!checked.ok) throw new ConfigError(checked.problems);
  return checked.config;
}

/**
 * `parseConfig` without the exception: the configuration, or every problem with its path. The
 * wizard uses it to tell missing fields (a later step) from invalid ones (an error to show).
 */
export function checkConfig(raw: unknown, options: ConfigParseOptions): { ok: true; config: BridgeConfig } | { ok: false; problems: ConfigProblem[] } {
  const result = cachedSchema(options).safeParse(raw);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) };
  }
  return { ok: true, config: normalizeConfig(result.data, options.scope ?? { connectionId: DEFAULT_ID, providerId: DEFAULT_ID }) };
}

function normalizeConfig(cfg: ParsedConfig, scope: { connectionId: string; providerId: string }): BridgeConfig {
  const urls = bridgeUrls(cfg.baseUrl, scope.connectionId);
  // A client that signs with its key has no secret: one stored from an earlier method is left out,
  // so no path can send it.
  const { clientSecret, ...oidc } = cfg.oidc;
  const normalized = {
    ...cfg,
    oidc: cfg.oidc.clientAuthMethod === KEY_AUTH_METHOD ? oidc : { ...oidc, clientSecret },
    connectionId: scope.connectionId,
    providerId: scope.providerId,
    baseUrl: cfg.baseUrl.replace(/\/+$/, ''),
    allowedEmailDomains: [...new Set(cfg.allowedEmailDomains.map((d) => normalizeDomain(d)!))],
    idpEntityId: cfg.idpEntityId ?? urls.metadata,
    urls,
  };
  return deepFreeze(normalized);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
