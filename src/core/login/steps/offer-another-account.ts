import type { BridgeConfig } from '../../config.js';
import { ANOTHER_ACCOUNT_MAY_HELP, type BridgeError } from '../../errors.js';
import type { BrowserBinding } from '../../browser-binding.js';
import { newReference } from '../../reference.js';
import { supportsSelectAccount } from '../../../upstream-oidc/upstream-oidc.js';
import { upstreamContext, type Attempt, type LoginContext } from '../attempt.js';
import type { SamlLoginTransaction } from '../transaction.js';
import { redirectToProvider, type NewTransaction } from './redirect-to-provider.js';

/**
 * After a callback refused the account the user signed in with (a domain not allowed, an
 * unverified email, the provider's access_denied): a new login for the same AuthnRequest at the
 * same provider, asking it to let the user pick another account (`prompt=select_account`), for
 * the error page's "Use another account". Only where the provider is known to support that
 * value (`supportsSelectAccount`); otherwise, and for every other refusal, nothing.
 *
 * The new login is an ordinary one: its own transaction (state, nonce, PKCE, single use, the
 * same expiry), its own browser binding and its own reference, so it is recorded as an attempt
 * of its own. It is created only on such a refusal, and costs one storage write.
 */
export async function offerAnotherAccount(
  context: LoginContext,
  config: BridgeConfig,
  transaction: SamlLoginTransaction,
  refusal: BridgeError,
  directoryRevision: string | undefined,
): Promise<{ redirectTo: string; browserBinding?: BrowserBinding } | undefined> {
  if (!ANOTHER_ACCOUNT_MAY_HELP.has(refusal.code)) return undefined;
  const now = context.ports.clock.now();
  if (!(await supportsSelectAccount(upstreamContext(context, config), now))) return undefined;
  const attempt: Attempt = { reference: newReference(context.ports), startedAt: now };
  // An IdP-initiated login starts again as one, to the same RelayState.
  const what: NewTransaction =
    transaction.kind === 'idp'
      ? { kind: 'idp', relayState: transaction.relayState, spEntityId: transaction.spEntityId, selectAccount: true }
      : {
          kind: 'sp',
          samlRequestId: transaction.samlRequestId,
          relayState: transaction.relayState,
          forceAuthn: transaction.forceAuthn,
          spEntityId: transaction.spEntityId,
          // The new login answers the same AuthnRequest: its requested subject and format hold too.
          ...(transaction.requestedNameId ? { requestedNameId: transaction.requestedNameId } : {}),
          ...(transaction.nameIdFormat ? { nameIdFormat: transaction.nameIdFormat } : {}),
          selectAccount: true,
        };
  const started = await redirectToProvider(context, config, attempt, directoryRevision, what);
  return { redirectTo: started.redirectTo, ...(started.browserBinding ? { browserBinding: started.browserBinding } : {}) };
}
