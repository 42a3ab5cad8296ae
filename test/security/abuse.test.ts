import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { browserBindingCookieName } from '../../src/core/browser-binding.js';
import { inProcessBridge, type InProcessBridge } from '../support/in-process-bridge.js';
import { forgeBridge, type ForgeBridge } from '../support/forge-bridge.js';
import { TEST_WEB_TRIGGER_URL } from '../forge/forge-platform.js';
import type { MemoryAuditTrail } from '../support/memory-audit-trail.js';

/**
 * What an anonymous client can make the bridge store. A callback's `state` names a login
 * transaction; one the bridge never issued (or one already used, or expired) must cost a read
 * and nothing else, on every store (test/contract/key-value-store.contract.test.ts proves the
 * stores' `take`; here the whole callback, in-process and on Forge's KVS).
 */

/** A state in the issued format (32 random bytes, base64url) that the bridge never issued. */
const neverIssued = () => randomBytes(32).toString('base64url');

const KVS_WRITE_PATHS = /\/(set|delete|transaction)$/;

describe('a callback for a state the bridge never issued writes nothing (in-process)', () => {
  let b: InProcessBridge;
  beforeAll(async () => {
    b = await inProcessBridge();
  });

  /** Runs `action` and returns how many writes reached the store and the audit trail. */
  const writesDuring = async (action: () => Promise<unknown>) => {
    const before = { store: b.store.writes, audit: (b.audit as MemoryAuditTrail).size };
    await action();
    return { store: b.store.writes - before.store, audit: (b.audit as MemoryAuditTrail).size === before.audit ? 0 : 1 };
  };

  const callback = (state: string, cookie?: string) =>
    b.get('/oidc/callback', { state: [state], code: ['a-code'] }, cookie ? { cookie: [cookie] } : {});

  it('a never-issued state, without a binding cookie', async () => {
    let status = 0;
    const writes = await writesDuring(async () => {
      const response = await callback(neverIssued());
      status = response.status;
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(status).toBe(400);
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a never-issued state, with a binding cookie of its own name', async () => {
    const state = neverIssued();
    const writes = await writesDuring(async () => {
      const response = await callback(state, `${browserBindingCookieName(state, b.config.baseUrl)}=forged`);
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a state already used', async () => {
    const { state, cookie } = await b.startLogin();
    // The first return burns the transaction (it carries no code, so it ends there).
    const first = await b.get('/oidc/callback', { state: [state] }, cookie ? { cookie: [cookie] } : {});
    expect(first.headers['X-Bridge-Error']).toBe('oidc_code_missing');
    const writes = await writesDuring(async () => {
      const response = await callback(state, cookie);
      expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
    });
    expect(writes).toEqual({ store: 0, audit: 0 });
  });

  it('a state past its expiry', async () => {
    const { state, cookie } = await b.startLogin();
    b.clock.offsetMs += (b.config.loginTimeoutSeconds + 120) * 1000;
    try {
      const writes = await writesDuring(async () => {
        const response = await callback(state, cookie);
        expect(response.headers['X-Bridge-Error']).toBe('login_unknown');
      });
      expect(writes.store).toBe(0);
    } finally {
      b.clock.offsetMs = 0;
    }
  });
});

describe('a callback for a state the bridge never issued writes nothing (Forge KVS)', () => {
  let forge: ForgeBridge;
  beforeAll(async () => {
    forge = await forgeBridge();
    // A login first, so the configuration and the provider's metadata are read and cached.
    expect((await forge.sso()).statusCode).toBe(302);
  });
  afterAll(() => forge.uninstall());

  const kvsWritesDuring = async (action: () => Promise<unknown>) => {
    const before = forge.platform.kvs.requests.length;
    await action();
    return forge.platform.kvs.requests.slice(before).filter((request) => KVS_WRITE_PATHS.test(request.path)).map((request) => request.path);
  };

  it('without a binding cookie, and with a forged one', async () => {
    const state = neverIssued();
    const writes = await kvsWritesDuring(async () => {
      expect((await forge.callback({ state: [state], code: ['a-code'] })).statusCode).toBe(400);
      const cookie = `${browserBindingCookieName(state, TEST_WEB_TRIGGER_URL)}=forged`;
      expect((await forge.callback({ state: [state], code: ['a-code'] }, cookie)).statusCode).toBe(400);
    });
    expect(writes).toEqual([]);
  });
});
