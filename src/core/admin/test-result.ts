import { z } from 'zod';
import { adviceFor } from './test-advice.js';
import { publicError } from '../errors.js';
import { actorHash, readTestRecord, writeTestRecord, type TestRecord } from '../test-login.js';
import type { TestResultResponse } from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { newReference } from '../reference.js';

const requestSchema = z.strictObject({ testId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a test id') });

/**
 * `test/result`: the state of a connection test this admin started: pending, succeeded (the
 * claims received, and the exact NameID and attributes Atlassian would get), or failed (the
 * code, the public explanation and the reference shown on the page the admin saw). A test past
 * its login timeout without a callback becomes `login_expired`.
 */
export async function testResult(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<TestResultResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { testId } = parsed.value;
  const { ports } = ctx;
  let record = await readTestRecord(ports.store, testId);
  // Another admin's test reads as unknown: its claims are the test user's personal data.
  if (!record || record.actorHash !== actorHash(ctx.actor)) return badRequest('There is no such connection test, or it has expired. Start a new test.');
  const now = ports.clock.now();
  if (record.state === 'pending') {
    if (record.expiresAt > now) return { state: 'pending' };
    const reference = newReference(ports);
    ports.logger.log('warn', 'test.expired', { reference, testId });
    const expired: TestRecord = { v: 1, actorHash: record.actorHash, createdAt: record.createdAt, state: 'failed', finishedAt: now, code: 'login_expired', reference };
    await writeTestRecord(ports.store, testId, expired);
    record = expired;
  }
  // Whatever the outcome: what the test saw of the binding cookie through this host.
  const observed = record.bindingCookie ? { bindingCookie: record.bindingCookie } : {};
  if (record.state === 'succeeded') {
    return {
      state: 'succeeded',
      claims: record.claims,
      nameId: record.nameId,
      nameIdFormat: record.nameIdFormat,
      attributes: record.attributes.map((a) => ({ name: a.name, values: [...a.values] })),
      ...(record.warnings.length ? { warnings: record.warnings.map(({ path, message }) => ({ path, message })) } : {}),
      ...observed,
    };
  }
  const { title, message } = publicError(record.code);
  const advice = adviceFor(record.code);
  return { state: 'failed', code: record.code, title, message, reference: record.reference, ...(advice ? { advice } : {}), ...(record.claims ? { claims: record.claims } : {}), ...observed };
}
