import { newReference } from './reference.js';
import { toMultiValueRecord, type BridgeRequest, type BridgeResponse } from './http-types.js';
import type { BridgeConfig } from './config.js';
import type { Ports } from './ports.js';
import { BridgeError, publicError, type BridgeErrorCode } from './errors.js';
import { htmlHeaders, renderAutoPostPage, renderErrorPage, renderNoticePage } from './html.js';
import { finishLogin, finishTestLogin, readTestStart, startLogin, takeLoginTransaction, type LoginContext, type TakenLogin } from './login-flow.js';
import { bindingCookieHeader, browserBindingCookieName, readBindingCookieCheck } from './browser-binding.js';
import { recordTestOutcome, type TestConfig, type TestConfigSource, type TestOutcome } from './test-login.js';
import { loadOrCreateSigningKey, type SigningCredentials } from '../downstream-saml/signing-key.js';
import { idpMetadataXml } from '../downstream-saml/idp-metadata.js';
import { ProviderConfigurationCache } from '../upstream-oidc/upstream-oidc.js';

/**
 * Where the current configuration comes from: a config file (standalone), or the store the
 * wizard writes to (Forge and standalone). Called once per request; implementations may cache.
 * Returns undefined while nothing is configured; throws `ConfigError` when what is stored is
 * not valid.
 */
export type ConfigSource = (hint?: ConfigHint) => Promise<BridgeConfig | undefined>;

/**
 * What a request already knows about the configuration it needs: a callback knows the revision
 * its login started with, which a source may serve from its cache without reading storage.
 */
export interface ConfigHint {
  revision?: string | null;
}

/**
 * Per-process caches that are safe to lose (a cold Forge instance starts without them):
 * provider discovery and JWKS, and the parsed signing credentials.
 */
export class BridgeCaches {
  readonly provider = new ProviderConfigurationCache();
  credentials: Promise<SigningCredentials> | undefined;
  /** The last stored configuration read, by revision (see `stored-config.ts`). */
  storedConfig: { revision: string; config: BridgeConfig } | undefined;
}

export interface BridgeOptions {
  ports: Ports;
  config: ConfigSource;
  /** The public URL the routes below live under (Forge: the web trigger URL). */
  baseUrl: string;
  /** Accept `http://` provider URLs on loopback hosts: local runs and tests only, never Forge. */
  allowLoopbackHttp: boolean;
  caches?: BridgeCaches;
  /**
   * The configuration of the wizard's connection tests (`stored-config.ts`). Without it, a
   * test transaction arriving at the callback is refused as unknown.
   */
  testConfig?: TestConfigSource;
}

export interface Bridge {
  /** Serves `/saml/sso` (GET, POST), `/oidc/callback` (GET), `/test/start` (GET), `/saml/metadata` (GET) and `/healthz`. */
  handle(request: BridgeRequest): Promise<BridgeResponse>;
  /** The signing credentials (created on first use). */
  signingCredentials(): Promise<SigningCredentials>;
}

/** Largest request body the SSO URL reads; an HTTP-POST AuthnRequest is a few kilobytes. */
export const MAX_BODY_CHARS = 256 * 1024;

