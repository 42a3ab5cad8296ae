import { expect } from '@jest/globals';
import { BridgeError, type BridgeErrorCode } from '../../src/core/errors.js';
import { userFromClaims, type ClaimsPolicy } from '../../src/upstream-oidc/user-from-claims.js';

/** The code `userFromClaims` refuses these claims with; fails the test when they are accepted. */
export function claimsRefusal(claims: Record<string, unknown>, policy: ClaimsPolicy): BridgeErrorCode {
  try {
    userFromClaims(claims, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    return (error as BridgeError).code;
  }
  throw new Error('the claims were accepted');
}
