import { beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { BridgeCaches, createBridge, type Bridge } from '../../src/core/bridge.js';
import { createStoredDirectorySources } from '../../src/core/connections/directory.js';
import { migrateSettings, readConnections, withoutConnection, writeConnections } from '../../src/core/connections/connections-document.js';
import { cryptoRandom } from '../../src/core/default-ports.js';
import type { BridgeResponse } from '../../src/core/http-types.js';
import type { Json, KeyValueStore, Ports } from '../../src/core/ports.js';
import { DEFAULT_ID, storageKeys } from '../../src/core/storage-keys.js';
import { activateNextKey, deleteKeyRing, prepareNextKey, readKeyRing, undoActivation, type KeyRingPorts } from '../../src/downstream-saml/signing-key-ring.js';
import { createSigningKey, type SigningKey } from '../../src/downstream-saml/signing-key.js';
import { MemoryStore, MovableClock, recordingLogger } from '../support/memory-ports.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from '../support/peer-names.js';
import { authnRequestXml, redirectEncode } from '../support/saml-messages.js';
import { createStubProvider, type StubProvider } from '../support/stub-provider.js';

/**
 * Warm instances over the stored connections (as Forge instances are) cache each connection's
 * key ring and read it again only when the connection's record announces a newer revision. What
 * this must never cost: a login that starts after a certificate change, on any instance, signed
 * with the replaced key (node-saml checks every response below with the certificate it expects),
 * and a deleted connection's key signing for the connection made again under its id.
 */

const BASE_URL = 'https://bridge.test';
const ISSUER = 'https://idp.test';
const IDP_ENTITY_ID = `${BASE_URL}/saml/metadata`;
const RING_KEY = storageKeys.signingKeyRing(DEFAULT_ID);

const base64Of = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');

/** The store every instance shares, counting what reaches it by operation and key. */
function countingStore(store: MemoryStore) {
  const ops: { op: string; key: string }[] = [];
  const note = (op: string, key: string) => void ops.push({ op, key });
  const kv: KeyValueStore = {
    get: <T extends Json>(key: string) => (note('get', key), store.get<T>(key)),
    set: (key, value, options) => (note('set', key), store.set(key, value, options)),
    delete: (key) => (note('delete', key), store.delete(key)),
    take: <T extends Json>(key: string) => (note('take', key), store.take<T>(key)),
    compareAndSet: (key, expected, value) => (note('compareAndSet', key), store.compareAndSet(key, expected, value)),
    increment: (key, options) => (note('increment', key), store.increment(key, options)),
  };
  return { kv, ops };
}

let provider: StubProvider;
let keys: SigningKey[];
beforeAll(async () => {
  provider = await createStubProvider({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${BASE_URL}/oidc/callback` });
  keys = [];
  for (let i = 0; i < 3; i++) keys.push(await createSigningKey({ now: () => Date.now() }, new URL(BASE_URL).host));
}, 60_000);

/** The settings the wizard stores for the first connection, as the connections document. */
async function storeConnection(store: MemoryStore, key: SigningKey): Promise<void> {
  const settings = { oidc: { issuer: ISSUER, clientId: CLIENT_ID }, serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] };
  const read = await readConnections(store);
  const previous = read.state === 'ok' && !read.migrated ? read.document.revision : 0;
  const document = { ...migrateSettings(settings), revision: previous + 1 };
  expect(await writeConnections(store, document, { revision: previous, stored: previous > 0 })).toBe(true);
  await store.setSecret(storageKeys.clientSecret(), CLIENT_SECRET);
  // The first key, as a first login would have made it (making one here costs no test time).
  await store.setSecret(storageKeys.signingKey(DEFAULT_ID), { ...key });
}

function setup() {
  const clock = new MovableClock();
  const store = new MemoryStore(clock);
  const counted = countingStore(store);
  /** Another warm instance: its own caches, the shared store. */
  const instance = (): Bridge => {
    const caches = new BridgeCaches();
    const ports: Ports = { store: counted.kv, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: provider.fetch };
    const { directory } = createStoredDirectorySources({ store: counted.kv, secrets: store, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: caches });
    return createBridge({ ports, directory, baseUrl: BASE_URL, allowLoopbackHttp: false, caches });
  };
  /** An admin on a third instance: only the store is shared. */
  const ringPorts: KeyRingPorts = { store, secrets: store, clock, random: cryptoRandom, commonName: new URL(BASE_URL).host, createKey: async () => keys[1]! };
  return { store, ops: counted.ops, clock, instance, ringPorts };
}

/** One SP-initiated login started and finished on `bridge`; the SAMLResponse it posts. */
async function loginOn(bridge: Bridge): Promise<string> {
  const started = await bridge.handle({ method: 'GET', path: '/saml/sso', query: { SAMLRequest: [redirectEncode(authnRequestXml())], RelayState: ['relay'] }, headers: {}, body: '' });
  expect(started.status).toBe(302);
  const cookie = started.cookies?.[0]?.split(';')[0];
  const query = provider.authorize(started.headers.Location!);
  const page: BridgeResponse = await bridge.handle({ method: 'GET', path: '/oidc/callback', query, headers: cookie ? { cookie: [cookie] } : {}, body: '' });
  expect(page.status).toBe(200);
  return /name="SAMLResponse" value="([^"]+)"/.exec(page.body)![1]!;
}

const sp = (idpCert: string) =>
  new SAML({
    entryPoint: `${BASE_URL}/saml/sso`,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    idpCert,
    idpIssuer: IDP_ENTITY_ID,
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 5_000,
  });

/** The response verifies with `expected` and is refused with each of `refused`. */
async function signedBy(response: string, expected: string, ...refused: string[]): Promise<void> {
  await expect(sp(expected).validatePostResponseAsync({ SAMLResponse: response, RelayState: 'relay' })).resolves.toMatchObject({ loggedOut: false });
  for (const certificate of refused) {
    await expect(sp(certificate).validatePostResponseAsync({ SAMLResponse: response, RelayState: 'relay' })).rejects.toThrow(/signature/i);
  }
}

describe('the key ring cached by warm instances', () => {
  it('a warm login reads no key ring while the record announces its revision: 3 store operations', async () => {
    const { store, ops, instance } = setup();
    await storeConnection(store, keys[0]!);
    const bridge = instance();
    await loginOn(bridge);
    // The first login made the ring and announced its revision in the connection's record.
    const ring = await readKeyRing(store, DEFAULT_ID);
    const read = await readConnections(store);
    expect(read.state === 'ok' && read.document.connections[0]!.signingKeyRevision).toBe(ring!.revision);

    await loginOn(bridge);
    ops.length = 0;
    await loginOn(bridge);
    expect(ops.filter((o) => o.key === RING_KEY)).toEqual([]);
    expect(ops.map((o) => o.op).sort()).toEqual(['get', 'set', 'take']);
  });

  it('upgrades a record stored before rings announced their revision: announced once, then cached', async () => {
    const { store, ops, instance, ringPorts } = setup();
    await storeConnection(store, keys[0]!);
    const bridge = instance();
    await loginOn(bridge);
    // As a release before this one left it: a ring, and a record that names no revision.
    await prepareNextKey(ringPorts, DEFAULT_ID);
    const read = await readConnections(store);
    if (read.state !== 'ok') throw new Error('no document');
    const { signingKeyRevision: _announced, ...record } = read.document.connections[0]!;
    await writeConnections(store, { ...read.document, revision: read.document.revision + 1, connections: [record] }, { revision: read.document.revision, stored: true });

    await loginOn(bridge);
    const after = await readConnections(store);
    expect(after.state === 'ok' && after.document.connections[0]!.signingKeyRevision).toBe((await readKeyRing(store, DEFAULT_ID))!.revision);
    await loginOn(bridge);
    ops.length = 0;
    await loginOn(bridge);
    expect(ops.filter((o) => o.key === RING_KEY)).toEqual([]);
  });

  it('each warm instance signs with the new key from the first login after another activated it, and with the old one after undo', async () => {
    const { store, instance, ringPorts } = setup();
    await storeConnection(store, keys[0]!);
    const [a, b] = [instance(), instance()];
    const oldCertificate = base64Of(keys[0]!.certificatePem);
    // Both warm, with the ring and the old key cached.
    for (const bridge of [a, b, a, b]) await signedBy(await loginOn(bridge), oldCertificate);

    const prepared = await prepareNextKey(ringPorts, DEFAULT_ID);
    if (!prepared.ok) throw new Error(prepared.reason);
    const newCertificate = base64Of(prepared.ring.next!.certificatePem);
    // Prepared is not active: still the old key.
    for (const bridge of [a, b]) await signedBy(await loginOn(bridge), oldCertificate, newCertificate);

    const activated = await activateNextKey(ringPorts, DEFAULT_ID, prepared.ring.next!.fingerprint);
    expect(activated.ok).toBe(true);
    for (const bridge of [a, b, a, b]) await signedBy(await loginOn(bridge), newCertificate, oldCertificate);

    const undone = await undoActivation(ringPorts, DEFAULT_ID, activated.ring.previous!.fingerprint);
    expect(undone.ok).toBe(true);
    for (const bridge of [a, b, a, b]) await signedBy(await loginOn(bridge), oldCertificate, newCertificate);
  });

  it('a connection deleted and made again under its id never signs with the deleted one’s key, on an instance that cached it', async () => {
    const { store, instance, ringPorts } = setup();
    await storeConnection(store, keys[0]!);
    const [a, b] = [instance(), instance()];
    const oldCertificate = base64Of(keys[0]!.certificatePem);
    // The first login announces the ring's revision, the next ones cache the ring.
    for (const bridge of [a, b, a, b]) await signedBy(await loginOn(bridge), oldCertificate);

    // The admin deletes the connection (its keys go) and sets up a new one, which gets `default` again.
    const read = await readConnections(store);
    if (read.state !== 'ok') throw new Error('no document');
    await deleteKeyRing(ringPorts, DEFAULT_ID);
    expect(await writeConnections(store, withoutConnection(read.document, DEFAULT_ID), { revision: read.document.revision, stored: true })).toBe(true);
    await storeConnection(store, keys[2]!);
    const newCertificate = base64Of(keys[2]!.certificatePem);

    // b's login makes the new ring and announces it; a still holds the old ring in its cache.
    await signedBy(await loginOn(b), newCertificate, oldCertificate);
    await signedBy(await loginOn(a), newCertificate, oldCertificate);
  });
});
