import { BridgeCaches, createBridge, type Bridge } from '../../src/core/bridge.js';
import { directoryFromConfig, type BridgeDirectory } from '../../src/core/connections/directory.js';
import type { AuditTrail } from '../../src/core/audit/audit-trail.js';
import { MemoryAuditTrail } from './memory-audit-trail.js';
import { parseConfig, type BridgeConfig, type RawConfig } from '../../src/core/config.js';
import { cryptoRandom } from '../../src/core/default-ports.js';
import type { BridgeRequest, BridgeResponse } from '../../src/core/http-types.js';
import type { Ports } from '../../src/core/ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createSigningKey, type SigningKey } from '../../src/downstream-saml/signing-key.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from './peer-names.js';
import { MemoryStore, MovableClock, recordingLogger } from './memory-ports.js';
import { authnRequestXml, redirectEncode } from './saml-messages.js';
import { createStubProvider, type StubProvider } from './stub-provider.js';

/**
 * The core bridge called in-process, as the Forge adapter calls it (https only, no loopback
 * http), with in-memory ports and the stub provider: thousands of requests a second, for the
 * fuzzers and the storage-failure cases.
 */

export const IN_PROCESS_BASE_URL = 'https://bridge.test';
export const IN_PROCESS_ISSUER = 'https://idp.test';

export interface InProcessBridge {
  bridge: Bridge;
  config: BridgeConfig;
  store: MemoryStore;
  clock: MovableClock;
  logger: ReturnType<typeof recordingLogger>;
  provider: StubProvider;
  caches: BridgeCaches;
  audit: AuditTrail;
  /** GET `path` with the query given. */
  get(path: string, query?: Record<string, string[]>, headers?: Record<string, string[]>): Promise<BridgeResponse>;
  handle(request: BridgeRequest): Promise<BridgeResponse>;
  /**
   * Replaces the configuration the bridge serves from now on (as an admin's save would), for
   * logins in flight too; the provider stays the same.
   */
  reconfigure(change: (base: RawConfig) => RawConfig): void;
  /**
   * Serves a directory reshaped from the configuration's (a second provider, a connection that
   * is not ready): what a stored connections document gives, without building one.
   */
  reshapeDirectory(change: (directory: BridgeDirectory, config: BridgeConfig) => BridgeDirectory): void;
  /** Starts a valid login at the SSO URL; returns the redirect, its state and the binding cookie. */
  startLogin(relayState?: string): Promise<{ response: BridgeResponse; location: string; state: string; cookie: string | undefined }>;
}

/**
 * One signing key for every in-process bridge of a test file, stored before the bridge starts
 * as an earlier login would have: its creation (RSA key, node-forge certificate) would otherwise
 * cost more CPU than the login it serves. Created once, it is read back like any stored key.
 */
let sharedSigningKey: Promise<SigningKey> | undefined;

export async function inProcessBridge(
  options: {
    config?: (base: RawConfig) => RawConfig;
    /** Serve the wizard's connection tests too, with this configuration. */
    connectionTests?: boolean;
    /** Where attempts are recorded; default an in-memory trail (`audit`). */
    audit?: AuditTrail;
    /** The bound on SP-initiated logins (`BridgeOptions.liveLoginLimit`). */
    liveLoginLimit?: number;
  } = {},
): Promise<InProcessBridge> {
  const base: RawConfig = {
    baseUrl: IN_PROCESS_BASE_URL,
    oidc: { issuer: IN_PROCESS_ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
    allowedEmailDomains: ['example.com'],
  };
  const initial = options.config ? options.config(base) : base;
  const config = parseConfig(initial, { allowLoopbackHttp: false });
  const provider = await createStubProvider({
    issuer: config.oidc.issuer,
    clientId: config.oidc.clientId,
    clientSecret: config.oidc.clientSecret!,
    redirectUri: config.urls.callback,
  });
  const clock = new MovableClock();
  const store = new MemoryStore(clock);
  const logger = recordingLogger();
  sharedSigningKey ??= createSigningKey(clock, new URL(config.baseUrl).host);
  await store.setSecret(storageKeys.signingKey(config.connectionId), { ...(await sharedSigningKey) });
  const ports: Ports = { store, secrets: store, clock, random: cryptoRandom, logger, fetch: provider.fetch };
  const caches = new BridgeCaches();
  let directory = directoryFromConfig(config);
  const audit = options.audit ?? new MemoryAuditTrail(clock);
  const bridge = createBridge({
    audit,
    ports,
    directory: async () => directory,
    baseUrl: config.baseUrl,
    allowLoopbackHttp: false,
    caches,
    ...(options.liveLoginLimit !== undefined ? { liveLoginLimit: options.liveLoginLimit } : {}),
    ...(options.connectionTests ? { testConfig: async () => ({ config, checksDomains: true, providerFingerprint: 'in-process' }) } : {}),
  });
  const handle = (request: BridgeRequest) => bridge.handle(request);
  const get = (path: string, query: Record<string, string[]> = {}, headers: Record<string, string[]> = {}) =>
    handle({ method: 'GET', path, query, headers, body: '' });
  return {
    bridge,
    config,
    store,
    clock,
    logger,
    provider,
    caches,
    audit,
    get,
    handle,
    reconfigure(change) {
      directory = directoryFromConfig(parseConfig(change(initial), { allowLoopbackHttp: false }));
    },
    reshapeDirectory(change) {
      directory = change(directoryFromConfig(config), config);
    },
    async startLogin(relayState) {
      const query: Record<string, string[]> = { SAMLRequest: [redirectEncode(authnRequestXml())] };
      if (relayState !== undefined) query.RelayState = [relayState];
      const response = await get('/saml/sso', query);
      if (response.status !== 302) throw new Error(`the login did not start: ${response.status} ${response.headers['X-Bridge-Error']}`);
      const location = response.headers.Location!;
      const state = new URL(location).searchParams.get('state')!;
      const cookie = response.cookies?.[0]?.split(';')[0];
      return { response, location, state, cookie };
    },
  };
}
