import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { BridgeError } from '../core/errors.js';
import type { Clock, KeyValueStore, RandomSource, RevisedValue, SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { raiseSigningKeyRevision } from '../core/connections/connections-document.js';
import { createSigningKey, loadOrCreateSigningKey, normalizePem, toCredentials, type SigningCredentials, type SigningKey } from './signing-key.js';

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

/** One key of the ring, as the ring records it: its id and public certificate, never the private key. */
export interface KeyRingEntry {
  id: string;
  /** Normalised PEM (`normalizePem`). */
  certificatePem: string;
  /** SHA-256 of the DER certificate, `AA:BB:…` as node's `X509Certificate.fingerprint256`. */
  fingerprint: string;
  /** ISO time the certificate stops being valid. */
  notAfter: string;
  /** When the key was made (ms). */
  createdAt: number;
}

export interface KeyRing {
  /** Raised by every change; what warm instances' caches follow. */
  revision: number;
  active: KeyRingEntry & { activatedAt?: number };
  next?: KeyRingEntry;
  /** The key `active` replaced, until `undoUntil` (ms). */
  previous?: KeyRingEntry & { retiredAt: number; undoUntil: number };
}

/** How long after a switch the previous key can be restored. */
export const UNDO_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** The id of the key an installation had before the ring: it stays at its old storage key. */
export const INITIAL_KEY_ID = 'initial';

const entrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  certificatePem: z.string().min(1).max(8192),
  fingerprint: z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/),
  notAfter: z.string(),
  createdAt: z.number(),
});
const ringSchema = z.object({
  revision: z.number().int().min(1),
  active: entrySchema.extend({ activatedAt: z.number().optional() }),
  next: entrySchema.optional(),
  previous: entrySchema.extend({ retiredAt: z.number(), undoUntil: z.number() }).optional(),
});
/**
 * What a deleted connection's ring leaves: its last revision, so a ring made later under the same
 * id (the first connection is always `default`) goes on from there. Revisions never repeat for an
 * id, so an instance's ring cached by revision can never pass for a later ring.
 */
const deletedRingSchema = z.strictObject({ revision: z.number().int().min(1), deleted: z.literal(true) });

type StoredRing = { ring?: KeyRing; deletedAt?: number };

/** What the ring functions need: the ports, and the common name a new certificate gets. */
export interface KeyRingPorts {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  random: RandomSource;
  /** The certificate's common name (the bridge's host). */
  commonName: string;
  /** Makes a key; tests pass a faster one. Default `createSigningKey`. */
  createKey?: (clock: Clock, commonName: string) => Promise<SigningKey>;
}

/** Where a key of the ring lives in secret storage. */
export function keySecretName(connectionId: string, keyId: string): string {
  return keyId === INITIAL_KEY_ID ? storageKeys.signingKey(connectionId) : storageKeys.signingKeyOf(connectionId, keyId);
}

/** The public entry of a key, from its certificate. */
export function entryOf(id: string, certificatePem: string, createdAt: number): KeyRingEntry {
  const certificate = new X509Certificate(certificatePem);
  return {
    id,
    certificatePem: normalizePem(certificatePem),
    fingerprint: certificate.fingerprint256,
    notAfter: new Date(certificate.validTo).toISOString(),
    createdAt,
  };
}

/** The stored ring, or nothing; a ring that does not parse is the configuration's fault. */
export async function readKeyRing(store: KeyValueStore, connectionId: string): Promise<KeyRing | undefined> {
  return (await readStoredRing(store, connectionId)).ring;
}

/** The stored ring, or the revision a deleted one reached (`deletedAt`), or nothing. */
async function readStoredRing(store: KeyValueStore, connectionId: string): Promise<StoredRing> {
  const raw = await store.get(storageKeys.signingKeyRing(connectionId));
  if (raw === undefined) return {};
  const deleted = deletedRingSchema.safeParse(raw);
  if (deleted.success) return { deletedAt: deleted.data.revision };
  const parsed = ringSchema.safeParse(raw);
  if (!parsed.success) throw new BridgeError('config_invalid', 'stored signing key ring does not parse');
  return { ring: parsed.data as KeyRing };
}

/**
 * The connection's ring, made on first use. An installation from before the ring keeps its key
 * and certificate (what the admin pasted into Guard): its one key becomes the ring's active key,
 * where it is. A fresh one gets its first key the same way (`loadOrCreateSigningKey`).
 */
