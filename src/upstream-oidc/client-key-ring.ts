import { createPublicKey, X509Certificate, type webcrypto } from 'node:crypto';
import type { KeyValueStore, SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { createSigningKey, toWebCryptoSigningKey, type SigningKey } from '../core/key-ring/key-pair.js';
import * as keyRing from '../core/key-ring/key-ring.js';
import type { KeyRing, KeyRingChange, KeyRingEntry, RingChangePorts, RingPlace } from '../core/key-ring/key-ring.js';
import type { PublicClientJwk } from '../core/admin/admin-api-types.js';

/**
 * The client keys of one OpenID provider (`private_key_jwt`, RFC 7523 / OIDC Core §9): the
 * bridge signs a short client assertion with the active key at every token request, so no shared
 * secret exists. The same ring as the SAML signing keys (`core/key-ring/key-ring.ts`): an active key, a
 * next one while a rotation is prepared, the previous one for seven days after a switch. Each key
 * is an RSA 2048 key with a self-signed certificate (`createSigningKey`): the certificate is what
 * Entra ID registers, and its SHA-256 thumbprint is the key's `kid` and `x5t#S256`.
 *
 * Nothing caches the ring: every token request reads it (one read), so an instance never signs
 * with a key an activation or undo replaced. Only the parsed private key is kept per process, by
 * the key's storage name and certificate fingerprint, which never change for one key.
 */

/** A public key of the ring as a JWK (RFC 7517), with its certificate (`x5c`) for Entra ID. */
export type ClientJwk = PublicClientJwk;

/** What signs one provider's assertions: the key, and the header values that name it. */
export interface ClientAssertionKey {
  key: webcrypto.CryptoKey;
  kid: string;
  x5tS256: string;
}

function clientKeyPlace(ports: Pick<RingChangePorts, 'secrets' | 'clock' | 'random' | 'commonName' | 'createKey'>, connectionId: string, providerId: string): RingPlace {
  const secretName = (keyId: string) => storageKeys.clientKeyOf(connectionId, providerId, keyId);
  return {
    what: 'client key',
    ringKey: storageKeys.clientKeyRing(connectionId, providerId),
    secretName,
    // No instance caches this ring (see above): there is nothing to announce.
    announce: async () => true,
    firstKey: async () => {
      const id = keyRing.newKeyId(ports.random);
      const key = await (ports.createKey ?? createSigningKey)(ports.clock, ports.commonName);
      await ports.secrets.setSecret(secretName(id), { ...key });
      return { id, certificatePem: key.certificatePem, createdAt: ports.clock.now() };
    },
  };
}

/** Where a provider's public client keys are served (`bridge.ts`), below the bridge's base URL. */
export function clientJwksUrl(baseUrl: string, connectionId: string, providerId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/oidc/jwks/${connectionId}/${providerId}`;
}

/** Where the ring is, for reading only. */
function readPlace(connectionId: string, providerId: string): Pick<RingPlace, 'what' | 'ringKey' | 'secretName'> {
  return {
    what: 'client key',
    ringKey: storageKeys.clientKeyRing(connectionId, providerId),
    secretName: (keyId) => storageKeys.clientKeyOf(connectionId, providerId, keyId),
  };
}

/** The provider's client key ring, or nothing before its first key. */
export function readClientKeyRing(store: KeyValueStore, connectionId: string, providerId: string): Promise<KeyRing | undefined> {
  return keyRing.readRingAt(store, readPlace(connectionId, providerId));
}

/** The provider's client key ring, made with its first key on first use. */
export function ensureClientKeyRing(ports: RingChangePorts, connectionId: string, providerId: string): Promise<KeyRing> {
  return keyRing.ensureRing(clientKeyPlace(ports, connectionId, providerId), ports.store, ports.secrets);
}

/** A new next key, or `given` (a key restored from a sealed backup) as the next key. */
export function prepareNextClientKey(ports: RingChangePorts, connectionId: string, providerId: string, given?: SigningKey): Promise<KeyRingChange> {
  return keyRing.prepareNextAt(ports, clientKeyPlace(ports, connectionId, providerId), given);
}

/**
 * The active key with its certificate, as secret storage keeps it, for a sealed backup only
 * (`backup-export.ts`); nothing before the provider's first key.
 */
export async function activeClientKeyPair(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string, providerId: string): Promise<{ ring: KeyRing; key: SigningKey } | undefined> {
  const place = readPlace(connectionId, providerId);
  const ring = await keyRing.readRingAt(ports.store, place);
  const key = ring ? await ports.secrets.getSecret<SigningKey & Record<string, string>>(place.secretName(ring.active.id)) : undefined;
  return ring && key?.privateKeyPem ? { ring, key } : undefined;
}

export function activateNextClientKey(ports: RingChangePorts, connectionId: string, providerId: string, fingerprint: string): Promise<KeyRingChange> {
  return keyRing.activateNextAt(ports, clientKeyPlace(ports, connectionId, providerId), fingerprint);
}

export function undoClientKeyActivation(ports: RingChangePorts, connectionId: string, providerId: string, fingerprint: string): Promise<KeyRingChange> {
  return keyRing.undoActivationAt(ports, clientKeyPlace(ports, connectionId, providerId), fingerprint);
}

export function discardNextClientKey(ports: RingChangePorts, connectionId: string, providerId: string, fingerprint: string): Promise<KeyRingChange> {
  return keyRing.discardNextAt(ports, clientKeyPlace(ports, connectionId, providerId), fingerprint);
}

/** Every client key of a deleted provider: nothing may sign for it again. */
export function deleteClientKeyRing(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string, providerId: string): Promise<void> {
  return keyRing.deleteRingAt(ports, readPlace(connectionId, providerId));
}

/** The certificate's SHA-256 thumbprint, base64url (RFC 7515 §4.1.8): the key's `x5t#S256` and `kid`. */
export function thumbprintOf(entry: KeyRingEntry): string {
  return Buffer.from(entry.fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
}

/** The public JWK of one key of the ring. */
export function clientJwkOf(entry: KeyRingEntry): ClientJwk {
  const certificate = new X509Certificate(entry.certificatePem);
  const { n, e } = createPublicKey(entry.certificatePem).export({ format: 'jwk' });
  const thumbprint = thumbprintOf(entry);
  return { kty: 'RSA', n: n!, e: e!, kid: thumbprint, use: 'sig', alg: 'RS256', x5c: [certificate.raw.toString('base64')], 'x5t#S256': thumbprint };
}

/**
 * The JWKS a provider registers or fetches: the active key, and the next one while it is
 * prepared, so a provider that fetches the JWKS knows the next key before it signs. The previous
 * key is not published: after a switch nothing the bridge sends is signed with it.
 */
export function clientJwks(ring: KeyRing): { keys: ClientJwk[] } {
  return { keys: [ring.active, ...(ring.next ? [ring.next] : [])].map(clientJwkOf) };
}

const parsedKeys = new Map<string, Promise<ClientAssertionKey>>();
/** Parsed keys kept per process; a handful of providers each rotate rarely. */
const PARSED_KEYS_MAX = 64;

/**
 * The key the provider's assertions are signed with now: the ring's active key, read on every
 * call. Undefined when the ring has no key yet (the method was never saved for this provider).
 */
export async function activeClientKey(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string, providerId: string): Promise<ClientAssertionKey | undefined> {
  const place = readPlace(connectionId, providerId);
  const ring = await keyRing.readRingAt(ports.store, place);
  if (!ring) return undefined;
  const entry = ring.active;
  const cacheKey = `${place.secretName(entry.id)}|${entry.fingerprint}`;
  let parsed = parsedKeys.get(cacheKey);
  if (!parsed) {
    if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.clear();
    parsed = importKey(ports.secrets, place, entry);
    parsedKeys.set(cacheKey, parsed);
    parsed.catch(() => parsedKeys.delete(cacheKey));
  }
  return parsed;
}

async function importKey(secrets: SecretStore, place: Pick<RingPlace, 'what' | 'secretName'>, entry: KeyRingEntry): Promise<ClientAssertionKey> {
  const credentials = await keyRing.loadKeyAt(secrets, place, entry);
  const key = await toWebCryptoSigningKey(credentials.privateKey);
  const thumbprint = thumbprintOf(entry);
  return { key, kid: thumbprint, x5tS256: thumbprint };
}
