import type { BridgeConfig } from './config.js';
import { BridgeError } from './errors.js';
import type { Ports } from './ports.js';
import { DEFAULT_ID, storageKeys } from './storage-keys.js';
import { bindingHash, bindingMatches, type BrowserBinding } from './browser-binding.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { userFromClaims } from '../upstream-oidc/user-from-claims.js';
import { samlSubjectFor, type SamlSubject } from '../downstream-saml/saml-subject.js';
import { normalizeDomain, type ConfigProblem } from './config.js';
import type { TestOutcome } from './test-login.js';
import { connectionForIssuer, providerById, type BridgeDirectory, type ConnectionEntry, type ProviderEntry } from './connections/directory.js';
import { readAuthnRequest, type AuthnRequestInfo, type SamlBinding } from '../downstream-saml/authn-request.js';
import { createSignedSamlResponse } from '../downstream-saml/saml-response.js';
import type { SigningCredentials } from '../downstream-saml/signing-key.js';
import { authorizationUrl, completeAuthorization, newLoginSecrets, type ProviderConfigurationCache } from '../upstream-oidc/upstream-oidc.js';

/**
 * The login pipeline: SSO URL → (provider choice) → provider → callback → SAML response. Each
 * leg is a list of small named steps below; the legs are joined by a login transaction kept in
 * the store under the OIDC `state`, single use, with its own expiry. What a leg learns about
 * the attempt (connection, provider, user, message ids) goes into its `Attempt`, which the
 * router records once in the audit trail, whether the leg answers or is refused.
 */

/** Everything a step needs besides the configuration; built by the bridge per request. */
export interface LoginContext {
  ports: Ports;
  providerCache: ProviderConfigurationCache;
  allowLoopbackHttp: boolean;
}

/** What one login attempt has shown so far: the audit record in the making (no secret, ever). */
export interface Attempt {
  /** The reference on the end user's page; the same for both legs of a login. */
  reference: string;
  /** When the first leg started (ms). */
  startedAt: number;
  flow?: 'sp' | 'test' | 'idp';
  connectionId?: string;
  providerId?: string;
  email?: string;
  subject?: string;
  samlRequestId?: string;
  samlResponseId?: string;
  /**
   * Whether the router records this request: `on_refusal` for a first leg (its success is
   * recorded by the callback that ends it), `always` for the leg that ends an attempt.
   */
  record?: 'on_refusal' | 'always';
}

interface TransactionBase {
  v: 2;
  /** The attempt's reference, carried to the callback so both legs show and record the same one. */
  attempt: string;
  connectionId: string;
  providerId: string;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
  /** Checked by the core itself: Forge KVS may serve expired values for up to 48 hours. */
  expiresAt: number;
  /**
   * SHA-256 of the browser-binding cookie's value, when the login is bound to the browser
   * (`bindLoginToBrowser`). For a test: the cookie its start URL sets, whose return the
   * callback records rather than requires.
   */
  browserHash: string | null;
  /**
   * The directory's revision when the login started. When this instance still has that
   * directory cached, the callback finishes under it without reading storage; otherwise it
   * reads the current one. Either way a saved change applies to every login started after it.
   */
  directoryRevision: string | null;
}

/** Started by an AuthnRequest at the SSO URL; ends in a SAML response. */
export interface SpLoginTransaction extends TransactionBase {
  kind: 'sp';
  samlRequestId: string;
  relayState: string | null;
  forceAuthn: boolean;
  /** The SP the request came from, so a changed connection cannot redirect a login. */
  spEntityId: string;
}

/** The wizard's connection test: ends in a stored result, never in a SAML response. */
export interface TestLoginTransaction extends TransactionBase {
  kind: 'test';
  /** Where its result is stored (`storageKeys.testResult`). */
  testId: string;
  /** The provider URL its start URL (`/test/start`) redirects to, after setting the cookie. */
  startRedirect: string;
}

