import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { DiscoverResponse } from '../../../src/core/admin/admin-api-types.js';
import { providerDiscover } from '../../../src/core/admin/provider-discover.js';
import type { Fetch } from '../../../src/core/ports.js';
import { EgressRefusedError, guardedFetch, isAllowedAddress } from '../../../src/standalone/egress-guard.js';
import { memoryAdmin } from '../../admin/support/memory-ports.js';

/**
 * The standalone server's egress guard: the admin chooses the URLs the server fetches, so
 * private, link-local, metadata and unique-local addresses are refused (loopback stays allowed)
 * unless BRIDGE_ALLOW_PRIVATE_NETWORK allows them, for IP literals and for names alike.
 */

describe('isAllowedAddress', () => {
  it.each([
    ['169.254.169.254', 'the cloud metadata service'],
    ['10.1.2.3', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['fd00:ec2::254', 'the AWS metadata service over IPv6 (unique local)'],
    ['fc00::1', 'unique local'],
    ['fe80::1', 'link-local v6'],
    ['::ffff:169.254.169.254', 'an IPv4-mapped metadata address'],
    ['::ffff:10.0.0.1', 'an IPv4-mapped private address'],
    ['64:ff9b::a00:1', 'NAT64 of a private address'],
    ['::', 'unspecified'],
  ])('refuses %s (%s), unless private networks are allowed', (address) => {
    expect(isAllowedAddress(address, false)).toBe(false);
    expect(isAllowedAddress(address, true)).toBe(true);
  });

  it.each(['127.0.0.1', '127.8.9.10', '::1', '93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(isAllowedAddress(address, false)).toBe(true);
  });
});

describe('guardedFetch', () => {
  let server: http.Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        return res.end(gzipSync(JSON.stringify({ zipped: true })));
      }
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.writeHead(req.url === '/redirect' ? 302 : 200, { 'Content-Type': 'application/json', Location: 'http://elsewhere.test/' });
        res.end(JSON.stringify({ method: req.method, body, host: req.headers.host, accept: req.headers.accept }));
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Names of this test's own: each resolves to the addresses given. */
  const names: Record<string, string[]> = {
    'op.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['127.0.0.1', '10.0.0.7'],
    'ula.test': ['fd00::5'],
  };
  const lookup: LookupFunction = (hostname, _options, callback) => {
    const addresses = names[hostname];
    if (!addresses) return callback(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), '', 0);
    (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const directCalls: string[] = [];
  const direct: Fetch = async (input, init) => {
    directCalls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };

  it('fetches through a name that resolves to loopback, with method, headers and body, and returns redirects unfollowed', async () => {
    const guarded = guardedFetch({ allowPrivateNetwork: false, lookup, fetch: direct });
    const response = await guarded(`http://op.test:${port}/token`, { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams({ grant_type: 'authorization_code' }) });
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ method: 'POST', body: 'grant_type=authorization_code', host: `op.test:${port}`, accept: 'application/json' });
    const redirect = await guarded(`http://op.test:${port}/redirect`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('http://elsewhere.test/');
    await expect((await guarded(`http://op.test:${port}/gzip`)).json()).resolves.toEqual({ zipped: true });
    expect(directCalls).toEqual([]);
  });

  it('keeps the connection to a named host alive across requests, and never shares it with a guard of other rules', async () => {
    const guarded = guardedFetch({ allowPrivateNetwork: false, lookup, fetch: direct });
    const before = connections;
    for (let i = 0; i < 3; i++) await (await guarded(`http://op.test:${port}/token`, { method: 'POST', body: 'x' })).text();
    expect(connections - before).toBe(1);
    const other = guardedFetch({ allowPrivateNetwork: true, lookup, fetch: direct });
    await (await other(`http://op.test:${port}/token`)).text();
    expect(connections - before).toBe(2);
  });

  it.each(['metadata.test', 'mixed.test', 'ula.test'])('refuses a name that resolves to an internal address (%s), without connecting', async (name) => {
    const guarded = guardedFetch({ allowPrivateNetwork: false, lookup, fetch: direct });
    const before = connections;
    await expect(guarded(`http://${name}:${port}/`)).rejects.toBeInstanceOf(EgressRefusedError);
    expect(connections).toBe(before);
  });

  it('refuses internal IP literals before any fetch, and lets loopback literals through', async () => {
    const guarded = guardedFetch({ allowPrivateNetwork: false, lookup, fetch: direct });
    directCalls.length = 0;
    await expect(guarded('http://169.254.169.254/latest/meta-data/')).rejects.toBeInstanceOf(EgressRefusedError);
    await expect(guarded('http://[fd00:ec2::254]/latest/meta-data/')).rejects.toBeInstanceOf(EgressRefusedError);
    await expect(guarded('http://[::ffff:a9fe:a9fe]/')).rejects.toBeInstanceOf(EgressRefusedError);
    expect(directCalls).toEqual([]);
    expect((await guarded(`http://127.0.0.1:${port}/`)).status).toBe(200);
    expect(directCalls).toHaveLength(1);
  });

  it('lets internal addresses through when private networks are allowed', async () => {
    const guarded = guardedFetch({ allowPrivateNetwork: true, lookup, fetch: async () => new Response('{}', { status: 200 }) });
    expect((await guarded('http://10.0.0.1/')).status).toBe(200);
    await expect(guarded(`http://mixed.test:${port}/`)).resolves.toMatchObject({ status: 200 });
  });

  it('makes provider discovery fail as private_address, naming the host and nothing the server answered', async () => {
    const admin = memoryAdmin({ allowLoopbackHttp: true, fetch: guardedFetch({ allowPrivateNetwork: false, lookup }) });
    const answer = (await providerDiscover(admin.ctx, { issuer: 'https://metadata.test/oauth2' })) as DiscoverResponse;
    expect(answer).toMatchObject({ ok: false, failure: 'private_address' });
    expect(!answer.ok && answer.message).toContain('metadata.test');
  });

  it('does not echo the fetched document in a discovery failure', async () => {
    const leaked = 'https://internal-only.example/secret-path-4411';
    const admin = memoryAdmin({ allowLoopbackHttp: true, fetch: async () => new Response(JSON.stringify({ issuer: leaked }), { status: 200, headers: { 'Content-Type': 'application/json' } }) });
    const answer = (await providerDiscover(admin.ctx, { issuer: 'https://idp.example.com' })) as DiscoverResponse;
    expect(answer).toMatchObject({ ok: false, failure: 'issuer_mismatch' });
    expect(JSON.stringify(answer)).not.toContain('internal-only');
  });
});
