/**
 * `npm start`: builds what is out of date (see start-plan.mjs), then runs the standalone
 * server. A start with nothing changed builds nothing and is up in about a second; before, every
 * start ran tsc and vite (about 40 s on a 2-core machine).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildPlan, writeStamp } from './start-plan.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The server's own flags: it runs in a few tens of megabytes, as on a small host. */
const SERVER_ARGS = ['--max-old-space-size=64', '--max-semi-space-size=1', fileURLToPath(new URL('../dist/src/standalone/main.js', import.meta.url))];

const WHY = { first: 'first start', unrecorded: 'not built by npm start before', changed: 'sources changed since the last build' };

/** Runs a build quietly; its output is shown only when it fails. */
function runBuild(build) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, build.command, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ ok: false, output: `${output}${error.message}\n` }));
    child.on('exit', (code) => resolve({ ok: code === 0, output }));
  });
}

async function buildWhatIsStale() {
  const stale = buildPlan(root).filter((planned) => planned.status !== 'fresh');
  if (!stale.length) {
    console.log('The server and the setup wizard are up to date; starting.');
    return true;
  }
  // One after the other: on a small machine two builds at once are no faster, and a failure is
  // easier to read on its own.
  for (const { build, status, hash } of stale) {
    const started = Date.now();
    console.log(`Building ${build.label} (${WHY[status]})…`);
    const result = await runBuild(build);
    if (!result.ok) {
      process.stderr.write(result.output);
      console.error(`Building ${build.label} failed (\`${['node', ...build.command].join(' ')}\`); the server was not started.`);
      return false;
    }
    writeStamp(root, build, hash);
    console.log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return true;
}

if (!(await buildWhatIsStale())) process.exit(1);

// In the caller's directory, as before: BRIDGE_CONFIG and BRIDGE_DATA_DIR may be relative.
const server = spawn(process.execPath, SERVER_ARGS, { stdio: 'inherit' });
// A signal sent to this process alone (npm passes them on, so do process managers) goes on to
// the server; Ctrl-C in a terminal reaches the server too, which stops once however many
// arrive. This process ends with the server's status.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15 }[signal] ?? 1) : 1)));
