import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DiscoverResponse } from '../../src/core/admin/admin-api-types.js';
import { providerDiscover } from '../../src/core/admin/provider-discover.js';
import type { Fetch } from '../../src/core/ports.js';
import { createDemoProvider } from '../../dev/demo/demo-provider.js';
import { memoryAdmin } from './support/memory-ports.js';

/**
 * provider/discover against the real demo OpenID provider (oidc-provider) and against servers
 * that fail each way the wizard must explain: connection refused, HTML instead of JSON, another
 * issuer, missing endpoints, an error status, a redirect, a timeout.
 */

const nodeFetch: Fetch = (input, init) => fetch(input, init);

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

let providerUrl: string;
let fakeUrl: string;
let closedUrl: string;
const servers: http.Server[] = [];

beforeAll(async () => {
  const providerServer = await listen(() => undefined);
  providerUrl = providerServer.url;
  const provider = await createDemoProvider({ issuer: providerUrl, clients: [{ client_id: 'c', client_secret: 's'.repeat(32), redirect_uris: ['http://127.0.0.1/cb'] }] });
  providerServer.server.removeAllListeners('request');
  providerServer.server.on('request', provider.handle);
  servers.push(providerServer.server);

  const fake = await listen((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const base = `http://${req.headers.host}`;
    const document = (issuer: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        ...extra,
      });
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, ...headers });
      res.end(body);
    };
    switch (path) {
      case '/html/.well-known/openid-configuration':
        return send(200, 'text/html', '<!doctype html><title>Sign in</title><p>Welcome</p>');
      case '/array/.well-known/openid-configuration':
        return send(200, 'application/json', '[1,2,3]');
      case '/other-issuer/.well-known/openid-configuration':
        return send(200, 'application/json', document(`${base}/someone-else`));
      case '/no-issuer/.well-known/openid-configuration':
        return send(200, 'application/json', JSON.stringify({ authorization_endpoint: `${base}/a` }));
      case '/missing/.well-known/openid-configuration':
        return send(200, 'application/json', JSON.stringify({ issuer: `${base}/missing`, authorization_endpoint: `${base}/missing/authorize` }));
      case '/insecure-endpoint/.well-known/openid-configuration':
        return send(200, 'application/json', document(`${base}/insecure-endpoint`, { token_endpoint: 'http://idp.example.com/token' }));
      case '/slash/.well-known/openid-configuration':
        return send(200, 'application/json', document(`${base}/slash/`, { userinfo_endpoint: `${base}/slash/userinfo`, scopes_supported: ['openid', 'email', 7] }));
      // An Okta custom authorization server, and a tenant under RFC 8414's inserted well-known.
      case '/okta/oauth2/default/.well-known/openid-configuration':
        return send(200, 'application/json', document(`${base}/okta/oauth2/default`));
      case '/tenant/.well-known/openid-configuration':
        return send(200, 'application/json', document(`${base}/tenant`));
      case '/redirect/.well-known/openid-configuration':
        return send(302, 'text/plain', '', { Location: `${base}/slash/.well-known/openid-configuration` });
      case '/huge/.well-known/openid-configuration':
        return send(200, 'application/json', `{"issuer":"${base}/huge","padding":"${'x'.repeat(600 * 1024)}"}`);
      default:
        return send(404, 'text/plain', 'not found');
    }
  });
  fakeUrl = fake.url;
  servers.push(fake.server);

  // A port that was open and is closed again: connection refused.
  const gone = await listen(() => undefined);
  closedUrl = gone.url;
  await close(gone.server);
});

afterAll(async () => {
  await Promise.all(servers.map(close));
});

async function discover(issuer: string, options: { allowLoopbackHttp?: boolean; fetch?: Fetch } = {}): Promise<DiscoverResponse> {
  const admin = memoryAdmin({ allowLoopbackHttp: options.allowLoopbackHttp ?? true, fetch: options.fetch ?? nodeFetch });
  return (await providerDiscover(admin.ctx, { issuer })) as DiscoverResponse;
}

const failureOf = (answer: DiscoverResponse) => (answer.ok ? 'ok' : answer.failure);

