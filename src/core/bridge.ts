import { newReference } from './reference.js';
import { toMultiValueRecord, type BridgeRequest, type BridgeResponse } from './http-types.js';
import type { Ports } from './ports.js';
import { BridgeError, DEFAULT_ATLASSIAN_START_URL, publicError, type BridgeErrorCode } from './errors.js';
import { htmlHeaders, renderAutoPostPage, renderErrorPage, renderNoticePage, renderProviderChoicePage, type ErrorPageActions } from './html.js';
import type { Attempt, LoginContext } from './login/attempt.js';
import type { SamlLoginTransaction, TakenLogin, TestLoginTransaction } from './login/transaction.js';
import { finishLogin, startLogin, type FinishLoginResult } from './login/sp-login.js';
import { startIdpLogin } from './login/idp-login.js';
import { offerAnotherAccount } from './login/steps/offer-another-account.js';
import { finishTestLogin, readTestStart } from './login/connection-test.js';
import { takeLoginTransaction } from './login/steps/take-transaction.js';
import { LoginCounter } from './login/steps/admit-login.js';
import { bindingCookieHeader, browserBindingCookieName, providerChoiceCookie, readBindingCookieCheck } from './browser-binding.js';
import { recordTestOutcome, type TestConfig, type TestOutcome } from './test-login.js';
import { providerById, requireAnyConnection, type BridgeDirectory, type ConnectionEntry, type DirectorySource, type TestConfigSource } from './connections/directory.js';
import { DEFAULT_ID } from './storage-keys.js';
import { idpInitiatedStartUrl } from './config.js';
import type { AuditTrail, LoginAuditRecord } from './audit/audit-trail.js';
import type { SigningCredentials } from '../downstream-saml/signing-key.js';
import { ensureKeyRing, loadRingKey, type KeyRing, type KeyRingEntry } from '../downstream-saml/signing-key-ring.js';
import { raiseSigningKeyRevision } from './connections/connections-document.js';
import { idpMetadataXml } from '../downstream-saml/idp-metadata.js';
import { clientJwks, readClientKeyRing } from '../upstream-oidc/client-key-ring.js';
import { ProviderConfigurationCache } from '../upstream-oidc/upstream-oidc.js';

/**
 * Per-process caches that are safe to lose (a cold Forge instance starts without them):
 * provider discovery and JWKS, the parsed signing credentials of each connection, and the last
 * directory built from the stored connections.
 */
export class BridgeCaches {
  readonly provider = new ProviderConfigurationCache();
  /**
   * Parsed signing keys by connection, key id and certificate fingerprint: what a key ring entry
   * names can never change under the same cache key, and which entry signs is read from the ring
   * on every use, so a warm instance signs with the new key right after another one activated it.
   */
  readonly credentials = new Map<string, Promise<SigningCredentials>>();
  /**
   * Each connection's key ring as last read, used only while the directory's record of the
   * connection announces the same revision (`signingKeyRevision`): a login then reads no ring.
   */
  readonly keyRings = new Map<string, KeyRing>();
  /** The last directory built from storage, by revision (see `connections/directory.ts`). */
  directory: BridgeDirectory | undefined;
  /** This instance's share of the per-installation login count (`admit-login.ts`). */
  readonly loginCounter = new LoginCounter();
}

export interface BridgeOptions {
  ports: Ports;
  /** The connections this bridge serves (a configuration file's one, or the stored ones). */
  directory: DirectorySource;
  /** The public URL the routes below live under (Forge: the web trigger URL). */
  baseUrl: string;
  /** Accept `http://` provider URLs on loopback hosts: local runs and tests only, never Forge. */
  allowLoopbackHttp: boolean;
  caches?: BridgeCaches;
  /**
   * The configuration of the wizard's connection tests. Without it, a test transaction arriving
   * at the callback is refused as unknown.
   */
  testConfig?: TestConfigSource;
  /** Where every login attempt is recorded, once. */
  audit?: AuditTrail;
  /**
   * How many SP-initiated logins may start within ten minutes before new ones are shed (503,
   * `Retry-After`); default `LIVE_LOGIN_LIMIT_DEFAULT` (50,000). See `LoginCounter`.
   */
  liveLoginLimit?: number;
}

