import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { SignJWT, createRemoteJWKSet, importJWK, jwtVerify } from 'jose';
import { createDemoProvider, demoUsers, type DemoProvider } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';

const SECRET_BASIC = 'basic-secret-'.padEnd(40, 'x');
const SECRET_POST = 'post-secret-'.padEnd(40, 'y');
const REDIRECT_URI = 'http://127.0.0.1:9/oidc/callback';
const isCallback = (url: URL) => url.href.startsWith(REDIRECT_URI);

interface Setup {
  name: string;
  server: http.Server;
  base: string;
  op: DemoProvider;
}

/**
 * Starts the demo provider on its own port, either at the root or below `prefix` behind an
 * outer server that routes every request under the prefix to it unchanged (demo mode).
 */
async function start(name: string, prefix: string): Promise<Setup> {
  let handler: http.RequestListener = () => undefined;
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const op = await createDemoProvider({
    issuer: `${base}${prefix}`,
    clients: [
      { client_id: 'bridge-basic', client_secret: SECRET_BASIC, redirect_uris: [REDIRECT_URI] },
      {
        client_id: 'bridge-post',
        client_secret: SECRET_POST,
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
  });
  handler = (req, res) => {
    if (!prefix || req.url === prefix || req.url?.startsWith(`${prefix}/`) || req.url?.startsWith(`${prefix}?`)) {
      op.handle(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('outer server: not found');
  };
  return { name, server, base, op };
}

async function configFor(setup: Setup, method: 'basic' | 'post' = 'basic'): Promise<client.Configuration> {
  const config = await client.discovery(
    new URL(setup.op.issuer),
    method === 'basic' ? 'bridge-basic' : 'bridge-post',
    undefined,
    method === 'basic' ? client.ClientSecretBasic(SECRET_BASIC) : client.ClientSecretPost(SECRET_POST),
    { execute: [client.allowInsecureRequests] },
  );
  client.enableNonRepudiationChecks(config);
  return config;
}

interface Transaction {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

async function authorizationRequest(config: client.Configuration, extra: Record<string, string> = {}): Promise<Transaction> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

async function signIn(ua: UserAgent, loginPage: Page, email: string, password: string): Promise<Page> {
  return ua.submit(loginPage, { form: (f) => f.action.endsWith('/login'), fields: { email, password }, button: 'Sign in' });
}

async function redeem(config: client.Configuration, callback: Page, tx: Transaction) {
  expect(callback.stopped).toBeDefined();
  const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: tx.verifier,
    expectedState: tx.state,
    expectedNonce: tx.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { tokens, claims, userinfo };
}

const user = (email: string) => demoUsers.find((u) => u.email === email)!;

let root: Setup;
let mounted: Setup;
const warnings: string[] = [];

beforeAll(async () => {
  // oidc-provider prints its notices through console.info/warn; none should be about our setup.
  for (const method of ['warn', 'info'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
  }
  root = await start('at the root of its own server', '');
  mounted = await start('mounted under /demo-op', '/demo-op');
});

afterAll(async () => {
  jest.restoreAllMocks();
  await Promise.all([root, mounted].map((s) => new Promise((r) => s?.server.close(r))));
});

describe.each(['root', 'mounted'] as const)('demo OpenID provider (%s)', (which) => {
  const setup = () => (which === 'root' ? root : mounted);

  it('publishes discovery with every endpoint below the issuer', async () => {
    const { op, base } = setup();
    const response = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(op.issuer);
    expect(op.issuer.startsWith(base)).toBe(true);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expect(String(metadata[key])).toMatch(new RegExp(`^${op.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
    }
    expect(String(metadata.end_session_endpoint)).toBe(`${op.issuer}/session/end`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
    expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');

    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: op.jwks.keys[0]!.kid });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });

  it('runs a code flow: thin ID token, names from userinfo (client_secret_basic)', async () => {
    const config = await configFor(setup());
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });

    const loginPage = await ua.get(tx.url);
    expect(loginPage.status).toBe(200);
    expect(loginPage.url).toMatch(new RegExp(`^${setup().op.issuer}/interaction/`));
    expect(loginPage.hops[0]!.status).toBe(303);
    expect(loginPage.$('label[for=email]').text()).toBe('Email');
    expect(loginPage.$('label[for=password]').text()).toBe('Password');
    expect(loginPage.form((f) => f.action.endsWith('/login')).buttons.map((b) => b.text)).toEqual(['Sign in']);
    for (const u of demoUsers) {
      expect(loginPage.text()).toContain(u.email);
      expect(loginPage.text()).toContain(u.password);
    }
    expect(loginPage.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(loginPage.headers.get('cache-control')).toBe('no-store');
    expect(loginPage.headers.get('x-content-type-options')).toBe('nosniff');
    expect(loginPage.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(loginPage.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9");

    const alice = user('alice@example.com');
    const callback = await signIn(ua, loginPage, alice.email, alice.password);
    // login → resume → consent (granted automatically) → resume → callback
    expect(callback.hops.map((h) => h.status)).toEqual([303, 303, 303, 303]);
    expect(callback.hops.some((h) => h.url.includes('/interaction/') && h.method === 'GET')).toBe(true);

    const { claims, userinfo } = await redeem(config, callback, tx);
    expect(claims).toMatchObject({ iss: setup().op.issuer, aud: 'bridge-basic', sub: alice.sub, email: alice.email, email_verified: true, nonce: tx.nonce });
    expect(claims.given_name).toBeUndefined();
    expect(claims.family_name).toBeUndefined();
    expect(claims.name).toBeUndefined();
    expect(userinfo).toEqual({
      sub: alice.sub,
      email: alice.email,
      email_verified: true,
      name: alice.name,
      given_name: alice.given_name,
      family_name: alice.family_name,
    });
  });

  it('runs a code flow with client_secret_post', async () => {
    const config = await configFor(setup(), 'post');
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });
    const bob = user('bob@example.com');
    const callback = await signIn(ua, await ua.get(tx.url), bob.email, bob.password);
    const { claims, userinfo } = await redeem(config, callback, tx);
    expect(claims).toMatchObject({ aud: 'bridge-post', sub: bob.sub, email: bob.email });
    expect(userinfo.family_name).toBe("O'Brien");
  });

  it('refuses a wrong password on the page, then accepts the right one', async () => {
    const config = await configFor(setup());
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });
    const loginPage = await ua.get(tx.url);
    const alice = user('alice@example.com');

    const refused = await signIn(ua, loginPage, alice.email, 'not-the-password');
    expect(refused.stopped).toBeUndefined();
    expect(refused.hops).toHaveLength(1);
    expect(refused.$('[role=alert]').text()).toContain('Wrong email or password');
    expect(refused.field('email', (f) => f.action.endsWith('/login'))).toBe(alice.email);

    const unknown = await signIn(ua, refused, 'nobody@example.com', 'x');
    expect(unknown.$('[role=alert]').text()).toContain('Wrong email or password');

    const callback = await signIn(ua, unknown, alice.email, alice.password);
    const { claims } = await redeem(config, callback, tx);
    expect(claims.sub).toBe(alice.sub);
  });

  it('says email_verified false for the unverified user', async () => {
    const config = await configFor(setup());
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });
    const mallory = user('mallory@example.com');
    const callback = await signIn(ua, await ua.get(tx.url), mallory.email, mallory.password);
    const { claims, userinfo } = await redeem(config, callback, tx);
    expect(claims.email).toBe(mallory.email);
    expect(claims.email_verified).toBe(false);
    expect(userinfo.email_verified).toBe(false);
  });

  it('lets a returning user through without a login page, and asks again with prompt=login', async () => {
    const config = await configFor(setup());
    const ua = new UserAgent({ stopAt: isCallback });
    const alice = user('alice@example.com');
    const first = await authorizationRequest(config);
    await redeem(config, await signIn(ua, await ua.get(first.url), alice.email, alice.password), first);

    const again = await authorizationRequest(config);
    const direct = await ua.get(again.url);
    expect(direct.stopped).toBeDefined();
    expect(direct.hops.some((h) => h.url.includes('/interaction/'))).toBe(false);
    expect((await redeem(config, direct, again)).claims.sub).toBe(alice.sub);

    const forced = await authorizationRequest(config, { prompt: 'login' });
    const loginPage = await ua.get(forced.url);
    expect(loginPage.status).toBe(200);
    expect(loginPage.form((f) => f.action.endsWith('/login'))).toBeDefined();
    const bob = user('bob@example.com');
    // Another user over Alice's session: the provider first ends her session (a self-posting
    // form), then resumes the sign-in for Bob.
    const switching = await signIn(ua, loginPage, bob.email, bob.password);
    expect(switching.status).toBe(200);
    expect(switching.form().action).toMatch(/\/session\/end\/confirm$/);
    const resumed = await ua.submit(switching);
    const { claims } = await redeem(config, resumed, forced);
    expect(claims.sub).toBe(bob.sub);
  });

  it('signs out at end_session, so the next sign-in asks for a password again', async () => {
    const config = await configFor(setup());
    const ua = new UserAgent({ stopAt: isCallback });
    const alice = user('alice@example.com');
    const first = await authorizationRequest(config);
    await redeem(config, await signIn(ua, await ua.get(first.url), alice.email, alice.password), first);

    const confirm = await ua.get(`${setup().op.issuer}/session/end`);
    expect(confirm.status).toBe(200);
    const signedOut = await ua.submit(confirm, { form: '#op.logoutForm', button: 'Sign out' });
    expect(signedOut.text()).toContain('signed out');

    const next = await authorizationRequest(config);
    const loginPage = await ua.get(next.url);
    expect(loginPage.form((f) => f.action.endsWith('/login'))).toBeDefined();
  });

  it('requires PKCE', async () => {
    const config = await configFor(setup());
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      state: client.randomState(),
    });
    const page = await new UserAgent({ stopAt: isCallback }).get(url);
    const params = new URL(page.url).searchParams;
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/PKCE/);
  });

  it('returns access_denied when the user cancels', async () => {
    const config = await configFor(setup());
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });
    const cancelled = await ua.submit(await ua.get(tx.url), { form: (f) => f.action.endsWith('/abort') });
    const params = new URL(cancelled.url).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(tx.state);
  });

  it('renders its own escaped error page for a bad authorization request', async () => {
    const { op } = setup();
    const page = await new UserAgent().get(`${op.issuer}/auth?client_id=%3Cscript%3Eunknown&response_type=code`);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('<script>unknown');
    expect(page.body).not.toContain('fonts.googleapis.com');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('shows a landing page with the demo accounts at the issuer', async () => {
    const page = await new UserAgent().get(`${setup().op.issuer}/`);
    expect(page.status).toBe(200);
    expect(page.text()).toContain('alice@example.com');
    expect(page.text()).toContain('alice-demo');
  });

  it('exposes its private signing key, which verifies against its own jwks_uri', async () => {
    const { op } = setup();
    const jwk = op.jwks.keys[0]!;
    expect(jwk.d).toEqual(expect.any(String));
    const forged = await new SignJWT({ email: 'forged@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid! })
      .setIssuer(op.issuer)
      .setAudience('bridge-basic')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(jwk as Parameters<typeof importJWK>[0], 'RS256'));
    const config = await configFor(setup());
    const { payload } = await jwtVerify(forged, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), {
      issuer: op.issuer,
    });
    expect(payload.email).toBe('forged@example.com');
  });
});

describe('demo OpenID provider mounted under a prefix', () => {
  it('answers 404 to a request outside its prefix', async () => {
    const res = new FakeResponse();
    mounted.op.handle(Object.assign(new http.IncomingMessage(null as never), { url: '/elsewhere', method: 'GET' }), res as never);
    expect(res.statusCode).toBe(404);
  });

  it('scopes its cookies to the prefix', async () => {
    const config = await configFor(mounted);
    const tx = await authorizationRequest(config);
    const ua = new UserAgent({ stopAt: isCallback });
    const alice = user('alice@example.com');
    await signIn(ua, await ua.get(tx.url), alice.email, alice.password);
    const session = ua.cookies.get('demo_op_session');
    expect(session).toMatchObject({ path: '/demo-op', httpOnly: true, sameSite: 'lax' });
    expect(ua.cookies.get('demo_op_session.sig')).toBeDefined();
    // Interaction cookies were cleared once the interaction finished.
    expect(ua.cookies.all().every((c) => c.path.startsWith('/demo-op'))).toBe(true);
  });

  it('accepts a request an Express-style mount already stripped', async () => {
    const { op, base } = mounted;
    const server = http.createServer((req, res) => {
      const r = req as http.IncomingMessage & { originalUrl?: string };
      r.originalUrl = req.url;
      req.url = req.url!.slice('/demo-op'.length) || '/';
      op.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const metadata = (await (await fetch(`http://127.0.0.1:${port}/demo-op/.well-known/openid-configuration`)).json()) as Record<string, string>;
      expect(metadata.issuer).toBe(`${base}/demo-op`);
      expect(metadata.token_endpoint).toBe(`http://127.0.0.1:${port}/demo-op/token`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('demo OpenID provider console output', () => {
  it('printed no oidc-provider notices while set up and used', () => {
    expect(warnings.filter((w) => w.includes('oidc-provider'))).toEqual([]);
  });
});

/** Just enough of a ServerResponse to see what `handle` wrote synchronously. */
class FakeResponse {
  statusCode = 200;
  headers: Record<string, unknown> = {};
  body = '';
  headersSent = false;
  setHeader(name: string, value: unknown) {
    this.headers[name.toLowerCase()] = value;
  }
  writeHead(status: number, headers: Record<string, unknown>) {
    this.statusCode = status;
    Object.assign(this.headers, headers);
    this.headersSent = true;
    return this;
  }
  end(body?: string) {
    this.body = body ?? '';
  }
}
