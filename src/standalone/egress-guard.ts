import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Fetch } from '../core/ports.js';

/**
 * Where the standalone server's own requests may go. The admin chooses the provider's issuer and
 * endpoints, and the server fetches them (discovery, token, userinfo, JWKS): without a guard,
 * whoever edits the settings could make the server read a cloud metadata service
 * (169.254.169.254), an internal admin page or anything else only the server can reach. So a
 * request to a private, link-local, unique-local, CGNAT, multicast or reserved address is
 * refused unless `BRIDGE_ALLOW_PRIVATE_NETWORK=1` allows it; loopback stays allowed for local
 * runs and tests. A host name is resolved here, every address it has is checked, and the
 * connection goes to a checked address (the `lookup` of the socket), so a second DNS answer
 * cannot point the connection somewhere else (DNS rebinding). On Forge the manifest's egress
 * rules do this job; this module is the standalone server's only.
 */

/** Ranges no request of the bridge has business with (IANA special-purpose registries). */
const REFUSED = new BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  REFUSED.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128], // unspecified
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses, private ones included
  ['64:ff9b:1::', 48],
  ['fc00::', 7], // unique local (AWS's metadata service at fd00:ec2::254 among them)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed in places)
  ['ff00::', 8], // multicast
] as const) {
  REFUSED.addSubnet(prefix, bits, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A request the egress guard refused; its message names the host, never a response. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
  constructor(readonly host: string) {
    super(`${host} is a private, link-local or otherwise internal address; set BRIDGE_ALLOW_PRIVATE_NETWORK=1 to allow it`);
  }
}

/** Whether the server may connect to `address` (an IP literal). */
export function isAllowedAddress(address: string, allowPrivateNetwork: boolean): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(address, type)) return true;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isAllowedAddress(mapped, allowPrivateNetwork);
  if (allowPrivateNetwork) return true;
  return !REFUSED.check(address, type);
}

export interface EgressGuardOptions {
  allowPrivateNetwork: boolean;
  /** Name resolution (tests resolve names of their own); default `dns.lookup`. */
  lookup?: LookupFunction;
  /** Where IP literals and loopback names go; default the global fetch. */
  fetch?: Fetch;
}

/** The standalone server's `fetch`, with the guard above. */
export function guardedFetch(options: EgressGuardOptions): Fetch {
  const resolve = options.lookup ?? (dns.lookup as LookupFunction);
  const direct: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const agents = keepAliveAgents();
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      if (!isAllowedAddress(host, options.allowPrivateNetwork)) throw new EgressRefusedError(host);
      return direct(input, init);
    }
    if (host === 'localhost' || host.endsWith('.localhost')) return direct(input, init);
    // Checked here and handed to the socket: the connection goes to an address that passed.
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 0);
        const list = addresses as unknown as dns.LookupAddress[];
        if (!list.length || list.some((a) => !isAllowedAddress(a.address, options.allowPrivateNetwork))) {
          return callback(Object.assign(new EgressRefusedError(hostname), { code: 'EGRESS_REFUSED' }), '', 0);
        }
        if ((lookupOptions as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
        return callback(null, list[0]!.address, list[0]!.family);
      });
    };
    return requestThrough(request, url, lookup, agents);
  };
}

/**
 * Connections kept alive across logins (issue 12: a login after an idle pause otherwise pays a
 * new TCP and TLS handshake to the token endpoint). Each guard has agents of its own, so a socket
 * one guard connected (to an address its rules allowed) is never reused by a guard with other
 * rules; a pooled socket was connected to a checked address, so reusing it checks nothing again.
 * Idle sockets are unref'd by Node's agent and do not keep the process alive.
 */
interface KeepAliveAgents {
  http: http.Agent;
  https: https.Agent;
}

function keepAliveAgents(): KeepAliveAgents {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** One HTTP exchange on node:http(s) with the guarded lookup, on a kept-alive connection; redirects are returned, never followed. */
async function requestThrough(request: Request, url: URL, lookup: LookupFunction, agents: KeepAliveAgents): Promise<Response> {
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => (headers[name] = value));
  if (body) headers['content-length'] = String(body.length);
  const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!transport) throw new TypeError(`fetch: ${url.protocol} is not supported`);
  const agent = url.protocol === 'https:' ? agents.https : agents.http;
  return new Promise<Response>((resolvePromise, reject) => {
    const outgoing = transport.request(url, { method: request.method, headers, lookup, signal: request.signal, agent }, (incoming) => {
      const status = incoming.statusCode ?? 502;
      if (request.redirect === 'error' && status >= 300 && status < 400) {
        incoming.destroy();
        return reject(new TypeError('fetch failed: redirect'));
      }
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) responseHeaders.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
      const encoding = (incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
      const decoded =
        encoding === 'gzip' || encoding === 'x-gzip'
          ? incoming.pipe(zlib.createGunzip())
          : encoding === 'deflate'
            ? incoming.pipe(zlib.createInflate())
            : encoding === 'br'
              ? incoming.pipe(zlib.createBrotliDecompress())
              : incoming;
      if (decoded !== incoming) {
        responseHeaders.delete('content-encoding');
        responseHeaders.delete('content-length');
        incoming.on('error', (error) => decoded.destroy(error));
      }
      const stream = NULL_BODY_STATUSES.has(status) || request.method === 'HEAD' ? null : (Readable.toWeb(decoded) as ReadableStream<Uint8Array>);
      if (!stream) incoming.resume();
      resolvePromise(new Response(stream, { status, statusText: incoming.statusMessage ?? '', headers: responseHeaders }));
    });
    outgoing.on('error', (error) => {
      if (error instanceof EgressRefusedError || (error as { code?: string }).code === 'EGRESS_REFUSED') return reject(error);
      if (error.name === 'AbortError') return reject(request.signal.reason ?? error);
      reject(Object.assign(new TypeError('fetch failed'), { cause: error }));
    });
    outgoing.end(body);
  });
}
