/**
 * Which builds `npm start` needs (scripts/start.mjs): the server (tsc → dist/) and the setup
 * wizard (vite → static/admin/build/), each only when its output is missing or was built from
 * other sources than the ones on disk now.
 *
 * Content hashes, not modification times: after `git pull`, `git checkout` of an older commit,
 * a copy or an unpacked archive, a file's mtime says little about whether its output is current;
 * its bytes do. Hashing the ~150 source files takes a few tens of milliseconds.
 *
 * A build records a stamp beside its output: the hash of its inputs, and the mtime of one output
 * file. The output's mtime catches a build this script did not make (`npm run build` after an
 * edit, then the edit undone): the stamp's hash would match the sources again, but the output
 * was rewritten since, so it is rebuilt.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Directories never read as inputs: outputs, dependencies, VCS and local data. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'build', 'dist', '.git', '.data']);

/**
 * The two builds. Inputs are paths relative to the project root (a directory is read
 * recursively; a missing path counts as empty). The wizard imports types and small helpers from
 * src/core, so src/core is one of its inputs.
 */
export const BUILDS = [
  {
    name: 'server',
    label: 'the server',
    command: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
    inputs: ['src', 'dev', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    marker: 'dist/src/standalone/main.js',
    stamp: 'dist/.start-stamp.json',
  },
  {
    name: 'ui',
    label: 'the setup wizard',
    command: ['node_modules/vite/bin/vite.js', 'build', '--config', 'static/admin/vite.config.ts', '--logLevel', 'warn'],
    inputs: ['static/admin', 'src/core', 'package-lock.json'],
    marker: 'static/admin/build/index.html',
    stamp: 'static/admin/build/.start-stamp.json',
  },
];

/** One hash over every input file's relative path and bytes, in a stable order. */
export function inputsHash(root, inputs) {
  const hash = createHash('sha256');
  const visit = (relative) => {
    const absolute = path.join(root, relative);
    let stat;
    try {
      stat = fs.statSync(absolute);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(absolute).sort()) {
        if (!SKIPPED_DIRECTORIES.has(entry)) visit(path.join(relative, entry));
      }
    } else if (stat.isFile()) {
      hash.update(`${relative.split(path.sep).join('/')}\0${stat.size}\0`);
      hash.update(fs.readFileSync(absolute));
    }
  };
  for (const input of inputs) visit(input);
  return hash.digest('hex');
}

function readStamp(root, build) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(root, build.stamp), 'utf8'));
    return typeof stamp?.inputs === 'string' && typeof stamp?.markerMtimeMs === 'number' ? stamp : undefined;
  } catch {
    return undefined;
  }
}

function markerMtimeMs(root, build) {
  try {
    return fs.statSync(path.join(root, build.marker)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * For each build: `fresh` (skip it), `first` (no output yet), `unrecorded` (an output this
 * script did not build, such as `npm run build`'s) or `changed` (built from other sources, or
 * rewritten by another build since), with the inputs' hash to stamp once it is built.
 */
export function buildPlan(root, builds = BUILDS) {
  return builds.map((build) => {
    const hash = inputsHash(root, build.inputs);
    const mtime = markerMtimeMs(root, build);
    if (mtime === undefined) return { build, status: 'first', hash };
    const stamp = readStamp(root, build);
    if (!stamp) return { build, status: 'unrecorded', hash };
    const fresh = stamp.inputs === hash && stamp.markerMtimeMs === mtime;
    return { build, status: fresh ? 'fresh' : 'changed', hash };
  });
}

/** Records that `build`'s output now comes from inputs with `hash`. */
export function writeStamp(root, build, hash) {
  const mtime = markerMtimeMs(root, build);
  if (mtime === undefined) throw new Error(`${build.marker} is missing after building ${build.label}`);
  fs.writeFileSync(path.join(root, build.stamp), `${JSON.stringify({ inputs: hash, markerMtimeMs: mtime })}\n`);
}
