import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * A benchmark helper process (the OpenID provider, the standalone server, the Forge handler, the
 * mint), driven by request/answer messages over Node's IPC channel. Each runs in its own process
 * so that its CPU time and memory are its own, and each runs as plain JavaScript on plain Node,
 * as in production: the helper is compiled with esbuild first (node_modules stay external),
 * because tsx's loader alone adds some 180 MB and a second of CPU to a process.
 */

export const BUILD_DIR = fileURLToPath(new URL('../node_modules/.cache/oidc-saml-bridge-bench/', import.meta.url));

/** Compiles a helper (a .ts file beside this one) to one ES module; returns its path. */
export async function compileHelper(script: string): Promise<string> {
  const outfile = `${BUILD_DIR}${script.replace(/^.*\//, '').replace(/\.ts$/, '.mjs')}`;
  await build({
    entryPoints: [fileURLToPath(new URL(script, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

interface Request {
  id: number;
  type: string;
  [field: string]: unknown;
}

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface Helper {
  pid: number;
  request<T>(type: string, fields?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  /** Send the helper's stdout nowhere. */
  quiet?: boolean;
  /** Write a V8 CPU profile of the helper to bench/<name>.cpuprofile when it exits. */
  profile?: string;
  /** Node flags for the helper (the standalone server gets the ones `npm start` uses). */
  nodeFlags?: readonly string[];
}

export const PROFILE_DIR = fileURLToPath(new URL('./', import.meta.url));

export async function startHelper(script: string, options: HelperOptions = {}): Promise<Helper> {
  const compiled = await compileHelper(script);
  const profiling = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${options.profile}.cpuprofile`] : [];
  const child: ChildProcess = fork(compiled, [], {
    execArgv: [...(options.nodeFlags ?? []), ...profiling],
    // Compiled into the cache directory, a helper cannot find the manifest next to its source.
    env: { FORGE_MANIFEST: fileURLToPath(new URL('../manifest.yml', import.meta.url)), ...process.env, ...options.env },
    // The standalone server writes a JSON log line per request, as in production; nobody reads it here.
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const failAll = (error: Error) => {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  child.on('message', (message: Answer) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new Error(`${script}: ${message.error}`));
  });
  child.on('exit', (code, signal) => failAll(new Error(`${script} exited (${code ?? signal})`)));
  return {
    pid: child.pid!,
    request<T>(type: string, fields: Record<string, unknown> = {}) {
      const id = ++next;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ ...fields, id, type } satisfies Request);
      });
    },
    close() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // Disconnecting lets the helper exit by itself (and write its CPU profile); a helper that
        // does not is stopped after a while.
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.disconnect();
        else child.kill('SIGTERM');
      });
    },
  };
}

/** The helper's side: answers each request with its handler's result. */
export function serveRequests(handlers: Record<string, (request: Request) => unknown>): void {
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        const handler = handlers[request.type];
        if (!handler) throw new Error(`no handler for ${request.type}`);
        const value = await handler(request);
        process.send!({ id: request.id, ok: true, value } satisfies Answer);
      } catch (error) {
        process.send!({ id: request.id, ok: false, error: (error as Error)?.stack ?? String(error) } satisfies Answer);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

/** CPU time of this process so far, in milliseconds (user + system, every thread). */
export function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
