import type { BridgeConfig } from './config.js';
import { BridgeError } from './errors.js';
import type { Ports } from './ports.js';
import { storageKeys } from './storage-keys.js';
import { bindingHash, bindingMatches, type BrowserBinding } from './browser-binding.js';
import { authenticatedUserFrom, samlSubjectFor, type AuthenticatedUser, type SamlSubject } from './authenticated-user.js';
import { normalizeDomain, type ConfigProblem } from './config.js';
import type { TestOutcome } from './test-login.js';
import { readAuthnRequest, type SamlBinding } from '../downstream-saml/authn-request.js';
import { createSignedSamlResponse } from '../downstream-saml/saml-response.js';
import type { SigningCredentials } from '../downstream-saml/signing-key.js';
import {
  authorizationUrl,
  completeAuthorization,
  newLoginSecrets,
  type ProviderConfigurationCache,
} from '../upstream-oidc/upstream-oidc.js';

/**
 * The login flow: SSO URL → provider → callback → SAML response. Two steps joined by a login
 * transaction kept in the store under the OIDC `state`, single use, with its own expiry.
 */

/** Everything a step needs; built by the bridge per request. */
export interface LoginContext {
  ports: Ports;
  config: BridgeConfig;
  providerCache: ProviderConfigurationCache;
  allowLoopbackHttp: boolean;
}

/** A login in flight. Stored as JSON; `v` versions the shape. */
export interface LoginTransaction {
  v: 1;
  /**
   * `login`: started by an AuthnRequest, ends in a SAML response. `test`: the wizard's
   * connection test, ends in a stored result and never in a SAML response. Transactions stored
   * before this field existed are logins.
   */
  kind: 'login' | 'test';
  /** For a test: where its result is stored (`storageKeys.testResult`). */
  testId?: string;
  samlRequestId: string;
  relayState: string | null;
  nonce: string;
  codeVerifier: string;
  forceAuthn: boolean;
  createdAt: number;
  /** Checked by the core itself: Forge KVS may serve expired values for up to 48 hours. */
  expiresAt: number;
  /** The SP the request came from, so a changed configuration cannot redirect a login. */
  spEntityId: string;
  /**
   * SHA-256 of the browser-binding cookie's value, when the login is bound to the browser
   * (`bindLoginToBrowser`). For a test: the cookie its start URL sets,
   * whose return the callback records rather than requires.
   */
  browserHash: string | null;
  /** For a test: the provider URL its start URL (`/test/start`) redirects to, after setting the cookie. */
  startRedirect?: string;
  /**
   * The stored configuration's revision when the login started. When this instance still has
   * that configuration cached, the callback finishes under it without reading storage; otherwise
   * it reads the current one. Either way a saved change applies to every login started after it.
   */
  configRevision?: string | null;
}

/** RelayState is echoed byte for byte, never truncated; this only bounds memory and page size. */
export const RELAY_STATE_MAX_CHARS = 8 * 1024;

/**
 * Characters an HTML form cannot post back unchanged (browsers turn CR and LF into CRLF and NUL
 * into U+FFFD), and U+FFFD itself, which stands for bytes that were not UTF-8: a RelayState with
 * any of them cannot be echoed byte for byte, so it is refused rather than altered.
 */
const RELAY_STATE_UNECHOABLE = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;

const ISSUED_STATE = /^[A-Za-z0-9_-]{43}$/;

export interface StartLoginInput {
  binding: SamlBinding;
  samlRequest: string | undefined;
  relayState: string | undefined;
}

