import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandalone, type StandaloneApp } from '../src/standalone/standalone-app.js';
import { SqliteStore } from '../src/standalone/sqlite-store.js';
import { countingFetch, countStoreClass, emptyStoreCounts, type StoreCounts, type UpstreamCounts } from './counting.js';
import { cpuMs, serveRequests } from './ipc.js';

/**
 * The standalone server under test, in its own process: the real `startStandalone` (SQLite
 * store, JSON log lines on stdout, Node's fetch), with the store's operations and the calls to
 * the provider counted, and the process's CPU time read at the start and end of each request.
 */

export interface RequestWindow {
  path: string;
  status: number;
  /** Process CPU time (ms) when the request arrived and when its answer was handed to the OS. */
  cpuStart: number;
  cpuEnd: number;
}

const storeCounts: StoreCounts = emptyStoreCounts();
const upstreamCounts: UpstreamCounts = {};
let windows: RequestWindow[] = [];
countStoreClass(SqliteStore.prototype, storeCounts);

const originalEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'request') {
    const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
    const cpuStart = cpuMs();
    res.once('finish', () => {
      windows.push({ path: new URL(req.url ?? '/', 'http://x').pathname, status: res.statusCode, cpuStart, cpuEnd: cpuMs() });
    });
  }
  return (originalEmit as (this: http.Server, event: string | symbol, ...rest: unknown[]) => boolean).call(this, event, ...args);
} as typeof originalEmit;

let app: StandaloneApp | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-bench-'));
const cleanUp = () => fs.rmSync(dataDir, { recursive: true, force: true });
process.on('exit', cleanUp);

serveRequests({
  async start(request) {
    const { issuer, clientId, clientSecret, serviceProvider } = request as unknown as {
      issuer: string;
      clientId: string;
      clientSecret: string;
      serviceProvider: { entityId: string; acsUrl: string };
    };
    app = await startStandalone({
      port: 0,
      dataDir,
      fetch: countingFetch((input, init) => fetch(input, init), upstreamCounts),
      config: (serverUrl) => ({
        baseUrl: serverUrl,
        oidc: { issuer, clientId, clientSecret, scopes: ['openid', 'email', 'profile'] },
        serviceProvider,
        allowedEmailDomains: ['example.com'],
      }),
    });
    return { baseUrl: app.baseUrl };
  },
  reset() {
    Object.assign(storeCounts, emptyStoreCounts());
    for (const name of Object.keys(upstreamCounts)) delete upstreamCounts[name];
    windows = [];
    return null;
  },
  stats: () => ({
    storeCounts,
    upstreamCounts,
    windows,
    cpuMs: cpuMs(),
    rssMb: process.memoryUsage().rss / 2 ** 20,
    memory: Object.fromEntries(Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)])),
    // resourceUsage().maxRSS is in kilobytes: the peak over the process's life so far.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
});
