import { beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { compactVerify, importJWK, SignJWT } from 'jose';
import { parseConfig } from '../../../src/core/config.js';
import { cryptoRandom } from '../../../src/core/default-ports.js';
import { createSigningKey, type SigningKey } from '../../../src/core/key-ring/key-pair.js';
import { storageKeys } from '../../../src/core/storage-keys.js';
import {
  activateNextClientKey,
  activeClientKey,
  clientJwks,
  clientJwksUrl,
  ensureClientKeyRing,
  prepareNextClientKey,
  undoClientKeyActivation,
} from '../../../src/upstream-oidc/client-key-ring.js';
import { assertionAudience, ProviderConfigurationCache, upstreamConfiguration } from '../../../src/upstream-oidc/upstream-oidc.js';
import { MemoryStore } from '../../support/memory-ports.js';

/**
 * The client key ring of a provider (`private_key_jwt`): the JWKS it publishes, the key the
 * assertions are signed with after each change (no instance keeps a replaced one), and where the
 * assertion is addressed.
 */

const pool: SigningKey[] = [];
let drawn = 0;
beforeAll(async () => {
  for (let i = 0; i < 3; i += 1) pool.push(await createSigningKey({ now: () => Date.now() }, 'bridge.example.net'));
}, 60_000);

function ringPorts() {
  const store = new MemoryStore({ now: () => Date.now() });
  return { store, secrets: store, clock: { now: () => Date.now() }, random: cryptoRandom, commonName: 'bridge.example.net', createKey: async () => pool[drawn++ % pool.length]! };
}

/** What a provider checks: a JWT signed by the ring's active key verifies with the published JWK of that kid. */
async function signedWithActive(ports: ReturnType<typeof ringPorts>): Promise<{ kid: string; jwt: string }> {
  const active = (await activeClientKey(ports, 'default', 'okta'))!;
  const jwt = await new SignJWT({ sub: 'client' }).setProtectedHeader({ alg: 'RS256', kid: active.kid }).sign(active.key);
  return { kid: active.kid, jwt };
}

describe('the client key JWKS', () => {
  it('publishes the active key with its certificate, kid = x5t#S256 = the certificate thumbprint, and no private member', async () => {
    const ports = ringPorts();
    const ring = await ensureClientKeyRing(ports, 'default', 'okta');
    const { keys } = clientJwks(ring);
    expect(keys).toHaveLength(1);
    const [jwk] = keys;
    const der = new X509Certificate(ring.active.certificatePem).raw;
    expect(jwk!.x5c).toEqual([der.toString('base64')]);
    expect(jwk!.kid).toBe(createHash('sha256').update(der).digest('base64url'));
    expect(jwk!['x5t#S256']).toBe(jwk!.kid);
    expect(jwk).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(Object.keys(jwk!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t#S256']);
    // The private key stays in secret storage only; the ring in the key-value store is public.
    const stored = JSON.stringify(await ports.store.get(storageKeys.clientKeyRing('default', 'okta')));
    expect(stored).toContain('BEGIN CERTIFICATE');
    expect(stored).not.toContain('PRIVATE KEY');
  });

  it('publishes the next key beside the active one while it is prepared, and signs with the active one until the switch', async () => {
    const ports = ringPorts();
    const first = await ensureClientKeyRing(ports, 'default', 'okta');
    const before = await signedWithActive(ports);
    const prepared = await prepareNextClientKey(ports, 'default', 'okta');
    expect(prepared.ok).toBe(true);
    const jwks = clientJwks(prepared.ring);
    expect(jwks.keys.map((k) => k.kid)).toEqual([before.kid, expect.any(String)]);
    expect((await signedWithActive(ports)).kid).toBe(before.kid);

    const activated = await activateNextClientKey(ports, 'default', 'okta', prepared.ring.next!.fingerprint);
    expect(activated.ok).toBe(true);
    // The next call signs with the new key: nothing kept the replaced one.
    const after = await signedWithActive(ports);
    expect(after.kid).toBe(jwks.keys[1]!.kid);
    await expect(compactVerify(after.jwt, await importJWK(jwks.keys[1]!, 'RS256'))).resolves.toBeDefined();
    // The previous key is no longer published: a provider fetching the JWKS refuses what it signed.
    expect(clientJwks(activated.ring).keys.map((k) => k.kid)).toEqual([after.kid]);

    const undone = await undoClientKeyActivation(ports, 'default', 'okta', first.active.fingerprint);
    expect(undone.ok).toBe(true);
    expect((await signedWithActive(ports)).kid).toBe(before.kid);
  });

  it('costs a warm token request one store read (the ring) and no secret read', async () => {
    const ports = ringPorts();
    await ensureClientKeyRing(ports, 'default', 'okta');
    await activeClientKey(ports, 'default', 'okta');
    const reads: string[] = [];
    const counted = {
      store: { ...ports.store, get: <T,>(key: string) => (reads.push(`get ${key}`), ports.store.get(key) as Promise<T>) } as unknown as MemoryStore,
      secrets: { getSecret: (key: string) => (reads.push(`getSecret ${key}`), ports.store.getSecret(key)) } as unknown as MemoryStore,
    };
    await activeClientKey(counted, 'default', 'okta');
    expect(reads).toEqual([`get ${storageKeys.clientKeyRing('default', 'okta')}`]);
  });

  it('has no key before the method is chosen, and is served below the base URL', async () => {
    expect(await activeClientKey(ringPorts(), 'default', 'okta')).toBeUndefined();
    expect(clientJwksUrl('https://bridge.example.net/x/', 'default', 'okta')).toBe('https://bridge.example.net/x/oidc/jwks/default/okta');
  });
});

describe('the client assertion audience', () => {
  it('is the token endpoint (Okta, Entra ID, Keycloak), the issuer for Auth0, the issuer without a token endpoint', () => {
    expect(assertionAudience({ issuer: 'https://dev-1.okta.com/oauth2/default', token_endpoint: 'https://dev-1.okta.com/oauth2/default/v1/token' })).toBe(
      'https://dev-1.okta.com/oauth2/default/v1/token',
    );
    expect(assertionAudience({ issuer: 'https://tenant.eu.auth0.com/', token_endpoint: 'https://tenant.eu.auth0.com/oauth/token' })).toBe('https://tenant.eu.auth0.com/');
    expect(assertionAudience({ issuer: 'https://id.example.net' })).toBe('https://id.example.net');
  });
});

describe('the configuration with private_key_jwt', () => {
  const raw = (clientAuthMethod: string) => ({
    baseUrl: 'https://bridge.test',
    oidc: { issuer: 'https://idp.test', clientId: 'bridge-client', clientSecret: 'stored-from-before-0123456789abcdef', clientAuthMethod },
    serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
    allowedEmailDomains: ['example.com'],
  });

  it('leaves a secret stored from an earlier method out, so no request can carry it; other methods keep it', () => {
    expect(parseConfig(raw('private_key_jwt'), { allowLoopbackHttp: false }).oidc).not.toHaveProperty('clientSecret');
    expect(parseConfig(raw('client_secret_post'), { allowLoopbackHttp: false }).oidc.clientSecret).toBe('stored-from-before-0123456789abcdef');
  });

  it("is cached per provider, so two providers with the same issuer and client ID never share one (nor one's key)", async () => {
    const ports = ringPorts();
    const endpoints = { authorizationEndpoint: 'https://idp.test/authorize', tokenEndpoint: 'https://idp.test/token', jwksUri: 'https://idp.test/jwks' };
    const { clientSecret: _none, ...oidc } = raw('private_key_jwt').oidc;
    const config = parseConfig({ ...raw('private_key_jwt'), oidc: { ...oidc, endpoints } }, { allowLoopbackHttp: false });
    for (const providerId of ['okta', 'entra']) await ensureClientKeyRing(ports, 'default', providerId);
    const cache = new ProviderConfigurationCache();
    const context = (providerId: string) => ({ config: { ...config, providerId }, fetch, allowLoopbackHttp: false, cache, clientKeys: ports });
    const okta = await upstreamConfiguration(context('okta'), Date.now());
    expect(await upstreamConfiguration(context('okta'), Date.now())).toBe(okta);
    expect(await upstreamConfiguration(context('entra'), Date.now())).not.toBe(okta);
    // A provider with no key yet is refused when its configuration is made, before any redirect.
    await expect(upstreamConfiguration(context('keycloak'), Date.now())).rejects.toMatchObject({ code: 'config_invalid' });
  });

  it('needs no secret, where the other methods do', () => {
    const { clientSecret: _none, ...oidc } = raw('private_key_jwt').oidc;
    expect(parseConfig({ ...raw('private_key_jwt'), oidc }, { allowLoopbackHttp: false }).oidc.clientAuthMethod).toBe('private_key_jwt');
    expect(() => parseConfig({ ...raw('client_secret_basic'), oidc: { ...oidc, clientAuthMethod: 'client_secret_basic' } }, { allowLoopbackHttp: false })).toThrow(/client secret/i);
  });
});
