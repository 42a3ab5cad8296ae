import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

const freePort = () => 20_000 + Math.floor(Math.random() * 20_000);

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
});
