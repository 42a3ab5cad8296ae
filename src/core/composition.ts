import type { AuditTrail } from './audit/audit-trail.js';
import { BridgeCaches, createBridge, type Bridge } from './bridge.js';
import type { BridgeConfig } from './config.js';
import { createStoredDirectorySources, directoryFromConfig } from './connections/directory.js';
import type { Ports } from './ports.js';

/**
 * The one place where the bridge is put together, for both hosts: the Forge web trigger and the
 * standalone server call this with their ports and only translate requests and responses.
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
}

export function composeBridge(composition: BridgeComposition): Bridge {
  const { ports, baseUrl, allowLoopbackHttp, caches, audit } = composition;
  if (composition.fixedConfig) {
    const directory = directoryFromConfig(composition.fixedConfig);
    return createBridge({ ports, baseUrl, allowLoopbackHttp, caches, audit, directory: async () => directory });
  }
  const stored = createStoredDirectorySources({
    store: ports.store,
    secrets: ports.secrets,
    baseUrl,
    allowLoopbackHttp,
    once: composition.readOnce,
    cache: caches,
  });
  return createBridge({ ports, baseUrl, allowLoopbackHttp, caches, audit, directory: stored.directory, testConfig: stored.test });
}

export { BridgeCaches };
