/**
 * postinstall: applies patches/ with patch-package. The one patch (libxml2-wasm's
 * `import(variable)`, see patches/) matters only to the Forge bundle, which needs the dev
 * dependencies to be built at all; a production install without them (`npm ci --omit=dev`, the
 * standalone server) has no patch-package and runs unpatched libxml2-wasm, which Node loads fine.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

let cli;
try {
  cli = createRequire(import.meta.url).resolve('patch-package/dist/index.js');
} catch {
  console.log('patch-package is not installed (no dev dependencies): patches/ only matter for the Forge bundle, skipped.');
  process.exit(0);
}
const result = spawnSync(process.execPath, [cli, '--error-on-fail'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
