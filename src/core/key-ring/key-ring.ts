import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { BridgeError } from '../errors.js';
import type { Clock, KeyValueStore, RandomSource, RevisedValue, SecretStore } from '../ports.js';
import { createSigningKey, normalizePem, toCredentials, type SigningCredentials, type SigningKey } from './key-pair.js';

/**
 * A ring of keys (node-oidc-provider's `jwks` model): the active key signs; a next one, while an
 * admin prepares a rotation, is published beside it; the previous one is kept for seven days after
 * a switch so the switch can be undone. The same rotation serves the SAML signing keys of a
 * connection (`downstream-saml/signing-key-ring.ts`) and the client keys of each OpenID provider
 * (`upstream-oidc/client-key-ring.ts`); a `RingPlace` says where one ring lives.
 *
 * Where things live: the ring (ids, public certificates, revision) in the key-value store under
 * compare-and-set, because secret storage has no compare-and-set on either host; each private key
 * in secret storage at its own key, written once and never overwritten. So two admins preparing
 * or activating at once cannot lose a key: the loser's write of the ring is refused, and what it
 * wrote to secret storage is a key nobody references, which it deletes.
 *
 * A ring that warm instances cache announces every change's revision (`RingPlace.announce`)
 * *before* writing the ring, and a change whose announcement fails is not made.
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

/** What a ring change needs: the ports, and the common name a new certificate gets. */
export interface RingChangePorts {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  random: RandomSource;
  /** The certificate's common name (the bridge's host). */
  commonName: string;
  /** Makes a key; tests pass a faster one. Default `createSigningKey`. */
  createKey?: (clock: Clock, commonName: string) => Promise<SigningKey>;
}

/**
 * Where a ring lives, so the same rotation serves more than one kind of key: a connection's SAML
 * signing keys (below), and each OIDC provider's client keys (`upstream-oidc/client-key-ring.ts`).
 */
