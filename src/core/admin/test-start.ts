import { z } from 'zod';
import { ProviderConfigurationCache } from '../../upstream-oidc/upstream-oidc.js';
import { BridgeError, publicError } from '../errors.js';
import { startTestLogin } from '../login/connection-test.js';
import { storageKeys } from '../storage-keys.js';
import { testConfigFrom } from '../stored-config.js';
import { actorHash, loggedActor, TEST_RESULT_TTL_SECONDS, writeTestRecord } from '../test-login.js';
import type { TestStartResponse } from './admin-api-types.js';
import { badRequest, fieldProblems, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { loadSetupState, scopeOf, targetFields } from './setup-state.js';
import { newReference } from '../reference.js';

/**
 * `test/start`: a real login at the provider with the saved provider settings, through the same
 * upstream code and callback URL as every login, marked as a test so that the callback stores
 * the result instead of answering Atlassian. Works before Guard's values are set. Refused (with
 * the missing fields) while the provider settings are incomplete. The admin's browser opens the
 * bridge's `/test/start` first, which sets the binding cookie, so the test also measures whether
 * this host carries cookies (`BindingCookieCheck`).
 */
export async function testStart(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<TestStartResponse>> {
  const parsed = parsePayload(z.strictObject(targetFields), payload);
  if (!parsed.ok) return parsed.refusal;
  const state = await loadSetupState(ctx, parsed.value);
  const test = testConfigFrom(state.settings, state.clientSecret, ctx.baseUrl, scopeOf(ctx, state));
  if (!test.ok) {
    return badRequest('Complete and save the provider settings (step 3) before testing.', { problems: fieldProblems(test.problems) });
  }
  const { ports } = ctx;
  const now = ports.clock.now();
  const testId = ports.random.token(16);
  const who = actorHash(ctx.actor);
  const { loginTimeoutSeconds } = test.test.config;
  const expiresAt = now + loginTimeoutSeconds * 1000;
  // Kept as long as a result would be, so a test abandoned at the provider reads as expired
  // (login_expired) rather than unknown.
  await writeTestRecord(ports.store, testId, { v: 1, state: 'pending', actorHash: who, createdAt: now, expiresAt });
  let started: { state: string; bindingValue: string };
  try {
    started = await startTestLogin(
      { ports, providerCache: ctx.providerCache ?? new ProviderConfigurationCache(), allowLoopbackHttp: ctx.allowLoopbackHttp },
      test.test.config,
      testId,
      { reference: newReference(ports), startedAt: now, flow: 'test' },
    );
  } catch (error) {
    await ports.store.delete(storageKeys.testResult(testId)).catch(() => undefined);
    const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', (error as Error)?.message?.slice(0, 200), { cause: error });
    const reference = newReference(ports);
    ports.logger.log('warn', 'test.start_failed', { reference, actor: loggedActor(ctx.actor), code: bridgeError.code, detail: bridgeError.detail });
    return badRequest(`The test could not start: ${publicError(bridgeError.code).message}`, { code: bridgeError.code, reference });
  }
  await ports.store.set(storageKeys.wizardLatestTest(who, state.connectionId, state.providerId), { testId, expiresAt: now + TEST_RESULT_TTL_SECONDS * 1000 }, { ttlSeconds: TEST_RESULT_TTL_SECONDS });
  ports.logger.log('info', 'test.started', { actor: loggedActor(ctx.actor), testId });
  const startUrl = new URL(`${ctx.baseUrl.replace(/\/+$/, '')}/test/start`);
  startUrl.searchParams.set('state', started.state);
  startUrl.searchParams.set('binding', started.bindingValue);
  return { testId, startUrl: startUrl.href };
}
