import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, decodeJwt } from 'jose';
import { jsonLogger } from '../../src/core/default-ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import type { SigningKey } from '../../src/downstream-saml/signing-key.js';
import { alice, CLIENT_SECRET, readAutoPost, startHarness, stopAtAcs, type Harness, type HarnessOptions } from '../support/login-harness.js';
import { loginAs, loginUpToCallback, providerEndpoints } from '../support/refusals.js';
import { tamperIdToken, tamperJson } from '../support/id-token-tamper.js';
import { findLeaks, installSecretWatch, type SecretWatch } from '../support/secret-watch-core.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * No secret in any log line: whole logins (successful and failing in every way that makes the
 * bridge log a detail) against the real provider, with the standalone server's real
 * `jsonLogger` writing to a captured stream, and every console, stdout and stderr line captured. The secrets
 * are the ones that crossed the wire (client secret, codes, PKCE verifiers, access and ID
 * tokens, user passwords, SAML responses) plus the configured ones and the signing key.
 *
 * The same watch can run over the whole suite (test/support/secret-watch.ts, see SECURITY.md).
 */

const WRONG_SECRET = 'not-the-client-secret-but-still-secret';

describe('secrets never reach the logs', () => {
  let watch: SecretWatch;
  const harnesses: Harness[] = [];
  const start = async (options: HarnessOptions = {}) => {
    // The real JSON logger, writing its lines where the watch reads them (not to the console).
    const logger = jsonLogger((line, level) => watch.lines.push({ source: `jsonLogger ${level}`, line }));
    const harness = await startHarness({ ...options, standalone: { logger, ...options.standalone } });
    harnesses.push(harness);
    return harness;
  };

  beforeAll(() => {
    watch = installSecretWatch();
    watch.addSecret('client secret', CLIENT_SECRET);
    watch.addSecret('client secret', WRONG_SECRET);
  });

  afterAll(async () => {
    for (const harness of harnesses) await harness.close();
    watch?.uninstall();
  });

  it('runs logins that succeed, with both client authentication methods', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const harness = await start({ tokenEndpointAuthMethod: method });
      const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), alice);
      expect(readAutoPost(page).SAMLResponse).toBeTruthy();
      const key = await harness.app.store.getSecret<SigningKey & Record<string, string>>(storageKeys.signingKey());
      for (const line of key!.privateKeyPem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'))) watch.addSecret('signing key', line);
      for (const jwk of harness.provider.jwks.keys) watch.addSecret('provider private key', (jwk as { d?: string }).d ?? '');
    }
  });

  it('runs logins the bridge refuses after talking to the provider', async () => {
    const harness = await start();
    const { token, userinfo } = await providerEndpoints(harness);
    for (const user of demoUsers.filter((u) => !u.email_verified || !u.email.endsWith('@example.com'))) {
      const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), user);
      expect(page.status).toBe(403);
    }
    // A provider that repeats the code and the client secret in its error (hostile or careless).
    let agent = new UserAgent({ stopAt: stopAtAcs });
    let { callback } = await loginUpToCallback(harness, agent, alice);
    harness.upstream.intercept = async (url, response) => {
      if (url.split('?')[0] !== token) return response;
      const code = callback.searchParams.get('code');
      return new Response(JSON.stringify({ error: 'invalid_grant', error_description: `code ${code} for client secret ${CLIENT_SECRET}` }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      });
    };
    expect((await agent.get(callback)).status).toBe(400);
    // A token endpoint answering HTML that carries the tokens.
    agent = new UserAgent({ stopAt: stopAtAcs });
    ({ callback } = await loginUpToCallback(harness, agent, alice));
    harness.upstream.intercept = async (url, response) => {
      if (url.split('?')[0] !== token) return response;
      const body = await response.text();
      return new Response(`<html><body><pre>${body}</pre></body></html>`, { status: 200, headers: { 'content-type': 'text/html' } });
    };
    expect((await agent.get(callback)).status).toBe(502);
    // An ID token signed with the client secret (HS256).
    harness.upstream.intercept = undefined;
    agent = new UserAgent({ stopAt: stopAtAcs });
    ({ callback } = await loginUpToCallback(harness, agent, alice));
    tamperIdToken(harness, token, async (idToken) =>
      new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET)),
    );
    expect((await agent.get(callback)).status).toBe(502);
    // Userinfo refusing the access token, naming it in its challenge.
    harness.upstream.intercept = undefined;
    agent = new UserAgent({ stopAt: stopAtAcs });
    ({ callback } = await loginUpToCallback(harness, agent, alice));
    harness.upstream.intercept = async (url, response) => {
      if (url.split('?')[0] !== userinfo) return response;
      const request = harness.upstream.requests.at(-1)!;
      const accessToken = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
      return new Response(JSON.stringify({ error: 'invalid_token', error_description: `token ${accessToken} revoked` }), {
        status: 401,
        headers: { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token", error_description="token ${accessToken} revoked"` },
      });
    };
    expect((await agent.get(callback)).status).toBe(502);
    harness.upstream.intercept = undefined;
    // A userinfo answer about someone else.
    agent = new UserAgent({ stopAt: stopAtAcs });
    ({ callback } = await loginUpToCallback(harness, agent, alice));
    tamperJson(harness, userinfo, (body) => ({ ...body, sub: 'someone-else' }));
    expect((await agent.get(callback)).status).toBe(502);
    harness.upstream.intercept = undefined;
  });

  it('runs callbacks refused before the provider: replayed, mixed-up, cancelled, with the code in the URL', async () => {
    const harness = await start();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    expect((await agent.get(callback)).status).toBe(200);
    expect((await agent.get(callback)).status).toBe(400);
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set('iss', 'https://attacker.example');
    expect((await agent.get(mixedUp)).status).toBe(400);
    const otherAgent = new UserAgent({ stopAt: stopAtAcs });
    const other = await loginUpToCallback(harness, otherAgent, alice);
    const cancelled = new URL(other.callback);
    cancelled.searchParams.set('error', 'access_denied');
    cancelled.searchParams.set('error_description', `the code was ${other.callback.searchParams.get('code')}`);
    expect((await otherAgent.get(cancelled)).status).toBe(403);
  });

  it('runs a login whose client secret the provider refuses', async () => {
    const harness = await start({ config: (base) => ({ ...base, oidc: { ...base.oidc, clientSecret: WRONG_SECRET } }) });
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback } = await loginUpToCallback(harness, agent, alice);
    expect((await agent.get(callback)).status).toBe(502);
  });

  it('found no secret in any of the lines logged above', async () => {
    await watch.settle();
    const kinds = new Set(watch.secrets.map((s) => s.kind));
    // The watch saw every kind of secret it guards, and the bridge did log.
    for (const kind of ['client secret', 'authorization code', 'PKCE verifier', 'access token', 'ID token', 'user password', 'SAML response', 'signing key', 'provider private key']) {
      expect(kinds).toContain(kind);
    }
    const logged = watch.lines.filter((l) => l.source.startsWith('jsonLogger'));
    expect(logged.some((l) => l.line.includes('"event":"login.succeeded"'))).toBe(true);
    expect(logged.filter((l) => l.line.includes('"event":"request.failed"')).length).toBeGreaterThanOrEqual(8);
    expect(findLeaks(watch.lines, watch.secrets)).toEqual([]);
  });

  it('would notice a leak (the check itself works)', () => {
    const code = watch.secrets.find((s) => s.kind === 'authorization code')!.value;
    const idToken = watch.secrets.find((s) => s.kind === 'ID token')!.value;
    const payloadOnly = idToken.split('.')[1]!;
    const leaks = findLeaks(
      [
        { source: 'canary', line: JSON.stringify({ event: 'x', detail: `code=${code}` }) },
        { source: 'canary', line: `claims ${payloadOnly}` },
        { source: 'canary', line: '-----BEGIN PRIVATE KEY-----' },
      ],
      watch.secrets,
    );
    expect(leaks.map((l) => l.what.split(' (')[0])).toEqual(expect.arrayContaining(['authorization code', 'ID token', 'a PEM private key']));
  });
});
