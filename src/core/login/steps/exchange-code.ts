import type { BridgeConfig } from '../../config.js';
import { BridgeError } from '../../errors.js';
import { completeAuthorization } from '../../../upstream-oidc/upstream-oidc.js';
import { upstreamContext, type Attempt, type LoginContext } from '../attempt.js';
import type { TakenLogin } from '../transaction.js';

/** The provider's half of a callback: code exchange (after the RFC 9207 mix-up check), ID token and userinfo. */
export async function exchangeCode(context: LoginContext, config: BridgeConfig, taken: TakenLogin, query: Record<string, string[]>, now: number) {
  if (!query.error?.[0] && !query.code?.[0]) throw new BridgeError('oidc_code_missing');
  const callbackUrl = new URL(config.urls.callback);
  for (const [name, values] of Object.entries(query)) for (const value of values) callbackUrl.searchParams.append(name, value);
  return completeAuthorization(upstreamContext(context, config), now, callbackUrl, {
    state: taken.state,
    nonce: taken.transaction.nonce,
    codeVerifier: taken.transaction.codeVerifier,
  });
}

/**
 * Who the provider said the user is, before the bridge's checks: a refused attempt is recorded
 * with the address and subject that were refused (the audit trail is the customer's record;
 * these never go to a log line). A login that passes records the checked values instead.
 */
export function noteClaimedUser(attempt: Attempt, claims: Readonly<Record<string, unknown>>): void {
  if (typeof claims.email === 'string' && claims.email.length <= 320) attempt.email = claims.email.trim().toLowerCase();
  if (typeof claims.sub === 'string' && claims.sub.length <= 1024) attempt.subject = claims.sub;
}
