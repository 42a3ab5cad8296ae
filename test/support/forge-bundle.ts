import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { node22Path } from '../../scripts/node22.mjs';
import type { HostAnswer, HostRequest } from './forge-bundle-host.js';
import type { WebTriggerContext, WebTriggerEvent, WebTriggerResponse } from '../../src/forge/web-trigger.js';

/**
 * The app as Forge ships it, for the tests: the handler file that Forge's own bundler wrote
 * (`npm run bundle:forge`, which `npm test` runs), loaded under Node 22 in a process of its own
 * (test/support/forge-bundle-host.ts) with the Forge platform stand-ins around it.
 */

export const FORGE_BUNDLE_DIR = fileURLToPath(new URL('../../build/forge-bundle/', import.meta.url));
const HOST_BUILD_DIR = fileURLToPath(new URL('../../node_modules/.cache/oidc-saml-bridge-tests/', import.meta.url));

type HostRequestBody = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface ForgeBundleHost {
  /** What the handler file exports, the Node version it runs on, and how long it took to load. */
  exports(): Promise<{ names: string[]; types: Record<string, string>; nodeVersion: string; loadMs: number }>;
  bridgeTrigger(event: WebTriggerEvent, context: WebTriggerContext): Promise<WebTriggerResponse>;
  adminResolver(request: unknown, context: unknown): Promise<unknown>;
  request<T>(body: HostRequestBody): Promise<T>;
  /** Everything the bundle wrote to stdout and stderr so far. */
  readonly output: string[];
  close(): Promise<void>;
}

/** Compiles the host with esbuild (one file per test process, so parallel workers never clash). */
async function compileHost(): Promise<string> {
  const outfile = `${HOST_BUILD_DIR}forge-bundle-host-${process.pid}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL('./forge-bundle-host.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // CommonJS packages that require Node builtins stay outside the ESM file; Node resolves them
    // from node_modules, above the cache folder the host is written to.
    external: ['yaml'],
    logLevel: 'warning',
  });
  return outfile;
}

/** Starts the bundle under Node 22. `env` adds to the environment (e.g. NODE_EXTRA_CA_CERTS). */
export async function startForgeBundleHost(options: { env?: NodeJS.ProcessEnv; entry?: string } = {}): Promise<ForgeBundleHost> {
  const entry = options.entry ?? 'index.cjs';
  if (!existsSync(`${FORGE_BUNDLE_DIR}${entry}`)) {
    throw new Error(`No Forge bundle at ${FORGE_BUNDLE_DIR}${entry}: run \`npm run build:forge && npm run bundle:forge\` (npm test does).`);
  }
  const child: ChildProcess = fork(await compileHost(), [FORGE_BUNDLE_DIR, entry], {
    execPath: node22Path(),
    env: { ...process.env, FORGE_MANIFEST: fileURLToPath(new URL('../../manifest.yml', import.meta.url)), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The bundle's own log lines (JSON, one per event) are passed on, so the suite's secret watch
  // sees them as it sees every other log line.
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      process.stdout.write(chunk);
    });
  }

  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  child.on('message', (message: HostAnswer) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new Error(`forge bundle host: ${message.error}`));
  });
  child.on('exit', (code, signal) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`forge bundle host exited (${code ?? signal})`));
    pending.clear();
  });
  await ready;

  const request = <T>(body: HostRequestBody): Promise<T> => {
    const id = ++next;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...body, id });
    });
  };
  return {
    request,
    output,
    exports: () => request({ type: 'exports' }),
    bridgeTrigger: (event, context) => request({ type: 'invoke', handler: 'bridgeTrigger', args: [event, context] }),
    adminResolver: (payload, context) => request({ type: 'invoke', handler: 'adminResolver', args: [payload, context] }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.disconnect();
      }),
  };
}
