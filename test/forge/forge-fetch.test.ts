import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import Provider from 'oidc-provider';
import { forgeFetchPort, type ForgeFetchMethod } from '../../src/forge/forge-fetch.js';

// The Fetch port on @forge/api's real fetch (outside Forge it is Node's fetch with Forge's
// Route handling), checked against a real HTTP server and a real OpenID provider.

describe('forgeFetchPort', () => {
  let server: http.Server;
  let base: string;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/redirect') {
          res.writeHead(302, { Location: '/elsewhere' }).end();
        } else if (req.url === '/empty') {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json', 'X-Test': 'yes' }).end('{"ok":true}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const last = () => seen[seen.length - 1]!;

  it('sends a form body from URLSearchParams with its headers and returns a real Response', async () => {
    const fetch = forgeFetchPort();
    const response = await fetch(new URL('/token', base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic abc' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c o d e' }),
    });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('yes');
    await expect(response.json()).resolves.toEqual({ ok: true });
    expect(last()).toMatchObject({ method: 'POST', url: '/token', body: 'grant_type=authorization_code&code=c+o+d+e' });
    expect(last().headers.authorization).toBe('Basic abc');
  });

  it('accepts a Request, a typed-array body and a stream body', async () => {
    const fetch = forgeFetchPort();
    await fetch(new Request(`${base}/from-request`, { method: 'PUT', headers: { 'X-A': '1' }, body: 'payload' }));
    expect(last()).toMatchObject({ method: 'PUT', url: '/from-request', body: 'payload' });
    expect(last().headers['x-a']).toBe('1');

    await fetch(`${base}/bytes`, { method: 'POST', body: new TextEncoder().encode('bytes!').subarray(0, 5) });
    expect(last()).toMatchObject({ url: '/bytes', body: 'bytes' });

    const stream = new Blob(['streamed']).stream();
    await fetch(`${base}/stream`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(last()).toMatchObject({ url: '/stream', body: 'streamed' });
  });

  it('does not follow redirects when asked not to', async () => {
    const response = await forgeFetchPort()(`${base}/redirect`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
  });

  it('copies a Response-like object from another fetch implementation into a real Response', async () => {
    const foreign: ForgeFetchMethod = async () => ({
      status: 201,
      statusText: 'Created',
      ok: true,
      headers: new Map([['content-type', 'application/json']]),
      arrayBuffer: async () => new TextEncoder().encode('{"id":1}').buffer,
    });
    const response = await forgeFetchPort(foreign)('https://example.okta.com/x');
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    await expect(response.json()).resolves.toEqual({ id: 1 });

    const empty: ForgeFetchMethod = async () => ({ status: 204, statusText: '', headers: new Map(), arrayBuffer: async () => new ArrayBuffer(0) });
    expect((await forgeFetchPort(empty)('https://example.okta.com/y')).status).toBe(204);
  });

  it('works as openid-client customFetch against a real OpenID provider', async () => {
    const issuerServer = http.createServer();
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'c', client_secret: 's'.repeat(32), redirect_uris: ['http://127.0.0.1/cb'] }],
    });
    issuerServer.on('request', provider.callback());
    const port = forgeFetchPort();
    // As the core hands the port to openid-client (src/upstream-oidc).
    const customFetch: client.CustomFetch = (url, options) => port(url, options as RequestInit);
    try {
      const config = await client.discovery(new URL(issuer), 'c', 's'.repeat(32), undefined, {
        execute: [client.allowInsecureRequests],
        [client.customFetch]: customFetch,
      });
      expect(config.serverMetadata().issuer).toBe(issuer);
    } finally {
      await new Promise<void>((resolve) => issuerServer.close(() => resolve()));
    }
  });
});
