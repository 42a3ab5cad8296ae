import { z } from 'zod';
import { DEFAULT_ID } from './storage-keys.js';

/**
 * The configuration: one schema, every field documented once here. The setup wizard shows the
 * same descriptions. `parseConfig` turns raw input (a JSON file, a wizard form, a stored record)
 * into a normalized, fully defaulted, read-only `BridgeConfig`, or lists every problem.
 */

export interface ConfigParseOptions {
  /**
   * Which connection and provider of the stored document this configuration is (default: the
   * first release's single configuration, `default`/`default`); the connection decides the
   * metadata URL and so the default IdP Entity ID.
   */
  scope?: { connectionId: string; providerId: string };
  /**
   * Accept `http://` URLs on loopback hosts (127.0.0.0/8, ::1, localhost) for the issuer and the
   * service provider. The standalone server allows it for local runs and tests; Forge never does.
   */
  allowLoopbackHttp: boolean;
}

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

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.test(url.hostname);
}

function urlField(description: string, options: ConfigParseOptions, { requireHttps = true } = {}) {
  return z
    .string({ error: 'Enter a URL.' })
    .trim()
    .min(1, 'Enter a URL.')
    .max(2048, 'Keep the URL under 2048 characters.')
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Enter an absolute URL, such as https://example.okta.com.' });
        return;
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'The URL must not contain a user name or password.' });
      }
      if (url.hash) ctx.addIssue({ code: 'custom', message: 'The URL must not contain a #fragment.' });
      if (!requireHttps) return;
      const loopbackHttp = url.protocol === 'http:' && options.allowLoopbackHttp && isLoopbackUrl(url);
      if (url.protocol !== 'https:' && !loopbackHttp) {
        ctx.addIssue({
          code: 'custom',
          message: options.allowLoopbackHttp
            ? 'Use an https:// URL (http:// is accepted only for 127.0.0.1 and localhost).'
            : 'Use an https:// URL.',
        });
      }
    })
    .describe(description);
}

/** Lower-cases and converts an internationalised domain to its ASCII (punycode) form. */
export function normalizeDomain(domain: string): string | undefined {
  const trimmed = domain.trim().toLowerCase();
  if (!trimmed || trimmed.endsWith('.') || /[\s/@:?#[\]\\]/.test(trimmed)) return undefined;
  try {
    const host = new URL(`http://${trimmed}`).hostname;
    return /^[a-z0-9.-]+$/.test(host) && host.includes('.') ? host : undefined;
  } catch {
    return undefined;
  }
}

const claimName = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.:-]+$/, 'Use a claim name such as given_name.');

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

