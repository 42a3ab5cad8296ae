import type { AuditTrail } from './audit/audit-trail.js';
import { BridgeCaches, createBridge, type Bridge } from './bridge.js';
import type { BridgeConfig } from './config.js';
import { createStoredDirectorySources, directoryFromConfig } from './connections/directory.js';
import type { Ports } from './ports.js';
import type { AdminHost } from './admin/admin-api-types.js';
import type { AdminContext } from './admin/admin-context.js';
import { loadOrCreateSigningKey } from '../downstream-saml/signing-key.js';

/**
 * The one place where the bridge and the admin resolvers' context are put together, for both
 * hosts: the Forge functions and the standalone server call these with their ports and only
 * translate requests and responses.
 */
export interface BridgeComposition {
  ports: Ports;
  /** The public URL (Forge: the web trigger URL). */
  baseUrl: string;
  /** Accept `http://` on loopback hosts: the standalone server only, never Forge. */
  allowLoopbackHttp: boolean;
  caches: BridgeCaches;
  audit?: AuditTrail;
  /** A configuration file's single connection; absent, the stored connections the wizard manages. */
  fixedConfig?: BridgeConfig;
  /**
   * Read storage at most once for this bridge: right for one built per invocation (Forge); a
   * long-lived one (standalone) reads per request, so a saved change applies to the next login.
   */
  readOnce?: boolean;
  /** The bound on SP-initiated logins (`BridgeOptions.liveLoginLimit`); absent, the default. */
  liveLoginLimit?: number;
}

export function composeBridge(composition: BridgeComposition): Bridge {
  const { ports, baseUrl, allowLoopbackHttp, caches, audit } = composition;
  const limit = composition.liveLoginLimit !== undefined ? { liveLoginLimit: composition.liveLoginLimit } : {};
  if (composition.fixedConfig) {
    const directory = directoryFromConfig(composition.fixedConfig);
    return createBridge({ ports, baseUrl, allowLoopbackHttp, caches, audit, directory: async () => directory, ...limit });
  }
  const stored = createStoredDirectorySources({
    store: ports.store,
    secrets: ports.secrets,
    baseUrl,
    allowLoopbackHttp,
    once: composition.readOnce,
    cache: caches,
  });
  return createBridge({ ports, baseUrl, allowLoopbackHttp, caches, audit, directory: stored.directory, testConfig: stored.test, ...limit });
}

/** What a host knows when an admin calls a resolver. */
export interface AdminComposition {
  ports: Ports;
  baseUrl: string;
  /** Forge never accepts loopback http; the standalone server does, for local runs and tests. */
  host: AdminHost;
  /** Who is calling: the Atlassian account id, or `standalone-admin`. */
  actor: string;
  audit?: AuditTrail;
  /** The running bridge, when the host has one: its signing keys and provider cache are shared. */
  bridge?: Bridge;
  caches?: BridgeCaches;
}

/** The resolvers' context, for both hosts. */
export function composeAdminContext(composition: AdminComposition): AdminContext {
  const { ports, baseUrl, host, actor, audit, bridge, caches } = composition;
  return {
    ports,
    baseUrl,
    allowLoopbackHttp: host === 'standalone',
    host,
    actor,
    ...(audit ? { audit } : {}),
    ...(caches ? { providerCache: caches.provider } : {}),
    signingCredentials: bridge
      ? (connectionId) => bridge.signingCredentials(connectionId)
      : (connectionId) => loadOrCreateSigningKey(ports.secrets, ports.clock, new URL(baseUrl).host, connectionId),
  };
}

export { BridgeCaches };
