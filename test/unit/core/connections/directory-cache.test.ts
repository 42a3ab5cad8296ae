import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BridgeCaches } from '../../../../src/core/bridge.js';
import { configSave } from '../../../../src/core/admin/config-save.js';
import type { AdminContext } from '../../../../src/core/admin/admin-context.js';
import { cryptoRandom, systemClock } from '../../../../src/core/default-ports.js';
import type { Json, KeyValueStore, SecretStore } from '../../../../src/core/ports.js';
import { createStoredDirectorySources, type DirectorySource } from '../../../../src/core/connections/directory.js';
import { SqliteStore } from '../../../../src/standalone/sqlite-store.js';

/** Counts what reaches storage, as the benchmark's storeOpsPerLogin does. */
function counting(store: SqliteStore) {
  const counts = { get: 0, getSecret: 0, compareAndSet: 0 };
  const kv: KeyValueStore = {
    get: <T extends Json>(key: string) => (counts.get++, store.get<T>(key)),
    set: (key, value, options) => store.set(key, value, options),
    delete: (key) => store.delete(key),
    take: <T extends Json>(key: string) => store.take<T>(key),
    compareAndSet: (key, expected, value) => (counts.compareAndSet++, store.compareAndSet(key, expected, value)),
    increment: (key, options) => store.increment(key, options),
  };
  const secrets: SecretStore = {
    getSecret: <T extends Json>(key: string) => (counts.getSecret++, store.getSecret<T>(key)),
    setSecret: (key, value) => store.setSecret(key, value),
    deleteSecret: (key) => store.deleteSecret(key),
  };
  return { kv, secrets, counts };
}

const BASE_URL = 'https://bridge.example.net';

/**
 * The first connection's login configuration as the bridge gets it: the directory (read per
 * request, by revision) and, from it, the provider's configuration (its secret read once per
 * directory). `revision` is the directory's.
 */
function loginConfig(directory: DirectorySource) {
  return async (hint?: { revision?: string | null }) => {
    const current = await directory(hint);
    const config = await current.connections[0]?.providers[0]?.config();
    return config && { ...config, revision: current.revision };
  };
}
const settings = {
  oidc: { issuer: 'https://idp.example.com', clientId: 'client' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/1', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-1' },
  allowedEmailDomains: ['example.com'],
};

describe('the stored configuration, cached by revision', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stored-config-'));
    store = new SqliteStore(systemClock, { dataDir: dir });
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function admin(): AdminContext {
    const logger = { log: () => undefined };
    return {
      ports: { store, secrets: store, clock: systemClock, random: cryptoRandom, logger, fetch: () => Promise.reject(new Error('no network')) },
      baseUrl: BASE_URL,
      allowLoopbackHttp: false,
      host: 'forge',
      signingCredentials: () => Promise.reject(new Error('not needed')),
      actor: 'admin-1',
    };
  }

  it('reads the record on every request but the secret only when the record changed', async () => {
    await configSave(admin(), { settings, clientSecret: 'first-secret' });
    const { kv, secrets, counts } = counting(store);
    const caches = new BridgeCaches();
    const source = loginConfig(createStoredDirectorySources({ store: kv, secrets, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: caches }).directory);
    const first = await source();
    const second = await source();
    expect(second).toEqual(first);
    expect(counts).toEqual({ get: 2, getSecret: 1, compareAndSet: 0 });
    expect(first?.revision).toMatch(/^[\w-]{22}$/);
  });

  it('serves a callback from the cache by its login\'s revision without reading storage', async () => {
    await configSave(admin(), { settings, clientSecret: 'first-secret' });
    const { kv, secrets, counts } = counting(store);
    const caches = new BridgeCaches();
    const source = loginConfig(createStoredDirectorySources({ store: kv, secrets, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: caches }).directory);
    const atSso = await source();
    const atCallback = await source({ revision: atSso!.revision });
    expect(atCallback).toEqual(atSso);
    expect(counts).toEqual({ get: 1, getSecret: 1, compareAndSet: 0 });
  });

  it('picks up a new client secret from the next request on, though no other setting changed', async () => {
    await configSave(admin(), { settings, clientSecret: 'first-secret' });
    const caches = new BridgeCaches();
    const source = loginConfig(createStoredDirectorySources({ store, secrets: store, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: caches }).directory);
    const before = await source();
    expect(before?.oidc.clientSecret).toBe('first-secret');
    await configSave(admin(), { settings: {}, clientSecret: 'second-secret' });
    const after = await source();
    expect(after?.oidc.clientSecret).toBe('second-secret');
    expect(after?.revision).not.toBe(before?.revision);
    // A login that started before the change, whose configuration is no longer the cached one,
    // finishes under the current configuration: never under a stale secret.
    expect(await source({ revision: before!.revision })).toEqual(after);
  });

  it('reads the store again when the hinted revision is not the cached one', async () => {
    await configSave(admin(), { settings, clientSecret: 'first-secret' });
    const { kv, secrets, counts } = counting(store);
    const source = loginConfig(createStoredDirectorySources({ store: kv, secrets, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: new BridgeCaches() }).directory);
    const config = await source({ revision: 'some-other-revision' });
    expect(config?.oidc.clientId).toBe('client');
    expect(counts).toEqual({ get: 1, getSecret: 1, compareAndSet: 0 });
  });

  it('never serves an older secret after the settings return to an earlier state', async () => {
    // The cached record and a later one must never be the same bytes while the secrets differ:
    // a save that leaves the secret alone keeps the secret's revision in the record.
    await configSave(admin(), { settings, clientSecret: 'secret-0' });
    await configSave(admin(), { settings: { requireVerifiedEmail: false } });
    await configSave(admin(), { settings: { requireVerifiedEmail: true } });
    const caches = new BridgeCaches();
    const source = loginConfig(createStoredDirectorySources({ store, secrets: store, baseUrl: BASE_URL, allowLoopbackHttp: false, cache: caches }).directory);
    expect((await source())?.oidc.clientSecret).toBe('secret-0');
    await configSave(admin(), { settings: {}, clientSecret: 'secret-1' });
    await configSave(admin(), { settings: { requireVerifiedEmail: false } });
    await configSave(admin(), { settings: { requireVerifiedEmail: true } });
    expect((await source())?.oidc.clientSecret).toBe('secret-1');
  });
});