/** A login in flight, as stored. IdP-initiated logins will be a third kind. */
export type LoginTransaction = SpLoginTransaction | TestLoginTransaction;

/** RelayState is echoed byte for byte, never truncated; this only bounds memory and page size. */
export const RELAY_STATE_MAX_CHARS = 8 * 1024;

/**
 * Characters an HTML form cannot post back unchanged (browsers turn CR and LF into CRLF and NUL
 * into U+FFFD), and U+FFFD itself, which stands for bytes that were not UTF-8: a RelayState with
 * any of them cannot be echoed byte for byte, so it is refused rather than altered.
 */
const RELAY_STATE_UNECHOABLE = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;

const ISSUED_STATE = /^[A-Za-z0-9_-]{43}$/;

// ---------------------------------------------------------------------------------------------
// First leg: the SSO URL.

export interface StartLoginInput {
  binding: SamlBinding;
  samlRequest: string | undefined;
  relayState: string | undefined;
  /** The provider the user picked on the choice page, or the one this browser picked before. */
  providerChoice?: { providerId?: string; email?: string; remembered?: string };
}

export type StartLoginResult =
  | {
      kind: 'redirect';
      redirectTo: string;
      samlRequestId: string;
      browserBinding?: BrowserBinding;
      connection: ConnectionEntry;
      provider: ProviderEntry;
      /** The user chose on the choice page: remember it in this browser. */
      chosen: boolean;
    }
  /** More than one provider could serve this login: ask the user. */
  | { kind: 'choose'; connection: ConnectionEntry; samlRequestId: string };

/** Checks the AuthnRequest, finds its connection and provider, records the login, and returns where to go. */
export async function startLogin(context: LoginContext, directory: BridgeDirectory, input: StartLoginInput, attempt: Attempt): Promise<StartLoginResult> {
  attempt.flow = 'sp';
  checkRelayState(input.relayState);
  const { request, connection } = readRequestForConnection(context, directory, input);
  attempt.connectionId = connection.id;
  attempt.samlRequestId = request.id;
  const choice = chooseProvider(connection, input.providerChoice);
  if (!choice) return { kind: 'choose', connection, samlRequestId: request.id };
  const { provider } = choice;
  attempt.providerId = provider.id;
  const config = await provider.config();
  const started = await redirectToProvider(context, config, attempt, directory.revision, {
    kind: 'sp',
    samlRequestId: request.id,
    relayState: input.relayState ?? null,
    forceAuthn: request.forceAuthn,
    spEntityId: connection.spEntityId,
    loginHint: choice.email,
  });
  return { kind: 'redirect', ...started, samlRequestId: request.id, connection, provider, chosen: choice.chosen };
}

/** RelayState is echoed to the SP unchanged, or refused. */
function checkRelayState(relayState: string | undefined): void {
  if (relayState === undefined) return;
  if (relayState.length > RELAY_STATE_MAX_CHARS) throw new BridgeError('relay_state_invalid', `length ${relayState.length}`);
  if (RELAY_STATE_UNECHOABLE.test(relayState)) throw new BridgeError('relay_state_invalid', 'characters a form cannot echo unchanged');
}

/** The AuthnRequest, checked against the connection its Issuer names. */
function readRequestForConnection(context: LoginContext, directory: BridgeDirectory, input: StartLoginInput): { request: AuthnRequestInfo; connection: ConnectionEntry } {
  let connection: ConnectionEntry | undefined;
  const request = readAuthnRequest(input.binding, input.samlRequest, {
    now: context.ports.clock.now(),
    serviceProviderFor(issuer) {
      connection = connectionForIssuer(directory, issuer);
      return { entityId: connection.spEntityId, acsUrl: connection.acsUrl, ...connection.requestLimits };
    },
  });
  return { request, connection: connection! };
}