export interface RingPlace {
  /** What the ring's keys are, for messages: `signing key`, `client key`. */
  what: string;
  /** The ring's key in the key-value store (under compare-and-set). */
  ringKey: string;
  /** Where one key of the ring lives in secret storage. */
  secretName(keyId: string): string;
  /**
   * Raises the revision warm instances compare their cached ring with (false if that could not
   * be written). A ring nobody caches announces nothing and answers true.
   */
  announce(revision: number): Promise<boolean>;
  /**
   * The first key of a new ring, stored in secret storage already at `secretName(id)`. A first
   * key the race to make the ring lost is deleted unless the winner names the same id.
   */
  firstKey(): Promise<{ id: string; certificatePem: string; createdAt: number }>;
  /** Secrets the ring's deletion removes besides its keys (the signing key from before the ring). */
  otherSecrets?: string[];
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


/** The ring stored at a place, or nothing. */
export async function readRingAt(store: KeyValueStore, place: Pick<RingPlace, 'what' | 'ringKey'>): Promise<KeyRing | undefined> {
  return (await readStoredRing(store, place)).ring;
}

/** The stored ring, or the revision a deleted one reached (`deletedAt`), or nothing. */
async function readStoredRing(store: KeyValueStore, place: Pick<RingPlace, 'what' | 'ringKey'>): Promise<StoredRing> {
  const raw = await store.get(place.ringKey);
  if (raw === undefined) return {};
  const deleted = deletedRingSchema.safeParse(raw);
  if (deleted.success) return { deletedAt: deleted.data.revision };
  const parsed = ringSchema.safeParse(raw);
  if (!parsed.success) throw new BridgeError('config_invalid', `stored ${place.what} ring does not parse`);
  return { ring: parsed.data as KeyRing };
}


/** The ring at a place, made with its first key on first use. */
export async function ensureRing(place: RingPlace, store: KeyValueStore, secrets?: SecretStore): Promise<KeyRing> {
  const stored = await readStoredRing(store, place);
  if (stored.ring) return stored.ring;
  const first = await place.firstKey();
  const ring: KeyRing = { revision: (stored.deletedAt ?? 0) + 1, active: entryOf(first.id, first.certificatePem, first.createdAt) };
  let made = ring;
  if (!(await store.compareAndSet(place.ringKey, stored.deletedAt ?? null, toRevised(ring)))) {
    // Another first use made the ring meanwhile: theirs is the ring, and a first key of ours
    // that it does not name is nobody's.
    const winner = await readRingAt(store, place);
    if (!winner) throw new BridgeError('storage_unavailable', `${place.what} ring vanished while being created`);
    if (secrets && winner.active.id !== first.id) await secrets.deleteSecret(place.secretName(first.id));
    made = winner;
  }
  // Announced after the write, unlike a change: until now no record named a revision of this
  // ring, so no instance can have cached it. Failing to announce only leaves caching off.
  await place.announce(made.revision);
  return made;
}

/** The private key of one entry of the ring at a place, checked against the entry. */
export async function loadKeyAt(secrets: SecretStore, place: Pick<RingPlace, 'what' | 'secretName'>, entry: KeyRingEntry): Promise<SigningCredentials> {
  const stored = await secrets.getSecret<SigningKey & Record<string, string>>(place.secretName(entry.id));
  if (!stored) throw new BridgeError('config_invalid', `${place.what} ${entry.id} of the ring is missing from secret storage`);
  let credentials: SigningCredentials;
  try {
    credentials = toCredentials(stored);
  } catch (error) {
    throw new BridgeError('config_invalid', `stored ${place.what}: ${(error as Error).message}`.slice(0, 200), { cause: error });
  }
  if (credentials.fingerprint !== entry.fingerprint) {
    throw new BridgeError('config_invalid', `${place.what} ${entry.id} does not hold the certificate the ring names`);
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
 * longer names it.
 */
export async function prepareNextAt(ports: RingChangePorts, place: RingPlace, given?: SigningKey): Promise<KeyRingChange> {
  const ring = await ensureRing(place, ports.store, ports.secrets);
  const id = newKeyId(ports.random);
  const key = given ?? (await (ports.createKey ?? createSigningKey)(ports.clock, ports.commonName));
  const secretName = place.secretName(id);
  await ports.secrets.setSecret(secretName, { ...key });
  const next = entryOf(id, key.certificatePem, ports.clock.now());
  const written = await writeRing(ports.store, place, ring, { ...pruned(ring, ports.clock.now()), next });
  if (!written.ok) {
    await ports.secrets.deleteSecret(secretName);
    return written;
  }
  await forgetKeys(ports.secrets, place, ring, written.ring);
  return written;
}

/**
 * Makes the next key the active one: from the next login on, responses are signed with it.
 * `fingerprint` is the next certificate the admin was shown and saved in Guard; another one
 * (a second admin prepared again meanwhile) is refused, since Guard would then reject every login.
 */
export function activateNextAt(ports: RingChangePorts, place: RingPlace, fingerprint: string): Promise<KeyRingChange> {
  return changeRing(ports, place, (ring, now) => {
    if (!ring.next) return 'no_next';
    if (ring.next.fingerprint !== fingerprint) return 'next_changed';
    const { activatedAt: _activatedAt, ...retired } = ring.active;
    return { active: { ...ring.next, activatedAt: now }, previous: { ...retired, retiredAt: now, undoUntil: now + UNDO_WINDOW_MS } };
  });
}

/**
 * Restores the previous key, within seven days of the switch (checked against the ring's own
 * time, not a storage expiry). The key that was active becomes the next one again, so the
 * switch can be made once more without a new certificate.
 */
export function undoActivationAt(ports: RingChangePorts, place: RingPlace, fingerprint: string): Promise<KeyRingChange> {
  return changeRing(ports, place, (ring, now) => {
    if (!ring.previous) return 'no_previous';
    if (ring.previous.fingerprint !== fingerprint) return 'previous_changed';
    if (now >= ring.previous.undoUntil) return 'undo_expired';
    const { retiredAt: _retiredAt, undoUntil: _undoUntil, ...restored } = ring.previous;
    const { activatedAt: _activatedAt, ...undone } = ring.active;
    return { active: restored, next: undone };
  });
}

/** Drops the next key without activating it. */
export function discardNextAt(ports: RingChangePorts, place: RingPlace, fingerprint: string): Promise<KeyRingChange> {
  return changeRing(ports, place, (ring, now) => {
    if (!ring.next) return 'no_next';
    if (ring.next.fingerprint !== fingerprint) return 'next_changed';
    const { next: _next, ...rest } = pruned(ring, now);
    return rest;
  });
}

/**
 * One change of the keys the ring names: `change` refuses it or gives the ring after it; that is
 * written under compare-and-set, and the keys it no longer names are deleted once it is stored.
 */
async function changeRing(ports: RingChangePorts, place: RingPlace, change: (ring: KeyRing, now: number) => KeyRingRefusal | Omit<KeyRing, 'revision'>): Promise<KeyRingChange> {
  const ring = await ensureRing(place, ports.store, ports.secrets);
  const after = change(ring, ports.clock.now());
  if (typeof after === 'string') return { ok: false, reason: after, ring };
  const written = await writeRing(ports.store, place, ring, after);
  if (written.ok) await forgetKeys(ports.secrets, place, ring, written.ring);
  return written;
}

/** Every key of the ring at a place, and the ring, leaving its revision behind. */
export async function deleteRingAt(ports: { store: KeyValueStore; secrets: SecretStore }, place: Pick<RingPlace, 'ringKey' | 'secretName' | 'otherSecrets'>): Promise<void> {
  const raw = await ports.store.get(place.ringKey);
  const ring = ringSchema.safeParse(raw).data as KeyRing | undefined;
  for (const entry of [ring?.active, ring?.next, ring?.previous]) {
    if (entry) await ports.secrets.deleteSecret(place.secretName(entry.id));
  }
  for (const name of place.otherSecrets ?? []) await ports.secrets.deleteSecret(name);
  // Not deleted: the revision stays (even of a ring that no longer parses), so a later ring under
  // this id is never taken for this one.
  const last = (raw as { revision?: unknown } | undefined)?.revision;
  const revision = (typeof last === 'number' && Number.isSafeInteger(last) && last > 0 ? last : 0) + 1;
  await ports.store.set(place.ringKey, { revision, deleted: true });
}

/** The ring without a previous key whose undo time is over. */
function pruned(ring: KeyRing, now: number): Omit<KeyRing, 'revision'> {
  const { revision: _revision, ...rest } = ring;
  if (rest.previous && now >= rest.previous.undoUntil) delete rest.previous;
  return rest;
}

async function writeRing(store: KeyValueStore, place: RingPlace, before: KeyRing, after: Omit<KeyRing, 'revision'>): Promise<KeyRingChange> {
  const ring: KeyRing = { revision: before.revision + 1, ...after };
  // Announced first: from here on no instance takes its cached ring (revision `before`) as current.
  if (!(await place.announce(ring.revision))) return { ok: false, reason: 'conflict', ring: before };
  const written = await store.compareAndSet(place.ringKey, before.revision, toRevised(ring));
  if (written) return { ok: true, ring };
  return { ok: false, reason: 'conflict', ring: (await readRingAt(store, place)) ?? before };
}

/** Deletes the keys `before` named and `after` no longer does, once `after` is stored. */
async function forgetKeys(secrets: SecretStore, place: RingPlace, before: KeyRing, after: KeyRing): Promise<void> {
  const kept = new Set([after.active.id, after.next?.id, after.previous?.id]);
  for (const entry of [before.active, before.next, before.previous]) {
    if (entry && !kept.has(entry.id)) await secrets.deleteSecret(place.secretName(entry.id));
  }
}

export function newKeyId(random: RandomSource): string {
  return random.token(12).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'k';
}

function toRevised(ring: KeyRing): RevisedValue {
  return JSON.parse(JSON.stringify(ring)) as RevisedValue;
}