export async function ensureKeyRing(ports: KeyRingPorts, connectionId: string): Promise<KeyRing> {
  const stored = await readStoredRing(ports.store, connectionId);
  if (stored.ring) return stored.ring;
  const credentials = await loadOrCreateSigningKey(ports.secrets, ports.clock, ports.commonName, connectionId, ports.createKey);
  const legacy = await ports.secrets.getSecret<SigningKey & Record<string, string>>(storageKeys.signingKey(connectionId));
  const createdAt = legacy?.createdAt ? Date.parse(legacy.createdAt) : ports.clock.now();
  const ring: KeyRing = {
    revision: (stored.deletedAt ?? 0) + 1,
    active: entryOf(INITIAL_KEY_ID, credentials.certificatePem, Number.isFinite(createdAt) ? createdAt : ports.clock.now()),
  };
  let made = ring;
  if (!(await ports.store.compareAndSet(storageKeys.signingKeyRing(connectionId), stored.deletedAt ?? null, toRevised(ring)))) {
    // Another first use made the ring meanwhile; both read the same first key, so theirs is ours.
    const winner = await readKeyRing(ports.store, connectionId);
    if (!winner) throw new BridgeError('storage_unavailable', 'signing key ring vanished while being created');
    made = winner;
  }
  // Announced after the write, unlike a change: until now no record named a revision of this
  // ring, so no instance can have cached it. Failing to announce only leaves caching off.
  await announceRevision(ports, connectionId, made.revision);
  return made;
}

/**
 * Raises the revision the connection's record announces (`raiseSigningKeyRevision`); false if the
 * connections document could not be written (store down, or other changes kept winning).
 */
async function announceRevision(ports: KeyRingPorts, connectionId: string, revision: number): Promise<boolean> {
  try {
    return await raiseSigningKeyRevision(ports.store, connectionId, revision);
  } catch {
    return false;
  }
}

/**
 * The private key of one entry, checked against the entry: the key signs, the entry's certificate
 * is what the metadata publishes and the response carries, so they must be the same.
 */
export async function loadRingKey(secrets: SecretStore, connectionId: string, entry: KeyRingEntry): Promise<SigningCredentials> {
  const stored = await secrets.getSecret<SigningKey & Record<string, string>>(keySecretName(connectionId, entry.id));
  if (!stored) throw new BridgeError('config_invalid', `signing key ${entry.id} of the ring is missing from secret storage`);
  let credentials: SigningCredentials;
  try {
    credentials = toCredentials(stored);
  } catch (error) {
    throw new BridgeError('config_invalid', `stored signing key: ${(error as Error).message}`.slice(0, 200), { cause: error });
  }
  if (credentials.fingerprint !== entry.fingerprint) {
    throw new BridgeError('config_invalid', `signing key ${entry.id} does not hold the certificate the ring names`);
  }
  return credentials;
}

/** Why a ring change was not made. */
export type KeyRingRefusal =
  | 'conflict' // another change came first: nothing was written
  | 'no_next' // nothing prepared to activate or discard
  | 'next_changed' // the next certificate is not the one the admin saw (and saved in Guard)
  | 'no_previous' // nothing to restore
  | 'previous_changed'
  | 'undo_expired'; // the previous key's seven days are over

export type KeyRingChange = { ok: true; ring: KeyRing } | { ok: false; reason: KeyRingRefusal; ring: KeyRing };

/**
 * Prepares the next key: a new key and certificate beside the active one (same algorithm and
 * validity as the first). A next key prepared earlier is replaced, and deleted once the ring no
 * longer names it. `given`: a key restored from a backup (checked against its certificate by the
 * caller) instead of a new one; it waits as the next key like any other, so restoring it never
 * switches what signs.
 */
export async function prepareNextKey(ports: KeyRingPorts, connectionId: string, given?: SigningKey): Promise<KeyRingChange> {
  const ring = await ensureKeyRing(ports, connectionId);
  const id = newKeyId(ports.random);
  const key = given ?? (await (ports.createKey ?? createSigningKey)(ports.clock, ports.commonName));
  const secretName = keySecretName(connectionId, id);
  await ports.secrets.setSecret(secretName, { ...key });
  const next = entryOf(id, key.certificatePem, ports.clock.now());
  const written = await writeRing(ports, connectionId, ring, { ...pruned(ring, ports.clock.now()), next });
  if (!written.ok) {
    await ports.secrets.deleteSecret(secretName);
    return written;
  }
  await forgetKeys(ports.secrets, connectionId, ring, written.ring);
  return written;
}

/**
 * Makes the next key the active one: from the next login on, responses are signed with it.
 * `fingerprint` is the next certificate the admin was shown and saved in Guard; another one
 * (a second admin prepared again meanwhile) is refused, since Guard would then reject every login.
 */
