import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { createSigningKey } from '../src/downstream-saml/signing-key.js';
import { BUILD_DIR, PROFILE_DIR } from './ipc.js';

/**
 * The Forge function as Forge would ship it (one bundle with its node_modules: the Forge
 * runtime provides none of them, `@forge/*` included), its size, and how long a fresh Node
 * process takes to import it and answer one metadata request.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ForgeBundle {
  file: string;
  bytes: number;
  /** Bytes in the bundle by package (or source folder), largest first. */
  byPackage: [string, number][];
}

export async function bundleForge(): Promise<ForgeBundle> {
  const file = path.join(BUILD_DIR, 'forge', 'index.mjs');
  const result = await build({
    entryPoints: [path.join(ROOT, 'src/forge/index.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    metafile: true,
    logLevel: 'warning',
    // CommonJS dependencies require Node's built-in modules; an ES module bundle needs a require.
    banner: { js: "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);" },
  });
  return { file, bytes: fs.statSync(file).size, byPackage: bytesByPackage(result.metafile) };
}

function bytesByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const parts = input.split('/');
      const at = parts.lastIndexOf('node_modules');
      const name = at >= 0 ? parts.slice(at + 1, at + (parts[at + 1]!.startsWith('@') ? 3 : 2)).join('/') : parts.slice(0, 2).join('/');
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
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
    target: 'node20',
    logLevel: 'warning',
  });
  const seed = path.join(BUILD_DIR, 'cold-start-seed.json');
  const signingKey = await createSigningKey({ now: () => Date.now() }, new URL('https://bridge.webtrigger.atlassian.app').host);
  fs.writeFileSync(seed, JSON.stringify({ settings, clientSecret: 'cold-start-client-secret', signingKey }), { mode: 0o600 });
  const results: ColdStart[] = [];
  for (let i = 0; i < runs; i++) {
    const profiling = profile && i === runs - 1 ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=cold-start.cpuprofile'] : [];
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [...profiling, entry, bundle.file, seed]);
    const wallMs = performance.now() - started;
    results.push({ ...(JSON.parse(stdout) as Omit<ColdStart, 'wallMs'>), wallMs });
  }
  return results;
}
