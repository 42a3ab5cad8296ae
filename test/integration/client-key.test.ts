import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDemoProvider } from '../../dev/demo/demo-provider.js';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, importPKCS8, SignJWT } from 'jose';
import { storageKeys } from '../../src/core/storage-keys.js';
import { cryptoRandom, systemClock } from '../../src/core/default-ports.js';
import {
  activateNextClientKey,
  discardNextClientKey,
  prepareNextClientKey,
  readClientKeyRing,
  thumbprintOf,
  undoClientKeyActivation,
} from '../../src/upstream-oidc/client-key-ring.js';
import { CLIENT_ID, CLIENT_SECRET, alice, readAutoPost, signInAtProvider, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * `private_key_jwt` against a real `oidc-provider` whose client has no secret and registers the
 * bridge's JWKS URL (`/oidc/jwks/default/default`): whole logins through the standalone server,
 * the assertion as the provider receives it, a rotation the provider follows by fetching the
 * JWKS, and a discarded key's assertion refused.
 */

const JWKS_URL = (harness: Harness) => `${harness.app.baseUrl}/oidc/jwks/default/default`;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** One whole SP-initiated login; the SAMLResponse node-saml verifies. */
async function login(harness: Harness) {
  const sp = await harness.serviceProvider();
  const agent = new UserAgent({ stopAt: stopAtAcs });
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
  const last = await signInAtProvider(agent, loginPage, alice);
  return { sp, last };
}

/** One whole login, verified by node-saml; the NameID it carries. */
async function logIn(harness: Harness): Promise<string | undefined> {
  const { sp, last } = await login(harness);
  const { profile } = await sp.validatePostResponseAsync(readAutoPost(last) as { SAMLResponse: string; RelayState: string });
  return profile?.nameID;
}

/** The token requests the bridge made since `from`, as the provider received them. */
function tokenRequests(harness: Harness, from = 0) {
  return harness.upstream.requests.slice(from).filter((r) => r.url.endsWith('/token'));
}

/**
 * oidc-provider keeps a fetched client JWKS fresh for at least 60 s, as providers cache it; this
 * ends that time now, as if it had run out, so its next token request fetches the JWKS again.
 */
async function expireProviderJwksCache(harness: Harness): Promise<void> {
  const client = (await harness.provider.provider.Client.find(CLIENT_ID)) as unknown as { asymmetricKeyStore: { freshUntil?: number } };
  client.asymmetricKeyStore.freshUntil = 0;
}

/** Another oidc-provider with the bridge's client, registered by its JWKS URL; its keys are fetched at first use. */
async function startProvider(jwksUri: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = await createDemoProvider({
    issuer: url,
    clients: [{ client_id: CLIENT_ID, jwks_uri: jwksUri, redirect_uris: ['http://127.0.0.1/oidc/callback'], token_endpoint_auth_method: 'private_key_jwt' }],
    allowLoopbackFetch: true,
  });
  server.on('request', provider.handle);
  return {
    url,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const ringPorts = (harness: Harness) => ({
  store: harness.app.store,
  secrets: harness.app.store,
  clock: systemClock,
  random: cryptoRandom,
  commonName: new URL(harness.app.baseUrl).host,
});

describe('private_key_jwt (standalone server, oidc-provider fetching the JWKS URL, node-saml)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ tokenEndpointAuthMethod: 'private_key_jwt' });
  });
  afterAll(async () => harness.close());

  it('signs in with no secret: the token request carries only a signed assertion, whose header names the key', async () => {
    const from = harness.upstream.requests.length;
    const { sp, last } = await login(harness);
    const { profile } = await sp.validatePostResponseAsync(readAutoPost(last) as { SAMLResponse: string; RelayState: string });
    expect(profile?.nameID).toBe('alice@example.com');

    const [token] = tokenRequests(harness, from);
    expect(token).toBeDefined();
    expect(token!.headers.get('authorization')).toBeNull();
    const body = new URLSearchParams(token!.body);
    expect(body.get('client_secret')).toBeNull();
    expect(token!.body).not.toContain(CLIENT_SECRET);
    expect(body.get('client_id')).toBe(CLIENT_ID);
    expect(body.get('client_assertion_type')).toBe(JWT_BEARER);
    const assertion = body.get('client_assertion')!;
    const header = decodeProtectedHeader(assertion);
    const jwks = (await (await fetch(JWKS_URL(harness))).json()) as { keys: (JsonWebKey & { kid: string })[] };
    expect(jwks.keys).toHaveLength(1);
    expect(header).toEqual({ alg: 'RS256', kid: jwks.keys[0]!.kid, 'x5t#S256': jwks.keys[0]!.kid });
    // The published key verifies it: the JWKS is the key that signs.
    await expect(compactVerify(assertion, await importJWK(jwks.keys[0]!, 'RS256'))).resolves.toBeDefined();
    const claims = decodeJwt(assertion);
    expect(claims.iss).toBe(CLIENT_ID);
    expect(claims.sub).toBe(CLIENT_ID);
    expect(claims.aud).toBe(`${harness.providerUrl}/token`);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(60);
    expect(typeof claims.jti).toBe('string');
  });

  it('reads the client key ring at the token request only: not on a warm login\'s redirect', async () => {
    await logIn(harness);
    const store = harness.app.store;
    const get = store.get.bind(store);
    const ringReads: string[] = [];
    store.get = (async (key: string) => {
      if (key === storageKeys.clientKeyRing('default', 'default')) ringReads.push(key);
      return get(key);
    }) as typeof store.get;
    try {
      const sp = await harness.serviceProvider();
      const agent = new UserAgent({ stopAt: stopAtAcs });
      const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
      expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
      expect(ringReads).toHaveLength(0);
      const last = await signInAtProvider(agent, loginPage, alice);
      const { profile } = await sp.validatePostResponseAsync(readAutoPost(last) as { SAMLResponse: string; RelayState: string });
      expect(profile?.nameID).toBe('alice@example.com');
      expect(ringReads).toHaveLength(1);
    } finally {
      store.get = get;
    }
  });

  it('answers a client key that cannot be read at the token request with storage_unavailable, and signs in again once it can', async () => {
    await logIn(harness);
    const store = harness.app.store;
    const get = store.get.bind(store);
    const sp = await harness.serviceProvider();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
    const from = harness.upstream.requests.length;
    store.get = (async (key: string) => {
      if (key === storageKeys.clientKeyRing('default', 'default')) throw new Error('store down');
      return get(key);
    }) as typeof store.get;
    try {
      const last = await signInAtProvider(agent, loginPage, alice);
      expect(last.status).toBe(503);
      expect(last.headers.get('x-bridge-error')).toBe('storage_unavailable');
      expect(last.body).not.toContain('SAMLResponse');
      // No assertion left: the code was never sent.
      expect(tokenRequests(harness, from)).toHaveLength(0);
    } finally {
      store.get = get;
    }
    expect(await logIn(harness)).toBe('alice@example.com');
  });

  it('gives each assertion its own jti', async () => {
    const from = harness.upstream.requests.length;
    for (let i = 0; i < 2; i++) await login(harness);
    const ids = tokenRequests(harness, from).map((r) => decodeJwt(new URLSearchParams(r.body).get('client_assertion')!).jti);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('serves the JWKS as public keys with their certificate, never a private member', async () => {
    const response = await fetch(JWKS_URL(harness));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json');
    const text = await response.text();
    const [key] = (JSON.parse(text) as { keys: Record<string, unknown>[] }).keys;
    expect(Object.keys(key!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t#S256']);
    expect(text).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
    expect(text).not.toContain('PRIVATE KEY');
    // A provider the bridge has no keys for: nothing, and no key made for it.
    expect((await fetch(`${harness.app.baseUrl}/oidc/jwks/default/other`)).status).toBe(404);
    expect(await readClientKeyRing(harness.app.store, 'default', 'other')).toBeUndefined();
  });

  it('rotates: the provider sees both keys while one is prepared, logins work after activation and after undo', async () => {
    const before = (await readClientKeyRing(harness.app.store, 'default', 'default'))!;
    const prepared = await prepareNextClientKey(ringPorts(harness), 'default', 'default');
    if (!prepared.ok) throw new Error(prepared.reason);
    const both = (await (await fetch(JWKS_URL(harness))).json()) as { keys: { kid: string }[] };
    expect(both.keys).toHaveLength(2);
    const [activeKid, nextKid] = both.keys.map((k) => k.kid);

    // Prepared is not active: still signed with the old key. The provider's cache runs out
    // meanwhile, so this login's token request makes it fetch the JWKS with both keys.
    await expireProviderJwksCache(harness);
    let from = harness.upstream.requests.length;
    await login(harness);
    expect(decodeProtectedHeader(new URLSearchParams(tokenRequests(harness, from)[0]!.body).get('client_assertion')!).kid).toBe(activeKid);

    // Activated with no further fetch by the provider: it knows the next key from the JWKS it
    // fetched while the key was prepared.
    const activated = await activateNextClientKey(ringPorts(harness), 'default', 'default', prepared.ring.next!.fingerprint);
    expect(activated.ok).toBe(true);
    from = harness.upstream.requests.length;
    const { sp, last } = await login(harness);
    await expect(sp.validatePostResponseAsync(readAutoPost(last) as { SAMLResponse: string; RelayState: string })).resolves.toMatchObject({ loggedOut: false });
    expect(decodeProtectedHeader(new URLSearchParams(tokenRequests(harness, from)[0]!.body).get('client_assertion')!).kid).toBe(nextKid);

    const undone = await undoClientKeyActivation(ringPorts(harness), 'default', 'default', before.active.fingerprint);
    expect(undone.ok).toBe(true);
    from = harness.upstream.requests.length;
    await login(harness);
    expect(decodeProtectedHeader(new URLSearchParams(tokenRequests(harness, from)[0]!.body).get('client_assertion')!).kid).toBe(activeKid);
  });

  it('a discarded key leaves the JWKS, and the provider refuses an assertion signed with it', async () => {
    const ports = ringPorts(harness);
    const prepared = await prepareNextClientKey(ports, 'default', 'default');
    if (!prepared.ok) throw new Error(prepared.reason);
    const next = prepared.ring.next!;
    // The prepared key, read before it is discarded (and deleted), to sign with afterwards.
    const stored = (await harness.app.store.getSecret<{ privateKeyPem: string }>(storageKeys.clientKeyOf('default', 'default', next.id)))!;
    const discardedKey = await importPKCS8(stored.privateKeyPem, 'RS256');
    await expireProviderJwksCache(harness);
    // While prepared, the provider takes its assertions: the client is authenticated, and only
    // the made-up code is refused.
    expect(await tokenRequestSignedWith(discardedKey, thumbprintOf(next))).toEqual({ status: 400, error: 'invalid_grant' });

    const discarded = await discardNextClientKey(ports, 'default', 'default', next.fingerprint);
    expect(discarded.ok).toBe(true);
    expect(await harness.app.store.getSecret(storageKeys.clientKeyOf('default', 'default', next.id))).toBeUndefined();
    const jwks = (await (await fetch(JWKS_URL(harness))).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([thumbprintOf(discarded.ring.active)]);
    // A provider that fetches the JWKS after the discard (oidc-provider fetches again only when a
    // signature fails, so here: one started now, registering the same JWKS URL) refuses it.
    const fresh = await startProvider(JWKS_URL(harness));
    try {
      expect(await tokenRequestSignedWith(discardedKey, thumbprintOf(next), fresh.url)).toEqual({ status: 401, error: 'invalid_client' });
      // The control: the same request signed by the active key authenticates the client.
      const active = await harness.app.store.getSecret<{ privateKeyPem: string }>(storageKeys.clientKeyOf('default', 'default', discarded.ring.active.id));
      expect(await tokenRequestSignedWith(await importPKCS8(active!.privateKeyPem, 'RS256'), thumbprintOf(discarded.ring.active), fresh.url)).toEqual({ status: 400, error: 'invalid_grant' });
    } finally {
      await fresh.close();
    }
    // And the active key still authenticates.
    const login = await logIn(harness);
    expect(login).toBe('alice@example.com');
  });

  /** A token request with a fresh assertion (new jti) signed by `key`: how the provider answers. */
  async function tokenRequestSignedWith(key: CryptoKey, kid: string, providerUrl = harness.providerUrl): Promise<{ status: number; error: string }> {
    const tokenEndpoint = `${providerUrl}/token`;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(tokenEndpoint)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key);
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'made-up-code',
      redirect_uri: `${harness.app.baseUrl}/oidc/callback`,
      // Random, like a real one: the secret watch treats every verifier sent as a secret, and a
      // run of one letter would match unrelated log lines of other tests.
      code_verifier: cryptoRandom.token(32),
      client_id: CLIENT_ID,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    });
    const response = await fetch(tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    return { status: response.status, error: ((await response.json()) as { error: string }).error };
  }
});
