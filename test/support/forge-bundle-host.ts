/**
 * The process that stands in for the Forge runtime around the app as Forge builds it: it runs
 * under Node 22 (Forge's `nodejs22.x`), installs the platform stand-ins the SDKs talk to (KVS
 * and its secrets, `webTrigger.getUrl`, the product REST calls of the admin check; see
 * test/forge/forge-platform.ts), loads the handler file that Forge's own bundler wrote, and
 * invokes its exported functions on request. Nothing of the app is loaded from `src`: only the
 * bundle. Egress (the OpenID provider over https) is this process's real `fetch`, trusting the
 * provider's certificate through NODE_EXTRA_CA_CERTS.
 *
 * Driven over Node's IPC channel by test/support/forge-bundle.ts; compiled with esbuild first.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { installForgePlatform } from '../forge/forge-platform.js';

export type HostRequest =
  | { id: number; type: 'invoke'; handler: string; args: unknown[] }
  | { id: number; type: 'exports' }
  | { id: number; type: 'kvs'; op: 'has-secret' | 'has' | 'keys' | 'secret-keys' | 'purge' | 'requests' | 'values'; key?: string }
  | { id: number; type: 'user'; jiraAdmin?: boolean; confluenceAdmin?: boolean; productStatus?: number }
  | { id: number; type: 'memory' };

export type HostAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const [bundleDirectory, entryFile] = process.argv.slice(2);
if (!bundleDirectory || !entryFile) throw new TypeError('usage: forge-bundle-host <bundle directory> <entry file>');

const platform = installForgePlatform();
const loadStarted = performance.now();
const entry = createRequire(import.meta.url)(path.resolve(bundleDirectory, entryFile)) as Record<string, unknown>;
const loadMs = performance.now() - loadStarted;

async function answer(request: HostRequest): Promise<unknown> {
  switch (request.type) {
    case 'exports':
      return { names: Object.keys(entry).sort(), types: Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, typeof v])), nodeVersion: process.version, loadMs };
    case 'invoke': {
      const handler = entry[request.handler];
      if (typeof handler !== 'function') throw new TypeError(`the bundle exports no function ${request.handler}`);
      return (handler as (...args: unknown[]) => Promise<unknown>)(...request.args);
    }
    case 'kvs':
      switch (request.op) {
        case 'has':
          return platform.kvs.data.has(request.key!);
        case 'has-secret':
          return platform.kvs.secrets.has(request.key!);
        case 'keys':
          return [...platform.kvs.data.keys()];
        case 'secret-keys':
          return [...platform.kvs.secrets.keys()];
        case 'values':
          return JSON.stringify([...platform.kvs.data.values()]);
        case 'requests':
          return platform.kvs.requests.map((r) => r.path);
        case 'purge':
          platform.kvs.purgeExpired();
          return null;
      }
      throw new TypeError(`unknown kvs op ${String(request.op)}`);
    case 'user':
      Object.assign(platform.user, Object.fromEntries(Object.entries(request).filter(([k]) => k !== 'id' && k !== 'type')));
      return { ...platform.user };
    case 'memory':
      return process.memoryUsage();
  }
}

process.on('message', (request: HostRequest) => {
  void answer(request).then(
    (value) => process.send!({ id: request.id, ok: true, value } satisfies HostAnswer),
    (error: unknown) => process.send!({ id: request.id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies HostAnswer),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, ok: true, value: 'ready' } satisfies HostAnswer);
