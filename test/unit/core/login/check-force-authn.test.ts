import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../../../src/core/config.js';
import { BridgeError } from '../../../../src/core/errors.js';
import { checkForceAuthn } from '../../../../src/core/login/steps/check-force-authn.js';
import type { SpLoginTransaction } from '../../../../src/core/login/transaction.js';

/** ForceAuthn holds only if the provider says (auth_time) that the user authenticated after the login started. */

const config = parseConfig(
  {
    baseUrl: 'https://bridge.example.net',
    oidc: { issuer: 'https://idp.example.com', clientId: 'client', clientSecret: 'secret' },
    serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
    allowedEmailDomains: ['example.com'],
    clockSkewSeconds: 60,
  },
  { allowLoopbackHttp: false },
);
const STARTED = Date.parse('2030-01-01T00:00:00Z');
const transaction = (forceAuthn: boolean) => ({ forceAuthn, createdAt: STARTED }) as SpLoginTransaction;

function refused(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return (error as BridgeError).code;
  }
}

describe('checkForceAuthn', () => {
  it('refuses a ForceAuthn login whose ID token carries no auth_time', () => {
    expect(refused(() => checkForceAuthn(transaction(true), undefined, config))).toBe('oidc_id_token_invalid');
  });

  it('refuses a ForceAuthn login whose authentication is older than the login (the provider ignored prompt=login)', () => {
    expect(refused(() => checkForceAuthn(transaction(true), STARTED - 60_000 - 1, config))).toBe('oidc_id_token_invalid');
    expect(refused(() => checkForceAuthn(transaction(true), STARTED - 3_600_000, config))).toBe('oidc_id_token_invalid');
  });

  it('accepts an authentication after the login started, or within the clock skew before it', () => {
    expect(refused(() => checkForceAuthn(transaction(true), STARTED + 1_000, config))).toBeUndefined();
    expect(refused(() => checkForceAuthn(transaction(true), STARTED, config))).toBeUndefined();
    expect(refused(() => checkForceAuthn(transaction(true), STARTED - 60_000, config))).toBeUndefined();
  });

  it('asks nothing of a login without ForceAuthn', () => {
    expect(refused(() => checkForceAuthn(transaction(false), undefined, config))).toBeUndefined();
    expect(refused(() => checkForceAuthn(transaction(false), STARTED - 3_600_000, config))).toBeUndefined();
  });
});