describe('provider/discover', () => {
  it('reads the demo oidc-provider\'s discovery document and fills the endpoints', async () => {
    const answer = await discover(providerUrl);
    expect(answer).toEqual({
      ok: true,
      issuer: providerUrl,
      endpoints: {
        authorizationEndpoint: `${providerUrl}/auth`,
        tokenEndpoint: `${providerUrl}/token`,
        userinfoEndpoint: `${providerUrl}/me`,
        jwksUri: `${providerUrl}/jwks`,
      },
      scopesSupported: expect.arrayContaining(['openid', 'email', 'profile']),
      tokenEndpointAuthMethods: expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    });
  });

  it('answers with the document\'s exact issuer when only a trailing slash differs', async () => {
    const answer = await discover(`${fakeUrl}/slash`);
    expect(answer).toMatchObject({ ok: true, issuer: `${fakeUrl}/slash/`, endpoints: { userinfoEndpoint: `${fakeUrl}/slash/userinfo` } });
    expect(answer.ok && answer.scopesSupported).toEqual(['openid', 'email']);
    expect(answer.ok && answer.tokenEndpointAuthMethods).toEqual(['client_secret_basic']);
  });

  describe('a discovery URL pasted as the issuer (it was read as an issuer: /.well-known doubled, then a 404)', () => {
    it.each([
      ["Okta's Metadata URI (…/.well-known/oauth-authorization-server)", '/okta/oauth2/default/.well-known/oauth-authorization-server', '/okta/oauth2/default'],
      ['the OpenID configuration URL', '/okta/oauth2/default/.well-known/openid-configuration', '/okta/oauth2/default'],
      ['the OpenID configuration URL with a trailing slash', '/okta/oauth2/default/.well-known/openid-configuration/', '/okta/oauth2/default'],
      ["RFC 8414's form (the well-known name before the issuer's path)", '/.well-known/oauth-authorization-server/tenant', '/tenant'],
    ])('uses the issuer %s names, and says it was a discovery URL', async (_name, pasted, issuerPath) => {
      const answer = await discover(`${fakeUrl}${pasted}`);
      expect(answer).toMatchObject({
        ok: true,
        issuer: `${fakeUrl}${issuerPath}`,
        enteredDiscoveryUrl: `${fakeUrl}${pasted}`,
        endpoints: { tokenEndpoint: `${fakeUrl}${issuerPath}/token` },
      });
    });

    it("uses the demo oidc-provider's issuer from its discovery URL", async () => {
      const answer = await discover(`${providerUrl}/.well-known/openid-configuration`);
      expect(answer).toMatchObject({ ok: true, issuer: providerUrl, enteredDiscoveryUrl: `${providerUrl}/.well-known/openid-configuration` });
    });

    it('still refuses a discovery document that names another issuer than its URL gives', async () => {
      expect(failureOf(await discover(`${fakeUrl}/other-issuer/.well-known/openid-configuration`))).toBe('issuer_mismatch');
    });

    it('says nothing of a discovery URL when the issuer itself was entered', async () => {
      const answer = await discover(`${fakeUrl}/okta/oauth2/default`);
      expect(answer.ok && 'enteredDiscoveryUrl' in answer).toBe(false);
    });
  });

  it.each([
    ['connection refused', () => closedUrl, 'unreachable'],
    ['HTML instead of JSON', () => `${fakeUrl}/html`, 'not_json'],
    ['JSON that is not an object', () => `${fakeUrl}/array`, 'not_json'],
    ['a document naming another issuer', () => `${fakeUrl}/other-issuer`, 'issuer_mismatch'],
    ['a document naming no issuer', () => `${fakeUrl}/no-issuer`, 'issuer_mismatch'],
    ['a document without token endpoint and JWKS', () => `${fakeUrl}/missing`, 'missing_endpoints'],
    ['an endpoint on plain http outside loopback', () => `${fakeUrl}/insecure-endpoint`, 'missing_endpoints'],
    ['no discovery document (404)', () => `${fakeUrl}/nothing-here`, 'http_error'],
    ['a redirect', () => `${fakeUrl}/redirect`, 'http_error'],
    ['a document over the size limit', () => `${fakeUrl}/huge`, 'not_json'],
  ])('fails with a code for %s', async (_name, issuer, failure) => {
    const answer = await discover(issuer());
    expect(failureOf(answer)).toBe(failure);
    expect(!answer.ok && answer.message).toEqual(expect.any(String));
  });

  it('fails with timeout when the provider does not answer in time', async () => {
    const timingOut: Fetch = async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    };
    expect(failureOf(await discover('https://slow.example.com', { fetch: timingOut }))).toBe('timeout');
  });

  it.each([
    ['not a URL', 'dev-123.okta.com', true],
    ['another scheme', 'ftp://idp.example.com', true],
    ['plain http outside loopback', 'http://idp.example.com', true],
    ['plain http on loopback where the host forbids it (Forge)', 'http://127.0.0.1:9000', false],
    ['a query', 'https://idp.example.com/?tenant=1', true],
    ['credentials', 'https://user:pw@idp.example.com', true],
  ])('refuses %s as invalid_url without fetching', async (_name, issuer, allowLoopbackHttp) => {
    let fetched = false;
    const spy: Fetch = async () => {
      fetched = true;
      throw new TypeError('fetch failed');
    };
    expect(failureOf(await discover(issuer, { allowLoopbackHttp, fetch: spy }))).toBe('invalid_url');
    expect(fetched).toBe(false);
  });

  it('answers bad_request for a payload without an issuer', async () => {
    await expect(providerDiscover(memoryAdmin().ctx, {})).resolves.toMatchObject({ error: 'bad_request' });
    await expect(providerDiscover(memoryAdmin().ctx, { issuer: ['https://a'] })).resolves.toMatchObject({ error: 'bad_request' });
  });
});
