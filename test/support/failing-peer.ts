import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Harness } from './login-harness.js';

/**
 * Ways a provider endpoint fails, made real: a port nothing listens on, a server that accepts
 * the connection and never answers, and answers no OpenID provider should give.
 */

/** A loopback URL whose port refuses connections (bound once, then closed). */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

/** A server that accepts every request and never answers (until closed). */
export async function hangingServer(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer(() => {
    requests += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Failure =
  | { kind: 'down'; url: string }
  | { kind: 'hanging'; url: string }
  | { kind: 'answer'; response: () => Response };

/**
 * Makes the bridge's calls to `endpoint` fail as described, through the harness's fetch: the
 * request really goes to the closed port or the hanging server, with the bridge's own
 * `init` (and so its timeout signal).
 */
export function failEndpoint(harness: Harness, endpoint: string, failure: Failure): void {
  harness.upstream.respond = async (url, init) => {
    if (url.split('?')[0] !== endpoint) return undefined;
    switch (failure.kind) {
      case 'down':
      case 'hanging':
        return fetch(failure.url, init);
      case 'answer':
        return failure.response();
    }
  };
}

export function restoreEndpoints(harness: Harness): void {
  harness.upstream.respond = undefined;
}

export const htmlAnswer = (status: number) => () =>
  new Response('<!doctype html><html><body><h1>Service Unavailable</h1><p>The proxy could not reach the server.</p></body></html>', {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });

export const brokenJsonAnswer = () => new Response('{"access_token": "abc", "token_type": "Bea', { status: 200, headers: { 'content-type': 'application/json' } });