/** Checks the AuthnRequest, records the login, and returns the provider URL to redirect to. */
export async function startLogin(
  context: LoginContext,
  input: StartLoginInput,
): Promise<{ redirectTo: string; samlRequestId: string; browserBinding?: BrowserBinding }> {
  const { config, ports } = context;
  const now = ports.clock.now();
  if (input.relayState !== undefined && input.relayState.length > RELAY_STATE_MAX_CHARS) {
    throw new BridgeError('relay_state_invalid', `length ${input.relayState.length}`);
  }
  if (input.relayState !== undefined && RELAY_STATE_UNECHOABLE.test(input.relayState)) {
    throw new BridgeError('relay_state_invalid', 'characters a form cannot echo unchanged');
  }
  const request = readAuthnRequest(input.binding, input.samlRequest, {
    spEntityId: config.serviceProvider.entityId,
    acsUrl: config.serviceProvider.acsUrl,
    now,
    maxAgeSeconds: config.loginTimeoutSeconds,
    maxFutureSeconds: config.clockSkewSeconds,
  });
  const secrets = newLoginSecrets();
  // Every login is bound unless the configuration says otherwise; where a connection test saw
  // this host drop the cookie, the callback accepts its absence (`takeLoginTransaction`).
  const browserBinding: BrowserBinding | undefined = config.bindLoginToBrowser
    ? { state: secrets.state, value: ports.random.token(32), maxAge: config.loginTimeoutSeconds }
    : undefined;
  const redirect = await authorizationUrl(upstream(context), now, secrets, { forceAuthn: request.forceAuthn });
  const transaction: LoginTransaction = {
    v: 1,
    kind: 'login',
    samlRequestId: request.id,
    relayState: input.relayState ?? null,
    nonce: secrets.nonce,
    codeVerifier: secrets.codeVerifier,
    forceAuthn: request.forceAuthn,
    createdAt: now,
    expiresAt: now + config.loginTimeoutSeconds * 1000,
    spEntityId: config.serviceProvider.entityId,
    browserHash: browserBinding ? bindingHash(browserBinding.value) : null,
    configRevision: config.revision ?? null,
  };
  const stored = await guardStorage(() =>
    ports.store.set(storageKeys.login(secrets.state), { ...transaction }, { ttlSeconds: config.loginTimeoutSeconds + 60, ifAbsent: true }),
  );
  // A fresh 256-bit state cannot collide; if it does, something is wrong with the store.
  if (!stored) throw new BridgeError('storage_unavailable', 'login key already exists');
  return { redirectTo: redirect.href, samlRequestId: request.id, browserBinding };
}

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

/** A login transaction taken from the store by its callback: checked, and gone from the store. */
export interface TakenLogin {
  state: string;
  transaction: LoginTransaction;
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
 * The first step of every callback: burns the login transaction (a replayed callback never
 * reaches the token endpoint), then checks its expiry and the browser binding. What kind of
 * login it was (`login` or `test`) is known only after this.
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
    const peeked = await guardStorage(() => ports.store.get<LoginTransaction & Record<string, never>>(key));
    if (peeked && peeked.v === 1 && peeked.kind !== 'test' && peeked.browserHash && peeked.expiresAt > ports.clock.now()) {
      throw new BridgeError('login_browser_mismatch', 'binding cookie missing; the login is kept for its own browser');
    }
  }
  const stored = await guardStorage(() => ports.store.take<LoginTransaction & Record<string, never>>(key));
  if (!stored || stored.v !== 1) throw new BridgeError('login_unknown');
  const transaction: LoginTransaction = { ...stored, kind: stored.kind === 'test' ? 'test' : 'login' };
  if (transaction.kind === 'test' && typeof transaction.testId !== 'string') throw new BridgeError('login_unknown', 'test without id');
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

/**
 * Burns the login transaction first (or takes the one the caller already took), then lets
 * openid-client check everything (state, PKCE, ID token signature, iss, aud, exp, nonce), then
 * checks the user and signs the SAML response.
 */