export interface Bridge {
  /**
   * Serves `/saml/sso` (GET, POST), `/saml/start/<connection>` (GET), `/oidc/callback` (GET), `/test/start` (GET),
   * `/saml/metadata` and `/saml/metadata/<connection>` (GET), `/oidc/jwks/<connection>/<provider>` (GET), and `/healthz`.
   */
  handle(request: BridgeRequest): Promise<BridgeResponse>;
  /** The signing credentials of a connection's active key (created on first use). */
  signingCredentials(connectionId?: string): Promise<SigningCredentials>;
  /** A connection's key ring (created on first use): which key signs, which is prepared next. */
  signingKeyRing(connectionId?: string): Promise<KeyRing>;
}

/** Largest request body the SSO URL reads; an HTTP-POST AuthnRequest is a few kilobytes. */
export const MAX_BODY_CHARS = 256 * 1024;

/** The choice page's own fields, beside the SAML binding's. */
const CHOICE_FIELDS = { email: 'bridge_email', provider: 'bridge_provider' } as const;

export function createBridge(options: BridgeOptions): Bridge {
  const caches = options.caches ?? new BridgeCaches();
  const { ports } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  const keyRingPorts = { ...ports, commonName: new URL(baseUrl).host };
  const signingKeyRing = (connectionId: string = DEFAULT_ID): Promise<KeyRing> => ensureKeyRing(keyRingPorts, connectionId);
  const credentialsOf = (connectionId: string, entry: KeyRingEntry): Promise<SigningCredentials> => {
    const cacheKey = `${connectionId}\n${entry.id}\n${entry.fingerprint}`;
    let credentials = caches.credentials.get(cacheKey);
    if (!credentials) {
      // A connection's keys that the ring no longer makes active are of no more use here.
      for (const key of caches.credentials.keys()) if (key.startsWith(`${connectionId}\n`)) caches.credentials.delete(key);
      credentials = loadRingKey(ports.secrets, connectionId, entry);
      caches.credentials.set(cacheKey, credentials);
      credentials.catch(() => caches.credentials.delete(cacheKey));
    }
    return credentials;
  };
  // Read on every use (one key-value read): the parsed key is cached, the choice of which key
  // signs is not. The admin page and the error explainer use this one.
  const signingCredentials = async (connectionId: string = DEFAULT_ID): Promise<SigningCredentials> =>
    credentialsOf(connectionId, (await signingKeyRing(connectionId)).active);

  /**
   * The key a login signs with. The ring is cached, and trusted only while the connection's
   * record announces the cached ring's revision: every ring change announces its revision there
   * before it is written (`signing-key-ring.ts`), and every SSO request reads the record, so a
   * login that starts after a change never signs with the replaced key, on any instance.
   */
  const activeSigningKey = async (connection: Pick<ConnectionEntry, 'id' | 'signingKeyRevision'>): Promise<SigningCredentials> => {
    const announced = connection.signingKeyRevision;
    const cached = caches.keyRings.get(connection.id);
    if (announced !== undefined && cached?.revision === announced) return credentialsOf(connection.id, cached.active);
    const ring = await signingKeyRing(connection.id);
    if (announced === ring.revision) caches.keyRings.set(connection.id, ring);
    else caches.keyRings.delete(connection.id);
    if (announced !== undefined && announced < ring.revision) {
      // A stored record from before rings announced their revision (an upgrade): announce it
      // once, so that later logins read no ring. Raising it to a revision the ring already has
      // is safe (no instance trusts a cache the record does not name); a failure only leaves
      // caching off.
      await raiseSigningKeyRevision(ports.store, connection.id, ring.revision).catch(() => false);
    }
    return credentialsOf(connection.id, ring.active);
  };

  /** The page that asks which provider to sign in with; its form comes back to the route that showed it. */
  const providerChoicePage = (connection: ConnectionEntry, form: { action: string; method: 'get' | 'post'; fields: Record<string, string | undefined> }): BridgeResponse => {
    const nonce = ports.random.token(16);
    return {
      status: 200,
      headers: htmlHeaders({ nonce, formAction: form.action }),
      body: renderProviderChoicePage({
        ...form,
        emailField: CHOICE_FIELDS.email,
        providerField: CHOICE_FIELDS.provider,
        providers: connection.providers.map((p) => ({ id: p.id, name: p.name })),
        nonce,
      }),
    };
  };

  /** The directory; a stored value that cannot be read at all is the configuration's fault. */
  const directory = async (hint?: { revision?: string | null }): Promise<BridgeDirectory> => {
    try {
      return await options.directory(hint);
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError('config_invalid', (error as Error)?.message?.slice(0, 500), { cause: error });
    }
  };

  const requireTestConfig = async (transaction: TestLoginTransaction): Promise<TestConfig> => {
    if (!options.testConfig) throw new BridgeError('login_unknown', 'connection tests are not enabled on this host');
    let test: TestConfig | undefined;
    try {
      test = await options.testConfig(transaction.connectionId, transaction.providerId);
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError('config_invalid', (error as Error)?.message?.slice(0, 500), { cause: error });
    }
    if (!test) throw new BridgeError('config_missing', 'the provider settings are incomplete');
    return test;
  };

  if (options.liveLoginLimit !== undefined && !(Number.isSafeInteger(options.liveLoginLimit) && options.liveLoginLimit > 0)) {
    throw new TypeError('liveLoginLimit must be a positive integer');
  }
  const loginContext: LoginContext & { loginCounter: LoginCounter } = {
    ports,
    providerCache: caches.provider,
    allowLoopbackHttp: options.allowLoopbackHttp,
    loginCounter: caches.loginCounter,
    ...(options.liveLoginLimit !== undefined ? { liveLoginLimit: options.liveLoginLimit } : {}),
  };

  /**
   * The callback of a connection test: the same checks and mapping as a login, then the result
   * is stored for the wizard and the admin sees a plain page. Whatever fails is stored with the
   * reference of the error page the admin sees, so both show the same id.
   */
  const finishTest = async (request: BridgeRequest, attempt: Attempt, taken: TakenLogin<TestLoginTransaction>): Promise<BridgeResponse> => {
    const { testId } = taken.transaction;
    let outcome: TestOutcome;
    let fingerprint: string | undefined;
    let draft = false;
    try {
      const test = await requireTestConfig(taken.transaction);
      fingerprint = test.providerFingerprint;
      draft = test.draft === true;
      outcome = await finishTestLogin(loginContext, test.config, request.query, taken, { checksDomains: test.checksDomains }, attempt);
    } catch (error) {
      const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', describeUnexpected(error), { cause: error });
      outcome = { ok: false, code: bridgeError.code, error: bridgeError };
    }
    const { connectionId, providerId } = taken.transaction;
    const recorded = {
      testId,
      connectionId,
      providerId,
      reference: attempt.reference,
      outcome,
      fingerprint,
      draft,
      now: ports.clock.now(),
      ...(taken.bindingCookie ? { bindingCookie: taken.bindingCookie } : {}),
    };
    await recordTestOutcome(ports.store, recorded).catch((error: unknown) => {
      throw new BridgeError('storage_unavailable', (error as Error)?.message?.slice(0, 200), { cause: error });
    });
    if (!outcome.ok) {
      ports.logger.log('warn', 'test.failed', { reference: attempt.reference, testId, code: outcome.code });
      throw outcome.error;
    }
    ports.logger.log('info', 'test.succeeded', { reference: attempt.reference, testId, bindingCookie: taken.bindingCookie });
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

  /**
   * What the last connection test saw of the binding cookie on this host: `false` (dropped: a
   * login without it is accepted), `true` (carried: a test without it is refused too), or
   * nothing yet (see `takeLoginTransaction`). A failed read counts as nothing yet, which keeps
   * logins bound: a login may then fail, never be weakened.
   */
  const cookieSeenByLastTest = async (): Promise<boolean | undefined> => {
    const check = await readBindingCookieCheck(ports.store).catch((error: unknown) => {
      ports.logger.log('warn', 'binding.check_unreadable', { detail: (error as Error)?.message?.slice(0, 200) });
      return undefined;
    });
    return check?.seen;
  };

  /**
   * The SSO URL: the AuthnRequest's connection and provider, then the redirect to the provider,
   * or, when several providers could serve the login, the page that asks which.
   */
  /**
   * On a refused callback of an SP-initiated login: the ways on its error page offers, the
   * site for "Try again" and, where the account was the problem and the provider can be asked
   * to let the user choose, a new login for "Use another account". Preparing them never
   * changes the refusal: a failure here is logged and the page offers less.
   */
  const prepareWaysOn = async (refusal: unknown, current: BridgeDirectory, transaction: SamlLoginTransaction, always: WaysOn): Promise<void> => {
    if (!(refusal instanceof BridgeError)) return;
    try {
      always.siteUrl = siteUrlOf(current, transaction.connectionId);
      const provider = providerById(current, transaction.connectionId, transaction.providerId);
      const config = await provider.config();
      const another = await offerAnotherAccount(loginContext, config, transaction, refusal, current.revision ?? undefined);
      if (!another) return;
      always.anotherAccountUrl = another.redirectTo;
      if (another.browserBinding) always.cookies.push(bindingCookieHeader(baseUrl, another.browserBinding));
    } catch (error) {
      ports.logger.log('warn', 'login.ways_on_unavailable', { detail: (error as Error)?.message?.slice(0, 200) });
    }
  };

  const sso = async (request: BridgeRequest, attempt: Attempt, always: WaysOn): Promise<BridgeResponse> => {
    const params = request.method === 'POST' ? formParams(request) : request.query;
    const samlRequest = single(params, 'SAMLRequest', 'saml_request_malformed');
    const relayState = single(params, 'RelayState', 'relay_state_invalid');
    const email = single(params, CHOICE_FIELDS.email, 'saml_request_malformed');
    const providerId = single(params, CHOICE_FIELDS.provider, 'saml_request_malformed');
    const current = await directory();
    requireAnyConnection(current);
    if (samlRequest !== undefined) attempt.record = 'on_refusal';
    const received = parseCookies(request);
    const binding = request.method === 'POST' ? 'post' : 'redirect';
    let started: Awaited<ReturnType<typeof startLogin>>;
    try {
      started = await startLogin(
        loginContext,
        current,
        {
          binding,
          samlRequest,
          relayState,
          providerChoice: { email: email || undefined, providerId, remembered: received[providerChoiceCookie.name(baseUrl)] },
        },
        attempt,
      );
    } catch (error) {
      always.siteUrl = siteUrlOf(current, attempt.connectionId);
      throw error;
    }
    if (started.kind === 'choose') {
      ports.logger.log('info', 'login.choosing', { reference: attempt.reference, connection: started.connection.id });
      return providerChoicePage(started.connection, { action: `${baseUrl}/saml/sso`, method: binding === 'post' ? 'post' : 'get', fields: { SAMLRequest: samlRequest, RelayState: relayState } });
    }
    ports.logger.log('info', 'login.started', {
      reference: attempt.reference,
      connection: started.connection.id,
      provider: started.provider.id,
      samlRequestId: started.samlRequestId,
      binding,
      browserBound: started.browserBinding !== undefined,
    });
    const cookies: string[] = [];
    if (started.browserBinding) cookies.push(bindingCookieHeader(baseUrl, started.browserBinding));
    if (started.chosen) cookies.push(providerChoiceCookie.header(baseUrl, started.provider.id));
    return {
      status: 302,
      headers: { Location: started.redirectTo, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
      ...(cookies.length ? { cookies } : {}),
      body: '',
    };
  };

  const callback = async (request: BridgeRequest, attempt: Attempt, always: WaysOn): Promise<BridgeResponse> => {
    const cookies = parseCookies(request);
    const bindingCookie = (state: string): string | undefined => cookies[browserBindingCookieName(state, baseUrl)];
    const taken = await takeLoginTransaction(ports, request.query, bindingCookie, cookieSeenByLastTest);
    const { transaction } = taken;
    // From here on this is one login attempt: the callback records it, whatever its outcome,
    // under the reference its first leg showed.
    if (transaction.attempt) attempt.reference = transaction.attempt;
    Object.assign(attempt, { record: 'always', flow: transaction.kind, startedAt: transaction.createdAt, connectionId: transaction.connectionId, providerId: transaction.providerId });
    if (taken.unbound) ports.logger.log('warn', 'login.unbound', { reference: attempt.reference, reason: 'cookie_not_seen' });
    // The transaction is gone: whatever happens next, this login's cookie has no use left.
    if (transaction.browserHash) always.cookies.push(bindingCookieHeader(baseUrl, { state: taken.state, value: '', maxAge: 0 }));
    if (transaction.kind === 'test') return finishTest(request, attempt, taken as TakenLogin<TestLoginTransaction>);
    if (transaction.kind === 'sp') attempt.samlRequestId = transaction.samlRequestId;
    const current = await directory({ revision: transaction.directoryRevision });
    let result: FinishLoginResult;
    try {
      const signingKeyOf = (connectionId: string) => activeSigningKey(current.connections.find((c) => c.id === connectionId) ?? { id: connectionId });
      result = await finishLogin(loginContext, current, request.query, signingKeyOf, taken as TakenLogin<SamlLoginTransaction>, attempt);
    } catch (error) {
      await prepareWaysOn(error, current, transaction, always);
      throw error;
    }
    ports.logger.log('info', 'login.succeeded', {
      reference: attempt.reference,
      flow: transaction.kind,
      connection: transaction.connectionId,
      provider: transaction.providerId,
      samlRequestId: result.samlRequestId,
      responseId: result.responseId,
      assertionId: result.assertionId,
    });
    const nonce = ports.random.token(16);
    return {
      status: 200,
      headers: htmlHeaders({ nonce, formAction: result.acsUrl }),
      body: renderAutoPostPage({ action: result.acsUrl, fields: { SAMLResponse: result.samlResponse, RelayState: result.relayState }, nonce }),
    };
  };

  /**
   * A connection's start URL (`/saml/start/<connection>`): an IdP-initiated login, when an owner
   * turned it on. Any `target` is only a path of the connection's own site; the choice page of a
   * connection with several providers comes back here with the same `target`.
   */
  const idpStart = async (request: BridgeRequest, attempt: Attempt, always: WaysOn, connectionId: string): Promise<BridgeResponse> => {
    // A refused start is recorded; a started one is recorded by the callback that ends it.
    attempt.record = 'on_refusal';
    attempt.flow = 'idp';
    const targetPath = single(request.query, 'target', 'idp_initiated_target_refused');
    const email = single(request.query, CHOICE_FIELDS.email, 'saml_request_malformed');
    const providerId = single(request.query, CHOICE_FIELDS.provider, 'saml_request_malformed');
    const current = await directory();
    let started: Awaited<ReturnType<typeof startIdpLogin>>;
    try {
      started = await startIdpLogin(
        loginContext,
        current,
        { connectionId, targetPath, providerChoice: { email: email || undefined, providerId, remembered: parseCookies(request)[providerChoiceCookie.name(baseUrl)] } },
        attempt,
      );
    } catch (error) {
      always.siteUrl = siteUrlOf(current, attempt.connectionId);
      throw error;
    }
    const action = idpInitiatedStartUrl(baseUrl, connectionId);
    if (started.kind === 'choose') {
      ports.logger.log('info', 'login.choosing', { reference: attempt.reference, connection: started.connection.id, flow: 'idp' });
      return providerChoicePage(started.connection, { action, method: 'get', fields: { target: targetPath } });
    }
    ports.logger.log('info', 'login.started', {
      reference: attempt.reference,
      connection: started.connection.id,
      provider: started.provider.id,
      flow: 'idp',
      browserBound: started.browserBinding !== undefined,
    });
    const cookies: string[] = [];
    if (started.browserBinding) cookies.push(bindingCookieHeader(baseUrl, started.browserBinding));
    if (started.chosen) cookies.push(providerChoiceCookie.header(baseUrl, started.provider.id));
    return {
      status: 302,
      headers: { Location: started.redirectTo, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
      ...(cookies.length ? { cookies } : {}),
      body: '',
    };
  };

  /** `/saml/metadata` is the first connection's (as in the single-configuration release); `/saml/metadata/<id>` another's. */
  const metadata = async (connectionId: string): Promise<BridgeResponse> => {
    const current = await directory().catch(() => undefined);
    const connection = current?.connections.find((c) => c.id === connectionId);
    const known = connection ?? current?.unready.find((c) => c.id === connectionId);
    if (!known && connectionId !== DEFAULT_ID) throw new BridgeError('not_found', `no connection ${connectionId.slice(0, 40)}`);
    const metadataUrl = connectionId === DEFAULT_ID ? `${baseUrl}/saml/metadata` : `${baseUrl}/saml/metadata/${connectionId}`;
    const ring = await signingKeyRing(connectionId);
    const xml = idpMetadataXml({ entityId: connection?.idpEntityId ?? metadataUrl, ssoUrl: `${baseUrl}/saml/sso` }, ring);
    return {
      status: 200,
      headers: { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' },
      body: xml,
    };
  };

  /**
   * `/oidc/jwks/<connection>/<provider>`: the public client keys a provider with
   * `private_key_jwt` fetches or registers (the active key, and the next one while prepared).
   * Only a ring an admin's save or rotation made is served; an unknown one is `not_found`, and
   * nothing here makes a key.
   */
  const clientKeys = async (connectionId: string, providerId: string): Promise<BridgeResponse> => {
    const ring = await readClientKeyRing(ports.store, connectionId, providerId);
    if (!ring) throw new BridgeError('not_found', `no client keys for ${connectionId}/${providerId}`);
    return {
      status: 200,
      // no-cache: a provider that fetches the JWKS sees a prepared key before it is activated.
      headers: { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' },
      body: JSON.stringify(clientJwks(ring)),
    };
  };

  /**
   * A route answers a response, or throws; `always` holds cookies for either answer (the
   * callback clears the binding cookie once the login is over, on the error page too).
   */
  type Route = { methods: string[]; run(request: BridgeRequest, attempt: Attempt, always: WaysOn): Promise<BridgeResponse> };
  const routes: Record<string, Route> = {
    '/saml/sso': { methods: ['GET', 'POST'], run: sso },
    '/oidc/callback': { methods: ['GET'], run: callback },
    '/test/start': {
      methods: ['GET'],
      async run(request) {
        const started = await readTestStart(ports, request.query);
        ports.logger.log('info', 'test.redirected', {});
        return {
          status: 302,
          // no-referrer: the start URL carries the test's cookie value; the provider need not see it.
          headers: { Location: started.redirectTo, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
          cookies: [bindingCookieHeader(baseUrl, started.binding)],
          body: '',
        };
      },
    },
    '/saml/metadata': { methods: ['GET'], run: () => metadata(DEFAULT_ID) },
    '/healthz': {
      methods: ['GET'],
      async run() {
        return { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: '{"status":"ok"}' };
      },
    },
  };

  const routeFor = (path: string): Route | undefined => {
    const own = routes[path];
    if (own) return own;
    const connectionMetadata = /^\/saml\/metadata\/([a-z0-9][a-z0-9-]{0,39})$/.exec(path);
    if (connectionMetadata) return { methods: ['GET'], run: () => metadata(connectionMetadata[1]!) };
    const providerKeys = /^\/oidc\/jwks\/([a-z0-9][a-z0-9-]{0,39})\/([a-z0-9][a-z0-9-]{0,39})$/.exec(path);
    if (providerKeys) return { methods: ['GET'], run: () => clientKeys(providerKeys[1]!, providerKeys[2]!) };
    const connectionStart = IDP_START_PATH.exec(path);
    return connectionStart ? { methods: ['GET'], run: (request, attempt, always) => idpStart(request, attempt, always, connectionStart[1]!) } : undefined;
  };

  /**
   * What a request came to: an answer, or a refusal with its code. Every route either answers
   * or throws; here that becomes one value, recorded once and rendered once.
   */
  type Outcome = { ok: true; response: BridgeResponse } | { ok: false; refusal: BridgeError };

  const run = async (request: BridgeRequest, attempt: Attempt, always: WaysOn): Promise<Outcome> => {
    try {
      const route = routeFor(request.path.replace(/\/+$/, '') || '/');
      if (!route) throw new BridgeError('not_found', request.path.slice(0, 200));
      const method = request.method.toUpperCase();
      if (!route.methods.includes(method)) throw new BridgeError('method_not_allowed', method);
      return { ok: true, response: await route.run({ ...request, method }, attempt, always) };
    } catch (error) {
      return { ok: false, refusal: error instanceof BridgeError ? error : new BridgeError('internal', describeUnexpected(error), { cause: error }) };
    }
  };

  /** One audit record per attempt: the leg that ends it, or a first leg that was refused. */
  const recordAttempt = async (attempt: Attempt, outcome: Outcome): Promise<void> => {
    if (!options.audit || !attempt.record || (attempt.record === 'on_refusal' && outcome.ok)) return;
    // Shedding stores nothing, not even its record: the log line keeps its reference and code.
    if (!outcome.ok && outcome.refusal.code === 'login_capacity') return;
    // A refused first leg (a malformed or foreign AuthnRequest) is anyone's to send, and its
    // record is storage too: it counts toward the same bound as a login, and past it only the
    // log line remains.
    if (attempt.record === 'on_refusal' && !attempt.admitted) {
      const admitted = await loginContext.loginCounter.admit(loginContext).then(
        () => true,
        (error: unknown) => {
          ports.logger.log('warn', 'audit.shed', { reference: attempt.reference, code: error instanceof BridgeError ? error.code : 'internal' });
          return false;
        },
      );
      if (!admitted) return;
    }
    const record: LoginAuditRecord = {
      kind: 'login',
      reference: attempt.reference,
      time: attempt.startedAt,
      flow: attempt.flow ?? 'sp',
      outcome: outcome.ok ? 'ok' : 'refused',
      durationMs: Math.max(0, ports.clock.now() - attempt.startedAt),
      ...pick(attempt, ['connectionId', 'providerId', 'email', 'subject', 'samlRequestId', 'samlResponseId']),
      ...(outcome.ok ? {} : { code: outcome.refusal.code }),
    };
    // The answer does not wait on a failed write: the log keeps the reference and the code.
    await options.audit.record(record).catch((error: unknown) => {
      ports.logger.log('error', 'audit.write_failed', { reference: attempt.reference, detail: (error as Error)?.message?.slice(0, 200) });
    });
  };

  const handle = async (request: BridgeRequest): Promise<BridgeResponse> => {
    const attempt: Attempt = { reference: newReference(ports), startedAt: ports.clock.now() };
    const always: WaysOn = { cookies: [] };
    const outcome = await run(request, attempt, always);
    await recordAttempt(attempt, outcome);
    // The reference is read after the route ran: a callback answers under its first leg's.
    const response = outcome.ok ? outcome.response : renderFailure(outcome.refusal, attempt.reference, request, ports, waysOnFor(request, attempt, always));
    return withCookies(response, always.cookies);
  };

  return { handle, signingCredentials, signingKeyRing };
}

/**
 * What a route leaves for either answer: cookies (the callback clears the binding cookie once
 * the login is over, on the error page too), and what a login's error page offers.
 */
interface WaysOn {
  cookies: string[];
  /** The connection's Atlassian site, for "Try again". */
  siteUrl?: string;
  /** A new login at the provider asking which account to use. */
  anotherAccountUrl?: string;
}

/** The routes a user's browser reaches in a login; other addresses are no login to try again. */
const LOGIN_PATHS = new Set(['/saml/sso', '/oidc/callback']);
/** A connection's start URL (IdP-initiated login); the id as connection ids are (`ID_PATTERN`). */
const IDP_START_PATH = /^\/saml\/start\/([a-z0-9][a-z0-9-]{0,39})$/;

/**
 * The ways on from a login's error page: "Try again" at Atlassian (a new login needs a new
 * AuthnRequest, which only the service provider can make), and "Use another account" where one
 * was prepared. None for a connection test: the admin returns to the wizard.
 */
function waysOnFor(request: BridgeRequest, attempt: Attempt, always: WaysOn): ErrorPageActions | undefined {
  const path = request.path.replace(/\/+$/, '');
  if (attempt.flow === 'test' || !(LOGIN_PATHS.has(path) || IDP_START_PATH.test(path))) return undefined;
  return { tryAgainUrl: always.siteUrl ?? DEFAULT_ATLASSIAN_START_URL, ...(always.anotherAccountUrl ? { anotherAccountUrl: always.anotherAccountUrl } : {}) };
}

function withCookies(response: BridgeResponse, cookies: string[]): BridgeResponse {
  const all = [...cookies, ...(response.cookies ?? [])];
  return all.length ? { ...response, cookies: all } : response;
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

function renderFailure(bridgeError: BridgeError, reference: string, request: BridgeRequest, ports: Ports, actions?: ErrorPageActions): BridgeResponse {
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
  if (bridgeError.retryAfterSeconds !== undefined) headers['Retry-After'] = String(bridgeError.retryAfterSeconds);
  headers['X-Bridge-Error'] = bridgeError.code;
  headers['X-Bridge-Reference'] = reference;
  return { status, headers, body: renderErrorPage({ title, message, reference, nonce, ...(actions ? { actions } : {}) }) };
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

/** The Atlassian site a connection names, for "Try again" on its error pages. */
function siteUrlOf(directory: BridgeDirectory, connectionId: string | undefined): string | undefined {
  return directory.connections.find((c) => c.id === connectionId)?.siteUrl;
}
