import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AdminSettings } from '../core/admin/admin-api-types.js';
import { BridgeCaches, type Bridge } from '../core/bridge.js';
import { composeAdminContext, composeBridge } from '../core/composition.js';
import type { AuditTrail } from '../core/audit/audit-trail.js';
import { isLoopbackUrl, parseConfig, type BridgeConfig, type RawConfig } from '../core/config.js';
import { cryptoRandom, jsonLogger, systemClock } from '../core/default-ports.js';
import type { Clock, Fetch, Logger, Ports } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { createAdminHandler, type AdminHandler } from './admin-http.js';
import { hashToken, setUpAdminToken, SINGLE_TOKEN_IDENTITY } from './admin-token.js';
import { AdminRateLimiter, type AdminRateLimitPolicy } from './admin-rate-limit.js';
import { adminTokenFile, writePrivateFile } from './data-dir.js';
import { guardedFetch } from './egress-guard.js';
import { serveBridge, writeResponse } from './http-adapter.js';
import { escapeHtml, htmlHeaders } from '../core/html.js';
import type { BridgeResponse } from '../core/http-types.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteAuditTrail } from './sqlite-audit-trail.js';
import { KEY_AUTH_METHOD } from '../core/config-fields.js';
import { clientJwksUrl, ensureClientKeyRing } from '../upstream-oidc/client-key-ring.js';

/**
 * The built setup wizard, static/admin/build of the project: two levels above this module in the
 * sources (src/standalone), three in the build (dist/src/standalone, see tsconfig.build.json).
 */
export const DEFAULT_ADMIN_UI_DIR = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/standalone/') ? '../../../static/admin/build/' : '../../static/admin/build/', import.meta.url),
);

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
   * port 0 in tests). Absent: the configuration the wizard saved in the store, read on every
   * request (a saved change applies from the next login on), with the wizard at `/admin`.
   */
  config?: RawConfig | ((serverUrl: string) => RawConfig);
  /**
   * The public URL when it is not the listen URL (a reverse proxy; demo mode's `localhost`).
   * Ignored with a fixed `config`, which names its own.
   */
  baseUrl?: string | ((serverUrl: string) => string);
  /**
   * Settings (and client secret) written to the store at every start, as if saved through the
   * wizard: demo mode's configuration, which the wizard then shows and may change until the
   * next start. Only without a fixed `config`.
   */
  seed?: (baseUrl: string) => { settings: AdminSettings; clientSecret: string };
  /**
   * The admin token for `/admin` (`BRIDGE_ADMIN_TOKEN`). Absent: the one generated at an
   * earlier start (its hash is stored), else a new one, reported once in `admin.generatedToken`.
   */
  adminToken?: string;
  /**
   * Named admin tokens (`BRIDGE_ADMIN_TOKENS`), each acting as its identity: who becomes an SSO
   * owner, and who the audit trail names. Given alone, no token is generated.
   */
  adminTokens?: { identity: string; token: string }[];
  /** Replace the stored admin token with a newly generated one. */
  resetAdminToken?: boolean;
  /** How wrong admin tokens are slowed down and refused; default `DEFAULT_ADMIN_RATE_LIMIT`. */
  adminRateLimit?: AdminRateLimitPolicy;
  /** Where the built wizard lives; default `static/admin/build`. */
  adminUiDir?: string;
  /** 32-byte key for secrets at rest; default a 0600 key file in `dataDir`. */
  secretKey?: Buffer;
  logger?: Logger;
  /** Default: the global fetch behind the egress guard (`egress-guard.ts`). */
  fetch?: Fetch;
  /** Let provider calls reach private and link-local addresses (`BRIDGE_ALLOW_PRIVATE_NETWORK=1`). */
  allowPrivateNetwork?: boolean;
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
  /** Every login attempt and configuration change (`audit/query` in the admin API). */
  audit: AuditTrail;
  /** The fixed configuration; undefined when the wizard's stored configuration is used. */
  config: BridgeConfig | undefined;
  caches: BridgeCaches;
  /** The wizard, present when the configuration comes from the store. */
  admin?: {
    url: string;
    /** `named`: only named tokens (`adminTokens`). */
    tokenSource: 'given' | 'stored' | 'generated' | 'named';
    /** A token generated by this start: show it once; kept in clear only in `tokenFile`. */
    generatedToken?: string;
    /** The 0600 file in the data directory that holds a generated token (absent for a given one). */
    tokenFile?: string;
  };
  close(): Promise<void>;
}

const PLAIN_TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' } as const;

function publicBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`The base URL "${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    throw new TypeError(`The base URL "${value}" must be https:// (http:// only on 127.0.0.1 or localhost)`);
  }
  if (url.search || url.hash || url.username || url.password) throw new TypeError(`The base URL "${value}" must not have a query, fragment or credentials`);
  return url.href.replace(/\/+$/, '');
}

