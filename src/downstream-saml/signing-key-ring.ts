import { BridgeError } from '../core/errors.js';
import type { KeyValueStore, SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { raiseSigningKeyRevision } from '../core/connections/connections-document.js';
import {
  activateNextAt,
  deleteRingAt,
  discardNextAt,
  ensureRing,
  loadKeyAt,
  prepareNextAt,
  readRingAt,
  undoActivationAt,
  type KeyRing,
  type KeyRingChange,
  type KeyRingEntry,
  type RingChangePorts,
  type RingPlace,
} from '../core/key-ring/key-ring.js';
import { loadOrCreateSigningKey, type SigningCredentials, type SigningKey } from './signing-key.js';

export { entryOf, UNDO_WINDOW_MS, type KeyRing, type KeyRingChange, type KeyRingEntry, type KeyRingRefusal } from '../core/key-ring/key-ring.js';

/**
 * A connection's signing keys as a ring (node-oidc-provider's `jwks` model): the active key signs
 * every response; a next one, while an admin prepares a rotation, is published beside it in the
 * metadata; the previous one is kept for seven days after a switch so the switch can be undone.
 *
 * Atlassian Guard has one certificate field and no overlap (PLATFORM.md), so the switch happens
 * when the admin says the next certificate is saved in Guard, never on a timer.
 *
 * Where things live: the ring (ids, public certificates, revision) in the key-value store under
 * compare-and-set, because secret storage has no compare-and-set on either host; each private key
 * in secret storage at its own key, written once and never overwritten. So two admins preparing
 * or activating at once cannot lose a key: the loser's write of the ring is refused, and what it
 * wrote to secret storage is a key nobody references, which it deletes.
 *
 * Warm instances cache the ring by revision and read it again only when the connection's record
 * in the connections document (read by every SSO request anyway) announces a newer one. So every
 * change announces its revision there *before* writing the ring, and a change whose announcement
 * fails is not made: the ring's revision is never ahead of the announced one, and an instance
 * never keeps signing with a key that was replaced (see `bridge.ts`, `activeSigningKey`).
 */

/** The id of the key an installation had before the ring: it stays at its old storage key. */
export const INITIAL_KEY_ID = 'initial';

/** What the signing ring functions need (`RingChangePorts`). */
export type KeyRingPorts = RingChangePorts;

/** Where a key of the signing ring lives in secret storage. */
export function keySecretName(connectionId: string, keyId: string): string {
  return keyId === INITIAL_KEY_ID ? storageKeys.signingKey(connectionId) : storageKeys.signingKeyOf(connectionId, keyId);
}

/**
 * A connection's signing ring. An installation from before the ring keeps its key and
 * certificate (what the admin pasted into Guard): its one key becomes the ring's active key,
 * where it is. A fresh one gets its first key the same way (`loadOrCreateSigningKey`).
 */
function signingPlace(ports: KeyRingPorts, connectionId: string): RingPlace {
  return {
    what: 'signing key',
    ringKey: storageKeys.signingKeyRing(connectionId),
    secretName: (keyId) => keySecretName(connectionId, keyId),
    announce: (revision) => announceRevision(ports.store, connectionId, revision),
    firstKey: async () => {
      const credentials = await loadOrCreateSigningKey(ports.secrets, ports.clock, ports.commonName, connectionId, ports.createKey);
      const legacy = await ports.secrets.getSecret<SigningKey & Record<string, string>>(storageKeys.signingKey(connectionId));
      const createdAt = legacy?.createdAt ? Date.parse(legacy.createdAt) : ports.clock.now();
      return { id: INITIAL_KEY_ID, certificatePem: credentials.certificatePem, createdAt: Number.isFinite(createdAt) ? createdAt : ports.clock.now() };
    },
    otherSecrets: [storageKeys.signingKey(connectionId)],
  };
}

/** The stored ring, or nothing; a ring that does not parse is the configuration's fault. */
export async function readKeyRing(store: KeyValueStore, connectionId: string): Promise<KeyRing | undefined> {
  return readRingAt(store, { what: 'signing key', ringKey: storageKeys.signingKeyRing(connectionId) });
}

/** The connection's signing ring, made on first use (`signingPlace`). */
export function ensureKeyRing(ports: KeyRingPorts, connectionId: string): Promise<KeyRing> {
  return ensureRing(signingPlace(ports, connectionId), ports.store);
}

/**
 * Raises the revision the connection's record announces (`raiseSigningKeyRevision`); false if the
 * connections document could not be written (store down, or other changes kept winning).
 */
async function announceRevision(store: KeyValueStore, connectionId: string, revision: number): Promise<boolean> {
  try {
    return await raiseSigningKeyRevision(store, connectionId, revision);
  } catch {
    return false;
  }
}

/**
 * The private key of one entry, checked against the entry: the key signs, the entry's certificate
 * is what the metadata publishes and the response carries, so they must be the same.
 */
export function loadRingKey(secrets: SecretStore, connectionId: string, entry: KeyRingEntry): Promise<SigningCredentials> {
  return loadKeyAt(secrets, { what: 'signing key', secretName: (keyId) => keySecretName(connectionId, keyId) }, entry);
}

/**
 * Prepares the next signing key (`prepareNextAt`). `given`: a key restored from a backup
 * (checked against its certificate by the caller) instead of a new one; it waits as the next
 * key like any other, so restoring it never switches what signs.
 */
export function prepareNextKey(ports: KeyRingPorts, connectionId: string, given?: SigningKey): Promise<KeyRingChange> {
  return prepareNextAt(ports, signingPlace(ports, connectionId), given);
}

/** Makes the next signing key the active one once Guard holds its certificate (`activateNextAt`). */
export function activateNextKey(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  return activateNextAt(ports, signingPlace(ports, connectionId), fingerprint);
}

/** Restores the previous signing key within its seven days (`undoActivationAt`). */
export function undoActivation(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  return undoActivationAt(ports, signingPlace(ports, connectionId), fingerprint);
}

/** Drops the next signing key (`discardNextAt`). */
export function discardNextKey(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  return discardNextAt(ports, signingPlace(ports, connectionId), fingerprint);
}

/** Every key of a deleted connection: nothing of it may sign again. */
export function deleteKeyRing(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string): Promise<void> {
  return deleteRingAt(ports, {
    ringKey: storageKeys.signingKeyRing(connectionId),
    secretName: (keyId) => keySecretName(connectionId, keyId),
    otherSecrets: [storageKeys.signingKey(connectionId)],
  });
}

