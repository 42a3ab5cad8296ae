import type { BridgeRequest, BridgeResponse } from './http-types.js';
import type { BridgeConfig } from './config.js';
import type { Ports } from './ports.js';

/**
 * Where the current configuration comes from: a config file (standalone), or the store the
 * wizard writes to (Forge and standalone). Called once per request; implementations may cache.
 * Returns undefined while nothing is configured.
 */
export type ConfigSource = () => Promise<BridgeConfig | undefined>;

export interface BridgeOptions {
  ports: Ports;
  config: ConfigSource;
  /** Accept `http://` provider URLs on loopback hosts: local runs and tests only, never Forge. */
  allowLoopbackHttp: boolean;
}

export interface Bridge {
  /** Serves `/saml/sso` (GET, POST), `/oidc/callback` (GET), `/saml/metadata` (GET) and `/healthz`. */
  handle(request: BridgeRequest): Promise<BridgeResponse>;
}

export function createBridge(options: BridgeOptions): Bridge {
  void options;
  throw new TypeError('not implemented yet');
}
