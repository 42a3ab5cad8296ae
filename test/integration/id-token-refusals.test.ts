import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { UserAgent } from '../support/user-agent.js';
import { alice, CLIENT_SECRET, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { calledTimes, expectRefusal, loginUpToCallback, mark, providerEndpoints } from '../support/refusals.js';

/**
 * The ID token from the real provider, changed in exactly one way on its way back from the token
 * endpoint and re-signed with the provider's own key under its own `kid`, so that the one wrong
 * claim (or the algorithm) is the only reason to refuse it. The access token and the rest of
 * the token response stay as the provider sent them.
 */

type Rewrite = (idToken: string) => Promise<string>;

describe('refusals of the ID token', () => {
  let harness: Harness;
  let endpoints: Awaited<ReturnType<typeof providerEndpoints>>;
  beforeAll(async () => {
    harness = await startHarness();
    endpoints = await providerEndpoints(harness);
  });
  afterAll(async () => harness.close());
  afterEach(() => {
    harness.upstream.intercept = undefined;
  });

  /** The provider's private signing key (the one its JWKS publishes) and its `kid`. */
  const providerKey = async () => {
    const jwk = harness.provider.jwks.keys[0] as JWK;
    return { key: await importJWK(jwk, 'RS256'), kid: jwk.kid! };
  };

  /** Re-signs the token with the provider's key and header after `change` edits its claims. */
  const resigned =
    (change: (claims: JWTPayload) => JWTPayload): Rewrite =>
    async (idToken) => {
      const header = decodeProtectedHeader(idToken);
      const { key, kid } = await providerKey();
      expect(header.kid).toBe(kid);
      return new SignJWT(change({ ...decodeJwt(idToken) })).setProtectedHeader({ ...header, alg: 'RS256', kid }).sign(key);
    };

  /** Rewrites the `id_token` of the token endpoint's answer, keeping everything else. */
  const tamperIdToken = (rewrite: Rewrite) => {
    const seen: { original?: string; sent?: string } = {};
    harness.upstream.intercept = async (url, response) => {
      if (url.split('?')[0] !== endpoints.token || !response.ok) return response;
      const body = (await response.json()) as Record<string, unknown>;
      expect(typeof body.id_token).toBe('string');
      expect(typeof body.access_token).toBe('string');
      seen.original = body.id_token as string;
      seen.sent = await rewrite(seen.original);
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      headers.delete('content-encoding');
      return new Response(JSON.stringify({ ...body, id_token: seen.sent }), { status: response.status, statusText: response.statusText, headers });
    };
    return seen;
  };

  /** Runs a login for Alice with the rewrite in place and checks the bridge refused it. */
  const expectIdTokenRefused = async (rewrite: Rewrite) => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const seen = tamperIdToken(rewrite);
    const since = mark(harness);
    const page = await agent.get(callback);
    expect(seen.sent).toBeDefined();
    expect(seen.sent).not.toBe(seen.original);
    expectRefusal(page, since, { status: 502, code: 'oidc_id_token_invalid' });
    expect(calledTimes(since, endpoints.token)).toBe(1);
    // Nothing from an unverified token is used, not even to ask userinfo.
    expect(calledTimes(since, endpoints.userinfo)).toBe(0);
    return seen;
  };

  it('accepts the ID token re-signed unchanged with the provider key (control)', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);
    const seen = tamperIdToken(resigned((claims) => claims));
    const page = await agent.get(callback);
    expect(seen.sent).toBeDefined();
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('refuses an ID token with a wrong nonce', async () => {
    const seen = await expectIdTokenRefused(resigned((claims) => ({ ...claims, nonce: 'a-nonce-from-another-login' })));
    expect(decodeJwt(seen.original!).nonce).toEqual(expect.any(String));
  });

  it('refuses an ID token without a nonce', async () => {
    await expectIdTokenRefused(resigned(({ nonce: _nonce, ...claims }) => claims));
  });

  it('refuses an ID token with a wrong audience', async () => {
    await expectIdTokenRefused(resigned((claims) => ({ ...claims, aud: 'another-client' })));
  });

  it('refuses an ID token with a wrong issuer', async () => {
    await expectIdTokenRefused(resigned((claims) => ({ ...claims, iss: 'https://attacker.example' })));
  });

  it('refuses an expired ID token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectIdTokenRefused(resigned((claims) => ({ ...claims, iat: now - 7200, exp: now - 3600 })));
  });

  it('refuses an ID token that is not valid yet (nbf)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectIdTokenRefused(resigned((claims) => ({ ...claims, nbf: now + 3600, exp: now + 7200 })));
  });

  it('refuses an unsigned ID token (alg none)', async () => {
    await expectIdTokenRefused(async (idToken) => new UnsecuredJWT(decodeJwt(idToken)).encode());
  });

  it('refuses an ID token signed with the client secret (HS256)', async () => {
    await expectIdTokenRefused(async (idToken) =>
      new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET)),
    );
  });

  it('refuses an ID token signed with another key under the provider kid', async () => {
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    await expectIdTokenRefused(async (idToken) => {
      const header = decodeProtectedHeader(idToken);
      return new SignJWT(decodeJwt(idToken)).setProtectedHeader({ ...header, alg: 'RS256' }).sign(privateKey);
    });
  });

  it('refuses a userinfo answer about another subject', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    let tampered = false;
    harness.upstream.intercept = async (url, response) => {
      if (url.split('?')[0] !== endpoints.userinfo || !response.ok) return response;
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.sub).toBe(alice.sub);
      tampered = true;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      headers.delete('content-encoding');
      return new Response(JSON.stringify({ ...body, sub: '00u1bob000demo0000002' }), { status: response.status, headers });
    };
    const since = mark(harness);
    const page = await agent.get(callback);
    expect(tampered).toBe(true);
    expectRefusal(page, since, { status: 502, code: 'oidc_response_invalid' });
  });

  it('refuses an ID token whose signature does not cover its claims', async () => {
    await expectIdTokenRefused(async (idToken) => {
      const [header, , signature] = idToken.split('.');
      const claims = { ...decodeJwt(idToken), sub: '00u1bob000demo0000002', email: 'bob@example.com' };
      return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    });
  });
});
