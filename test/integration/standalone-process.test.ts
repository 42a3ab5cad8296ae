import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port.js';

/**
 * The standalone contract as a user meets it: `node dist/src/standalone/main.js` (what `npm start`
 * runs after building), its environment variables, and its exit status.
 */
const MAIN = path.resolve('dist/src/standalone/main.js');

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForHealth(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the standalone server process', () => {
  let dir: string;
  beforeAll(() => {
    if (!fs.existsSync(MAIN)) throw new Error('dist/ is missing: npm test builds it first (npm run build)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-proc-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses an invalid config file at start, listing every problem, with a non-zero exit', async () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ baseUrl: 'nope', oidc: { issuer: 'http://idp.example.com', clientId: 'c' }, serviceProvider: {}, allowedEmailDomains: [] }));
    const proc = run({ BRIDGE_CONFIG: file, PORT: String(freePort()), BRIDGE_DATA_DIR: path.join(dir, 'bad-data') });
    expect(await proc.exited).not.toBe(0);
    for (const field of ['baseUrl', 'oidc.issuer', 'oidc.clientSecret', 'serviceProvider.entityId', 'serviceProvider.acsUrl', 'allowedEmailDomains']) {
      expect(proc.output()).toContain(field);
    }
  });

  it('refuses a config file that is not JSON, with a non-zero exit', async () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{ "baseUrl": ');
    const proc = run({ BRIDGE_CONFIG: file, PORT: String(freePort()), BRIDGE_DATA_DIR: path.join(dir, 'broken-data') });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('not valid JSON');
  });

  it('keeps the signing certificate across a restart', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const file = path.join(dir, 'good.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        baseUrl: url,
        oidc: { issuer: 'http://127.0.0.1:1/never-called', clientId: 'c', clientSecret: 's' },
        serviceProvider: { entityId: 'https://sp.example/saml', acsUrl: 'https://sp.example/acs' },
        allowedEmailDomains: ['example.com'],
      }),
    );
    const env = { BRIDGE_CONFIG: file, PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'good-data') };
    const certificate = async () => /<(?:\w+:)?X509Certificate>([^<]+)</.exec(await (await fetch(`${url}/saml/metadata`)).text())?.[1];

    const first = run(env);
    await waitForHealth(url);
    const before = await certificate();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = run(env);
    await waitForHealth(url);
    const after = await certificate();
    second.child.kill('SIGTERM');
    await second.exited;
    expect(before).toMatch(/^MII/);
    expect(after).toBe(before);
  });

  it('answers requests that arrive while it starts (they were left hanging: it listened before its handler was attached)', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    // Demo mode starts slowest (it loads and mounts the demo peers after listening), so it has
    // the widest window between listening and being ready.
    const proc = run({ PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'early-data'), BRIDGE_ADMIN_TOKEN: 'early-probe-admin-token-0123' });
    type Probe = 'refused' | 'hung' | number;
    const probe = async (route: string): Promise<Probe> => {
      try {
        const response = await fetch(`${url}${route}`, { signal: AbortSignal.timeout(5_000) });
        await response.body?.cancel();
        return response.status;
      } catch (error) {
        const { name, cause } = error as { name?: string; cause?: { code?: string } };
        if (name === 'TimeoutError') return 'hung';
        if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET') return 'refused';
        throw error;
      }
    };
    const probes: Promise<Probe>[] = [];
    const deadline = Date.now() + 20_000;
    let healthy = false;
    try {
      while (!healthy && Date.now() < deadline) {
        for (const route of ['/healthz', '/saml/metadata', '/admin/', '/']) probes.push(probe(route));
        const health = await Promise.race([probes[probes.length - 4]!, new Promise((r) => setTimeout(r, 15))]);
        healthy = health === 200;
      }
      const results = await Promise.all(probes);
      const answered = results.filter((r): r is number => typeof r === 'number');
      expect(results.filter((r) => r === 'hung')).toEqual([]);
      // Some requests must have met the server while it started, or the test proved nothing.
      expect(answered.filter((status) => status === 503).length).toBeGreaterThan(0);
      for (const status of answered) expect([200, 503]).toContain(status);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  }, 40_000);
});
