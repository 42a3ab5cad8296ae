import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BridgeCaches, createBridge, type Bridge, type ConfigSource } from '../core/bridge.js';
import { parseConfig, type BridgeConfig, type RawConfig } from '../core/config.js';
import { cryptoRandom, jsonLogger, systemClock } from '../core/default-ports.js';
import type { Clock, Fetch, Logger, Ports } from '../core/ports.js';
import { serveBridge, writeResponse } from './http-adapter.js';
import { SqliteStore } from './sqlite-store.js';

/** A handler for requests below a path prefix, such as the demo peers. */
export interface Mount {
  prefix: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse): void | Promise<void>;
}

export interface StandaloneOptions {
  port: number;
  /** Interface to listen on; default 127.0.0.1 (use 0.0.0.0 to serve others deliberately). */
  host?: string;
  dataDir: string;
  /**
   * The configuration, as the JSON file holds it, or a function of the server's own URL (for
   * port 0 in tests, and demo mode). Absent: the configuration the wizard saved in the store.
   */
  config?: RawConfig | ((serverUrl: string) => RawConfig);
  /** 32-byte key for secrets at rest; default a 0600 key file in `dataDir`. */
  secretKey?: Buffer;
  logger?: Logger;
  fetch?: Fetch;
  /** Default: the system clock. Tests pass a clock they can move. */
  clock?: Clock;
  /** Extra handlers mounted beside the bridge once the URL is known (demo mode). */
  mounts?: (context: { serverUrl: string; bridge: Bridge; config: BridgeConfig | undefined }) => Promise<Mount[]>;
  /** How often expired login transactions are purged. */
  purgeIntervalMs?: number;
}

export interface StandaloneApp {
  /** Where the server listens, e.g. http://127.0.0.1:8080. */
  serverUrl: string;
  /** The bridge's base URL (from the configuration, else the server URL). */
  baseUrl: string;
  bridge: Bridge;
  store: SqliteStore;
  config: BridgeConfig | undefined;
  caches: BridgeCaches;
  close(): Promise<void>;
}

/** Starts the standalone server: the same core as on Forge, on Node http and SQLite. */
export async function startStandalone(options: StandaloneOptions): Promise<StandaloneApp> {
  const logger = options.logger ?? jsonLogger();
  const clock = options.clock ?? systemClock;
  const store = new SqliteStore(clock, { dataDir: options.dataDir, secretKey: options.secretKey });
  const server = http.createServer();
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const serverUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let config: BridgeConfig | undefined;
  try {
    const raw = typeof options.config === 'function' ? options.config(serverUrl) : options.config;
    config = raw ? parseConfig(raw, { allowLoopbackHttp: true }) : undefined;
  } catch (error) {
    server.close();
    store.close();
    throw error;
  }
  const baseUrl = config?.baseUrl ?? serverUrl;
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const ports: Ports = {
    store,
    secrets: store,
    clock,
    random: cryptoRandom,
    logger,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  };
  const configSource: ConfigSource = async () => config;
  const caches = new BridgeCaches();
  const bridge = createBridge({ ports, config: configSource, baseUrl, allowLoopbackHttp: true, caches });
  const mounts = (await options.mounts?.({ serverUrl, bridge, config })) ?? [];

  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`) || (m.prefix === '/' && path === '/'));
    const work = mount ? mount.handle(req, res) : serveBridge(bridge, basePath, req, res);
    Promise.resolve(work).catch((error: unknown) => {
      logger.log('error', 'server.unhandled', { detail: (error as Error)?.message?.slice(0, 200) });
      if (!res.headersSent) writeResponse(res, { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Internal error\n' });
      else res.destroy();
    });
  });

  const purge = setInterval(() => {
    const purged = store.purgeExpired();
    if (purged) logger.log('debug', 'store.purged', { purged });
  }, options.purgeIntervalMs ?? 60_000);
  purge.unref();

  return {
    serverUrl,
    baseUrl,
    bridge,
    store,
    config,
    caches,
    async close() {
      clearInterval(purge);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