export async function finishLogin(
  context: LoginContext,
  query: Record<string, string[]>,
  bindingCookie: BindingCookieLookup,
  credentials: () => Promise<SigningCredentials>,
  taken?: TakenLogin,
): Promise<FinishLoginResult> {
  const { config, ports } = context;
  const { state, transaction } = taken ?? (await takeLoginTransaction(ports, query, bindingCookie));
  // A connection test must never end in a SAML response, whatever else went wrong.
  if (transaction.kind !== 'login') throw new BridgeError('login_unknown', 'a connection test cannot complete a login');
  if (transaction.spEntityId !== config.serviceProvider.entityId) {
    throw new BridgeError('login_unknown', 'the service provider changed since the login started');
  }
  const now = ports.clock.now();
  const { claims, authTime, usedUserinfo } = await exchangeCode(context, { state, transaction }, query, now);
  // A provider may ignore prompt=login; ForceAuthn holds only if the user authenticated after
  // the login started (allowing for clock skew).
  if (transaction.forceAuthn && (authTime === undefined || authTime < transaction.createdAt - config.clockSkewSeconds * 1000)) {
    throw new BridgeError('oidc_id_token_invalid', 'ForceAuthn: no authentication since the login started (auth_time)');
  }
  const user = authenticatedUserFrom(claims, config);
  const subject = samlSubjectFor(user, config);
  const signed = await createSignedSamlResponse(config, await credentials(), ports.random, {
    inResponseTo: transaction.samlRequestId,
    nameId: subject.nameId,
    nameIdFormat: subject.nameIdFormat,
    attributes: subject.attributes,
    authnInstant: authTime && authTime <= now ? authTime : now,
    sessionIndex: `_${ports.random.token(16)}`,
    now,
  });
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

/** The provider's half of a callback: code exchange (after the RFC 9207 mix-up check), ID token and userinfo. */
async function exchangeCode(context: LoginContext, taken: TakenLogin, query: Record<string, string[]>, now: number) {
  const { config } = context;
  if (!query.error?.[0] && !query.code?.[0]) throw new BridgeError('oidc_code_missing');

  const callbackUrl = new URL(config.urls.callback);
  for (const [name, values] of Object.entries(query)) for (const value of values) callbackUrl.searchParams.append(name, value);
  return completeAuthorization(upstream(context), now, callbackUrl, {
    state: taken.state,
    nonce: taken.transaction.nonce,
    codeVerifier: taken.transaction.codeVerifier,
  });
}

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
  testId: string,
): Promise<{ state: string; bindingValue: string; expiresAt: number }> {
  const { config, ports } = context;
  const now = ports.clock.now();
  const secrets = newLoginSecrets();
  const bindingValue = ports.random.token(32);
  const redirect = await authorizationUrl(upstream(context), now, secrets, { forceAuthn: false });
  const transaction: LoginTransaction = {
    v: 1,
    kind: 'test',
    testId,
    samlRequestId: '',
    relayState: null,
    nonce: secrets.nonce,
    codeVerifier: secrets.codeVerifier,
    forceAuthn: false,
    createdAt: now,
    expiresAt: now + config.loginTimeoutSeconds * 1000,
    spEntityId: '',
    browserHash: bindingHash(bindingValue),
    startRedirect: redirect.href,
  };
  const stored = await guardStorage(() =>
    ports.store.set(storageKeys.login(secrets.state), { ...transaction }, { ttlSeconds: config.loginTimeoutSeconds + 60, ifAbsent: true }),
  );
  if (!stored) throw new BridgeError('storage_unavailable', 'login key already exists');
  return { state: secrets.state, bindingValue, expiresAt: transaction.expiresAt };
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
  const stored = await guardStorage(() => ports.store.get<LoginTransaction & Record<string, never>>(storageKeys.login(state)));
  if (!stored || stored.v !== 1 || stored.kind !== 'test' || !stored.browserHash || typeof stored.startRedirect !== 'string') {
    throw new BridgeError('login_unknown', 'no such connection test');
  }
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
  query: Record<string, string[]>,
  taken: TakenLogin,
  options: { checksDomains: boolean },
): Promise<TestOutcome> {
  if (taken.transaction.kind !== 'test') throw new BridgeError('login_unknown', 'not a connection test');
  let claims: Readonly<Record<string, unknown>> | undefined;
  try {
    ({ claims } = await exchangeCode(context, taken, query, context.ports.clock.now()));
    return { ok: true, claims, ...mapTestUser(claims, context.config, options.checksDomains) };
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
): { subject: SamlSubject; warnings: ConfigProblem[] } {
  const warnings: ConfigProblem[] = [];
  let effective = config;
  if (!checksDomains) {
    const email = claims.email;
    const domain = typeof email === 'string' ? normalizeDomain(email.slice(email.lastIndexOf('@') + 1)) : undefined;
    if (domain) effective = { ...config, allowedEmailDomains: [domain] };
    warnings.push({ path: 'allowedEmailDomains', message: `No allowed email domains are set yet, so the domain ${domain ?? '(none)'} was not checked.` });
  }
  const user = authenticatedUserFrom(claims, effective);
  return { subject: samlSubjectFor(user, effective), warnings };
}

function upstream(context: LoginContext) {
  return {
    config: context.config,
    fetch: context.ports.fetch,
    allowLoopbackHttp: context.allowLoopbackHttp,
    cache: context.providerCache,
  };
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
