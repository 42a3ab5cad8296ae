import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import * as client from 'openid-client';
import { isLoopbackUrl, type BridgeConfig } from '../core/config.js';
import { BridgeError } from '../core/errors.js';
import { verificationClaims } from './user-from-claims.js';
import type { Fetch, KeyValueStore, SecretStore } from '../core/ports.js';
import { KEY_AUTH_METHOD } from '../core/config-fields.js';
import { activeClientKey, type ClientAssertionKey } from './client-key-ring.js';

/**
 * The upstream half: the bridge as a confidential OpenID Connect client (authorization code
 * flow, PKCE S256, state, nonce). Every protocol check is openid-client's; this module only
 * feeds it the configuration and turns its failures into bridge error codes.
 */

/** Claims of the user as the provider vouched for them (ID token, completed by userinfo). */
export type ProviderClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

export interface UpstreamContext {
  config: BridgeConfig;
  fetch: Fetch;
  allowLoopbackHttp: boolean;
  cache: ProviderConfigurationCache;
  /** Where the provider's client keys are (`private_key_jwt`); needed only with that method. */
  clientKeys?: { store: KeyValueStore; secrets: SecretStore };
}

/**
 * Discovery results and the provider's JWKS, kept per process so a warm instance makes only
 * the token (and, when needed, userinfo) call per login. Safe to lose: a cold instance
 * discovers again.
 */
export class ProviderConfigurationCache {
  private readonly entries = new Map<string, { configuration: Promise<client.Configuration>; expiresAt: number }>();
  constructor(private readonly ttlMs = 60 * 60 * 1000) {}

