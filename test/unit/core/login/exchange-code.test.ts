import { describe, expect, it } from '@jest/globals';
import type { BridgeConfig } from '../../../../src/core/config.js';
import { BridgeError } from '../../../../src/core/errors.js';
import type { Attempt, LoginContext } from '../../../../src/core/login/attempt.js';
import { exchangeCode, noteClaimedUser } from '../../../../src/core/login/steps/exchange-code.js';
import type { TakenLogin } from '../../../../src/core/login/transaction.js';

/**
 * The callback's provider half: a callback with neither a code nor an error is refused before
 * the provider is called (the exchange itself runs against oidc-provider in
 * test/integration/login.test.ts and test/integration/id-token-refusals.test.ts), and what the
 * audit trail records of a user the bridge then refuses.
 */

describe('exchangeCode: the callback must carry a code or an error', () => {
  // Nothing of these is reached: the refusal comes before the provider is called.
  const unreached = new Proxy({}, { get: (_, name) => { throw new Error(`read ${String(name)}`); } });
  const exchange = (query: Record<string, string[]>) =>
    exchangeCode(unreached as LoginContext, unreached as BridgeConfig, unreached as TakenLogin, query, 0).then(
      () => 'answered',
      (error: unknown) => (error instanceof BridgeError ? error.code : (error as Error).message),
    );

  it.each([
    ['no parameters', {}],
    ['only a state', { state: ['s'] }],
    ['an empty code', { code: [''] }],
    ['an empty error', { error: [''] }],
    ['an empty code and an empty error', { code: [''], error: [''] }],
  ])('refuses a callback with %s as oidc_code_missing', async (_, query) => {
    await expect(exchange(query)).resolves.toBe('oidc_code_missing');
  });

  it("goes on to the provider's answer with a code or with an error (control: it reads the configuration)", async () => {
    await expect(exchange({ code: ['c'] })).resolves.toMatch(/^read /);
    await expect(exchange({ error: ['access_denied'] })).resolves.toMatch(/^read /);
  });
});

describe('noteClaimedUser: who the provider said the user is, for the audit trail', () => {
  const noted = (claims: Record<string, unknown>) => {
    const attempt: Attempt = { reference: 'R-1', startedAt: 0 };
    noteClaimedUser(attempt, claims);
    return { email: attempt.email, subject: attempt.subject };
  };

  it('records the address trimmed and in lower case, and the subject as given', () => {
    expect(noted({ email: '  Alice@Example.COM ', sub: ' 00u-Abc ' })).toEqual({ email: 'alice@example.com', subject: ' 00u-Abc ' });
  });

  it('records an address of up to 320 characters and a subject of up to 1024, and nothing longer', () => {
    const email = (n: number) => `${'a'.repeat(n - 12)}@example.com`;
    expect(noted({ email: email(320), sub: 's'.repeat(1024) })).toEqual({ email: email(320), subject: 's'.repeat(1024) });
    expect(noted({ email: email(321), sub: 's'.repeat(1025) })).toEqual({ email: undefined, subject: undefined });
  });

  it('records nothing for claims that are not text', () => {
    expect(noted({ email: ['alice@example.com'], sub: 42 })).toEqual({ email: undefined, subject: undefined });
    expect(noted({})).toEqual({ email: undefined, subject: undefined });
  });
});
