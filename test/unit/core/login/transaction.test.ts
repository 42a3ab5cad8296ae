import { describe, expect, it } from '@jest/globals';
import { ISSUED_STATE, readTransaction } from '../../../../src/core/login/transaction.js';
import { DEFAULT_ID } from '../../../../src/core/storage-keys.js';

/** What a callback accepts as a stored login transaction: this release's records, and the single-configuration release's (v1). */

const v2 = { v: 2, attempt: 'R-1', connectionId: 'c', providerId: 'p', nonce: 'n', codeVerifier: 'v', createdAt: 1, expiresAt: 2, browserHash: null, directoryRevision: 'r' };
const sp = { ...v2, kind: 'sp', samlRequestId: '_r', relayState: null, forceAuthn: true, spEntityId: 'https://sp.test' };
const test = { ...v2, kind: 'test', testId: 't', startRedirect: 'https://idp.test/a' };

describe('readTransaction', () => {
  it('reads an SP login and a connection test as stored', () => {
    expect(readTransaction(sp)).toEqual(sp);
    expect(readTransaction(test)).toEqual(test);
  });

  it('reads nothing that is not a record', () => {
    for (const raw of [undefined, null, 'sp', 2, [sp]]) expect(readTransaction(raw)).toBeUndefined();
  });

  it('reads no other version', () => {
    for (const v of [0, 3, '2', undefined]) expect(readTransaction({ ...sp, v })).toBeUndefined();
  });

  it.each(['connectionId', 'providerId', 'nonce', 'codeVerifier'])('refuses a record whose %s is not a string', (name) => {
    expect(readTransaction({ ...sp, [name]: 1 })).toBeUndefined();
    expect(readTransaction({ ...test, [name]: undefined })).toBeUndefined();
  });

  it.each(['createdAt', 'expiresAt'])('refuses a record whose %s is not a number', (name) => {
    expect(readTransaction({ ...sp, [name]: '1' })).toBeUndefined();
  });

  it('refuses an SP login without its request ID or SP, and a test without its id', () => {
    expect(readTransaction({ ...sp, samlRequestId: 1 })).toBeUndefined();
    expect(readTransaction({ ...sp, spEntityId: undefined })).toBeUndefined();
    expect(readTransaction({ ...test, testId: null })).toBeUndefined();
    expect(readTransaction({ ...sp, kind: 'idp' })).toBeUndefined();
  });

  it('finishes a v1 login under the first connection and provider, as version 2', () => {
    const { v: _v, attempt: _a, connectionId: _c, providerId: _p, directoryRevision: _d, ...v1 } = sp;
    expect(readTransaction({ ...v1, v: 1 })).toEqual({ ...v1, v: 2, attempt: undefined, connectionId: DEFAULT_ID, providerId: DEFAULT_ID, directoryRevision: null, kind: 'sp' });
    const { v: _tv, attempt: _ta, connectionId: _tc, providerId: _tp, directoryRevision: _td, ...v1Test } = test;
    expect(readTransaction({ ...v1Test, v: 1 })).toMatchObject({ v: 2, kind: 'test', connectionId: DEFAULT_ID, testId: 't' });
    // A v1 record without a kind was an SP login.
    const { kind: _k, ...v1NoKind } = v1;
    expect(readTransaction({ ...v1NoKind, v: 1 })).toMatchObject({ kind: 'sp' });
  });
});

describe('ISSUED_STATE', () => {
  it('matches openid-client states (43 base64url characters) and nothing else', () => {
    expect(ISSUED_STATE.test('aZ09_-'.repeat(7) + 'a')).toBe(true);
    for (const state of ['a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}+`, `${'a'.repeat(42)}/`, ` ${'a'.repeat(42)}`, `${'a'.repeat(43)}\n`]) {
      expect(ISSUED_STATE.test(state)).toBe(false);
    }
  });
});