  get(key: string, now: number, create: () => Promise<client.Configuration>): Promise<client.Configuration> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.configuration;
    // Entries of settings no longer in use (an old client secret among them) go once expired.
    for (const [old, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(old);
    const configuration = create();
    this.entries.set(key, { configuration, expiresAt: now + this.ttlMs });
    // A failed discovery must not be remembered.
    configuration.catch(() => this.entries.delete(key));
    return configuration;
  }

  clear(): void {
    this.entries.clear();
  }
}

function cacheKey(config: BridgeConfig): string {
  const { issuer, clientId, clientSecret, clientAuthMethod, endpoints } = config.oidc;
  // With a client key, the ring its key is read from at each token request instead of the secret
  // (a stored one is not used): one provider's configuration never signs with another's key.
  const credential = clientAuthMethod === KEY_AUTH_METHOD ? ['client-key-ring', config.connectionId, config.providerId] : clientSecret;
  // A digest, so the map's keys do not hold the client secret in clear.
  return createHash('sha256')
    .update(JSON.stringify([issuer, clientId, credential, clientAuthMethod, endpoints ?? null, config.upstreamTimeoutSeconds]))
    .digest('base64url');
}

/** The openid-client Configuration for the configured provider, discovered once per process. */
export function upstreamConfiguration(context: UpstreamContext, now: number): Promise<client.Configuration> {
  return context.cache.get(cacheKey(context.config), now, () => createConfiguration(context));
}

async function clientKeyOf(context: UpstreamContext): Promise<ClientAssertionKey> {
  const { connectionId, providerId } = context.config;
  let key: ClientAssertionKey | undefined;
  try {
    key = context.clientKeys ? await activeClientKey(context.clientKeys, connectionId, providerId) : undefined;
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError('storage_unavailable', `client key: ${(error as Error)?.message ?? ''}`.slice(0, 200), { cause: error });
  }
  if (!key) throw new BridgeError('config_invalid', 'private_key_jwt, but the provider has no client key yet (save the provider step again)');
  return key;
}

/**
 * Where the client assertion is addressed (`aud`). The token endpoint, as Okta and Entra ID
 * require and OIDC Core §9 recommends (Keycloak and oidc-provider accept it too); Auth0 wants
 * its tenant URL, the issuer, and is recognised by its token endpoint `<issuer>oauth/token`.
 */
export function assertionAudience(metadata: Pick<client.ServerMetadata, 'issuer' | 'token_endpoint'>): string {
  const { issuer, token_endpoint: tokenEndpoint } = metadata;
  if (!tokenEndpoint) return issuer;
  return tokenEndpoint === `${issuer.replace(/\/+$/, '')}/oauth/token` && issuer.endsWith('/') ? issuer : tokenEndpoint;
}

/** The client authentication of one configuration: the secret, or an assertion signed with the client key. */
async function clientAuthOf(context: UpstreamContext, audience: { value?: string }): Promise<client.ClientAuth> {
  const { oidc } = context.config;
  if (oidc.clientAuthMethod !== KEY_AUTH_METHOD) {
    // The file schema requires the secret with every other method.
    const secret = oidc.clientSecret!;
    return oidc.clientAuthMethod === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
  }
  // Read once here, so a provider without a key is refused before a user is sent to it.
  await clientKeyOf(context);
  // Then at each token request, and only there: the assertion is signed by the key the ring makes
  // active now (a switch on another instance counts at once), and a login's redirect, which
  // sends no client authentication, reads no ring.
  return async (as, metadata, body, headers) => {
    const clientKey = await clientKeyOf(context);
    // openid-client signs (RS256, a random jti, exp one minute ahead); the header gets the
    // certificate's thumbprint too, which Entra ID identifies the credential by.
    const sign = client.PrivateKeyJwt(
      { key: clientKey.key, kid: clientKey.kid },
      {
        [client.modifyAssertion]: (header, payload) => {
          header['x5t#S256'] = clientKey.x5tS256;
          if (audience.value) payload.aud = audience.value;
        },
      },
    );
    await sign(as, metadata, body, headers);
  };
}

async function createConfiguration(context: UpstreamContext): Promise<client.Configuration> {
  const { oidc, upstreamTimeoutSeconds } = context.config;
  // Known once the provider's metadata is: filled in below, read at every token request.
  const audience: { value?: string } = {};
  const clientAuth = await clientAuthOf(context, audience);
  const insecure = context.allowLoopbackHttp && isLoopbackUrl(new URL(oidc.issuer));
  const customFetch = fetchWithDeadline(context.fetch, upstreamTimeoutSeconds * 1000);
  let configuration: client.Configuration;
  try {
    if (oidc.endpoints) {
      configuration = new client.Configuration(
        {
          issuer: oidc.issuer,
          authorization_endpoint: oidc.endpoints.authorizationEndpoint,
          token_endpoint: oidc.endpoints.tokenEndpoint,
          userinfo_endpoint: oidc.endpoints.userinfoEndpoint,
          jwks_uri: oidc.endpoints.jwksUri,
        },
        oidc.clientId,
        undefined,
        clientAuth,
      );
    } else {
      configuration = await client.discovery(new URL(oidc.issuer), oidc.clientId, undefined, clientAuth, {
        // Discovery makes its own signal whatever the timeout (once per process and hour); the
        // deadline that applies is `fetchWithDeadline`'s, whose signal replaces it.
        timeout: upstreamTimeoutSeconds,
        [client.customFetch]: customFetch,
        execute: insecure ? [client.allowInsecureRequests] : [],
      });
    }
  } catch (error) {
    throw toBridgeError(error, 'discovery');
  }
  configuration[client.customFetch] = customFetch;
  audience.value = assertionAudience(configuration.serverMetadata());
  // No `AbortSignal.timeout` per call: the deadline is `fetchWithDeadline`'s.
  configuration.timeout = 0;
  if (insecure) client.allowInsecureRequests(configuration);
  // ID tokens come over TLS from the token endpoint, so OIDC Core §3.1.3.7 would let a client
  // skip the signature check; the bridge verifies it anyway (JWKS, asymmetric algorithms only).
  client.enableNonRepudiationChecks(configuration);
  return configuration;
}

/**
 * A provider call with one deadline over the request and its whole body, its timer cleared the
 * moment the body is in. openid-client's own timeout is an `AbortSignal.timeout` per call
 * whose timer outlives the answer for the whole timeout, one per call of every login in
 * flight; it is turned off (`timeout: 0`) in favour of this one. The deadline does not rely on
 * the host's fetch honouring `signal` (Forge's may not): the call loses the race either way.
 * A missed deadline rejects with a `TimeoutError`, which `toBridgeError` makes `oidc_timeout`.
 */
export function fetchWithDeadline(fetch: Fetch, timeoutMs: number): client.CustomFetch {
  return async (url, options) => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError');
        controller.abort(reason);
        reject(reason);
      }, timeoutMs);
    });
    const call = async () => {
      const response = await fetch(url, { ...(options as RequestInit), signal: controller.signal });
      const body = await response.arrayBuffer();
      // 204 and 304 may not have a body at all, not even an empty one.
      return new Response(body.byteLength > 0 ? body : null, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    try {
      return await Promise.race([call(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface LoginSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Fresh, independent values for one login (openid-client's generators). */
export function newLoginSecrets(): LoginSecrets {
  return { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
}

/** The provider's authorization URL for one login. */
export async function authorizationUrl(
  context: UpstreamContext,
  now: number,
  secrets: LoginSecrets,
  options: { forceAuthn: boolean; loginHint?: string; selectAccount?: boolean },
): Promise<URL> {
  const configuration = await upstreamConfiguration(context, now);
  const parameters: Record<string, string> = {
    redirect_uri: context.config.urls.callback,
    scope: context.config.oidc.scopes.join(' '),
    response_type: 'code',
    state: secrets.state,
    nonce: secrets.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(secrets.codeVerifier),
    code_challenge_method: 'S256',
  };
  // ForceAuthn (SAML core §3.4.1): ask for a new authentication, and for max_age=0 so that the ID
  // token must carry auth_time (OIDC Core §3.1.2.1), which the callback checks.
  if (options.forceAuthn) Object.assign(parameters, { prompt: 'login', max_age: '0' });
  // "Use another account" on an error page: the provider asks which account (OIDC Core §3.1.2.1).
  if (options.selectAccount) parameters.prompt = options.forceAuthn ? 'select_account login' : 'select_account';
  // The address the user typed on the provider choice page, so the provider need not ask again.
  if (options.loginHint) parameters.login_hint = options.loginHint;
  return client.buildAuthorizationUrl(configuration, parameters);
}

/**
 * Providers known to honour `prompt=select_account` without listing it in
 * `prompt_values_supported` (their discovery documents leave the member out): Google and
 * Microsoft Entra ID document the value.
 */
const SELECT_ACCOUNT_HOSTS = new Set(['accounts.google.com', 'login.microsoftonline.com']);

/**
 * Whether the provider can be asked to let the user pick an account: its discovery document
 * lists `select_account` in `prompt_values_supported` (OIDC Discovery §3), or it is one of the
 * providers known to support it. A provider that does not may refuse the request outright, so
 * the bridge only offers it where it is known to work.
 */
export async function supportsSelectAccount(context: UpstreamContext, now: number): Promise<boolean> {
  if (SELECT_ACCOUNT_HOSTS.has(new URL(context.config.oidc.issuer).hostname)) return true;
  const prompts = (await upstreamConfiguration(context, now)).serverMetadata().prompt_values_supported;
  return Array.isArray(prompts) && prompts.includes('select_account');
}

/**
 * Exchanges the code and returns the user's claims: the verified ID token, completed from
 * userinfo when it lacks the email or the names (Okta's code-flow ID token has no names).
 */
export async function completeAuthorization(
  context: UpstreamContext,
  now: number,
  callbackUrl: URL,
  secrets: LoginSecrets,
): Promise<{ claims: ProviderClaims; authTime?: number; usedUserinfo: boolean }> {
  const configuration = await upstreamConfiguration(context, now);
  // RFC 9207 §2.4: iss must be the issuer the provider's metadata names, exactly, and a
  // provider that announces the parameter always sends it. openid-client checks both too, but
  // reports them as an invalid response; here they are a mix-up (or cut-short) callback.
  const metadata = configuration.serverMetadata();
  const iss = callbackUrl.searchParams.get('iss');
  if (iss !== null && iss !== metadata.issuer) throw new BridgeError('oidc_issuer_mismatch', 'iss names another issuer');
  if (iss === null && metadata.authorization_response_iss_parameter_supported) {
    throw new BridgeError('oidc_issuer_mismatch', 'iss missing, though the provider announces it (RFC 9207)');
  }
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(
      configuration,
      callbackUrl,
      { pkceCodeVerifier: secrets.codeVerifier, expectedState: secrets.state, expectedNonce: secrets.nonce, idTokenExpected: true },
      { redirect_uri: context.config.urls.callback },
    );
  } catch (error) {
    throw toBridgeError(error, 'token');
  }
  const idClaims = tokens.claims();
  if (!idClaims) throw new BridgeError('oidc_id_token_invalid', 'no ID token');
  // Two checks openid-client leaves out: it compares azp only when there are several
  // audiences (OIDC Core §3.1.3.7 step 5 asks for it whenever azp is present), and it accepts
  // an iat in the future.
  if (idClaims.azp !== undefined && idClaims.azp !== context.config.oidc.clientId) {
    throw new BridgeError('oidc_id_token_invalid', 'azp names another client');
  }
  if (typeof idClaims.iat === 'number' && idClaims.iat * 1000 > now + context.config.clockSkewSeconds * 1000) {
    throw new BridgeError('oidc_id_token_invalid', 'iat is in the future');
  }
  const { attributeClaims, nameIdClaim, groupsClaim, allowedGroups } = context.config;
  // The groups claim only counts with an access rule; Okta sends it in userinfo only, unless set to "Always".
  const wanted = [nameIdClaim, 'email', attributeClaims.givenName, attributeClaims.surname, attributeClaims.displayName, ...(allowedGroups.length ? [groupsClaim] : [])];
  const missing = wanted.some((claim) => idClaims[claim] === undefined);
  let claims: ProviderClaims = idClaims as ProviderClaims;
  let usedUserinfo = false;
  if (missing && configuration.serverMetadata().userinfo_endpoint && tokens.access_token) {
    try {
      // openid-client checks that userinfo's `sub` equals the ID token's (OIDC Core §5.3.4).
      const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
      claims = mergedClaims(idClaims, userinfo, [nameIdClaim, 'email']) as ProviderClaims;
      usedUserinfo = true;
    } catch (error) {
      throw toBridgeError(error, 'userinfo');
    }
  }
  return { claims, authTime: typeof idClaims.auth_time === 'number' ? idClaims.auth_time * 1000 : undefined, usedUserinfo };
}

/**
 * The ID token is signed and wins for identity claims; userinfo fills in the rest. A claim's
 * verification (`email_verified`, `xms_edov`, `<claim>_verified`) speaks for one value only: it
 * is taken from the claim set that supplied that claim (from userinfo as well when userinfo sent
 * the very same value), never from the other, so an `email_verified: true` in the ID token does
 * not vouch for an email that only userinfo sent, nor userinfo's for another address.
 */
export function mergedClaims(idClaims: Readonly<Record<string, unknown>>, userinfo: Readonly<Record<string, unknown>>, vouchedClaims: readonly string[]): Record<string, unknown> {
  const idToken = stripUndefined(idClaims);
  const merged: Record<string, unknown> = { ...userinfo, ...idToken };
  for (const claim of new Set(vouchedClaims)) {
    const fromIdToken = idToken[claim] !== undefined;
    const supplier = fromIdToken ? idToken : userinfo;
    const sameValueInUserinfo = fromIdToken && userinfo[claim] !== undefined && isDeepStrictEqual(userinfo[claim], idToken[claim]);
    for (const verification of verificationClaims(claim)) {
      // `null` is a statement (not verified), so no `??` here.
      const statement = supplier[verification] !== undefined ? supplier[verification] : sameValueInUserinfo ? userinfo[verification] : undefined;
      if (statement === undefined) delete merged[verification];
      else merged[verification] = statement;
    }
  }
  return merged;
}

function stripUndefined(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Provider `error` values that mean "this user may not sign in", not a fault. */
const USER_REFUSALS = new Set(['access_denied', 'login_required', 'consent_required', 'interaction_required', 'account_selection_required', 'unmet_authentication_requirements']);

const ID_TOKEN_FAILURES = new Set<string>([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
  'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_INVALID',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
]);

/** Turns whatever openid-client or the network threw into a bridge error code. */
export function toBridgeError(error: unknown, step: 'discovery' | 'token' | 'userinfo'): BridgeError {
  if (error instanceof BridgeError) return error;
  // The bridge's own failure inside the client authentication (reading the client key), which
  // openid-client wraps.
  if (error instanceof client.ClientError && error.cause instanceof BridgeError) return error.cause;
  const err = error as { name?: string; code?: string; error?: string; message?: string; cause?: unknown; status?: number };
  const cause = err?.cause as { name?: string; code?: string; message?: string } | undefined;
  // The log gets the library's own words (and its cause's), so an admin holding the reference
  // can tell a bad signature from a wrong audience; none of it can carry a token or secret.
  const detail = [step + ':', err?.name ?? 'Error', err?.code, (err?.message ?? '').slice(0, 200), cause && `(cause: ${cause.name ?? ''} ${cause.code ?? ''} ${(cause.message ?? '').slice(0, 200)})`]
    .filter(Boolean)
    .join(' ');
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || (err?.cause as { name?: string })?.name === 'TimeoutError') {
    return new BridgeError('oidc_timeout', detail, { cause: error });
  }
  if (error instanceof client.AuthorizationResponseError) {
    return new BridgeError(USER_REFUSALS.has(error.error) ? 'oidc_access_denied' : 'oidc_authorization_error', `${detail} error=${error.error}`, { cause: error });
  }
  // fetch's network failure is a TypeError (by name: it may come from another realm);
  // openid-client hands it on wrapped in a ClientError.
  const isNetworkFailure = (e: unknown) =>
    (e as Error | undefined)?.name === 'TypeError' &&
    /fetch failed|network|ECONN|ENOTFOUND|socket/i.test(`${(e as Error).message} ${((e as Error).cause as Error | undefined)?.message ?? ''}`);
  if (isNetworkFailure(error) || isNetworkFailure(err?.cause)) {
    return new BridgeError('oidc_unreachable', detail, { cause: error });
  }
  // RFC 6749 §5.2: invalid_client and unauthorized_client name the bridge's registration, and an
  // invalid_grant over the redirect URI (or a redirect_uri_mismatch, Entra/Google) its callback
  // URL: configuration an administrator must correct, not a passing fault, so they get own codes.
  // A 401 invalid_client often comes as a WWW-Authenticate challenge (oidc-provider does so)
  // rather than a JSON body; both carry the same OAuth error.
  const oauth =
    error instanceof client.ResponseBodyError
      ? { error: error.error, description: error.error_description }
      : error instanceof client.WWWAuthenticateChallengeError
        ? (error.cause ?? []).map((c) => ({ error: c.parameters.error, description: c.parameters.error_description })).find((c) => c.error)
        : undefined;
  if (step === 'token' && oauth?.error) {
    const oauthDetail = `${detail} status=${err.status ?? '?'} error=${oauth.error}`;
    if (oauth.error === 'invalid_client') return new BridgeError('oidc_client_rejected', oauthDetail, { cause: error });
    if (oauth.error === 'unauthorized_client') return new BridgeError('oidc_client_unauthorized', oauthDetail, { cause: error });
    if (oauth.error === 'redirect_uri_mismatch' || (oauth.error === 'invalid_grant' && /redirect/i.test(oauth.description ?? ''))) {
      return new BridgeError('oidc_redirect_uri_rejected', oauthDetail, { cause: error });
    }
  }
  // RFC 6749 §5.2: invalid_grant means the code the browser brought is not good (used, expired,
  // issued for another login or PKCE verifier): bad input, like an unknown state, not a fault.
  if (step === 'token' && error instanceof client.ResponseBodyError && error.error === 'invalid_grant') {
    return new BridgeError('login_unknown', `${detail} status=${err.status ?? '?'} error=invalid_grant`, { cause: error });
  }
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
    return new BridgeError('oidc_response_invalid', `${detail} status=${err.status ?? '?'} error=${err.error ?? ''}`, { cause: error });
  }
  const code = err?.code ?? '';
  const causeCode = (err?.cause as { code?: string } | undefined)?.code ?? '';
  if (step === 'token' && (ID_TOKEN_FAILURES.has(code) || ID_TOKEN_FAILURES.has(causeCode) || code === 'OAUTH_INVALID_RESPONSE')) {
    return new BridgeError('oidc_id_token_invalid', `${detail} ${causeCode}`.trim(), { cause: error });
  }
  if (step === 'discovery' && code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    return new BridgeError('oidc_response_invalid', `${detail}: discovery document names another issuer`, { cause: error });
  }
  if (step === 'userinfo' && code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    return new BridgeError('oidc_response_invalid', `${detail}: userinfo sub differs from the ID token`, { cause: error });
  }
  if (code.startsWith('OAUTH_') || error instanceof client.ClientError) {
    return new BridgeError('oidc_response_invalid', detail, { cause: error });
  }
  return new BridgeError('internal', detail, { cause: error });
}