/**
 * The provider of this login: the only one, the one whose domains hold the email the user gave,
 * the one the user picked, or the one this browser picked before. Undefined: ask the user.
 * Routing only picks where the user signs in; the callback still accepts only the picked
 * provider's own domains, so no provider can vouch for another's users.
 */
function chooseProvider(
  connection: ConnectionEntry,
  choice: StartLoginInput['providerChoice'],
): { provider: ProviderEntry; chosen: boolean; email?: string } | undefined {
  if (connection.providers.length === 1) return { provider: connection.providers[0]!, chosen: false };
  if (choice?.email !== undefined) {
    const email = choice.email.trim();
    const at = email.lastIndexOf('@');
    const domain = at > 0 && email.length <= 320 ? normalizeDomain(email.slice(at + 1)) : undefined;
    if (!domain) throw new BridgeError('user_email_invalid', 'the email given on the choice page is not an address');
    const provider = connection.providers.find((p) => p.domains.includes(domain));
    if (!provider) throw new BridgeError('user_domain_not_allowed', `no provider of connection ${connection.id} serves ${domain}`);
    return { provider, chosen: true, email };
  }
  if (choice?.providerId !== undefined) {
    const provider = connection.providers.find((p) => p.id === choice.providerId);
    if (!provider) throw new BridgeError('saml_request_malformed', 'the chosen provider is not one of this connection');
    return { provider, chosen: true };
  }
  const remembered = choice?.remembered !== undefined ? connection.providers.find((p) => p.id === choice.remembered) : undefined;
  return remembered ? { provider: remembered, chosen: false } : undefined;
}

type NewTransaction =
  | { kind: 'sp'; samlRequestId: string; relayState: string | null; forceAuthn: boolean; spEntityId: string; loginHint?: string }
  | { kind: 'test'; testId: string };

