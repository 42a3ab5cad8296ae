import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BridgeRequest } from '../src/core/http-types.js';
import type { Fetch, Logger } from '../src/core/ports.js';
import { storageKeys } from '../src/core/storage-keys.js';
import { startStandalone } from '../src/standalone/standalone-app.js';

/**
 * The bridge of `npm run load`: the standalone server (Node http, SQLite) in its own process,
 * configured from LOAD_BRIDGE. It times its own two steps around the core's `handle` (the SSO
 * URL and the callback), and within the callback the time spent waiting for the provider (the
 * bridge's fetch, tracked per request), so that the bridge's own work can be told apart.
 * Messages: `stats`, `reset`, `count` (login transactions stored), `expire` (moves its clock past
 * every login's expiry and purges, as the server's timer does), `exit`.
 */
const options = JSON.parse(process.env.LOAD_BRIDGE ?? '{}') as {
  port: number;
  issuer: string;
  clientId: string;
  clientSecret: string;
  spEntityId: string;
  acsUrl: string;
};

const offset = { ms: 0 };
const clock = { now: () => Date.now() + offset.ms };
const perRequest = new AsyncLocalStorage<{ upstreamMs: number }>();
const timedFetch: Fetch = async (input, init) => {
  const started = performance.now();
  try {
    return await fetch(input, init);
  } finally {
    const store = perRequest.getStore();
    if (store) store.upstreamMs += performance.now() - started;
  }
};

const logCounts: Record<string, number> = {};
const errors: string[] = [];
const logger: Logger = {
  log(level, event, fields) {
    logCounts[`${level} ${event}`] = (logCounts[`${level} ${event}`] ?? 0) + 1;
    if ((level === 'error' || level === 'warn') && errors.length < 20) errors.push(JSON.stringify({ level, event, ...fields }));
  },
};

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-load-'));
const app = await startStandalone({
  port: options.port,
  dataDir,
  logger,
  fetch: timedFetch,
  clock,
  purgeIntervalMs: 3_600_000,
  config: (serverUrl) => ({
    baseUrl: serverUrl,
    oidc: { issuer: options.issuer, clientId: options.clientId, clientSecret: options.clientSecret },
    serviceProvider: { entityId: options.spEntityId, acsUrl: options.acsUrl },
    allowedEmailDomains: ['example.com'],
  }),
});

interface Samples {
  sso: number[];
  callback: number[];
  callbackUpstream: number[];
  statuses: Record<string, number>;
}
let samples: Samples = { sso: [], callback: [], callbackUpstream: [], statuses: {} };
const handle = app.bridge.handle.bind(app.bridge);
app.bridge.handle = (request: BridgeRequest) => {
  const store = { upstreamMs: 0 };
  return perRequest.run(store, async () => {
    const started = performance.now();
    const response = await handle(request);
    const ms = performance.now() - started;
    const key = `${request.path} ${response.status}`;
    samples.statuses[key] = (samples.statuses[key] ?? 0) + 1;
    if (request.path === '/saml/sso' && response.status === 302) samples.sso.push(ms);
    if (request.path === '/oidc/callback' && response.status === 200) {
      samples.callback.push(ms);
      samples.callbackUpstream.push(store.upstreamMs);
    }
    return response;
  });
};

const peak = { heapMb: 0 };
setInterval(() => (peak.heapMb = Math.max(peak.heapMb, process.memoryUsage().heapUsed / 2 ** 20)), 50).unref();
let cpuAtReset = process.cpuUsage();

process.on('message', (message: { id: number; type: string }) => {
  const reply = (value: unknown) => process.send!({ id: message.id, value });
  switch (message.type) {
    case 'reset':
      samples = { sso: [], callback: [], callbackUpstream: [], statuses: {} };
      cpuAtReset = process.cpuUsage();
      return reply(true);
    case 'stats': {
      const cpu = process.cpuUsage(cpuAtReset);
      return reply({ ...samples, logCounts, errors, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, peakHeapMb: peak.heapMb });
    }
    case 'count':
      return reply(app.store.countKeys(storageKeys.login('')));
    case 'expire': {
      offset.ms += (app.config!.loginTimeoutSeconds + 120) * 1000;
      const purged = app.store.purgeExpired();
      return reply({ purged, left: app.store.countKeys(storageKeys.login('')) });
    }
    case 'exit':
      void app.close().then(() => {
        fs.rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
      return;
  }
});
process.send!({ type: 'ready', baseUrl: app.baseUrl });
