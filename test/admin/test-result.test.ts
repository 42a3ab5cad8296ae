import { describe, expect, it } from '@jest/globals';
import type { TestResultResponse } from '../../src/core/admin/admin-api-types.js';
import { testResult } from '../../src/core/admin/test-result.js';
import { actorHash, recordTestOutcome, writeTestRecord } from '../../src/core/test-login.js';
import { BridgeError } from '../../src/core/errors.js';
import { memoryAdmin } from './support/memory-ports.js';

/** test/result on memory ports: a test nobody finished expires, and one admin's test is not another's. */

const TEST_ID = 'T0000000000000000000001';

describe('test/result', () => {
  it('turns a test nobody finished into login_expired once its login timeout passes, with one stable reference', async () => {
    const admin = memoryAdmin({ actor: 'admin-1' });
    const now = admin.clock.now;
    await writeTestRecord(admin.store, TEST_ID, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: now, expiresAt: now + 600_000 });
    await expect(testResult(admin.ctx, { testId: TEST_ID })).resolves.toEqual({ state: 'pending' });
    admin.clock.now += 601_000;
    const first = (await testResult(admin.ctx, { testId: TEST_ID })) as Extract<TestResultResponse, { state: 'failed' }>;
    expect(first).toMatchObject({ state: 'failed', code: 'login_expired', reference: expect.stringMatching(/^R-[A-Z0-9]{4}-[A-Z0-9]{4}$/) });
    await expect(testResult(admin.ctx, { testId: TEST_ID })).resolves.toMatchObject({ reference: first.reference });
    expect(admin.logs).toContainEqual(expect.objectContaining({ event: 'test.expired', fields: expect.objectContaining({ reference: first.reference }) }));
  });

  it('does not show one admin\'s test (with the test user\'s claims) to another', async () => {
    const owner = memoryAdmin({ actor: 'admin-1' });
    await writeTestRecord(owner.store, TEST_ID, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: owner.clock.now, expiresAt: owner.clock.now + 600_000 });
    await recordTestOutcome(owner.store, {
      testId: TEST_ID,
      connectionId: 'default',
      providerId: 'default',
      reference: 'R-AAAA-BBBB',
      outcome: { ok: false, code: 'user_email_unverified', error: new BridgeError('user_email_unverified'), claims: { sub: 's', email: 'mallory@example.com', email_verified: false } },
      fingerprint: 'f',
      now: owner.clock.now,
    });
    await expect(testResult(owner.ctx, { testId: TEST_ID })).resolves.toMatchObject({
      state: 'failed',
      code: 'user_email_unverified',
      reference: 'R-AAAA-BBBB',
      claims: { email: 'mallory@example.com' },
    });
    const other = { ...owner.ctx, actor: 'admin-2' };
    await expect(testResult(other, { testId: TEST_ID })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it.each([
    ['oidc_client_rejected', 'Client secret', 'provider'],
    ['oidc_client_unauthorized', 'Client ID', 'provider'],
    ['oidc_redirect_uri_rejected', 'Callback URL registered at the provider', 'callback'],
  ] as const)('links a failed test with %s to the field to check (%s)', async (code, field, step) => {
    const admin = memoryAdmin({ actor: 'admin-1' });
    await writeTestRecord(admin.store, TEST_ID, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: admin.clock.now, expiresAt: admin.clock.now + 600_000 });
    await recordTestOutcome(admin.store, {
      testId: TEST_ID,
      connectionId: 'default',
      providerId: 'default',
      reference: 'R-AAAA-BBBB',
      outcome: { ok: false, code, error: new BridgeError(code) },
      fingerprint: 'f',
      now: admin.clock.now,
    });
    await expect(testResult(admin.ctx, { testId: TEST_ID })).resolves.toMatchObject({ state: 'failed', code, advice: { field, step, message: expect.any(String) } });
  });

  it('gives no advice for a failure no field explains (control)', async () => {
    const admin = memoryAdmin({ actor: 'admin-1' });
    await writeTestRecord(admin.store, TEST_ID, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: admin.clock.now, expiresAt: admin.clock.now + 600_000 });
    await recordTestOutcome(admin.store, {
      testId: TEST_ID, connectionId: 'default', providerId: 'default', reference: 'R-AAAA-BBBB',
      outcome: { ok: false, code: 'oidc_timeout', error: new BridgeError('oidc_timeout') }, fingerprint: 'f', now: admin.clock.now,
    });
    const answer = await testResult(admin.ctx, { testId: TEST_ID });
    expect(answer).toMatchObject({ state: 'failed', code: 'oidc_timeout' });
    expect(answer).not.toHaveProperty('advice');
  });
});