function configSchema(options: ConfigParseOptions) {
  return z
    .object({
      baseUrl: urlField(
        'The public URL of this bridge; the SSO URL, callback and metadata live below it. On Forge it is the web trigger URL and is filled in by the app.',
        options,
      ),
      oidc: z
        .object({
          issuer: urlField(
            'The OpenID Connect issuer, such as https://dev-123.okta.com/oauth2/default. Its discovery document must name the same issuer.',
            options,
          ),
          clientId: z.string().trim().min(1, 'Enter the client ID.').max(500).describe('The client ID of the web application registered at the provider.'),
          clientSecret: z.string().min(1, 'Enter the client secret.').max(4096).describe('The client secret of that application. Kept in secret storage; never shown again.'),
          scopes: z
            .array(z.string().trim().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'A scope is one word without spaces or quotes.'))
            .default(['openid', 'email', 'profile'])
            .refine((s) => s.includes('openid'), 'The scopes must include openid.')
            .describe('Scopes requested at login. openid is required; email and profile bring the claims Atlassian needs.'),
          clientAuthMethod: z
            .enum(CLIENT_AUTH_METHODS)
            .default('client_secret_basic')
            .describe('How the bridge authenticates to the token endpoint: client_secret_basic (default) or client_secret_post.'),
          endpoints: z
            .object({
              authorizationEndpoint: urlField('Authorization endpoint.', options),
              tokenEndpoint: urlField('Token endpoint.', options),
              userinfoEndpoint: urlField('Userinfo endpoint.', options).optional(),
              jwksUri: urlField('JSON Web Key Set URL.', options),
            })
            .optional()
            .describe('Endpoints for a provider without discovery. When absent they are read from the issuer\'s .well-known/openid-configuration.'),
        })
        .strict(),
      serviceProvider: z
        .object({
          entityId: urlField('The SP Entity ID that Atlassian Guard shows, such as https://auth.atlassian.com/saml/<uuid>.', options, { requireHttps: false }),
          acsUrl: urlField('The ACS URL that Atlassian Guard shows, such as https://auth.atlassian.com/login/callback?connection=saml-<uuid>.', options),
        })
        .strict(),
      allowedEmailDomains: z
        // Checked per entry (not in a refinement of the whole object, which zod runs only once
        // every other field is valid), so the wizard can report a bad domain on its own.
        .array(
          z.string().superRefine((domain, ctx) => {
            if (!normalizeDomain(domain)) ctx.addIssue({ code: 'custom', message: `"${domain}" is not a domain name such as example.com.` });
          }),
        )
        .min(1, 'List at least one email domain, such as example.com.')
        .describe('Only users whose email is in one of these domains (exactly, not subdomains) may sign in.'),
      idpEntityId: z.string().trim().min(1).max(1024).optional().describe('The IdP Entity ID shown to Atlassian Guard. Default: the metadata URL.'),
      nameIdClaim: claimName.default('email').describe('The claim whose value becomes the SAML NameID. Atlassian expects the email address.'),
      attributeClaims: z
        .object({
          givenName: claimName.default('given_name'),
          surname: claimName.default('family_name'),
          displayName: claimName.default('name'),
          stableId: claimName.default('sub'),
        })
        .strict()
        .prefault({})
        .describe('Which OIDC claims become the givenname, surname, display name and stable id attributes.'),
      bindLoginToBrowser: z
        .boolean()
        .default(true)
        .describe('Require the return from the provider to arrive in the browser that started the login (checked with a cookie). Turn off only behind a proxy that strips cookies.'),
      requireVerifiedEmail: z.boolean().default(true).describe('Refuse users whose provider says email_verified is false.'),
      assertionLifetimeSeconds: z.number().int().min(60).max(3600).default(300).describe('How long the SAML assertion is valid.'),
      clockSkewSeconds: z.number().int().min(0).max(600).default(180).describe('How far NotBefore is set back, for clocks that disagree.'),
      loginTimeoutSeconds: z.number().int().min(60).max(3600).default(600).describe('How long a user has to finish signing in at the provider.'),
      upstreamTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(10)
        .default(10)
        .describe('How long to wait for each call to the provider. A cold callback may make up to five calls (discovery, JWKS, token, userinfo, JWKS again), so at most 10 s keeps it inside Forge\'s 55 s limit.'),
    })
    .strict();
}

type ParsedConfig = z.output<ReturnType<typeof configSchema>>;

// The stored configuration is parsed whenever its record changes, and the wizard validates on
// every save; building the schema is the costly part, and it depends on one boolean only.
const schemaCache = new Map<boolean, ReturnType<typeof configSchema>>();

function cachedSchema(options: ConfigParseOptions): ReturnType<typeof configSchema> {
  let schema = schemaCache.get(options.allowLoopbackHttp);
  if (!schema) {
    schema = configSchema({ allowLoopbackHttp: options.allowLoopbackHttp });
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
    /**
     * Identifies the stored record this configuration was read from (absent for a config file).
     * A login remembers it, so its callback can reuse the configuration it started with.
     */
    revision?: string;
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
export type RawConfig = z.input<ReturnType<typeof configSchema>>;

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
  const normalized = {
    ...cfg,
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

/** Field descriptions by dotted path, for the wizard and the README. */
export function describeConfigFields(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (schema: z.ZodType, path: string[]) => {
    const description = schema.description;
    if (description && path.length) out[path.join('.')] = description;
    let inner: z.ZodType = schema;
    while ('unwrap' in inner && typeof (inner as { unwrap?: unknown }).unwrap === 'function') {
      inner = (inner as unknown as { unwrap(): z.ZodType }).unwrap();
      if (inner.description && path.length && !out[path.join('.')]) out[path.join('.')] = inner.description;
    }
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) walk(child, [...path, key]);
    }
  };
  walk(configSchema({ allowLoopbackHttp: false }) as unknown as z.ZodType, []);
  return out;
}
