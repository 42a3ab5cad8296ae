import { createHash, timingSafeEqual } from 'node:crypto';
import type { BridgeConfig } from './config.js';
import { BridgeError } from './errors.js';
import type { Ports } from './ports.js';
import { storageKeys } from './storage-keys.js';
import { authenticatedUserFrom, samlSubjectFor, type AuthenticatedUser } from './authenticated-user.js';
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
  /** SHA-256 of the browser-binding cookie's value, when the login is bound to the browser. */
  browserHash: string | null;
}

/**
 * The cookie that binds a login to the browser that started it. Without it, an attacker could
 * start a login as themselves, stop before the callback and make a victim's browser finish it,
 * signing the victim in to Atlassian as the attacker (login CSRF). One cookie per login, so
 * parallel logins in two tabs do not clobber each other.
 */
export interface BrowserBinding {
  cookieName: string;
  value: string;
  /** Seconds the cookie lives. */
  maxAge: number;
}

export function browserBindingCookieName(state: string): string {
  return `bridge_login_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** RelayState is echoed byte for byte, never truncated; this only bounds memory and page size. */
export const RELAY_STATE_MAX_CHARS = 8 * 1024;

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
  const request = readAuthnRequest(input.binding, input.samlRequest, {
    spEntityId: config.serviceProvider.entityId,
    acsUrl: config.serviceProvider.acsUrl,
    now,
    maxAgeSeconds: config.loginTimeoutSeconds,
    maxFutureSeconds: config.clockSkewSeconds,
  });
  const secrets = newLoginSecrets();
  const browserBinding: BrowserBinding | undefined = config.bindLoginToBrowser
    ? { cookieName: browserBindingCookieName(secrets.state), value: ports.random.token(32), maxAge: config.loginTimeoutSeconds }
    : undefined;
  const redirect = await authorizationUrl(upstream(context), now, secrets, { forceAuthn: request.forceAuthn });
  const transaction: LoginTransaction = {
    v: 1,
    samlRequestId: request.id,
    relayState: input.relayState ?? null,
    nonce: secrets.nonce,
    codeVerifier: secrets.codeVerifier,
    forceAuthn: request.forceAuthn,
    createdAt: now,
    expiresAt: now + config.loginTimeoutSeconds * 1000,
    spEntityId: config.serviceProvider.entityId,
    browserHash: browserBinding ? sha256(browserBinding.value) : null,
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

/**
 * Burns the login transaction first (a replayed callback never reaches the token endpoint),
 * then lets openid-client check everything (state, PKCE, ID token signature, iss, aud, exp,
 * nonce), then checks the user and signs the SAML response.
 */
export async function finishLogin(
  context: LoginContext,
  query: Record<string, string[]>,
  cookies: Record<string, string>,
  credentials: () => Promise<SigningCredentials>,
): Promise<FinishLoginResult> {
  const { config, ports } = context;
  for (const name of ['state', 'code', 'iss', 'error']) {
    if ((query[name]?.length ?? 0) > 1) throw new BridgeError('callback_malformed', `${name} repeated`);
  }
  const state = query.state?.[0];
  if (!state) throw new BridgeError('login_state_missing');
  if (state.length > 512) throw new BridgeError('callback_malformed', 'state too long');
  const transaction = await guardStorage(() => ports.store.take<LoginTransaction & Record<string, never>>(storageKeys.login(state)));
  if (!transaction || transaction.v !== 1) throw new BridgeError('login_unknown');
  const now = ports.clock.now();
  if (transaction.expiresAt <= now) throw new BridgeError('login_expired');
  if (transaction.browserHash) {
    const cookie = cookies[browserBindingCookieName(state)];
    const expected = Buffer.from(transaction.browserHash);
    const actual = Buffer.from(cookie ? sha256(cookie) : '');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new BridgeError('login_browser_mismatch', cookie ? 'binding cookie differs' : 'binding cookie missing');
    }
  }
  if (transaction.spEntityId !== config.serviceProvider.entityId) {
    throw new BridgeError('login_unknown', 'the service provider changed since the login started');
  }
  // RFC 9207: an `iss` that names another provider means a mix-up attack.
  const iss = query.iss?.[0];
  if (iss !== undefined && iss !== config.oidc.issuer) throw new BridgeError('oidc_issuer_mismatch');
  if (!query.error?.[0] && !query.code?.[0]) throw new BridgeError('oidc_code_missing');

  const callbackUrl = new URL(config.urls.callback);
  for (const [name, values] of Object.entries(query)) for (const value of values) callbackUrl.searchParams.append(name, value);
  const { claims, authTime, usedUserinfo } = await completeAuthorization(upstream(context), now, callbackUrl, {
    state,
    nonce: transaction.nonce,
    codeVerifier: transaction.codeVerifier,
  });
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