export async function activateNextKey(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  const ring = await ensureKeyRing(ports, connectionId);
  if (!ring.next) return { ok: false, reason: 'no_next', ring };
  if (ring.next.fingerprint !== fingerprint) return { ok: false, reason: 'next_changed', ring };
  const now = ports.clock.now();
  const { activatedAt: _activatedAt, ...retired } = ring.active;
  const written = await writeRing(ports, connectionId, ring, {
    active: { ...ring.next, activatedAt: now },
    previous: { ...retired, retiredAt: now, undoUntil: now + UNDO_WINDOW_MS },
  });
  if (written.ok) await forgetKeys(ports.secrets, connectionId, ring, written.ring);
  return written;
}

/**
 * Restores the previous key, within seven days of the switch (checked against the ring's own
 * time, not a storage expiry). The key that was active becomes the next one again, so the
 * switch can be made once more without a new certificate.
 */
export async function undoActivation(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  const ring = await ensureKeyRing(ports, connectionId);
  if (!ring.previous) return { ok: false, reason: 'no_previous', ring };
  if (ring.previous.fingerprint !== fingerprint) return { ok: false, reason: 'previous_changed', ring };
  if (ports.clock.now() >= ring.previous.undoUntil) return { ok: false, reason: 'undo_expired', ring };
  const { retiredAt: _retiredAt, undoUntil: _undoUntil, ...restored } = ring.previous;
  const { activatedAt: _activatedAt, ...undone } = ring.active;
  const written = await writeRing(ports, connectionId, ring, { active: restored, next: undone });
  if (written.ok) await forgetKeys(ports.secrets, connectionId, ring, written.ring);
  return written;
}

/** Drops the next key without activating it. */
export async function discardNextKey(ports: KeyRingPorts, connectionId: string, fingerprint: string): Promise<KeyRingChange> {
  const ring = await ensureKeyRing(ports, connectionId);
  if (!ring.next) return { ok: false, reason: 'no_next', ring };
  if (ring.next.fingerprint !== fingerprint) return { ok: false, reason: 'next_changed', ring };
  const { next: _next, ...rest } = pruned(ring, ports.clock.now());
  const written = await writeRing(ports, connectionId, ring, rest);
  if (written.ok) await forgetKeys(ports.secrets, connectionId, ring, written.ring);
  return written;
}

/** Every key of a deleted connection: nothing of it may sign again. */
export async function deleteKeyRing(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string): Promise<void> {
  const raw = await ports.store.get(storageKeys.signingKeyRing(connectionId));
  const ring = ringSchema.safeParse(raw).data as KeyRing | undefined;
  for (const entry of [ring?.active, ring?.next, ring?.previous]) {
    if (entry) await ports.secrets.deleteSecret(keySecretName(connectionId, entry.id));
  }
  await ports.secrets.deleteSecret(storageKeys.signingKey(connectionId));
  // Not deleted: the revision stays (even of a ring that no longer parses), so a later ring under
  // this id is never taken for this one.
  const last = (raw as { revision?: unknown } | undefined)?.revision;
  const revision = (typeof last === 'number' && Number.isSafeInteger(last) && last > 0 ? last : 0) + 1;
  await ports.store.set(storageKeys.signingKeyRing(connectionId), { revision, deleted: true });
}

/** The ring without a previous key whose undo time is over. */
function pruned(ring: KeyRing, now: number): Omit<KeyRing, 'revision'> {
  const { revision: _revision, ...rest } = ring;
  if (rest.previous && now >= rest.previous.undoUntil) delete rest.previous;
  return rest;
}

async function writeRing(ports: KeyRingPorts, connectionId: string, before: KeyRing, after: Omit<KeyRing, 'revision'>): Promise<KeyRingChange> {
  const ring: KeyRing = { revision: before.revision + 1, ...after };
  // Announced first: from here on no instance takes its cached ring (revision `before`) as current.
  if (!(await announceRevision(ports, connectionId, ring.revision))) return { ok: false, reason: 'conflict', ring: before };
  const written = await ports.store.compareAndSet(storageKeys.signingKeyRing(connectionId), before.revision, toRevised(ring));
  if (written) return { ok: true, ring };
  return { ok: false, reason: 'conflict', ring: (await readKeyRing(ports.store, connectionId)) ?? before };
}

/** Deletes the keys `before` named and `after` no longer does, once `after` is stored. */
async function forgetKeys(secrets: SecretStore, connectionId: string, before: KeyRing, after: KeyRing): Promise<void> {
  const kept = new Set([after.active.id, after.next?.id, after.previous?.id]);
  for (const entry of [before.active, before.next, before.previous]) {
    if (entry && !kept.has(entry.id)) await secrets.deleteSecret(keySecretName(connectionId, entry.id));
  }
}

function newKeyId(random: RandomSource): string {
  return random.token(12).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'k';
}

function toRevised(ring: KeyRing): RevisedValue {
  return JSON.parse(JSON.stringify(ring)) as RevisedValue;
}
