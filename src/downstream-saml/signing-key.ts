import { BridgeError } from '../core/errors.js';
import type { Clock, SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { createSigningKey, toCredentials, type SigningCredentials, type SigningKey } from '../core/key-ring/key-pair.js';

// The key pair itself is shared with the OIDC client keys, so it lives in the core.
export { createSigningKey, normalizePem, SIGNING_KEY_BITS, toCredentials, type SigningCredentials, type SigningKey } from '../core/key-ring/key-pair.js';

/**
 * Returns a connection's signing key from secret storage, creating it on first use. The same key and
 * certificate come back on every later call, across restarts, until an admin rotates them:
 * the certificate is what the admin pasted into Atlassian Guard.
 */
export async function loadOrCreateSigningKey(
  secrets: SecretStore,
  clock: Clock,
  commonName: string,
  connectionId?: string,
  createKey: (clock: Clock, commonName: string) => Promise<SigningKey> = createSigningKey,
): Promise<SigningCredentials> {
  const key = storageKeys.signingKey(connectionId);
  const stored = await secrets.getSecret<SigningKey & Record<string, string>>(key);
  if (stored) {
    try {
      return toCredentials(stored);
    } catch (error) {
      // A key and certificate that do not belong together (or do not parse) would mint responses
      // no service provider can verify: the configuration is broken, not the request.
      throw new BridgeError('config_invalid', `stored signing key: ${(error as Error).message}`.slice(0, 200), { cause: error });
    }
  }
  const created = await createKey(clock, commonName);
  await secrets.setSecret(key, { ...created });
  // Two first uses at once each create a key and the last write wins: read back what is stored,
  // so every caller signs with the key whose certificate the metadata publishes.
  const winner = await secrets.getSecret<SigningKey & Record<string, string>>(key);
  return toCredentials(winner ?? created);
}
