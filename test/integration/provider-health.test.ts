import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigSaveResponse, ConnectionChangeResponse, ProviderHealth, ProviderHealthResponse } from '../../src/core/admin/admin-api-types.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { readAutoPost, signInAtProvider } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, CLIENT_SECRET, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from '../admin/support/admin-harness.js';

/**
 * Provider health in the standalone server, over HTTP, against real peers: the demo
 * `oidc-provider` (healthy, and signing users in), a provider whose JWKS endpoint is down, one
 * whose JWKS is garbage, one whose discovery document names another issuer, and one at a private
 * address that the server's egress guard (the fetch every login uses) refuses to call. The last
 * sign-in and refusal come from the audit trail after real logins verified by node-saml.
 */

const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
const eve = demoUsers.find((u) => u.email === 'eve@other.example')!;
const stopAtGuard = (url: URL) => url.href.startsWith('https://auth.atlassian.com/login/callback');

let harness: AdminHarness;
let peer: http.Server;
let peerUrl: string;
let labId: string;
const peerCalls: string[] = [];

/** The failing providers, all on one loopback server, each under its own issuer path. */
function failingPeer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]!;
  peerCalls.push(path);
  const base = `http://${req.headers.host}`;
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
  const discovery = (issuer: string) =>
    JSON.stringify({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${base}${path.replace('/.well-known/openid-configuration', '')}/jwks` });
  const match = /^\/(down|garbage|mismatch)(\/.*)$/.exec(path);
  if (!match) return send(404, 'text/plain', 'not found');
  const [, name, rest] = match;
  if (rest === '/.well-known/openid-configuration') return send(200, 'application/json', discovery(name === 'mismatch' ? `${base}/someone-else` : `${base}/${name}`));
  if (rest === '/jwks' && name === 'down') return send(503, 'text/plain', 'Service Unavailable');
  if (rest === '/jwks' && name === 'garbage') return send(200, 'text/html', '<!doctype html><title>Sign in</title>');
  return send(404, 'text/plain', 'not found');
}

async function ok<T extends { ok: boolean }>(answer: Promise<{ body: T }>): Promise<T & { ok: true }> {
  const { body } = await answer;
  expect(body).toMatchObject({ ok: true });
  return body as T & { ok: true };
}

async function health(payload: unknown): Promise<Record<string, ProviderHealth>> {
  const { status, body } = await harness.api<ProviderHealthResponse>('providers/health', payload);
  expect(status).toBe(200);
  return Object.fromEntries(body.providers.map((p) => [p.providerName, p]));
}

async function login(user: { email: string; password: string }) {
  const sp = await harness.serviceProvider();
  const agent = new UserAgent({ stopAt: stopAtGuard });
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay-1', undefined, {}));
  const answer = await signInAtProvider(agent, loginPage, user);
  return { sp, answer };
}

beforeAll(async () => {
  harness = await startAdminHarness();
  peer = http.createServer(failingPeer);
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;

  await ok(
    harness.api<ConfigSaveResponse>('config/save', {
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    }),
  );
  // A second connection holds the unwell providers, so production's logins go straight to its one provider.
  const lab = (await ok(harness.api<ConnectionChangeResponse>('connections/save', { name: 'Lab' }))) as Extract<ConnectionChangeResponse, { ok: true }>;
  labId = lab.connection.id;
  const issuers: [string, string][] = [
    ['JWKS down', `${peerUrl}/down`],
    ['JWKS garbage', `${peerUrl}/garbage`],
    ['Issuer mismatch', `${peerUrl}/mismatch`],
    ['Private address', 'https://10.20.30.40/oauth2/default'],
  ];
  for (const [i, [name, issuer]] of issuers.entries()) {
    const providerId =
      i === 0
        ? lab.connection.providers[0]!.id
        : (await ok(harness.api<ConnectionChangeResponse>('providers/save', { connectionId: labId, name })) as Extract<ConnectionChangeResponse, { ok: true }>).providerId!;
    if (i === 0) await ok(harness.api<ConnectionChangeResponse>('providers/save', { connectionId: labId, providerId, name }));
    await ok(
      harness.api<ConfigSaveResponse>('config/save', {
        connectionId: labId,
        providerId,
        settings: { preset: 'other', oidc: { issuer, clientId: `client-${i}` }, allowedEmailDomains: [`lab${i}.example`] },
        clientSecret: `lab-client-secret-${i}-0123456789abcdef`,
      }),
    );
  }
});

afterAll(async () => {
  await harness?.close();
  peer?.closeAllConnections();
  await new Promise<void>((resolve) => peer?.close(() => resolve()));
});

describe('provider health in the standalone server', () => {
  it('finds the real oidc-provider healthy: discovery names the configured issuer, the JWKS has a key for its ID token algorithm', async () => {
    const production = await health({ connectionId: 'default' });
    const [p] = Object.values(production);
    expect(p).toMatchObject({ state: 'checked', discovery: { status: 'ok' }, jwks: { status: 'ok', keys: expect.any(Number), algorithms: expect.arrayContaining(['RS256']) }, loginsSearched: 'all' });
    expect(p!.lastSuccess).toBeUndefined();
    expect(p!.lastFailure).toBeUndefined();
  });

  it('says which provider is unwell and why, in one answer for the connection', async () => {
    const lab = await health({ connectionId: labId });
    expect(lab['JWKS down']).toMatchObject({ discovery: { status: 'ok' }, jwks: { status: 'failed', failure: 'http_error', message: expect.stringContaining('503') } });
    expect(lab['JWKS garbage']).toMatchObject({ discovery: { status: 'ok' }, jwks: { status: 'failed', failure: 'not_json' } });
    expect(lab['Issuer mismatch']).toMatchObject({ discovery: { status: 'failed', failure: 'issuer_mismatch' }, jwks: { status: 'skipped' } });
    // Refused by the egress guard before any connection is made: the same fetch every login uses.
    expect(lab['Private address']).toMatchObject({ discovery: { status: 'failed', failure: 'private_address', message: expect.stringContaining('10.20.30.40') } });
    expect(peerCalls).not.toContain('/someone-else/jwks');
  });

  it('answers "Check again" from the cache while the last check is seconds old, so the page cannot hammer the provider', async () => {
    const before = peerCalls.length;
    const lab = await health({ connectionId: labId, recheck: true });
    expect(peerCalls.length).toBe(before);
    expect(lab['JWKS down']!.jwks).toMatchObject({ failure: 'http_error' });
  });

  it('shows the last successful and the last refused sign-in after real logins, naming neither user', async () => {
    const passing = await login(alice);
    const post = readAutoPost(passing.answer);
    const { profile } = await passing.sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    const refused = await login(eve);
    expect(refused.answer.status).toBe(403);
    const reference = refused.answer.headers.get('x-bridge-reference')!;

    const { body } = await harness.api<ProviderHealthResponse>('providers/health', { connectionId: 'default' });
    const [p] = body.providers;
    expect(p!.lastSuccess).toEqual({ time: expect.any(String), reference: expect.stringMatching(/^R-/) });
    expect(p!.lastFailure).toEqual({ time: expect.any(String), reference, code: 'user_domain_not_allowed', codeTitle: expect.any(String) });
    expect(Date.parse(p!.lastFailure!.time)).toBeGreaterThanOrEqual(Date.parse(p!.lastSuccess!.time));
    const serialized = JSON.stringify(body);
    expect(serialized).not.toContain(alice.email);
    expect(serialized).not.toContain(eve.email);
    expect(serialized).not.toContain(CLIENT_SECRET);
  });

  it('writes no user, secret or provider answer to the log', () => {
    const logged = JSON.stringify(harness.logs);
    expect(logged).not.toContain('lab-client-secret');
    expect(logged).not.toContain('<!doctype html>');
    expect(logged).not.toContain(eve.email);
  });
});