/** Starts the standalone server: the same core as on Forge, on Node http and SQLite. */
export async function startStandalone(options: StandaloneOptions): Promise<StandaloneApp> {
  const logger = options.logger ?? jsonLogger();
  const clock = options.clock ?? systemClock;
  const store = new SqliteStore(clock, { dataDir: options.dataDir, secretKey: options.secretKey });
  const server = http.createServer();
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  // The server listens before it is ready (the configuration and the demo peers depend on the
  // URL it got, port 0 in tests), so a request can arrive before the bridge exists. Without a
  // handler Node would hold such a request open forever; until `handler` is set it is answered
  // 503 with Retry-After, which load balancers and health checks understand.
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  server.on('request', (req, res) => {
    if (handler) return handler(req, res);
    req.resume();
    writeResponse(res, { status: 503, headers: { ...PLAIN_TEXT, 'Retry-After': '1', Connection: 'close' }, body: 'Starting, try again in a moment\n' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const serverUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let config: BridgeConfig | undefined;
  let baseUrl: string;
  try {
    const raw = typeof options.config === 'function' ? options.config(serverUrl) : options.config;
    config = raw ? parseConfig(raw, { allowLoopbackHttp: true }) : undefined;
    const wanted = typeof options.baseUrl === 'function' ? options.baseUrl(serverUrl) : options.baseUrl;
    baseUrl = config?.baseUrl ?? (wanted ? publicBaseUrl(wanted) : serverUrl);
  } catch (error) {
    server.close();
    store.close();
    throw error;
  }
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const ports: Ports = {
    store,
    secrets: store,
    clock,
    random: cryptoRandom,
    logger,
    // Every provider call (discovery, token, userinfo, JWKS) goes through the egress guard.
    fetch: options.fetch ?? guardedFetch({ allowPrivateNetwork: options.allowPrivateNetwork ?? false }),
  };
  const caches = new BridgeCaches();
  // Without a configuration file, the stored connections are read on every request (what the
  // wizard saved is what the next login uses, without a restart); they are checked again, and a
  // secret read, only when they changed.
  // The audit trail lives in the same database file as everything else.
  const audit = new SqliteAuditTrail(clock, { db: store.database });
  const bridge = composeBridge({ ports, baseUrl, allowLoopbackHttp: true, caches, fixedConfig: config, audit });
  if (config?.oidc.clientAuthMethod === KEY_AUTH_METHOD) {
    // A configuration file has no wizard to make the client key: it is made at the first start,
    // kept in the data directory's secret storage, and its public JWKS served for the provider.
    await ensureClientKeyRing({ ...ports, commonName: new URL(baseUrl).host }, config.connectionId, config.providerId);
    logger.log('info', 'client_key.ready', { jwks: clientJwksUrl(baseUrl, config.connectionId, config.providerId) });
  }

  let admin: AdminHandler | undefined;
  let adminInfo: StandaloneApp['admin'];
  try {
    if (!config) {
      if (options.seed) {
        const seed = options.seed(baseUrl);
        await store.set(storageKeys.config(), JSON.parse(JSON.stringify(seed.settings)));
        await store.setSecret(storageKeys.clientSecret(), seed.clientSecret);
      }
      const named = (options.adminTokens ?? []).map(({ identity, token }) => ({ identity, hash: hashToken(token) }));
      // Named tokens alone: no single token is generated (nor an earlier generated one kept).
      const token = named.length && options.adminToken === undefined ? undefined : await setUpAdminToken(store, { token: options.adminToken, reset: options.resetAdminToken });
      const tokens = [...(token ? [{ identity: SINGLE_TOKEN_IDENTITY, hash: token.hash }] : []), ...named];
      // A generated token also goes to a file only the server's user can read: a line on
      // stdout ends up in logs (systemd, docker) that others may read, and is lost on rotation.
      const tokenFile = token === undefined || token.source === 'given' ? undefined : adminTokenFile(options.dataDir);
      if (token?.generated) writePrivateFile(tokenFile!, `${token.generated}\n`);
      admin = createAdminHandler({
        basePath,
        ownOrigins: [...new Set([new URL(baseUrl).origin, new URL(serverUrl).origin])],
        tokens,
        uiDir: options.adminUiDir ?? DEFAULT_ADMIN_UI_DIR,
        logger,
        rateLimiter: new AdminRateLimiter(() => clock.now(), options.adminRateLimit),
        context: (actor) => composeAdminContext({ ports, baseUrl, host: 'standalone', actor, audit, bridge, caches }),
      });
      adminInfo = {
        url: `${baseUrl}/admin/`,
        tokenSource: token?.source ?? 'named',
        ...(token?.generated ? { generatedToken: token.generated } : {}),
        ...(tokenFile && fs.existsSync(tokenFile) ? { tokenFile } : {}),
      };
    }
  } catch (error) {
    server.close();
    store.close();
    throw error;
  }
  const mounts = (await options.mounts?.({ serverUrl, bridge, config })) ?? [];

  handler = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`) || (m.prefix === '/' && path === '/'));
    const work = admin?.matches(path)
      ? admin.handle(req, res)
      : mount
        ? mount.handle(req, res)
        : adminInfo && path === '/'
          ? writeResponse(res, adminLinkPage(adminInfo.url))
          : serveBridge(bridge, basePath, req, res);
    Promise.resolve(work).catch((error: unknown) => {
      logger.log('error', 'server.unhandled', { detail: (error as Error)?.message?.slice(0, 200) });
      if (!res.headersSent) writeResponse(res, { status: 500, headers: PLAIN_TEXT, body: 'Internal error\n' });
      else res.destroy();
    });
  };

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
    audit,
    config,
    caches,
    ...(adminInfo ? { admin: adminInfo } : {}),
    async close() {
      clearInterval(purge);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}

/**
 * What `/` answers in wizard mode: an admin who opens the server's address finds the way to the
 * admin page instead of a 404 (the bridge's own routes live under its base path).
 */
function adminLinkPage(adminUrl: string): BridgeResponse {
  const nonce = cryptoRandom.token(16);
  return {
    status: 200,
    headers: htmlHeaders({ nonce }),
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OIDC to SAML bridge</title></head><body><main><h1>OIDC to SAML bridge</h1><p>This server signs users in to Atlassian through Atlassian Guard. Set it up on the <a href="${escapeHtml(adminUrl)}">admin page</a>.</p></main></body></html>`,
  };
}
