import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type JsonWebKey as NodeJwk } from 'node:crypto';
import * as client from 'openid-client';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { upstreamConfiguration } from '../../src/upstream-oidc/upstream-oidc.js';
import type { BridgeErrorCode } from '../../src/core/errors.js';
import { alice, CLIENT_ID, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { calledTimes, expectRefusal, loginUpToCallback, mark, providerEndpoints } from '../support/refusals.js';
import { providerKey, resigned, tamperIdToken, tamperJson, type TokenRewrite } from '../support/id-token-tamper.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * The ID token and userinfo corpus, beyond test/integration/id-token-refusals.test.ts (alg
 * none, HS256 with the client secret, wrong nonce/aud/iss, expiry, nbf, another key under the
 * provider's kid, a signature that does not cover the claims, userinfo about another subject).
 * The real provider's answers are changed in exactly one way on their way to the bridge.
 */
describe('ID token and userinfo corpus', () => {
  let harness: Harness;
  let endpoints: Awaited<ReturnType<typeof providerEndpoints>> & { jwks: string };
  beforeAll(async () => {
    harness = await startHarness();
    const metadata = (await (await fetch(`${harness.providerUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    endpoints = { ...(await providerEndpoints(harness)), jwks: metadata.jwks_uri };
  });
  afterAll(async () => harness.close());
  afterEach(() => {
    harness.upstream.intercept = undefined;
  });

  /** A login for Alice with the tampering already in place; returns the bridge's page. */
  const finish = async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);
    const since = mark(harness);
    const page = await agent.get(callback);
    return { page, since, sp };
  };

  const expectRefused = async (rewrite: TokenRewrite, code: BridgeErrorCode = 'oidc_id_token_invalid', status = 502) => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    const seen = tamperIdToken(harness, endpoints.token, rewrite);
    const since = mark(harness);
    const page = await agent.get(callback);
    expect(seen.sent).toBeDefined();
    expectRefusal(page, since, { status, code });
    expect(calledTimes(since, endpoints.token)).toBe(1);
    return { since, seen };
  };

  /**
   * Starts over with a fresh provider configuration whose JWKS cache is `ageSeconds` old, so
   * the test controls openid-client's refetch rule (a cached set is fetched again for an
   * unknown kid only once it is 60 s old; under that an unknown kid is refused outright).
   */
  const jwksCachedFor = async (ageSeconds: number) => {
    harness.app.caches.provider.clear();
    const configuration = await upstreamConfiguration(
      { config: harness.app.config!, fetch: harness.fetch, allowLoopbackHttp: true, cache: harness.app.caches.provider },
      Date.now(),
    );
    const jwks = (await (await fetch(endpoints.jwks)).json()) as { keys: JWK[] };
    client.setJwksCache(configuration, { jwks: jwks as client.JWKS, uat: Math.floor(Date.now() / 1000) - ageSeconds });
  };

  /** An RSA key the provider does not (yet) publish. */
  const newProviderKey = async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'rotated-key-2', alg: 'RS256', use: 'sig' } as JWK };
  };

  const signedWith = (privateKey: CryptoKey, kid: string): TokenRewrite => async (idToken) =>
    new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);

  it("refuses HS256 signed with the provider's public key (key confusion)", async () => {
    const { jwk } = await providerKey(harness);
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk as JWK;
    const publicPem = createPublicKey({ key: publicJwk as NodeJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    await expectRefused(async (idToken) =>
      new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'HS256', kid: jwk.kid }).sign(new TextEncoder().encode(String(publicPem))),
    );
  });

  it('refuses an unknown kid at once while the cached JWKS is fresh (no refetch)', async () => {
    await jwksCachedFor(0);
    const { privateKey } = await newProviderKey();
    const { since } = await expectRefused(signedWith(privateKey, 'rotated-key-2'));
    expect(calledTimes(since, endpoints.jwks)).toBe(0);
  });

  it('refuses an unknown kid after fetching the JWKS again exactly once', async () => {
    await jwksCachedFor(120);
    const { privateKey } = await newProviderKey();
    const { since } = await expectRefused(signedWith(privateKey, 'rotated-key-2'));
    expect(calledTimes(since, endpoints.jwks)).toBe(1);
  });

  it('accepts a rotated key the provider now publishes, after one JWKS refetch (control)', async () => {
    await jwksCachedFor(120);
    const { privateKey, publicJwk } = await newProviderKey();
    tamperJson(harness, endpoints.jwks, (body) => ({ keys: [...(body.keys as JWK[]), publicJwk] }));
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, alice);
    tamperIdToken(harness, endpoints.token, signedWith(privateKey, 'rotated-key-2'));
    const since = mark(harness);
    const page = await agent.get(callback);
    expect(page.status).toBe(200);
    expect(calledTimes(since, endpoints.jwks)).toBe(1);
    const post = readAutoPost(page);
    expect((await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).profile?.nameID).toBe(alice.email);
  });

  it('refuses an ID token that carries its own key in the jwk header', async () => {
    const { privateKey, publicJwk } = await newProviderKey();
    await expectRefused(async (idToken) =>
      new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'RS256', jwk: { kty: publicJwk.kty!, n: publicJwk.n!, e: publicJwk.e! } }).sign(privateKey),
    );
  });

  it('refuses an ID token with an unknown critical header', async () => {
    // Signed by hand: jose itself will not produce a crit it does not understand.
    await expectRefused(async (idToken) => {
      const { jwk, kid } = await providerKey(harness);
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${b64({ alg: 'RS256', kid, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true })}.${b64(decodeJwt(idToken))}`;
      const signature = sign('sha256', Buffer.from(input), createPrivateKey({ key: jwk as NodeJwk, format: 'jwk' }));
      return `${input}.${signature.toString('base64url')}`;
    });
  });

  it('refuses an ES256 token under the RSA key id', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kid } = await providerKey(harness);
    await expectRefused(async (idToken) => new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey));
  });

  it('refuses an azp that names another client', async () => {
    await expectRefused(resigned(harness, (claims) => ({ ...claims, azp: 'another-client' })));
  });

  it('refuses several audiences without azp', async () => {
    await expectRefused(resigned(harness, (claims) => ({ ...claims, aud: [CLIENT_ID, 'another-client'] })));
  });

  it('refuses an iat an hour in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(resigned(harness, (claims) => ({ ...claims, iat: now + 3600, exp: now + 7200 })));
  });

  it('refuses an ID token without exp', async () => {
    await expectRefused(resigned(harness, ({ exp: _exp, ...claims }) => claims));
  });

  it('refuses an ID token without sub', async () => {
    await expectRefused(resigned(harness, ({ sub: _sub, ...claims }) => claims));
  });

  it('refuses a token response without an ID token', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    tamperJson(harness, endpoints.token, ({ id_token: _idToken, ...body }) => body);
    const since = mark(harness);
    expectRefusal(await agent.get(callback), since, { status: 502, code: 'oidc_id_token_invalid' });
    expect(calledTimes(since, endpoints.userinfo)).toBe(0);
  });

  describe('the email the provider vouches for', () => {
    /** The ID token's claims changed by `idToken`, userinfo's by `userinfo`; the login is finished. */
    const withClaims = async (idToken: (claims: Record<string, unknown>) => Record<string, unknown>, userinfo?: (claims: Record<string, unknown>) => Record<string, unknown>) => {
      const agent = new UserAgent({ stopAt: stopAtAcs });
      const { callback, sp } = await loginUpToCallback(harness, agent, alice);
      tamperIdToken(harness, endpoints.token, resigned(harness, (claims) => idToken(claims) as typeof claims));
      if (userinfo) tamperJson(harness, endpoints.userinfo, userinfo);
      const since = mark(harness);
      return { page: await agent.get(callback), since, sp };
    };

    const refusedWith = async (
      status: number,
      code: BridgeErrorCode,
      idToken: (claims: Record<string, unknown>) => Record<string, unknown>,
      userinfo?: (claims: Record<string, unknown>) => Record<string, unknown>,
    ) => {
      const { page, since } = await withClaims(idToken, userinfo);
      expectRefusal(page, since, { status, code });
    };

    it('refuses a user with no email in the ID token or userinfo', async () => {
      await refusedWith(403, 'user_email_missing', ({ email: _e, ...claims }) => claims, ({ email: _e, ...claims }) => claims);
    });

    it('refuses email_verified false in the ID token even when userinfo says true', async () => {
      await refusedWith(403, 'user_email_unverified', (claims) => ({ ...claims, email_verified: false }), (claims) => ({ ...claims, email_verified: true }));
    });

    it('refuses email_verified sent as the string "false"', async () => {
      await refusedWith(403, 'user_email_unverified', (claims) => ({ ...claims, email_verified: 'false' }));
    });

    it('refuses an ID token without email_verified (missing is not verified)', async () => {
      await refusedWith(403, 'user_email_unverified', ({ email_verified: _v, ...claims }) => claims, ({ email_verified: _v, ...claims }) => claims);
    });

    it.each([
      ['null', null],
      ['0', 0],
      ['"0"', '0'],
      ['"no"', 'no'],
      ['[false]', [false]],
      ['{}', {}],
    ])('refuses email_verified %s', async (_name, value) => {
      await refusedWith(403, 'user_email_unverified', (claims) => ({ ...claims, email_verified: value }));
    });

    it('accepts email_verified sent as the string "true" (control)', async () => {
      const { page } = await withClaims((claims) => ({ ...claims, email_verified: 'true' }));
      expect(page.status).toBe(200);
    });

    it("refuses the ID token's email_verified: true for an email only userinfo sent", async () => {
      await refusedWith(
        403,
        'user_email_unverified',
        ({ email: _e, ...claims }) => ({ ...claims, email_verified: true }),
        ({ email_verified: _v, ...claims }) => ({ ...claims, email: 'alice@example.com' }),
      );
    });

    it("accepts userinfo's email_verified: true with userinfo's email (control)", async () => {
      const { page } = await withClaims(
        ({ email: _e, ...claims }) => ({ ...claims, email_verified: false }),
        (claims) => ({ ...claims, email: 'alice@example.com', email_verified: true }),
      );
      expect(page.status).toBe(200);
    });

    it('refuses a non-ASCII local part by default (internationalised addresses are an opt-in)', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'ålice@example.com' }));
    });

    it('accepts an email domain in other letter case and sends it in lower case (control)', async () => {
      const { page, sp } = await withClaims((claims) => ({ ...claims, email: 'alice@EXAMPLE.Com' }));
      expect(page.status).toBe(200);
      const post = readAutoPost(page);
      expect((await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).profile?.nameID).toBe('alice@example.com');
    });

    it('refuses a look-alike domain in Cyrillic letters (exаmple.com)', async () => {
      await refusedWith(403, 'user_domain_not_allowed', (claims) => ({ ...claims, email: 'alice@ex\u0430mple.com' }));
    });

    it('refuses a full-width spelling that IDNA would map onto the allowed domain', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'alice@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com' }));
    });

    it('refuses an ideographic full stop in the domain (example。com)', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'alice@example\u3002com' }));
    });

    it('refuses an email with two @', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'alice@attacker.example@example.com' }));
    });

    it('refuses an email with a trailing dot', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'alice@example.com.' }));
    });

    it('refuses an email with a control character', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'ali\u0000ce@example.com' }));
    });

    it('refuses an email with a right-to-left override', async () => {
      await refusedWith(403, 'user_email_invalid', (claims) => ({ ...claims, email: 'alice\u202E@example.com' }));
    });

    it('refuses a subdomain of an allowed domain', async () => {
      await refusedWith(403, 'user_domain_not_allowed', (claims) => ({ ...claims, email: 'alice@evil.example.com' }));
    });

    it('passes names holding replacement patterns ($$`, $\', $&) unchanged, in one Subject', async () => {
      const names = { given_name: '$$`', family_name: "$'<b>", name: 'Cash$&Carry $1' };
      const { page, sp } = await withClaims((claims) => claims, (claims) => ({ ...claims, ...names }));
      expect(page.status).toBe(200);
      const post = readAutoPost(page);
      const xml = Buffer.from(post.SAMLResponse!, 'base64').toString('utf8');
      expect(xml.match(/<saml:Subject>/g)).toHaveLength(1);
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']).toBe(names.given_name);
      expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']).toBe(names.family_name);
      expect(profile?.['http://schemas.microsoft.com/identity/claims/displayname']).toBe(names.name);
    });

    it('refuses a foreign domain that only userinfo supplies', async () => {
      await refusedWith(403, 'user_domain_not_allowed', ({ email: _e, ...claims }) => claims, (claims) => ({ ...claims, email: 'alice@attacker.example' }));
    });
  });
});
