import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPlan, writeStamp, type Build } from '../../../scripts/start-plan.mjs';

/**
 * `npm start` rebuilt everything before every start (about 40 s); now it builds only what is
 * missing or stale. These cases are its decision, on a project of a few files.
 */
const build: Build = {
  name: 'server',
  label: 'the server',
  command: ['true'],
  inputs: ['src', 'tsconfig.json'],
  marker: 'dist/main.js',
  stamp: 'dist/.start-stamp.json',
};

let root: string;
const write = (relative: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  fs.writeFileSync(path.join(root, relative), text);
};
const status = () => buildPlan(root, [build])[0]!.status;
/** What the build does: writes its output, then the start script stamps it. */
const buildNow = () => {
  const [planned] = buildPlan(root, [build]);
  write('dist/main.js', `built ${Date.now()} ${Math.random()}`);
  writeStamp(root, build, planned!.hash);
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'start-plan-'));
  write('src/a.ts', 'export const a = 1;\n');
  write('src/nested/b.ts', 'export const b = 2;\n');
  write('tsconfig.json', '{}\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('npm start rebuilt on every start', () => {
  it('builds on the first start (no output yet)', () => {
    expect(status()).toBe('first');
  });

  it('skips the build when nothing changed since it built', () => {
    buildNow();
    expect(status()).toBe('fresh');
    expect(status()).toBe('fresh');
  });

  it('rebuilds when a source file changed, even with an older modification time (git checkout, copies)', () => {
    buildNow();
    write('src/nested/b.ts', 'export const b = 3;\n');
    fs.utimesSync(path.join(root, 'src/nested/b.ts'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(status()).toBe('changed');
  });

  it('rebuilds when a source file was added, removed or renamed', () => {
    buildNow();
    write('src/c.ts', 'export const c = 1;\n');
    expect(status()).toBe('changed');
    buildNow();
    fs.renameSync(path.join(root, 'src/c.ts'), path.join(root, 'src/d.ts'));
    expect(status()).toBe('changed');
    buildNow();
    fs.rmSync(path.join(root, 'src/d.ts'));
    expect(status()).toBe('changed');
  });

  it('rebuilds when a configuration file among the inputs changed', () => {
    buildNow();
    write('tsconfig.json', '{ "compilerOptions": {} }\n');
    expect(status()).toBe('changed');
  });

  it('rebuilds an output that another build wrote since (npm run build after an edit, the edit then undone)', () => {
    buildNow();
    write('dist/main.js', 'built by npm run build from other sources');
    fs.utimesSync(path.join(root, 'dist/main.js'), new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(status()).toBe('changed');
  });

  it('rebuilds an output it has no record of, and one whose output went missing', () => {
    write('dist/main.js', 'built by npm run build');
    expect(status()).toBe('unrecorded');
    buildNow();
    fs.rmSync(path.join(root, 'dist/main.js'));
    expect(status()).toBe('first');
  });

  it('ignores what is not source: node_modules, outputs and local data inside the inputs', () => {
    buildNow();
    write('src/node_modules/x.js', 'dependency');
    write('src/build/out.js', 'output');
    write('src/.data/store.db', 'data');
    expect(status()).toBe('fresh');
  });
});
