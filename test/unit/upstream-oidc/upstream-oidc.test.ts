import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { parseConfig, type BridgeConfig } from '../../../src/core/config.js';
import type { Fetch } from '../../../src/core/ports.js';
import { authorizationUrl, completeAuthorization, fetchWithDeadline, newLoginSecrets, ProviderConfigurationCache, toBridgeError, type UpstreamContext } from '../../../src/upstream-oidc/upstream-oidc.js';
import { createStubProvider, stubAlice, type StubProvider } from '../../support/stub-provider.js';

/**
 * The OIDC half against the stub provider, in-process: how the ID token and userinfo are
 * merged into the claims the user is mapped from. The ID token is signed and wins; userinfo
 * fills in what it lacks, but its email_verified may not vouch for another address.
 */

let config: BridgeConfig;
let provider: StubProvider;
let context: UpstreamContext;

beforeEach(async () => {
  config = parseConfig(
    {
      baseUrl: 'https://bridge.test',
      oidc: { issuer: 'https://idp.test', clientId: 'bridge-client', clientSecret: 'bridge-client-secret-0123456789abcdef' },
      serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
      allowedEmailDomains: ['example.com'],
    },
    { allowLoopbackHttp: false },
  );
  provider = await createStubProvider({ issuer: config.oidc.issuer, clientId: config.oidc.clientId, clientSecret: config.oidc.clientSecret!, redirectUri: config.urls.callback });
  context = { config, fetch: provider.fetch, allowLoopbackHttp: false, cache: new ProviderConfigurationCache() };
});

/** One login through the stub: the authorization URL, the user signing in, the callback's claims. */
async function claimsAfterLogin(options: { forceAuthn?: boolean } = {}) {
  const secrets = newLoginSecrets();
  const url = await authorizationUrl(context, Date.now(), secrets, { forceAuthn: options.forceAuthn ?? false });
  const query = provider.authorize(url.href);
  const callbackUrl = new URL(config.urls.callback);
  for (const [name, values] of Object.entries(query)) for (const value of values) callbackUrl.searchParams.append(name, value);
  return { url, ...(await completeAuthorization(context, Date.now(), callbackUrl, secrets)) };
}

describe('completeAuthorization: email_verified speaks for one address', () => {
  it("drops userinfo's email_verified when userinfo names another address than the ID token", async () => {
    provider.idTokenClaims = ({ email_verified: _dropped, ...claims }) => claims;
    provider.userinfoClaims = (claims) => ({ ...claims, email: 'alice.old@example.com', email_verified: true });
    const { claims, usedUserinfo } = await claimsAfterLogin();
    expect(usedUserinfo).toBe(true);
    expect(claims.email).toBe(stubAlice.email);
    expect(claims).not.toHaveProperty('email_verified');
    // The rest of userinfo still fills in what the ID token lacks.
    expect(claims.given_name).toBe(stubAlice.given_name);
  });

  it("keeps userinfo's email_verified when it speaks of the ID token's own address", async () => {
    provider.idTokenClaims = ({ email_verified: _dropped, ...claims }) => claims;
    provider.userinfoClaims = (claims) => ({ ...claims, email_verified: false });
    const { claims } = await claimsAfterLogin();
    expect(claims.email_verified).toBe(false);
  });

  it("lets the ID token's own email_verified win over userinfo's", async () => {
    provider.idTokenClaims = (claims) => ({ ...claims, email_verified: false });
    provider.userinfoClaims = (claims) => ({ ...claims, email: 'alice.old@example.com', email_verified: true });
    const { claims } = await claimsAfterLogin();
    expect(claims.email_verified).toBe(false);
  });

  it("takes email and email_verified from userinfo when the ID token has no email", async () => {
    provider.idTokenClaims = ({ email: _e, email_verified: _v, ...claims }) => claims;
    provider.userinfoClaims = (claims) => ({ ...claims, email_verified: false });
    const { claims } = await claimsAfterLogin();
    expect(claims).toMatchObject({ email: stubAlice.email, email_verified: false });
  });
});

