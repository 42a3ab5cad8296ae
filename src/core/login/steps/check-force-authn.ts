import type { BridgeConfig } from '../../config.js';
import { BridgeError } from '../../errors.js';
import type { SpLoginTransaction } from '../transaction.js';

/** A provider may ignore prompt=login; ForceAuthn holds only if the user authenticated after the login started (allowing for clock skew). */
export function checkForceAuthn(transaction: Pick<SpLoginTransaction, 'forceAuthn' | 'createdAt'>, authTime: number | undefined, config: BridgeConfig): void {
  if (transaction.forceAuthn && (authTime === undefined || authTime < transaction.createdAt - config.clockSkewSeconds * 1000)) {
    throw new BridgeError('oidc_id_token_invalid', 'ForceAuthn: no authentication since the login started (auth_time)');
  }
}
