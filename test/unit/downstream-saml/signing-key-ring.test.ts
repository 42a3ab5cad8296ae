import { beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import samlify from 'samlify';
import { cryptoRandom } from '../../../src/core/default-ports.js';
import { storageKeys } from '../../../src/core/storage-keys.js';
import { idpMetadataXml } from '../../../src/downstream-saml/idp-metadata.js';
import { createSigningKey, normalizePem, toCredentials, type SigningKey } from '../../../src/downstream-saml/signing-key.js';
import {
  activateNextKey,
  discardNextKey,
  ensureKeyRing,
  INITIAL_KEY_ID,
  keySecretName,
  loadRingKey,
  prepareNextKey,
  readKeyRing,
  undoActivation,
  UNDO_WINDOW_MS,
  type KeyRingPorts,
} from '../../../src/downstream-saml/signing-key-ring.js';
import { MemoryStore } from '../../support/memory-ports.js';

// RSA keys take a while to make: the tests draw from a few made once.
const pool: SigningKey[] = [];
let drawn = 0;
beforeAll(async () => {
  for (let i = 0; i < 6; i += 1) pool.push(await createSigningKey({ now: () => Date.now() }, 'bridge.example.net'));
}, 60_000);

function ringPorts(): KeyRingPorts & { store: MemoryStore; time: { now: number } } {
  const time = { now: Date.parse('2030-01-01T00:00:00Z') };
  const store = new MemoryStore({ now: () => time.now });
  return {
    store,
    secrets: store,
    clock: { now: () => time.now },
    random: cryptoRandom,
    commonName: 'bridge.example.net',
    createKey: async () => pool[drawn++ % pool.length]!,
    time,
  };
}

const PEM_SHAPE = /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----$/;

describe('the signing key ring', () => {
  it('migrates an installation from before the ring: its one key stays where it is and stays active', async () => {
    const ports = ringPorts();
    const legacy = await createSigningKey({ now: () => Date.now() }, 'bridge.example.net');
    // As the release before the ring stored it, with the PEM's trailing line end.
    await ports.secrets.setSecret(storageKeys.signingKey('default'), { ...legacy });
    const ring = await ensureKeyRing(ports, 'default');
    expect(ring.revision).toBe(1);
    expect(ring.active.id).toBe(INITIAL_KEY_ID);
    expect(ring.active.fingerprint).toBe(new X509Certificate(legacy.certificatePem).fingerprint256);
    expect(ring.active.certificatePem).toBe(normalizePem(legacy.certificatePem));
    expect(ring.next).toBeUndefined();
    const credentials = await loadRingKey(ports.secrets, 'default', ring.active);
    expect(credentials.certificateBase64).toBe(toCredentials(legacy).certificateBase64);
    expect(await ports.secrets.getSecret(storageKeys.signingKey('default'))).toEqual({ ...legacy });
    // Read again, the same ring: nothing is made twice.
    expect(await ensureKeyRing(ports, 'default')).toEqual(ring);
  });

  it('makes a first key on a fresh installation, and two first uses at once agree on it', async () => {
    const ports = ringPorts();
    const [a, b] = await Promise.all([ensureKeyRing(ports, 'c1'), ensureKeyRing(ports, 'c1')]);
    expect(a.active.fingerprint).toBe(b.active.fingerprint);
    expect((await loadRingKey(ports.secrets, 'c1', a.active)).fingerprint).toBe(a.active.fingerprint);
  });

  it('prepares a next key beside the active one, with a PEM in the exact layout Guard takes, and publishes both in the metadata', async () => {
    const ports = ringPorts();
    const before = await ensureKeyRing(ports, 'default');
    const prepared = await prepareNextKey(ports, 'default');
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const { ring } = prepared;
    expect(ring.revision).toBe(before.revision + 1);
    expect(ring.active).toEqual(before.active);
    expect(ring.next!.fingerprint).not.toBe(before.active.fingerprint);
    expect(ring.next!.certificatePem).toMatch(PEM_SHAPE);
    expect(new X509Certificate(ring.next!.certificatePem).fingerprint256).toBe(ring.next!.fingerprint);
    expect(await ports.secrets.getSecret(keySecretName('default', ring.next!.id))).toBeDefined();
    const metadata = samlify.IdPMetadata(idpMetadataXml({ entityId: 'https://bridge.example.net/saml/metadata', ssoUrl: 'https://bridge.example.net/saml/sso' }, ring));
    const published = [metadata.getX509Certificate('signing')].flat().map((c) => String(c).replace(/\s+/g, ''));
    const base64 = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');
    expect(published).toEqual([base64(ring.active.certificatePem), base64(ring.next!.certificatePem)]);
  });

  it('a second prepare replaces the next key and deletes the replaced one from secret storage', async () => {
    const ports = ringPorts();
    const first = await prepareNextKey(ports, 'default');
    const second = await prepareNextKey(ports, 'default');
    if (!first.ok || !second.ok) throw new Error('prepare refused');
    expect(second.ring.next!.id).not.toBe(first.ring.next!.id);
    expect(second.ring.active).toEqual(first.ring.active);
    expect(await ports.secrets.getSecret(keySecretName('default', first.ring.next!.id))).toBeUndefined();
    expect(await ports.secrets.getSecret(keySecretName('default', second.ring.next!.id))).toBeDefined();
  });

  it('activates the next key: it signs, the old one is kept as previous for seven days', async () => {
    const ports = ringPorts();
    const old = await ensureKeyRing(ports, 'default');
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    const activated = await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    if (!activated.ok) throw new Error(`activate refused: ${activated.reason}`);
    expect(activated.ring.active.fingerprint).toBe(prepared.ring.next!.fingerprint);
    expect(activated.ring.active.activatedAt).toBe(ports.time.now);
    expect(activated.ring.next).toBeUndefined();
    expect(activated.ring.previous).toMatchObject({ fingerprint: old.active.fingerprint, retiredAt: ports.time.now, undoUntil: ports.time.now + UNDO_WINDOW_MS });
    expect(await readKeyRing(ports.store, 'default')).toEqual(activated.ring);
  });

  it('refuses to activate a next certificate other than the one the admin was shown', async () => {
    const ports = ringPorts();
    const shown = await prepareNextKey(ports, 'default');
    const again = await prepareNextKey(ports, 'default');
    if (!shown.ok || !again.ok) throw new Error('prepare refused');
    const refused = await activateNextKey(ports, 'default', shown.ring.next!.fingerprint);
    expect(refused).toMatchObject({ ok: false, reason: 'next_changed' });
    expect((await readKeyRing(ports.store, 'default'))!.active).toEqual(again.ring.active);
  });

  it('refuses to activate with nothing prepared', async () => {
    const ports = ringPorts();
    const ring = await ensureKeyRing(ports, 'default');
    expect(await activateNextKey(ports, 'default', ring.active.fingerprint)).toMatchObject({ ok: false, reason: 'no_next' });
  });

  it('undoes within seven days: the previous key signs again and the undone one is next', async () => {
    const ports = ringPorts();
    const old = await ensureKeyRing(ports, 'default');
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    ports.time.now += UNDO_WINDOW_MS - 1000;
    const undone = await undoActivation(ports, 'default', old.active.fingerprint);
    if (!undone.ok) throw new Error(`undo refused: ${undone.reason}`);
    expect(undone.ring.active.fingerprint).toBe(old.active.fingerprint);
    expect(undone.ring.active.id).toBe(INITIAL_KEY_ID);
    expect(undone.ring.next!.fingerprint).toBe(prepared.ring.next!.fingerprint);
    expect(undone.ring.previous).toBeUndefined();
    expect((await loadRingKey(ports.secrets, 'default', undone.ring.active)).fingerprint).toBe(old.active.fingerprint);
  });

  it('refuses undo seven days after the switch, by its own time even if storage still holds the previous key', async () => {
    const ports = ringPorts();
    const old = await ensureKeyRing(ports, 'default');
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    const activated = await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    ports.time.now += UNDO_WINDOW_MS;
    expect(await undoActivation(ports, 'default', old.active.fingerprint)).toMatchObject({ ok: false, reason: 'undo_expired' });
    expect(await readKeyRing(ports.store, 'default')).toEqual(activated.ring);
  });

  it('refuses undo with no previous key', async () => {
    const ports = ringPorts();
    const ring = await ensureKeyRing(ports, 'default');
    expect(await undoActivation(ports, 'default', ring.active.fingerprint)).toMatchObject({ ok: false, reason: 'no_previous' });
  });

  it('refuses undo of a previous key other than the one the admin was shown', async () => {
    const ports = ringPorts();
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    expect(await undoActivation(ports, 'default', prepared.ring.next!.fingerprint)).toMatchObject({ ok: false, reason: 'previous_changed' });
  });

  it('a later switch forgets the key before the previous one', async () => {
    const ports = ringPorts();
    const first = await ensureKeyRing(ports, 'default');
    for (let i = 0; i < 2; i += 1) {
      const prepared = await prepareNextKey(ports, 'default');
      if (!prepared.ok) throw new Error('prepare refused');
      await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    }
    expect(await ports.secrets.getSecret(keySecretName('default', first.active.id))).toBeUndefined();
  });

  it('forgets a previous key whose seven days are over at the next change, key and all', async () => {
    const ports = ringPorts();
    const old = await ensureKeyRing(ports, 'default');
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    await activateNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    ports.time.now += UNDO_WINDOW_MS;
    const again = await prepareNextKey(ports, 'default');
    if (!again.ok) throw new Error('prepare refused');
    expect(again.ring.previous).toBeUndefined();
    expect(await ports.secrets.getSecret(keySecretName('default', old.active.id))).toBeUndefined();
  });

  it('discards the next key', async () => {
    const ports = ringPorts();
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    const discarded = await discardNextKey(ports, 'default', prepared.ring.next!.fingerprint);
    expect(discarded.ok).toBe(true);
    expect(discarded.ring.next).toBeUndefined();
    expect(await ports.secrets.getSecret(keySecretName('default', prepared.ring.next!.id))).toBeUndefined();
  });

  it('loses no key when two prepares race: one wins, the other is refused and leaves no orphan key behind', async () => {
    const ports = ringPorts();
    await ensureKeyRing(ports, 'default');
    const [a, b] = await Promise.all([prepareNextKey(ports, 'default'), prepareNextKey(ports, 'default')]);
    const won = [a, b].filter((r) => r.ok);
    expect(won).toHaveLength(1);
    expect([a, b].find((r) => !r.ok)).toMatchObject({ reason: 'conflict' });
    const ring = (await readKeyRing(ports.store, 'default'))!;
    expect(ring.next!.fingerprint).toBe(won[0]!.ring.next!.fingerprint);
    expect((await loadRingKey(ports.secrets, 'default', ring.next!)).fingerprint).toBe(ring.next!.fingerprint);
    // Only the ring's keys are left in secret storage.
    expect([...ports.store.secretEntries.keys()].sort()).toEqual([keySecretName('default', ring.active.id), keySecretName('default', ring.next!.id)].sort());
  });

  it('refuses a stored key that does not hold the certificate the ring names', async () => {
    const ports = ringPorts();
    const prepared = await prepareNextKey(ports, 'default');
    if (!prepared.ok) throw new Error('prepare refused');
    const other = pool[(drawn + 3) % pool.length]!;
    await ports.secrets.setSecret(keySecretName('default', prepared.ring.next!.id), { ...other });
    await expect(loadRingKey(ports.secrets, 'default', prepared.ring.next!)).rejects.toMatchObject({ code: 'config_invalid' });
  });
});
