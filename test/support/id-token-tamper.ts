import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTPayload, type JWSHeaderParameters } from 'jose';
import type { Harness } from './login-harness.js';

/**
 * Tampering with what the real provider answers on its way to the bridge: the token
 * endpoint's JSON (the ID token re-signed with the provider's own key after one change, so that
 * change is the only reason to refuse it) and userinfo's JSON.
 */

export type TokenRewrite = (idToken: string) => Promise<string>;

/** The provider's private signing key (the one its JWKS publishes) and its `kid`. */
export async function providerKey(harness: Harness) {
  const jwk = harness.provider.jwks.keys[0] as JWK;
  return { key: await importJWK(jwk, 'RS256'), kid: jwk.kid!, jwk };
}

/** Re-signs the ID token with the provider's key and header after `change` edits its claims (and header). */
export function resigned(
  harness: Harness,
  change: (claims: JWTPayload) => JWTPayload,
  header: (header: JWSHeaderParameters) => JWSHeaderParameters = (h) => h,
): TokenRewrite {
  return async (idToken) => {
    const { key, kid } = await providerKey(harness);
    const original = decodeProtectedHeader(idToken);
    return new SignJWT(change({ ...decodeJwt(idToken) }))
      .setProtectedHeader(header({ ...original, alg: 'RS256', kid }) as Parameters<SignJWT['setProtectedHeader']>[0])
      .sign(key);
  };
}

function jsonResponse(response: Response, body: unknown): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
}

/**
 * Rewrites successful answers of `endpoint` (compared without query) with `rewrite`; returns
 * what was seen and sent, for the test to check the tampering happened.
 */
export function tamperJson(
  harness: Harness,
  endpoint: string,
  rewrite: (body: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>,
): { original?: Record<string, unknown>; sent?: Record<string, unknown> } {
  const seen: { original?: Record<string, unknown>; sent?: Record<string, unknown> } = {};
  const previous = harness.upstream.intercept;
  harness.upstream.intercept = async (url, response) => {
    const passed = previous ? await previous(url, response) : response;
    if (url.split('?')[0] !== endpoint || !passed.ok) return passed;
    seen.original = (await passed.json()) as Record<string, unknown>;
    seen.sent = await rewrite({ ...seen.original });
    return jsonResponse(passed, seen.sent);
  };
  return seen;
}

/** Rewrites the `id_token` of the token endpoint's answer, keeping everything else. */
export function tamperIdToken(harness: Harness, tokenEndpoint: string, rewrite: TokenRewrite) {
  return tamperJson(harness, tokenEndpoint, async (body) => ({ ...body, id_token: await rewrite(body.id_token as string) }));
}
