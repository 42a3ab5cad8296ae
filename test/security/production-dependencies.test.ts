import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';
import { moduleReferences, type ModuleReference } from '../support/module-references.js';

/**
 * What a production install (`npm install --omit=dev`) carries (issue 9). The demo peers
 * (dev/demo, on oidc-provider and @node-saml/node-saml) are dev-only: src/ reaches them only
 * through main.ts's one lazy import, both packages are devDependencies, and the built server runs
 * configured on the production packages alone and, with no configuration, says in one line what
 * to do instead of starting the demo. That the Forge bundle carries neither package is checked
 * on the bundle itself (test/forge-bundle/forge-bundle-login.test.ts).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_PACKAGES = ['oidc-provider', '@node-saml/node-saml'];
/** The one reference from src/ into dev/: demo mode, loaded only when there is no configuration. */
const LAZY_DEMO_IMPORT = { file: 'src/standalone/main.ts', specifier: '../../dev/demo/demo-mode.js', kind: 'dynamic', literal: true };

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
};

/** The npm package a bare specifier names (`@scope/name/sub` → `@scope/name`); undefined for paths and Node builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Where a relative specifier points, relative to the project root. */
function targetOf(reference: ModuleReference): string | undefined {
  if (!reference.specifier.startsWith('.')) return undefined;
  return path.relative(ROOT, path.resolve(ROOT, path.dirname(reference.file), reference.specifier));
}

const srcFiles = (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => /\.[cm]?[jt]s$/.test(f)).map((f) => path.join('src', f));
const srcReferences = srcFiles.flatMap(moduleReferences);

describe('src/ and the demo peers', () => {
  it('parses every source file under src/ (the check below sees them all)', () => {
    expect(srcFiles).toEqual(expect.arrayContaining(['src/index.js', 'src/standalone/main.ts', 'src/forge/index.ts', 'src/core/bridge.ts']));
    expect(srcReferences.length).toBeGreaterThan(100);
    // The Forge entry's lazy import of the compiled core, and main.ts's of the demo.
    expect(srcReferences).toEqual(expect.arrayContaining([{ file: 'src/index.js', specifier: '../build/app/forge/index.js', kind: 'dynamic', literal: true }, LAZY_DEMO_IMPORT]));
  });

  it('has only literal dynamic imports, which this check and the bundlers can follow', () => {
    expect(srcReferences.filter((r) => !r.literal)).toEqual([]);
  });

  it('names neither oidc-provider nor @node-saml/node-saml nor anything under dev/, but for main.ts\'s one lazy import of the demo', () => {
    const intoDevOnly = srcReferences.filter((r) => DEMO_PACKAGES.includes(packageOf(r.specifier) ?? '') || targetOf(r)?.split(path.sep)[0] === 'dev');
    expect(intoDevOnly).toEqual([LAZY_DEMO_IMPORT]);
  });

  it('loads at run time only packages that are production dependencies', () => {
    const loaded = [...new Set(srcReferences.filter((r) => r.kind !== 'type').flatMap((r) => packageOf(r.specifier) ?? []))];
    expect(loaded).toEqual(expect.arrayContaining(['openid-client', 'libxml2-wasm', 'better-sqlite3', '@forge/api']));
    expect(loaded.filter((name) => !(name in manifest.dependencies))).toEqual([]);
  });
});

describe('package.json and the lockfile', () => {
  it('lists oidc-provider and @node-saml/node-saml as devDependencies only', () => {
    for (const name of DEMO_PACKAGES) {
      expect({ name, dependency: name in manifest.dependencies, devDependency: name in manifest.devDependencies }).toEqual({ name, dependency: false, devDependency: true });
    }
  });

  it('has a lockfile that agrees: the same root dependencies, and both packages marked dev (no production package needs them)', () => {
    const root = lock.packages['']!;
    expect({ dependencies: root.dependencies, devDependencies: root.devDependencies }).toEqual({ dependencies: manifest.dependencies, devDependencies: manifest.devDependencies });
    for (const name of DEMO_PACKAGES) expect({ name, dev: lock.packages[`node_modules/${name}`]?.dev }).toEqual({ name, dev: true });
  });
});

describe('the built server with the production packages only', () => {
  // A production install, simulated offline: the build (dist/) and package.json (the ESM
  // `type`) in a directory of their own, beside a node_modules holding the lockfile's top-level
  // packages that `npm install --omit=dev` installs (the ones not marked dev), linked in.
  // The linked packages still resolve their own dependencies from the full tree; what is
  // simulated is what the app's own modules find.
  let dir: string;
  let main: string;
  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist/src/standalone/main.js'))) throw new Error('dist/ is missing: npm test builds it first (npm run build)');
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-production-')));
    for (let up = path.dirname(dir); up !== path.dirname(up); up = path.dirname(up)) {
      // A node_modules above the directory would let the app find dev packages after all.
      if (fs.existsSync(path.join(up, 'node_modules'))) throw new Error(`${up}/node_modules exists: the production install cannot be simulated below it`);
    }
    fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    for (const [at, entry] of Object.entries(lock.packages)) {
      if (!/^node_modules\/(?:@[^/]+\/)?[^/]+$/.test(at) || entry.dev || !fs.existsSync(path.join(ROOT, at))) continue;
      fs.mkdirSync(path.dirname(path.join(dir, at)), { recursive: true });
      fs.symlinkSync(fs.realpathSync(path.join(ROOT, at)), path.join(dir, at), 'dir');
    }
    main = path.join(dir, 'dist/src/standalone/main.js');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(env: Record<string, string>) {
    const clean = { ...process.env };
    for (const name of ['BRIDGE_CONFIG', 'BRIDGE_DEMO', 'BRIDGE_ADMIN_TOKEN', 'NODE_PATH']) delete clean[name];
    const child = spawn(process.execPath, [main], { cwd: dir, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it('has no demo packages to find', () => {
    for (const name of DEMO_PACKAGES) expect({ name, present: fs.existsSync(path.join(dir, 'node_modules', name)) }).toEqual({ name, present: false });
    expect(fs.existsSync(path.join(dir, 'node_modules/openid-client'))).toBe(true);
  });

  it('with no configuration, exits non-zero with one line naming BRIDGE_CONFIG, the wizard and the dev dependencies, no stack trace', async () => {
    const proc = run({ PORT: String(freePort()), BRIDGE_DATA_DIR: path.join(dir, 'demo-data') });
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('BRIDGE_CONFIG');
    expect(lines[0]).toContain('BRIDGE_DEMO=0');
    expect(lines[0]).toContain('dev dependencies');
    expect(lines[0]).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('with a configuration, starts and serves the metadata', async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        baseUrl: url,
        oidc: { issuer: 'http://127.0.0.1:1/never-called', clientId: 'c', clientSecret: 's' },
        serviceProvider: { entityId: 'https://sp.example/saml', acsUrl: 'https://sp.example/acs' },
        allowedEmailDomains: ['example.com'],
      }),
    );
    const proc = run({ BRIDGE_CONFIG: file, PORT: String(port), BRIDGE_DATA_DIR: path.join(dir, 'data') });
    try {
      const deadline = Date.now() + 15_000;
      let metadata: Response | undefined;
      while (!metadata) {
        metadata = await fetch(`${url}/saml/metadata`).catch(() => undefined);
        if (!metadata && Date.now() > deadline) throw new Error(`${url} did not start:\n${proc.output()}`);
        if (!metadata) await new Promise((r) => setTimeout(r, 100));
      }
      expect(metadata.status).toBe(200);
      expect(await metadata.text()).toContain('IDPSSODescriptor');
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
  });
});