/** Records the login transaction and builds the provider's authorization URL. */
async function redirectToProvider(
  context: LoginContext,
  config: BridgeConfig,
  attempt: Attempt,
  directoryRevision: string | undefined,
  what: NewTransaction,
): Promise<{ redirectTo: string; browserBinding?: BrowserBinding; state: string; bindingValue?: string; expiresAt: number }> {
  const { ports } = context;
  const now = ports.clock.now();
  const secrets = newLoginSecrets();
  // Every login is bound unless the configuration says otherwise; where a connection test saw
  // this host drop the cookie, the callback accepts its absence (`takeLoginTransaction`). A
  // test always sets its cookie, to measure whether it comes back.
  const bindingValue = what.kind === 'test' || config.bindLoginToBrowser ? ports.random.token(32) : undefined;
  const redirect = await authorizationUrl(upstream(context, config), now, secrets, {
    forceAuthn: what.kind === 'sp' && what.forceAuthn,
    ...(what.kind === 'sp' && what.loginHint ? { loginHint: what.loginHint } : {}),
  });
  const base: TransactionBase = {
    v: 2,
    attempt: attempt.reference,
    connectionId: config.connectionId,
    providerId: config.providerId,
    nonce: secrets.nonce,
    codeVerifier: secrets.codeVerifier,
    createdAt: now,
    expiresAt: now + config.loginTimeoutSeconds * 1000,
    browserHash: bindingValue ? bindingHash(bindingValue) : null,
    directoryRevision: directoryRevision ?? null,
  };
  const transaction: LoginTransaction =
    what.kind === 'sp'
      ? { ...base, kind: 'sp', samlRequestId: what.samlRequestId, relayState: what.relayState, forceAuthn: what.forceAuthn, spEntityId: what.spEntityId }
      : { ...base, kind: 'test', testId: what.testId, startRedirect: redirect.href };
  const stored = await guardStorage(() =>
    ports.store.set(storageKeys.login(secrets.state), { ...transaction }, { ttlSeconds: config.loginTimeoutSeconds + 60, ifAbsent: true }),
  );
  // A fresh 256-bit state cannot collide; if it does, something is wrong with the store.
  if (!stored) throw new BridgeError('storage_unavailable', 'login key already exists');
  const browserBinding = bindingValue && what.kind === 'sp' ? { state: secrets.state, value: bindingValue, maxAge: config.loginTimeoutSeconds } : undefined;
  return { redirectTo: redirect.href, state: secrets.state, expiresAt: base.expiresAt, ...(browserBinding ? { browserBinding } : {}), ...(bindingValue ? { bindingValue } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Second leg: the callback.

/** A login transaction taken from the store by its callback: checked, and gone from the store. */
export interface TakenLogin<T extends LoginTransaction = LoginTransaction> {
  state: string;
  transaction: T;
  /**
   * For a test whose start URL set the binding cookie: whether the cookie came back with the
   * callback (`seen`) or not (`not_seen`). A login never gets this far without it.
   */
  bindingCookie?: 'seen' | 'not_seen';
  /** A bound login accepted without its cookie, on a host a connection test saw dropping it. */
  unbound?: true;
}

/** The binding cookie the callback request carries for a login `state`, if any. */
export type BindingCookieLookup = (state: string) => string | undefined;

/**
 * A stored transaction, or undefined for anything this release did not write. Logins in flight
 * across an upgrade from the single-configuration release (`v: 1`) finish under the first
 * connection, which is what that release's configuration became.
 */
function readTransaction(raw: unknown): LoginTransaction | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const stored = raw as Record<string, unknown>;
  if (stored.v === 1) {
    const base = {
      ...stored,
      v: 2,
      attempt: undefined,
      connectionId: DEFAULT_ID,
      providerId: DEFAULT_ID,
      directoryRevision: null,
    };
    return checkedTransaction(stored.kind === 'test' ? { ...base, kind: 'test' } : { ...base, kind: 'sp' });
  }
  return stored.v === 2 ? checkedTransaction(stored) : undefined;
}

function checkedTransaction(stored: Record<string, unknown>): LoginTransaction | undefined {
  const strings = ['connectionId', 'providerId', 'nonce', 'codeVerifier'] as const;
  if (strings.some((name) => typeof stored[name] !== 'string') || typeof stored.expiresAt !== 'number' || typeof stored.createdAt !== 'number') return undefined;
  if (stored.kind === 'sp' && typeof stored.samlRequestId === 'string' && typeof stored.spEntityId === 'string') return stored as unknown as SpLoginTransaction;
  // `startRedirect` is checked where it is used (`readTestStart`): the callback needs only the id.
  if (stored.kind === 'test' && typeof stored.testId === 'string') return stored as unknown as TestLoginTransaction;
  return undefined;
}

/**
 * The first step of every callback: burns the login transaction (a replayed callback never
 * reaches the token endpoint), then checks its expiry and the browser binding. What kind of
 * login it was (`sp` or `test`) is known only after this.
 *
 * A callback without the binding cookie is checked before the burn: a browser that lacks it
 * (the victim of a login CSRF, a user who opened the link elsewhere) is refused and the login
 * stays usable for the browser that started it. The read is only a pre-check: the take stays
 * the one atomic step that makes the transaction single use, and every decision is made again
 * on the record the take returned.
 *
 * Except where this host was seen to drop the cookie: `cookieDropsSeen` reads what the last
 * connection test recorded (`BindingCookieCheck`, written only by an admin's test), and only
 * for a callback that lacks the cookie, so the common case pays no storage read for it. Nothing
 * in the request decides it.
 */
export async function takeLoginTransaction(
  ports: Ports,
  query: Record<string, string[]>,
  bindingCookie: BindingCookieLookup,
  cookieDropsSeen: () => Promise<boolean> = async () => false,
): Promise<TakenLogin> {
  for (const name of ['state', 'code', 'iss', 'error']) {
    if ((query[name]?.length ?? 0) > 1) throw new BridgeError('callback_malformed', `${name} repeated`);
  }
  const state = query.state?.[0];
  if (!state) throw new BridgeError('login_state_missing');
  // Every state the bridge issues is openid-client's randomState(): 32 random bytes, base64url.
  // Anything else was never issued here; refusing it before the store spares a storage
  // operation (billed on Forge) and keeps hostile text out of storage keys.
  if (!ISSUED_STATE.test(state)) throw new BridgeError('login_unknown', 'state not in the issued format');
  const key = storageKeys.login(state);
  const cookie = bindingCookie(state);
  // Decided before the take, from storage only: a login may go unbound only on a host an
  // admin's connection test saw dropping the cookie.
  const unboundAccepted = cookie === undefined && (await cookieDropsSeen());
  if (cookie === undefined && !unboundAccepted) {
    // Only a callback without the cookie is read first. One with a cookie of the wrong value
    // comes from no legitimate flow (names are per login) and may burn the login; skipping the
    // read there spares the common case a billed storage operation.
    const peeked = readTransaction(await guardStorage(() => ports.store.get(key)));
    if (peeked && peeked.kind === 'sp' && peeked.browserHash && peeked.expiresAt > ports.clock.now()) {
      throw new BridgeError('login_browser_mismatch', 'binding cookie missing; the login is kept for its own browser');
    }
  }
  const transaction = readTransaction(await guardStorage(() => ports.store.take(key)));
  if (!transaction) throw new BridgeError('login_unknown');
  const now = ports.clock.now();
  if (transaction.expiresAt <= now) throw new BridgeError('login_expired');
  if (!transaction.browserHash) return { state, transaction };
  // A test measures the cookie instead of requiring it (it never signs anyone in); a cookie of
  // the wrong value is refused for both kinds.
  if (transaction.kind === 'test' && cookie === undefined) return { state, transaction, bindingCookie: 'not_seen' };
  // The degraded mode (login CSRF protection off on this host), chosen by the admin's test.
  if (cookie === undefined && unboundAccepted) return { state, transaction, unbound: true };
  if (!bindingMatches(transaction.browserHash, cookie)) {
    throw new BridgeError('login_browser_mismatch', cookie ? 'binding cookie differs' : 'binding cookie missing');
  }
  return { state, transaction, ...(transaction.kind === 'test' ? { bindingCookie: 'seen' as const } : {}) };
}

/** What the callback of an SP-initiated login posts to the service provider. */
export interface FinishLoginResult {
  acsUrl: string;
  samlResponse: string;
  relayState: string | undefined;
  user: AuthenticatedUser;
  responseId: string;
  assertionId: string;
  samlRequestId: string;
  usedUserinfo: boolean;
}

/**
 * The rest of an SP-initiated login's callback, after `takeLoginTransaction`: the provider's
 * half (openid-client checks state, PKCE, ID token signature, iss, aud, exp, nonce), ForceAuthn,
 * the user checks against this provider's own domains, and the signed response.
 */
export async function finishLogin(
  context: LoginContext,
  directory: BridgeDirectory,
  query: Record<string, string[]>,
  credentials: (connectionId: string) => Promise<SigningCredentials>,
  taken: TakenLogin<SpLoginTransaction>,
  attempt: Attempt,
): Promise<FinishLoginResult> {
  const { transaction } = taken;
  const provider = providerById(directory, transaction.connectionId, transaction.providerId);
  const config = await provider.config();
  if (transaction.spEntityId !== config.serviceProvider.entityId) {
    throw new BridgeError('login_unknown', 'the service provider changed since the login started');
  }
  const now = context.ports.clock.now();
  const { claims, authTime, usedUserinfo } = await exchangeCode(context, config, taken, query, now);
  noteClaimedUser(attempt, claims);
  checkForceAuthn(transaction, authTime, config);
  const user = userFromClaims(claims, config);
  attempt.email = user.email;
  attempt.subject = user.subject;
  const subject = samlSubjectFor(user);
  const signed = await createSignedSamlResponse(config, await credentials(config.connectionId), context.ports.random, {
    inResponseTo: transaction.samlRequestId,
    nameId: subject.nameId,
    nameIdFormat: subject.nameIdFormat,
    attributes: subject.attributes,
    authnInstant: authTime && authTime <= now ? authTime : now,
    sessionIndex: `_${context.ports.random.token(16)}`,
    now,
  });
  attempt.samlResponseId = signed.responseId;
  return {
    acsUrl: config.serviceProvider.acsUrl,
    samlResponse: signed.samlResponse,
    relayState: transaction.relayState ?? undefined,
    user,
    responseId: signed.responseId,
    assertionId: signed.assertionId,
    samlRequestId: transaction.samlRequestId,
    usedUserinfo,
  };
}

/**
 * Who the provider said the user is, before the bridge's checks: a refused attempt is recorded
 * with the address and subject that were refused (the audit trail is the customer's record;
 * these never go to a log line). A login that passes records the checked values instead.
 */
function noteClaimedUser(attempt: Attempt, claims: Readonly<Record<string, unknown>>): void {
  if (typeof claims.email === 'string' && claims.email.length <= 320) attempt.email = claims.email.trim().toLowerCase();
  if (typeof claims.sub === 'string' && claims.sub.length <= 1024) attempt.subject = claims.sub;
}

/** A provider may ignore prompt=login; ForceAuthn holds only if the user authenticated after the login started (allowing for clock skew). */
function checkForceAuthn(transaction: SpLoginTransaction, authTime: number | undefined, config: BridgeConfig): void {
  if (transaction.forceAuthn && (authTime === undefined || authTime < transaction.createdAt - config.clockSkewSeconds * 1000)) {
    throw new BridgeError('oidc_id_token_invalid', 'ForceAuthn: no authentication since the login started (auth_time)');
  }
}

/** The provider's half of a callback: code exchange (after the RFC 9207 mix-up check), ID token and userinfo. */
async function exchangeCode(context: LoginContext, config: BridgeConfig, taken: TakenLogin, query: Record<string, string[]>, now: number) {
  if (!query.error?.[0] && !query.code?.[0]) throw new BridgeError('oidc_code_missing');
  const callbackUrl = new URL(config.urls.callback);
  for (const [name, values] of Object.entries(query)) for (const value of values) callbackUrl.searchParams.append(name, value);
  return completeAuthorization(upstream(context, config), now, callbackUrl, {
    state: taken.state,
    nonce: taken.transaction.nonce,
    codeVerifier: taken.transaction.codeVerifier,
  });
}

// ---------------------------------------------------------------------------------------------
// The wizard's connection test: the same legs, ending in a stored result.

/**
 * Starts the wizard's connection test: a login transaction marked as a test, and what the
 * admin's browser opens first: this host's `/test/start` (`readTestStart`), which sets the
 * binding cookie as `/saml/sso` does and redirects to the provider, so that the callback can
 * record whether the cookie came back through this host. The start is a resolver call, which
 * on Forge cannot set a cookie on the web trigger's domain; hence the extra hop. The cookie's
 * value travels in the start URL: for a test it only measures the host (a test never signs
 * anyone in, so there is no login CSRF to defend against).
 */
export async function startTestLogin(
  context: LoginContext,
  config: BridgeConfig,
  testId: string,
  attempt: Attempt,
): Promise<{ state: string; bindingValue: string; expiresAt: number }> {
  const started = await redirectToProvider(context, config, attempt, undefined, { kind: 'test', testId });
  return { state: started.state, bindingValue: started.bindingValue!, expiresAt: started.expiresAt };
}

/**
 * `/test/start`: the first hop of a connection test in the admin's browser. Reads (never takes)
 * the test transaction named by `state`; only with the binding value `startTestLogin` issued
 * for it does it answer the cookie to set and the provider URL stored with the test, so it can
 * neither redirect anywhere else nor set any other cookie.
 */
export async function readTestStart(ports: Ports, query: Record<string, string[]>): Promise<{ redirectTo: string; binding: BrowserBinding }> {
  for (const name of ['state', 'binding']) {
    if ((query[name]?.length ?? 0) !== 1) throw new BridgeError('login_unknown', `${name} missing or repeated`);
  }
  const state = query.state![0]!;
  const value = query.binding![0]!;
  if (!ISSUED_STATE.test(state)) throw new BridgeError('login_unknown', 'state not in the issued format');
  const stored = readTransaction(await guardStorage(() => ports.store.get(storageKeys.login(state))));
  if (!stored || stored.kind !== 'test' || !stored.browserHash || typeof stored.startRedirect !== 'string') throw new BridgeError('login_unknown', 'no such connection test');
  const now = ports.clock.now();
  if (stored.expiresAt <= now) throw new BridgeError('login_expired');
  if (!bindingMatches(stored.browserHash, value)) throw new BridgeError('login_unknown', 'binding value differs');
  return { redirectTo: stored.startRedirect, binding: { state, value, maxAge: Math.max(1, Math.ceil((stored.expiresAt - now) / 1000)) } };
}

/**
 * Finishes a connection test with the same checks and mapping as a login (code exchange, ID
 * token, userinfo, email, verified flag, domain, NameID, attributes) and returns what would be
 * sent to Atlassian, without signing or sending anything. Claims that arrived are kept in a
 * failure too, so the admin sees why a user was refused.
 */
export async function finishTestLogin(
  context: LoginContext,
  config: BridgeConfig,
  query: Record<string, string[]>,
  taken: TakenLogin<TestLoginTransaction>,
  options: { checksDomains: boolean },
  attempt: Attempt,
): Promise<TestOutcome> {
  let claims: Readonly<Record<string, unknown>> | undefined;
  try {
    ({ claims } = await exchangeCode(context, config, taken, query, context.ports.clock.now()));
    noteClaimedUser(attempt, claims);
    const mapped = mapTestUser(claims, config, options.checksDomains);
    attempt.email = mapped.user.email;
    attempt.subject = mapped.user.subject;
    return { ok: true, claims, subject: mapped.subject, warnings: mapped.warnings };
  } catch (error) {
    const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', (error as Error)?.message?.slice(0, 200), { cause: error });
    return { ok: false, code: bridgeError.code, error: bridgeError, ...(claims ? { claims } : {}) };
  }
}

/**
 * The login's user checks and mapping, for a test or a preview: exactly what a login does,
 * except that while no allowed email domains are set (they come in a later step) the user's own
 * domain is accepted and a warning says so, rather than refusing everyone. Throws `BridgeError`
 * with the code a login would fail with.
 */
export function mapTestUser(
  claims: Readonly<Record<string, unknown>>,
  config: BridgeConfig,
  checksDomains: boolean,
): { user: AuthenticatedUser; subject: SamlSubject; warnings: ConfigProblem[] } {
  const warnings: ConfigProblem[] = [];
  let effective = config;
  if (!checksDomains) {
    const email = claims.email;
    const domain = typeof email === 'string' ? normalizeDomain(email.slice(email.lastIndexOf('@') + 1)) : undefined;
    if (domain) effective = { ...config, allowedEmailDomains: [domain] };
    warnings.push({ path: 'allowedEmailDomains', message: `No allowed email domains are set yet, so the domain ${domain ?? '(none)'} was not checked.` });
  }
  const user = userFromClaims(claims, effective);
  return { user, subject: samlSubjectFor(user), warnings };
}

function upstream(context: LoginContext, config: BridgeConfig) {
  return { config, fetch: context.ports.fetch, allowLoopbackHttp: context.allowLoopbackHttp, cache: context.providerCache };
}

/** Storage failures become one clear code; the half-written state is none (each step writes once). */
async function guardStorage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError('storage_unavailable', (error as Error)?.message?.slice(0, 200), { cause: error });
  }
}
