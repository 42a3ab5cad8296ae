import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/core/ports.js';
import { AdminRateLimiter } from '../../src/standalone/admin-rate-limit.js';
import { startStandalone, type StandaloneApp } from '../../src/standalone/standalone-app.js';

/**
 * The standalone admin's surfaces on disk and on the wire: wrong admin tokens slow a client
 * down and then get 429 with Retry-After; a generated token is written to a 0600 file in the
 * data directory; the directory is 0700 and the SQLite files in it 0600.
 */

const TOKEN = 'standalone-limits-test-token-4c3b2a19';
const quiet: Logger = { log: () => undefined };
const FAST = { freeFailures: 2, baseDelayMs: 20, maxDelayMs: 40, lockAfterFailures: 5, lockoutMs: 60_000, maxLockoutMs: 600_000, forgetAfterMs: 3_600_000, maxAddresses: 100 };

const started: { app: StandaloneApp; dataDir: string }[] = [];
afterEach(async () => {
  for (const { app, dataDir } of started.splice(0)) {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

async function start(options: Partial<Parameters<typeof startStandalone>[0]> = {}) {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-limits-')), 'data');
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
  const app = await startStandalone({ port: 0, dataDir, logger: quiet, purgeIntervalMs: 3_600_000, clock: { now: () => clock.now }, ...options });
  started.push({ app, dataDir: path.dirname(dataDir) });
  return { app, dataDir, clock };
}

const call = (app: StandaloneApp, token: string) =>
  fetch(`${app.serverUrl}/admin/api/config/get`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('wrong admin tokens from one client', () => {
  it('are answered later and later, then refused with 429 and Retry-After, the right token included', async () => {
    const { app, clock } = await start({ adminToken: TOKEN, adminRateLimit: FAST });
    const timings: number[] = [];
    for (let i = 0; i < 4; i++) {
      const began = performance.now();
      expect((await call(app, `wrong-token-${i}`)).status).toBe(401);
      timings.push(performance.now() - began);
    }
    // Failures 3 and 4 are past the free ones: held back by at least the policy's delay.
    expect(timings[2]).toBeGreaterThanOrEqual(FAST.baseDelayMs - 2);
    expect(timings[3]).toBeGreaterThanOrEqual(FAST.maxDelayMs - 2);
    const locked = await call(app, 'wrong-token-4');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('60');
    // While locked out, not even the right token is looked at: guessing on is pointless.
    const right = await call(app, TOKEN);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.now += 61_000;
    expect((await call(app, TOKEN)).status).toBe(200);
  });

  it('start afresh after the right token', async () => {
    const { app } = await start({ adminToken: TOKEN, adminRateLimit: FAST });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) expect((await call(app, 'wrong')).status).toBe(401);
      expect((await call(app, TOKEN)).status).toBe(200);
    }
  });

  it('do not count calls without any token (the page before its login)', async () => {
    const { app } = await start({ adminToken: TOKEN, adminRateLimit: FAST });
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${app.serverUrl}/admin/api/config/get`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(401);
    }
    expect((await call(app, TOKEN)).status).toBe(200);
  });
});

describe('AdminRateLimiter', () => {
  it('doubles the lockout with each failure past the limit, and keeps a bounded number of addresses', () => {
    const clock = { now: 0 };
    const limiter = new AdminRateLimiter(() => clock.now, FAST);
    for (let i = 0; i < 4; i++) expect(limiter.failure('a').allowed).toBe(true);
    expect(limiter.failure('a')).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
    clock.now += 60_000;
    expect(limiter.check('a')).toEqual({ allowed: true });
    expect(limiter.failure('a')).toMatchObject({ allowed: false, retryAfterSeconds: 120 });
    expect(limiter.check('b')).toEqual({ allowed: true });
    for (let i = 0; i < 500; i++) limiter.failure(`address-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(FAST.maxAddresses);
  });
});

describe('the data directory', () => {
  it('is 0700, and the SQLite database with its -wal and -shm files and the key file are 0600, whatever the umask', async () => {
    const { app, dataDir } = await start({ adminToken: TOKEN });
    await app.store.set('probe', { written: true });
    expect(mode(dataDir)).toBe(0o700);
    const files = fs.readdirSync(dataDir);
    expect(files).toEqual(expect.arrayContaining(['bridge.sqlite', 'bridge.sqlite-wal', 'bridge.sqlite-shm', 'secret.key']));
    for (const file of files) expect({ file, mode: mode(path.join(dataDir, file)).toString(8) }).toEqual({ file, mode: '600' });
  });

  it('tightens an existing directory to 0700', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-limits-')), 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const app = await startStandalone({ port: 0, dataDir, logger: quiet, adminToken: TOKEN });
    started.push({ app, dataDir: path.dirname(dataDir) });
    expect(mode(dataDir)).toBe(0o700);
  });

  it('holds a generated admin token in a 0600 file, which a restart keeps and a reset replaces', async () => {
    const { app, dataDir } = await start();
    const file = path.join(dataDir, 'admin-token');
    expect(app.admin).toMatchObject({ tokenSource: 'generated', tokenFile: file });
    expect(mode(file)).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(app.admin!.generatedToken);
    expect((await call(app, fs.readFileSync(file, 'utf8').trim())).status).toBe(200);
    const first = app.admin!.generatedToken!;
    await app.close();
    started.pop();
    const again = await startStandalone({ port: 0, dataDir, logger: quiet });
    started.push({ app: again, dataDir: path.dirname(dataDir) });
    expect(again.admin).toMatchObject({ tokenSource: 'stored', tokenFile: file });
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(first);
    await again.close();
    started.pop();
    const reset = await startStandalone({ port: 0, dataDir, logger: quiet, resetAdminToken: true });
    started.push({ app: reset, dataDir: path.dirname(dataDir) });
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(reset.admin!.generatedToken);
    expect(reset.admin!.generatedToken).not.toBe(first);
    expect(mode(file)).toBe(0o600);
  });
});
