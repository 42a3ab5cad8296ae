import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { node22Path } from '../scripts/node22.mjs';
import { createSigningKey } from '../src/downstream-saml/signing-key.js';
import { BUILD_DIR, PROFILE_DIR } from './ipc.js';

/**
 * The Forge function as Forge ships it: the handler file and chunks that Forge's own bundler
 * (@forge/bundler, the webpack build of `forge deploy`) writes from manifest.yml, built here by
 * scripts/forge-bundle.cjs after the TypeScript is compiled (`npm run build:forge` without the
 * UI). Its size, and how long a fresh Node 22 process (Forge's runtime) takes to load it and
 * answer one metadata request.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ForgeBundle {
  /** The handler file manifest.yml names. */
  file: string;
  /** The JavaScript Forge deploys: the handler file and its chunks, without source maps. */
  bytes: number;
  /** Source bytes going into the bundle by package (or source folder), largest first. */
  byPackage: [string, number][];
}

export async function bundleForge(): Promise<ForgeBundle> {
  const run = promisify(execFile);
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.forge.json')]);
  await run(process.execPath, [path.join(ROOT, 'scripts/forge-bundle.cjs')]);
  const directory = path.join(ROOT, 'build/forge-bundle');
  const report = JSON.parse(fs.readFileSync(`${directory}.json`, 'utf8')) as { entries: string[]; files: Record<string, number> };
  // The runtime wrapper files are the CLI's stand-ins (the real ones come from Atlassian's CDN).
  const shipped = Object.entries(report.files).filter(([name]) => name.endsWith('.cjs') && !name.startsWith('__forge'));
  return {
    file: path.join(directory, report.entries[0]!),
    bytes: shipped.reduce((total, [, bytes]) => total + bytes, 0),
    byPackage: bytesByPackage(shipped.map(([name]) => path.join(directory, `${name}.map`))),
  };
}

function bytesByPackage(sourceMaps: string[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const file of sourceMaps) {
    if (!fs.existsSync(file)) continue;
    const map = JSON.parse(fs.readFileSync(file, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    map.sources.forEach((source, i) => {
      const parts = source.replace(/^webpack:\/\/[^/]*\//, '').split('/');
      const at = parts.lastIndexOf('node_modules');
      const name = at >= 0 ? parts.slice(at + 1, at + (parts[at + 1]!.startsWith('@') ? 3 : 2)).join('/') : parts.slice(1, 4).join('/');
      totals.set(name, (totals.get(name) ?? 0) + Buffer.byteLength(map.sourcesContent?.[i] ?? ''));
    });
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

export interface ColdStart {
  status: number;
  hasCertificate: boolean;
  importMs: number;
  answerMs: number;
  cpuMs: number;
  bootMs: number;
  sinceProcessStartMs: number;
  /** From spawning the process to its exit, as the parent saw it. */
  wallMs: number;
}

export async function measureColdStarts(bundle: ForgeBundle, runs: number, settings: unknown, profile: boolean): Promise<ColdStart[]> {
  const entry = path.join(BUILD_DIR, 'cold-start-entry.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./cold-start-entry.ts', import.meta.url))],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    // CommonJS packages bundled into an ES module (yaml) require Node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const seed = path.join(BUILD_DIR, 'cold-start-seed.json');
  const signingKey = await createSigningKey({ now: () => Date.now() }, new URL('https://bridge.webtrigger.atlassian.app').host);
  fs.writeFileSync(seed, JSON.stringify({ settings, clientSecret: 'cold-start-client-secret', signingKey }), { mode: 0o600 });
  const results: ColdStart[] = [];
  for (let i = 0; i < runs; i++) {
    const profiling = profile && i === runs - 1 ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=cold-start.cpuprofile'] : [];
    const started = performance.now();
    const { stdout } = await promisify(execFile)(node22Path({ install: true }), [...profiling, entry, bundle.file, seed], {
      env: { ...process.env, FORGE_MANIFEST: fileURLToPath(new URL('../manifest.yml', import.meta.url)) },
    });
    const wallMs = performance.now() - started;
    results.push({ ...(JSON.parse(stdout) as Omit<ColdStart, 'wallMs'>), wallMs });
  }
  return results;
}