describe('completeAuthorization: auth_time for ForceAuthn', () => {
  it('asks for prompt=login and max_age=0 under ForceAuthn, and returns auth_time in milliseconds', async () => {
    const authTime = Math.floor(Date.now() / 1000);
    provider.idTokenClaims = (claims) => ({ ...claims, auth_time: authTime });
    const { url, authTime: returned } = await claimsAfterLogin({ forceAuthn: true });
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('max_age')).toBe('0');
    expect(returned).toBe(authTime * 1000);
  });

  it('asks for neither without ForceAuthn, and returns no auth_time when the ID token has none', async () => {
    const { url, authTime } = await claimsAfterLogin();
    expect(url.searchParams.has('prompt')).toBe(false);
    expect(url.searchParams.has('max_age')).toBe(false);
    expect(authTime).toBeUndefined();
  });
});

describe('provider calls: one deadline per call, released with the answer', () => {
  const GET: Parameters<ReturnType<typeof fetchWithDeadline>>[1] = { method: 'GET', headers: {}, body: undefined, redirect: 'manual' };

  /** Runs `work` and returns how many timers of `ms` it set that are still pending afterwards. */
  async function pendingTimersOf<T>(ms: number, work: () => Promise<T>): Promise<{ result: T; pending: number }> {
    const pending = new Set<unknown>();
    const { setTimeout: set, clearTimeout: clear } = globalThis;
    globalThis.setTimeout = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
      const timer = set(() => {
        pending.delete(timer);
        callback(...args);
      }, delay);
      if (delay === ms) pending.add(timer);
      return timer;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
      pending.delete(timer);
      clear(timer);
    }) as typeof clearTimeout;
    try {
      return { result: await work(), pending: pending.size };
    } finally {
      Object.assign(globalThis, { setTimeout: set, clearTimeout: clear });
    }
  }

  it('leaves no timer behind after a login, and openid-client starts none of its own once the provider is discovered', async () => {
    const deadlineMs = config.upstreamTimeoutSeconds * 1000;
    // Discovery, JWKS, token and userinfo each had a deadline of config.upstreamTimeoutSeconds.
    expect((await pendingTimersOf(deadlineMs, () => claimsAfterLogin())).pending).toBe(0);
    const timeoutSignals = jest.spyOn(AbortSignal, 'timeout');
    try {
      const { result, pending } = await pendingTimersOf(deadlineMs, () => claimsAfterLogin());
      expect(result.claims.sub).toBe(stubAlice.sub);
      expect(pending).toBe(0);
      expect(timeoutSignals).not.toHaveBeenCalled();
    } finally {
      timeoutSignals.mockRestore();
    }
  });

  it('covers the body too: a provider that sends its headers and then stalls is a TimeoutError', async () => {
    let aborted: unknown;
    const stalling: Fetch = async (_, init) => {
      init?.signal?.addEventListener('abort', () => (aborted = init.signal?.reason));
      return new Response(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('{"issuer":')) }), { status: 200 });
    };
    const started = Date.now();
    const error = await fetchWithDeadline(stalling, 200)('https://idp.test/token', GET).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(toBridgeError(error, 'token').code).toBe('oidc_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // The call itself is told to stop, where the host's fetch listens.
    expect(aborted).toBe(error);
  });

  it("does not depend on the host's fetch honouring the signal: one that ignores it still times out", async () => {
    const deaf: Fetch = () => new Promise(() => undefined);
    const error = await fetchWithDeadline(deaf, 100)('https://idp.test/token', GET).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it('hands on status, headers and body unchanged, an empty 204 included', async () => {
    const answer: Fetch = async (input) =>
      String(input).endsWith('/empty') ? new Response(null, { status: 204 }) : new Response('{"a":1}', { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    const call = fetchWithDeadline(answer, 1000);
    const bad = await call('https://idp.test/userinfo', GET);
    expect([bad.status, bad.statusText, bad.headers.get('www-authenticate'), await bad.json()]).toEqual([400, 'Bad Request', 'Bearer error="invalid_token"', { a: 1 }]);
    const empty = await call('https://idp.test/empty', GET);
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });
});
