import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { Fetch } from '../../src/core/ports.js';

/**
 * A small OpenID provider answering through a `Fetch` function, with no network: for tests that
 * run the core in-process (fuzzing, the Forge adapter against failing KVS), where the real
 * `oidc-provider` over HTTP is not reachable (Forge requires https) or too slow (10,000 runs).
 * It checks what matters to the bridge's side of the exchange (client authentication, PKCE
 * S256, redirect URI, single-use codes) and signs RS256 ID tokens. Interoperability is proved
 * elsewhere against the real `oidc-provider`; this one only has to be a faithful peer.
 */

export interface StubUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
  name?: string;
}

export interface StubProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export type StubEndpoint = 'discovery' | 'token' | 'jwks' | 'userinfo';

export interface StubProvider {
  issuer: string;
  fetch: Fetch;
  /** Every URL asked for, in order. */
  calls: string[];
  /** Makes an endpoint fail until cleared: a network error, or a given answer. */
  failing: Map<StubEndpoint, 'network' | (() => Response)>;
  /**
   * Plays the user signing in: reads the authorization redirect the bridge answered with and
   * returns the callback query the provider would send the browser back with.
   */
  authorize(location: string, user?: StubUser): Record<string, string[]>;
  endpoints: Record<StubEndpoint, string>;
  /** Called as each answer leaves the provider, before the bridge reads it. */
  onAnswer?: (endpoint: StubEndpoint) => void;
  /** Changes the claims of the next ID tokens before they are signed (to add `auth_time`, drop `email_verified`). */
  idTokenClaims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  /** Changes what userinfo answers (to speak of another address than the ID token). */
  userinfoClaims?: (claims: Record<string, unknown>) => Record<string, unknown>;
}

export const stubAlice: StubUser = {
  sub: '00u1alice0stub0000001',
  email: 'alice@example.com',
  email_verified: true,
  given_name: 'Alice',
  family_name: 'Stub',
  name: 'Alice Stub',
};

interface PendingCode {
  codeChallenge: string;
  nonce: string;
  redirectUri: string;
  user: StubUser;
}

let sharedProviderKeys: ReturnType<typeof generateKeyPair> | undefined;

export async function createStubProvider(options: StubProviderOptions): Promise<StubProvider> {
  const issuer = options.issuer.replace(/\/+$/, '');
  // One key pair per test file: each stub is a provider of its own by issuer and kid, and an
  // RSA key generation per stub would cost more than the logins it serves.
  sharedProviderKeys ??= generateKeyPair('RS256');
  const { privateKey, publicKey } = await sharedProviderKeys;
  const kid = randomBytes(8).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const endpoints: Record<StubEndpoint, string> = {
    discovery: `${issuer}/.well-known/openid-configuration`,
    token: `${issuer}/token`,
    jwks: `${issuer}/jwks`,
    userinfo: `${issuer}/userinfo`,
  };
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, StubUser>();
  const calls: string[] = [];
  const failing: StubProvider['failing'] = new Map();

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });

  const answered = (endpoint: StubEndpoint, response: Response | Promise<Response>) => {
    const result = Promise.resolve(response);
    return result.then((r) => {
      stub.onAnswer?.(endpoint);
      return r;
    });
  };

  const fetchImpl: Fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const endpoint = (Object.entries(endpoints) as [StubEndpoint, string][]).find(([, value]) => value === `${url.origin}${url.pathname}`)?.[0];
    const response = serve(input, init);
    return endpoint ? answered(endpoint, response) : response;
  };

  const serve: Fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const href = `${url.origin}${url.pathname}`;
    calls.push(url.href);
    const endpoint = (Object.entries(endpoints) as [StubEndpoint, string][]).find(([, value]) => value === href)?.[0];
    if (!endpoint) throw new TypeError(`fetch failed (stub provider: nothing at ${href})`);
    const failure = failing.get(endpoint);
    if (failure === 'network') throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    if (failure) return failure();
    init?.signal?.throwIfAborted();
    switch (endpoint) {
      case 'discovery':
        return json(200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: endpoints.token,
          userinfo_endpoint: endpoints.userinfo,
          jwks_uri: endpoints.jwks,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
      case 'jwks':
        return json(200, { keys: [publicJwk] });
      case 'token':
        return token(new Headers(init?.headers), String(init?.body ?? ''));
      case 'userinfo': {
        const authorization = new Headers(init?.headers).get('authorization') ?? '';
        const user = accessTokens.get(authorization.replace(/^Bearer /i, ''));
        if (!user) return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
        return json(200, stub.userinfoClaims ? stub.userinfoClaims({ ...user }) : user);
      }
    }
  };

  async function token(headers: Headers, body: string): Promise<Response> {
    const form = new URLSearchParams(body);
    const basic = /^Basic (.+)$/i.exec(headers.get('authorization') ?? '');
    const [id, secret] = basic
      ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part))
      : [form.get('client_id'), form.get('client_secret')];
    if (id !== options.clientId || secret !== options.clientSecret) return json(401, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'authorization_code') return json(400, { error: 'unsupported_grant_type' });
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (!pending) return json(400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) {
      return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    if (form.get('redirect_uri') !== pending.redirectUri) return json(400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
    const accessToken = randomBytes(32).toString('base64url');
    accessTokens.set(accessToken, pending.user);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: pending.user.sub, email: pending.user.email, email_verified: pending.user.email_verified, nonce: pending.nonce };
    const idToken = await new SignJWT(stub.idTokenClaims ? stub.idTokenClaims(claims) : claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(options.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 600, id_token: idToken });
  }

  const stub: StubProvider = {
    issuer,
    fetch: fetchImpl,
    calls,
    failing,
    endpoints,
    authorize(location, user = stubAlice) {
      const url = new URL(location);
      if (`${url.origin}${url.pathname}` !== `${issuer}/authorize`) throw new Error(`not this provider's authorization URL: ${location}`);
      const param = (name: string) => {
        const value = url.searchParams.get(name);
        if (!value) throw new Error(`the authorization request lacks ${name}`);
        return value;
      };
      if (param('client_id') !== options.clientId || param('redirect_uri') !== options.redirectUri) throw new Error('unexpected client');
      if (param('code_challenge_method') !== 'S256') throw new Error('PKCE must be S256');
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { codeChallenge: param('code_challenge'), nonce: param('nonce'), redirectUri: param('redirect_uri'), user });
      return { code: [code], state: [param('state')] };
    },
  };
  return stub;
}
