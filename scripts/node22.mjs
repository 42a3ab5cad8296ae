/**
 * The Node 22 binary that runs the Forge bundle in the tests and the benchmark: Forge runs the
 * app on `nodejs22.x`, while this machine's Node may be another version. The binary comes from
 * the `node-linux-<arch>` npm package, installed into tools/node22 (its own package, so that its
 * `node` never shadows the Node that runs everything else). Run directly, it installs it when
 * missing and prints its path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const toolsDirectory = fileURLToPath(new URL('../tools/node22/', import.meta.url));

/** The path of a Node 22 binary; installs tools/node22 when it is missing and `install` is set. */
export function node22Path({ install = false } = {}) {
  if (process.versions.node.split('.')[0] === '22') return process.execPath;
  const binary = `${toolsDirectory}node_modules/node-${process.platform}-${process.arch}/bin/node`;
  if (!existsSync(binary)) {
    if (!install) throw new Error(`No Node 22 at ${binary}: run \`node scripts/node22.mjs\` (npm test does).`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: toolsDirectory, stdio: 'inherit' });
    if (!existsSync(binary)) throw new Error(`node-${process.platform}-${process.arch} 22 is not available from npm for this machine`);
  }
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(node22Path({ install: true }));
