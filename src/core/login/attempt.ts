import type { BridgeConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import type { Ports } from '../ports.js';
import type { ProviderConfigurationCache } from '../../upstream-oidc/upstream-oidc.js';
import type { LoginCounter } from './steps/admit-login.js';

/**
 * The login pipeline (`sp-login.ts`, `connection-test.ts`): SSO URL → (provider choice) →
 * provider → callback → SAML response, as a list of small named steps (`steps/`, one file
 * each). The legs are joined by a login transaction (`transaction.ts`) kept in the store under
 * the OIDC `state`, single use, with its own expiry. What a leg learns about the attempt
 * (connection, provider, user, message ids) goes into its `Attempt`, which the router records
 * once in the audit trail, whether the leg answers or is refused.
 */

/** Everything a step needs besides the configuration; built by the bridge per request. */
export interface LoginContext {
  ports: Ports;
  providerCache: ProviderConfigurationCache;
  allowLoopbackHttp: boolean;
  /** The bound on SP-initiated logins per window (`LoginCounter`); default `LIVE_LOGIN_LIMIT_DEFAULT`. */
  liveLoginLimit?: number;
  /** Counts the logins this instance admits toward that bound (SP-initiated logins need it). */
  loginCounter?: LoginCounter;
}

/** What one login attempt has shown so far: the audit record in the making (no secret, ever). */
export interface Attempt {
  /** The reference on the end user's page; the same for both legs of a login. */
  reference: string;
  /** When the first leg started (ms). */
  startedAt: number;
  flow?: 'sp' | 'test' | 'idp';
  connectionId?: string;
  providerId?: string;
  email?: string;
  subject?: string;
  samlRequestId?: string;
  samlResponseId?: string;
  /**
   * Whether the router records this request: `on_refusal` for a first leg (its success is
   * recorded by the callback that ends it), `always` for the leg that ends an attempt.
   */
  record?: 'on_refusal' | 'always';
  /** Counted toward the installation's login bound already (`LoginCounter.admit`). */
  admitted?: boolean;
}

/** What the OIDC half needs of a login context, for one provider. */
export function upstreamContext(context: LoginContext, config: BridgeConfig) {
  return { config, fetch: context.ports.fetch, allowLoopbackHttp: context.allowLoopbackHttp, cache: context.providerCache, clientKeys: context.ports };
}

/** Storage failures become one clear code; the half-written state is none (each step writes once). */
export async function guardStorage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError('storage_unavailable', (error as Error)?.message?.slice(0, 200), { cause: error });
  }
}
