import { describe, expect, it } from '@jest/globals';
import type { UsersPreviewResponse } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import { BridgeError } from '../../src/core/errors.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { actorHash, readTestRecord, recordTestOutcome, writeTestRecord } from '../../src/core/test-login.js';
import { finishTest, memoryAdmin } from './support/memory-ports.js';

/**
 * What a connection test leaves in storage: bounded (a provider sending megabytes of claims or
 * thousands of groups costs a few dozen kilobytes, far below Forge's 240 KiB value limit), and
 * the claims kept for the preview belong to the admin who ran the test.
 */

const KVS_VALUE_LIMIT = 240 * 1024;

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('a connection test in storage', () => {
  it('stays well under the KVS value limit, whatever the provider sends', async () => {
    const admin = memoryAdmin();
    const claims = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`claim_${i}_${'n'.repeat(300)}`, 'v'.repeat(4000)]));
    const groups = Array.from({ length: 10_000 }, (_, i) => `group-${i}-${'g'.repeat(2000)}`);
    const testId = await finishTest(admin, 'admin-1', { email: 'user@example.com', ...claims }, groups);
    const record = await readTestRecord(admin.store, testId);
    expect(record?.state).toBe('succeeded');
    expect(size(record)).toBeLessThan(KVS_VALUE_LIMIT / 2);
    const last = await admin.store.get(storageKeys.wizardLastTest('default', 'default', actorHash('admin-1')));
    expect(size(last)).toBeLessThan(KVS_VALUE_LIMIT / 2);
    // Nothing is silently dropped: what is not kept says so.
    expect(record?.state === 'succeeded' && record.attributes[0]!.values.at(-1)).toMatch(/more values not shown/);
  });

  it('keeps the claims for the preview of the admin who ran the test, not of another admin', async () => {
    const admin = memoryAdmin({ actor: 'admin-1' });
    await finishTest(admin, 'admin-1', { sub: 'u1', email: 'user@example.com', email_verified: true });
    const preview = async (actor: string) => {
      const outcome = await runAdminResolver('users/preview', { ...admin.ctx, actor }, {});
      return outcome.kind === 'answer' ? (outcome.body as UsersPreviewResponse) : outcome;
    };
    expect(await preview('admin-2')).toEqual({ state: 'no_test' });
    const own = await preview('admin-1');
    expect(own).toMatchObject({ claims: { email: 'user@example.com' } });
    // Nothing under the key every admin would read.
    expect(await admin.store.get(storageKeys.wizardLastTest('default', 'default'))).toBeUndefined();
  });

  it('keeps a failed test\'s claims per admin too', async () => {
    const admin = memoryAdmin();
    const testId = 'failed-test-0001';
    await writeTestRecord(admin.store, testId, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: 0, expiresAt: admin.clock.now + 600_000 });
    await recordTestOutcome(admin.store, {
      testId,
      connectionId: 'default',
      providerId: 'default',
      reference: 'REF2',
      fingerprint: undefined,
      now: admin.clock.now,
      outcome: { ok: false, code: 'user_email_unverified', error: new BridgeError('user_email_unverified'), claims: { email: 'x@example.com' } },
    });
    expect(await admin.store.get(storageKeys.wizardLastTest('default', 'default', actorHash('admin-1')))).toMatchObject({ claims: { email: 'x@example.com' } });
    expect(await admin.store.get(storageKeys.wizardLastTest('default', 'default', actorHash('admin-2')))).toBeUndefined();
  });
});
