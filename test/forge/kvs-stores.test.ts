import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BridgeError } from '../../src/core/errors.js';
import { ForgeKeyValueStore, ForgeSecretStore } from '../../src/forge/kvs-stores.js';
import { installForgeKvsTransport, type ForgeKvsTransport } from '../support/forge-kvs-transport.js';

// Everything below runs through the real @forge/kvs SDK; only the service behind
// global.__forge_fetch__ is the in-memory stand-in.

const START = Date.UTC(2026, 0, 1);

describe('Forge KVS stores', () => {
  let time: number;
  const clock = { now: () => time };
  let transport: ForgeKvsTransport;
  let store: ForgeKeyValueStore;
  let secrets: ForgeSecretStore;

  const lastRequest = () => transport.requests[transport.requests.length - 1]!;

  beforeEach(() => {
    time = START;
    transport = installForgeKvsTransport({ now: clock.now });
    store = new ForgeKeyValueStore(clock);
    secrets = new ForgeSecretStore();
  });

  afterEach(() => transport.uninstall());

  describe('set and get', () => {
    it('round-trips JSON values, including null', async () => {
      const values = ['text', 42, true, null, [1, 'two'], { nested: { list: [null, false] } }];
      for (const [index, value] of values.entries()) {
        await expect(store.set(`v1:test:${index}`, value)).resolves.toBe(true);
      }
      for (const [index, value] of values.entries()) {
        await expect(store.get(`v1:test:${index}`)).resolves.toEqual(value);
      }
    });

    it('returns undefined for a missing key', async () => {
      await expect(store.get('v1:missing')).resolves.toBeUndefined();
    });

    it('overwrites without ifAbsent', async () => {
      await store.set('v1:key', 'first');
      await expect(store.set('v1:key', 'second')).resolves.toBe(true);
      await expect(store.get('v1:key')).resolves.toBe('second');
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      await store.set('v1:key', 'value');
      await store.delete('v1:key');
      await expect(store.get('v1:key')).resolves.toBeUndefined();
      await expect(store.delete('v1:key')).resolves.toBeUndefined();
    });

    it('treats a foreign value (not written through the store) as absent', async () => {
      transport.data.set('v1:foreign', { value: 'raw string', createdAt: START, updatedAt: START });
      await expect(store.get('v1:foreign')).resolves.toBeUndefined();
    });
  });

  describe('expiry', () => {
    it('passes the TTL to KVS in seconds and keeps its own expiry in the envelope', async () => {
      await store.set('v1:login:abc', { step: 1 }, { ttlSeconds: 600 });
      const body = lastRequest().body as { options: unknown; value: unknown };
      expect(lastRequest().path).toBe('/api/v1/set');
      expect(body.options).toEqual({ ttl: { unit: 'SECONDS', value: 600 } });
      expect(body.value).toEqual({ v: { step: 1 }, exp: START + 600_000 });
    });

    it('rounds a fractional TTL up to whole seconds', async () => {
      await store.set('v1:key', 'x', { ttlSeconds: 1.2 });
      expect((lastRequest().body as { options: unknown }).options).toEqual({ ttl: { unit: 'SECONDS', value: 2 } });
    });

    it('rejects a TTL that is not positive as a programming error', async () => {
      await expect(store.set('v1:key', 'x', { ttlSeconds: 0 })).rejects.toBeInstanceOf(TypeError);
      await expect(store.set('v1:key', 'x', { ttlSeconds: Number.NaN })).rejects.toBeInstanceOf(TypeError);
    });

    it('serves a value until its own expiry', async () => {
      await store.set('v1:key', 'alive', { ttlSeconds: 60 });
      time = START + 59_999;
      await expect(store.get('v1:key')).resolves.toBe('alive');
    });

    it('treats a value past its expiry as absent although KVS still serves it', async () => {
      await store.set('v1:key', 'stale', { ttlSeconds: 60 });
      time = START + 60_000;
      expect(transport.data.has('v1:key')).toBe(true);
      await expect(store.get('v1:key')).resolves.toBeUndefined();
      transport.purgeExpired();
      expect(transport.data.has('v1:key')).toBe(false);
      await expect(store.get('v1:key')).resolves.toBeUndefined();
    });

    it('keeps a value without TTL forever', async () => {
      await store.set('v1:key', 'forever');
      time = START + 365 * 86_400_000;
      transport.purgeExpired();
      await expect(store.get('v1:key')).resolves.toBe('forever');
    });
  });

  describe('ifAbsent', () => {
    it('writes only when nothing is stored, with FAIL_IF_EXISTS', async () => {
      await expect(store.set('v1:once', 'first', { ifAbsent: true, ttlSeconds: 30 })).resolves.toBe(true);
      expect((lastRequest().body as { options: unknown }).options).toEqual({
        keyPolicy: 'FAIL_IF_EXISTS',
        ttl: { unit: 'SECONDS', value: 30 },
      });
      await expect(store.set('v1:once', 'second', { ifAbsent: true })).resolves.toBe(false);
      await expect(store.get('v1:once')).resolves.toBe('first');
    });

    it('lets exactly one of many concurrent writers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.set('v1:race', `writer-${i}`, { ifAbsent: true })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(store.get('v1:race')).resolves.toBe(`writer-${results.indexOf(true)}`);
    });

    it('writes over a value that is past its own expiry but not purged yet', async () => {
      await store.set('v1:lease', 'old', { ttlSeconds: 10 });
      time = START + 11_000;
      await expect(store.set('v1:lease', 'new', { ifAbsent: true, ttlSeconds: 10 })).resolves.toBe(true);
      await expect(store.get('v1:lease')).resolves.toBe('new');
      await expect(store.set('v1:lease', 'newer', { ifAbsent: true })).resolves.toBe(false);
    });

    it('writes over the tombstone a take left behind', async () => {
      await store.set('v1:key', 'value');
      await store.take('v1:key');
      await expect(store.set('v1:key', 'again', { ifAbsent: true })).resolves.toBe(true);
      await expect(store.get('v1:key')).resolves.toBe('again');
    });

    it('lets exactly one of many concurrent writers win over an expired value', async () => {
      await store.set('v1:lease', 'old', { ttlSeconds: 10 });
      time = START + 11_000;
      const results = await Promise.all(
        Array.from({ length: 2 }, (_, i) => store.set('v1:lease', `writer-${i}`, { ifAbsent: true, ttlSeconds: 10 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(store.get('v1:lease')).resolves.toBe(`writer-${results.indexOf(true)}`);
    });
  });

  describe('take', () => {
    it('returns the value once and leaves nothing readable behind', async () => {
      await store.set('v1:login:state', { nonce: 'n' }, { ttlSeconds: 600 });
      await expect(store.take('v1:login:state')).resolves.toEqual({ nonce: 'n' });
      await expect(store.take('v1:login:state')).resolves.toBeUndefined();
      await expect(store.get('v1:login:state')).resolves.toBeUndefined();
    });

    it('is a read, then one atomic KVS write that returns the previous value', async () => {
      await store.set('v1:key', 'value');
      const before = transport.requests.length;
      await store.take('v1:key');
      expect(transport.requests.slice(before).map((request) => request.path)).toEqual(['/api/v1/get', '/api/v1/set']);
      expect((lastRequest().body as { options: unknown }).options).toEqual({
        keyPolicy: 'OVERRIDE',
        returnValue: 'PREVIOUS',
        ttl: { unit: 'SECONDS', value: 60 },
      });
    });

    it('gives the value to exactly one of many concurrent callers', async () => {
      await store.set('v1:login:race', 'the-value', { ttlSeconds: 600 });
      const results = await Promise.all(Array.from({ length: 10 }, () => store.take('v1:login:race')));
      expect(results.filter((r) => r !== undefined)).toEqual(['the-value']);
    });

    it('gives one of two concurrent callers the value', async () => {
      await store.set('v1:login:pair', 'v', { ttlSeconds: 600 });
      const [a, b] = await Promise.all([store.take('v1:login:pair'), store.take('v1:login:pair')]);
      expect([a, b].sort()).toEqual(['v', undefined].sort());
    });

    it('returns undefined for a missing key', async () => {
      await expect(store.take('v1:login:none')).resolves.toBeUndefined();
    });

    it('returns undefined for a value past its own expiry that KVS still serves', async () => {
      await store.set('v1:login:old', 'stale', { ttlSeconds: 60 });
      time = START + 61_000;
      expect(transport.data.has('v1:login:old')).toBe(true);
      await expect(store.take('v1:login:old')).resolves.toBeUndefined();
    });

    it('keeps reading a tombstone as absent after its own TTL has passed but before the purge', async () => {
      await store.set('v1:key', 'value');
      await store.take('v1:key');
      time = START + 3_600_000;
      await expect(store.get('v1:key')).resolves.toBeUndefined();
      await expect(store.take('v1:key')).resolves.toBeUndefined();
    });
  });

  describe('secrets', () => {
    it('round-trips through secret storage, apart from plain keys', async () => {
      const key = { privateKeyPem: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n', certificatePem: 'cert' };
      await secrets.setSecret('v1:signing-key', key);
      expect(transport.secrets.has('v1:signing-key')).toBe(true);
      expect(transport.data.has('v1:signing-key')).toBe(false);
      expect(transport.requests.map((r) => r.path)).toEqual(['/api/v1/secret/set']);
      await expect(secrets.getSecret('v1:signing-key')).resolves.toEqual(key);
      await expect(store.get('v1:signing-key')).resolves.toBeUndefined();
    });

    it('returns undefined for a missing secret and deletes idempotently', async () => {
      await expect(secrets.getSecret('v1:oidc-client-secret')).resolves.toBeUndefined();
      await secrets.setSecret('v1:oidc-client-secret', 's3cret');
      await secrets.deleteSecret('v1:oidc-client-secret');
      await expect(secrets.getSecret('v1:oidc-client-secret')).resolves.toBeUndefined();
      await expect(secrets.deleteSecret('v1:oidc-client-secret')).resolves.toBeUndefined();
    });
  });

  describe('storage failures', () => {
    const expectStorageUnavailable = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BridgeError);
      expect((error as BridgeError).code).toBe('storage_unavailable');
      return error as BridgeError;
    };

    it('reports a failed read', async () => {
      await store.set('v1:key', 'value');
      transport.fail('read');
      await expectStorageUnavailable(store.get('v1:key'));
      await expect(store.get('v1:key')).resolves.toBe('value');
    });

    it('reports a failed write', async () => {
      transport.fail('write');
      await expectStorageUnavailable(store.set('v1:key', 'value'));
      await expect(store.get('v1:key')).resolves.toBeUndefined();
    });

    it('reports a failed conditional write instead of answering "exists"', async () => {
      transport.fail('write');
      await expectStorageUnavailable(store.set('v1:key', 'value', { ifAbsent: true }));
    });

    it('reports a failed take and keeps the value for a retry', async () => {
      await store.set('v1:login:s', 'value', { ttlSeconds: 600 });
      transport.fail('write');
      await expectStorageUnavailable(store.take('v1:login:s'));
      await expect(store.take('v1:login:s')).resolves.toBe('value');
    });

    it('reports a failed delete', async () => {
      transport.fail('write');
      await expectStorageUnavailable(store.delete('v1:key'));
    });

    it('reports failed secret reads and writes without the secret in the error', async () => {
      transport.fail('write');
      const error = await expectStorageUnavailable(secrets.setSecret('v1:oidc-client-secret', 'very-secret-value'));
      expect(`${error.message} ${error.detail ?? ''}`).not.toContain('very-secret-value');
      expect(`${error.message} ${error.detail ?? ''}`).not.toContain('v1:oidc-client-secret');
      transport.fail('read');
      await expectStorageUnavailable(secrets.getSecret('v1:oidc-client-secret'));
    });

    it('reports a value the service refuses', async () => {
      await expectStorageUnavailable(store.set('v1:key', 'x'.repeat(250 * 1024)));
      await expectStorageUnavailable(store.set('not/a valid key', 'x'));
    });
  });
});