export function createBridge(options: BridgeOptions): Bridge {
  const caches = options.caches ?? new BridgeCaches();
  const { ports } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  const signingCredentials = (): Promise<SigningCredentials> => {
    if (!caches.credentials) {
      caches.credentials = loadOrCreateSigningKey(ports.secrets, ports.clock, new URL(baseUrl).host);
      caches.credentials.catch(() => (caches.credentials = undefined));
    }
    return caches.credentials;
  };

  const requireConfig = async (hint?: ConfigHint): Promise<BridgeConfig> => {
    let config: BridgeConfig | undefined;
    try {
      config = await options.config(hint);
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError('config_invalid', (error as Error)?.message?.slice(0, 500), { cause: error });
    }
    if (!config) throw new BridgeError('config_missing');
    return config;
  };

  const requireTestConfig = async (): Promise<TestConfig> => {
    if (!options.testConfig) throw new BridgeError('login_unknown', 'connection tests are not enabled on this host');
    let test: TestConfig | undefined;
    try {
      test = await options.testConfig();
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError('config_invalid', (error as Error)?.message?.slice(0, 500), { cause: error });
    }
    if (!test) throw new BridgeError('config_missing', 'the provider settings are incomplete');
    return test;
  };

  /**
   * The callback of a connection test: the same checks and mapping as a login, then the result
   * is stored for the wizard and the admin sees a plain page. Whatever fails is stored with the
   * reference of the error page the admin sees, so both show the same id.
   */
  const finishTest = async (request: BridgeRequest, reference: string, taken: TakenLogin): Promise<BridgeResponse> => {
    const testId = taken.transaction.testId!;
    let outcome: TestOutcome;
    let fingerprint: string | undefined;
    try {
      const test = await requireTestConfig();
      fingerprint = test.providerFingerprint;
      outcome = await finishTestLogin(loginContext(test.config), request.query, taken, { checksDomains: test.checksDomains });
    } catch (error) {
      const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', describeUnexpected(error), { cause: error });
      outcome = { ok: false, code: bridgeError.code, error: bridgeError };
    }
    const recorded = { testId, reference, outcome, fingerprint, now: ports.clock.now(), ...(taken.bindingCookie ? { bindingCookie: taken.bindingCookie } : {}) };
    await recordTestOutcome(ports.store, recorded).catch((error: unknown) => {
      throw new BridgeError('storage_unavailable', (error as Error)?.message?.slice(0, 200), { cause: error });
    });
    if (!outcome.ok) {
      ports.logger.log('warn', 'test.failed', { reference, testId, code: outcome.code });
      throw outcome.error;
    }
    ports.logger.log('info', 'test.succeeded', { reference, testId, bindingCookie: taken.bindingCookie });
    const nonce = ports.random.token(16);
    return {
      status: 200,
      headers: htmlHeaders({ nonce }),
      body: renderNoticePage({
        title: 'Test finished — return to the setup page',
        message: 'The connection test is finished. Return to the setup page to see what the provider sent and what Atlassian would receive. Nothing was sent to Atlassian.',
        nonce,
      }),
    };
  };

  const loginContext = (config: BridgeConfig): LoginContext => ({
    ports,
    config,
    providerCache: caches.provider,
    allowLoopbackHttp: options.allowLoopbackHttp,
  });

  /**
   * Whether the last connection test saw this host drop the binding cookie (then a callback
   * without it is accepted: `takeLoginTransaction`). A failed read keeps the safe answer, no: a
   * login may then fail, never be weakened.
   */
  const cookieDropsSeen = async (): Promise<boolean> => {
    const check = await readBindingCookieCheck(ports.store).catch((error: unknown) => {
      ports.logger.log('warn', 'binding.check_unreadable', { detail: (error as Error)?.message?.slice(0, 200) });
      return undefined;
    });
    return check?.seen === false;
  };

  const cookieLookup = (request: BridgeRequest) => {
    const cookies = parseCookies(request);
    return (state: string): string | undefined => cookies[browserBindingCookieName(state, baseUrl)];
  };

  /**
   * A route answers a response, or throws; `always` holds headers for either answer (the
   * callback clears the binding cookie once the login is over, on the error page too).
   */
  type Route = { methods: string[]; run(request: BridgeRequest, reference: string, always: Record<string, string>): Promise<BridgeResponse> };
  const routes: Record<string, Route> = {
    '/saml/sso': {
      methods: ['GET', 'POST'],
      async run(request) {
        const params = request.method === 'POST' ? formParams(request) : request.query;
        const samlRequest = single(params, 'SAMLRequest', 'saml_request_malformed');
        const relayState = single(params, 'RelayState', 'relay_state_invalid');
        const config = await requireConfig();
        const started = await startLogin(loginContext(config), {
          binding: request.method === 'POST' ? 'post' : 'redirect',
          samlRequest,
          relayState,
        });
        ports.logger.log('info', 'login.started', {
          samlRequestId: started.samlRequestId,
          binding: request.method === 'POST' ? 'post' : 'redirect',
          browserBound: config.bindLoginToBrowser,
        });
        const headers: Record<string, string> = { Location: started.redirectTo, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
        if (started.browserBinding) headers['Set-Cookie'] = bindingCookieHeader(baseUrl, started.browserBinding);
        return { status: 302, headers, body: '' };
      },
    },
    '/oidc/callback': {
      methods: ['GET'],
      async run(request, reference, always) {
        const bindingCookie = cookieLookup(request);
        const taken = await takeLoginTransaction(ports, request.query, bindingCookie, cookieDropsSeen);
        if (taken.unbound) ports.logger.log('warn', 'login.unbound', { reference, reason: 'cookie_not_seen' });
        // The transaction is gone: whatever happens next, this login's cookie has no use left.
        if (taken.transaction.browserHash) {
          always['Set-Cookie'] = bindingCookieHeader(baseUrl, { state: taken.state, value: '', maxAge: 0 });
        }
        if (taken.transaction.kind === 'test') return finishTest(request, reference, taken);
        const config = await requireConfig({ revision: taken.transaction.configRevision });
        const result = await finishLogin(loginContext(config), request.query, bindingCookie, signingCredentials, taken);
        ports.logger.log('info', 'login.succeeded', {
          reference,
          email: result.user.email,
          subject: result.user.subject,
          samlRequestId: result.samlRequestId,
          responseId: result.responseId,
          assertionId: result.assertionId,
        });
        const nonce = ports.random.token(16);
        const headers = htmlHeaders({ nonce, formAction: result.acsUrl });
        return {
          status: 200,
          headers,
          body: renderAutoPostPage({ action: result.acsUrl, fields: { SAMLResponse: result.samlResponse, RelayState: result.relayState }, nonce }),
        };
      },
    },
    '/test/start': {
      methods: ['GET'],
      async run(request) {
        const started = await readTestStart(ports, request.query);
        ports.logger.log('info', 'test.redirected', {});
        return {
          status: 302,
          // no-referrer: the start URL carries the test's cookie value; the provider need not see it.
          headers: { Location: started.redirectTo, 'Set-Cookie': bindingCookieHeader(baseUrl, started.binding), 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
          body: '',
        };
      },
    },
    '/saml/metadata': {
      methods: ['GET'],
      async run() {
        const config = await options.config().catch(() => undefined);
        const xml = idpMetadataXml(
          { entityId: config?.idpEntityId ?? `${baseUrl}/saml/metadata`, ssoUrl: `${baseUrl}/saml/sso` },
          await signingCredentials(),
        );
        return {
          status: 200,
          headers: { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' },
          body: xml,
        };
      },
    },
    '/healthz': {
      methods: ['GET'],
      async run() {
        return { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: '{"status":"ok"}' };
      },
    },
  };

  const handle = async (request: BridgeRequest): Promise<BridgeResponse> => {
    const reference = newReference(ports);
    const always: Record<string, string> = {};
    try {
      const route = routes[request.path.replace(/\/+$/, '') || '/'];
      if (!route) throw new BridgeError('not_found', request.path.slice(0, 200));
      const method = request.method.toUpperCase();
      if (!route.methods.includes(method)) throw new BridgeError('method_not_allowed', method);
      const response = await route.run({ ...request, method }, reference, always);
      return { ...response, headers: { ...always, ...response.headers } };
    } catch (error) {
      const failure = renderFailure(error, reference, request, ports);
      return { ...failure, headers: { ...failure.headers, ...always } };
    }
  };

  return { handle, signingCredentials };
}

function renderFailure(error: unknown, reference: string, request: BridgeRequest, ports: Ports): BridgeResponse {
  const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', describeUnexpected(error), { cause: error });
  const { status, title, message } = publicError(bridgeError.code);
  ports.logger.log(status >= 500 ? 'error' : 'warn', 'request.failed', {
    reference,
    code: bridgeError.code,
    status,
    path: request.path.slice(0, 100),
    detail: bridgeError.detail,
  });
  const nonce = ports.random.token(16);
  const headers = htmlHeaders({ nonce });
  if (bridgeError.code === 'method_not_allowed') headers.Allow = request.path.startsWith('/saml/sso') ? 'GET, POST' : 'GET';
  headers['X-Bridge-Error'] = bridgeError.code;
  headers['X-Bridge-Reference'] = reference;
  return { status, headers, body: renderErrorPage({ title, message, reference, nonce }) };
}

function describeUnexpected(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return 'non-error thrown';
}

/** Cookies from the Cookie header(s); the first of a repeated name wins, as in RFC 6265 §5.4. */
function parseCookies(request: BridgeRequest): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const header of request.headers.cookie ?? []) {
    for (const pair of header.split(';')) {
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      if (!(name in cookies)) cookies[name] = pair.slice(at + 1).trim();
    }
  }
  return cookies;
}

function formParams(request: BridgeRequest): Record<string, string[]> {
  const contentType = (request.headers['content-type']?.[0] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw new BridgeError('saml_request_malformed', `content type ${contentType.slice(0, 60)}`);
  }
  if (request.body.length > MAX_BODY_CHARS) throw new BridgeError('saml_request_too_large', 'body');
  return toMultiValueRecord(new URLSearchParams(request.body));
}

/** One value of a parameter; a repeated parameter is refused rather than guessed at. */
function single(params: Record<string, string[]>, name: string, code: BridgeErrorCode): string | undefined {
  const values = params[name];
  if (!values) return undefined;
  if (values.length > 1) throw new BridgeError(code, `${name} repeated`);
  return values[0];
}
