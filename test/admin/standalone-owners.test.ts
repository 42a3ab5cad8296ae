import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/core/ports.js';
import { hashToken, identifyToken, parseNamedTokens } from '../../src/standalone/admin-token.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';

/**
 * SSO owners over the standalone server's admin API: named admin tokens (`BRIDGE_ADMIN_TOKENS`)
 * each act as their identity, so one admin can own the installation and another only read it.
 */

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-fedcba9876543210';
const SINGLE = 'single-admin-token-5a4b3c2d1e';
const quiet: Logger = { log: () => undefined };

let app: StandaloneApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-owners-http-'));
  app = await startStandalone({
    port: 0,
    dataDir,
    logger: quiet,
    purgeIntervalMs: 3_600_000,
    adminToken: SINGLE,
    adminTokens: [
      { identity: 'alice', token: ALICE },
      { identity: 'bob', token: BOB },
    ],
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function post(key: string, token: string, body: unknown = {}) {
  const response = await fetch(`${app.serverUrl}/admin/api/${key}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('named admin tokens and SSO owners over HTTP', () => {
  it('makes the first saver the owner and refuses the other identity, which can still read and test', async () => {
    const first = await post('config/save', ALICE, { settings: { allowedEmailDomains: ['example.com'] } });
    expect(first).toMatchObject({ status: 200, body: { ok: true } });
    const refused = await post('config/save', BOB, { settings: { allowedEmailDomains: ['attacker.example'] } });
    expect(refused).toMatchObject({ status: 400, body: { error: 'owner_required', message: expect.stringContaining('alice') } });
    const single = await post('connections/save', SINGLE, { name: 'Attacker' });
    expect(single).toMatchObject({ status: 400, body: { error: 'owner_required' } });
    await expect(post('config/get', BOB)).resolves.toMatchObject({ status: 200, body: { settings: { allowedEmailDomains: ['example.com'] } } });
    await expect(post('owners/get', BOB)).resolves.toMatchObject({ status: 200, body: { owners: [{ id: 'alice' }], you: 'bob', youAreOwner: false } });
  });

  it('shows a request to every identity and lets the owner cancel it; the audit trail names who did what', async () => {
    await expect(post('ownership/request', BOB)).resolves.toMatchObject({ status: 200, body: { request: { requester: 'bob' } } });
    await expect(post('owners/get', ALICE)).resolves.toMatchObject({ body: { request: { requester: 'bob' }, youAreOwner: true } });
    await expect(post('ownership/cancel', BOB)).resolves.toMatchObject({ status: 400, body: { error: 'owner_required' } });
    await expect(post('ownership/cancel', ALICE)).resolves.toMatchObject({ status: 200 });
    const audit = await post('audit/query', SINGLE, { kind: 'change' });
    const records = (audit.body.records as { action: string; actor: string }[]).map((r) => [r.action, r.actor]);
    expect(records).toEqual(
      expect.arrayContaining([
        ['owners.first', 'alice'],
        ['connection.update', 'alice'],
        ['ownership.request', 'bob'],
        ['ownership.cancel', 'alice'],
      ]),
    );
  });
});

describe('BRIDGE_ADMIN_TOKENS', () => {
  it('reads identity=token pairs separated by commas or line breaks', () => {
    expect(parseNamedTokens(`alice=${ALICE}, bob=${BOB}\nops.carol=${'c'.repeat(20)}`, 16)).toEqual([
      { identity: 'alice', token: ALICE },
      { identity: 'bob', token: BOB },
      { identity: 'ops.carol', token: 'c'.repeat(20) },
    ]);
  });

  it.each([
    ['no identity', `=${ALICE}`],
    ['an identity with spaces', `al ice=${ALICE}`],
    ['the single token identity', `standalone-admin=${ALICE}`],
    ['a short token', 'alice=short'],
    ['an identity twice', `alice=${ALICE},alice=${BOB}`],
    ['a token twice', `alice=${ALICE},bob=${ALICE}`],
  ])('refuses %s', (_name, value) => {
    expect(() => parseNamedTokens(value, 16)).toThrow(TypeError);
  });

  it('identifies a token by its hash, and no other', () => {
    const tokens = [
      { identity: 'alice', hash: hashToken(ALICE) },
      { identity: 'bob', hash: hashToken(BOB) },
    ];
    expect(identifyToken(BOB, tokens)).toBe('bob');
    expect(identifyToken(ALICE, tokens)).toBe('alice');
    expect(identifyToken(`${ALICE}x`, tokens)).toBeUndefined();
  });
});
