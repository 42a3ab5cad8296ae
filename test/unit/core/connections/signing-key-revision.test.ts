import { describe, expect, it } from '@jest/globals';
import { draftDifferences } from '../../../../src/core/connections/connection-draft.js';
import {
  migrateSettings,
  raiseSigningKeyRevision,
  readConnections,
  withConnection,
  writeConnections,
  type ConnectionsDocument,
} from '../../../../src/core/connections/connections-document.js';
import { cryptoRandom } from '../../../../src/core/default-ports.js';
import { DEFAULT_ID, storageKeys } from '../../../../src/core/storage-keys.js';
import { ensureKeyRing, prepareNextKey, readKeyRing } from '../../../../src/downstream-saml/signing-key-ring.js';
import { createSigningKey } from '../../../../src/downstream-saml/signing-key.js';
import { MemoryStore } from '../../../support/memory-ports.js';

/**
 * The key ring revision a connection's record announces (what warm instances trust their cached
 * ring by): raised before every ring change, never lowered, never taken from an edited record.
 */

const settings = { oidc: { issuer: 'https://idp.test', clientId: 'c' }, serviceProvider: { entityId: 'https://sp.test', acsUrl: 'https://sp.test/acs' } };

async function storedDocument(signingKeyRevision?: number) {
  const store = new MemoryStore({ now: () => Date.now() });
  const document = migrateSettings(settings);
  if (signingKeyRevision !== undefined) document.connections[0]!.signingKeyRevision = signingKeyRevision;
  expect(await writeConnections(store, document, { revision: 0, stored: false })).toBe(true);
  return store;
}

async function documentIn(store: MemoryStore): Promise<ConnectionsDocument> {
  const read = await readConnections(store);
  if (read.state !== 'ok') throw new Error(read.state);
  return read.document;
}

describe('the announced key ring revision', () => {
  it('is raised, never lowered, and raising it leaves the connection’s own revision alone', async () => {
    const store = await storedDocument(3);
    const before = await documentIn(store);
    expect(await raiseSigningKeyRevision(store, DEFAULT_ID, 5)).toBe(true);
    const raised = await documentIn(store);
    expect(raised.connections[0]!.signingKeyRevision).toBe(5);
    expect(raised.connections[0]!.revision).toBe(before.connections[0]!.revision);
    expect(raised.revision).toBe(before.revision + 1);
    expect(await raiseSigningKeyRevision(store, DEFAULT_ID, 4)).toBe(true);
    expect(await documentIn(store)).toEqual(raised);
  });

  it('has nothing to announce without a stored record of the connection (and writes nothing)', async () => {
    const empty = new MemoryStore({ now: () => Date.now() });
    expect(await raiseSigningKeyRevision(empty, DEFAULT_ID, 2)).toBe(true);
    expect(empty.writes).toBe(0);
    const store = await storedDocument();
    const writes = store.writes;
    expect(await raiseSigningKeyRevision(store, 'other', 2)).toBe(true);
    expect(store.writes).toBe(writes);
  });

  it('is kept from the stored record when an admin’s edited record (a draft made before a rotation) says less, or more', async () => {
    const document = migrateSettings(settings);
    document.connections[0]!.signingKeyRevision = 7;
    for (const edited of [3, 9, undefined]) {
      const record = { ...document.connections[0]!, name: 'Renamed' };
      if (edited === undefined) delete record.signingKeyRevision;
      else record.signingKeyRevision = edited;
      const next = withConnection(document, record).connections[0]!;
      expect(next.name).toBe('Renamed');
      expect(next.signingKeyRevision).toBe(7);
    }
    const fresh = { ...document.connections[0]!, id: 'second', signingKeyRevision: 4 };
    expect(withConnection(document, fresh).connections[1]!.signingKeyRevision).toBeUndefined();
  });

  it('is not a setting: a draft that differs only in it changes no field', () => {
    const [applied] = migrateSettings(settings).connections;
    expect(draftDifferences({ ...applied!, signingKeyRevision: 5 }, { ...applied!, signingKeyRevision: 2 })).toEqual([]);
  });

  it('a ring change whose announcement cannot be written is not made', async () => {
    const store = await storedDocument();
    let documentDown = false;
    // The store, but with the connections document's writes failing while `documentDown`.
    const kv = Object.assign(Object.create(store) as MemoryStore, {
      compareAndSet: (key: string, expected: number | null, value: Parameters<MemoryStore['compareAndSet']>[2]) =>
        documentDown && key === storageKeys.connections() ? Promise.reject(new Error('storage down')) : store.compareAndSet(key, expected, value),
    });
    const ports = { store: kv, secrets: store, clock: { now: () => Date.now() }, random: cryptoRandom, commonName: 'bridge.test', createKey: () => createSigningKey({ now: () => Date.now() }, 'bridge.test') };
    await store.setSecret(storageKeys.signingKey(DEFAULT_ID), { ...(await createSigningKey({ now: () => Date.now() }, 'bridge.test')) });
    const ring = await ensureKeyRing(ports, DEFAULT_ID);
    expect((await documentIn(store)).connections[0]!.signingKeyRevision).toBe(ring.revision);
    documentDown = true;
    const change = await prepareNextKey(ports, DEFAULT_ID);
    expect(change).toMatchObject({ ok: false, reason: 'conflict' });
    expect(await readKeyRing(store, DEFAULT_ID)).toEqual(ring);
    expect((await documentIn(store)).connections[0]!.signingKeyRevision).toBe(ring.revision);
    documentDown = false;
    // Once storage answers, the change is announced before it is written.
    const made = await prepareNextKey(ports, DEFAULT_ID);
    expect(made.ok).toBe(true);
    expect((await documentIn(store)).connections[0]!.signingKeyRevision).toBe(made.ring.revision);
  }, 30_000);
});
