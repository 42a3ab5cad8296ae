import type { BridgeConfig } from '../../config.js';
import { BridgeError } from '../../errors.js';
import { storageKeys } from '../../storage-keys.js';
import { bindingHash, type BrowserBinding } from '../../browser-binding.js';
import { authorizationUrl, newLoginSecrets } from '../../../upstream-oidc/upstream-oidc.js';
import { guardStorage, upstreamContext, type Attempt, type LoginContext } from '../attempt.js';
import type { LoginTransaction, TransactionBase } from '../transaction.js';

export type NewTransaction =
  | {
      kind: 'sp';
      samlRequestId: string;
      relayState: string | null;
      forceAuthn: boolean;
      spEntityId: string;
      loginHint?: string;
      selectAccount?: boolean;
      requestedNameId?: string;
      nameIdFormat?: string;
    }
  | { kind: 'idp'; relayState: string; spEntityId: string; loginHint?: string; selectAccount?: boolean }
  | { kind: 'test'; testId: string };

/** Records the login transaction and builds the provider's authorization URL. */
export async function redirectToProvider(
  context: LoginContext,
  config: BridgeConfig,
  attempt: Attempt,
  directoryRevision: string | undefined,
  what: NewTransaction,
): Promise<{ redirectTo: string; browserBinding?: BrowserBinding; state: string; bindingValue?: string; expiresAt: number }> {
  const { ports } = context;
  const now = ports.clock.now();
  const secrets = newLoginSecrets();
  // Every login is bound unless the configuration says otherwise; where a connection test saw
  // this host drop the cookie, the callback accepts its absence (`takeLoginTransaction`). A
  // test always sets its cookie, to measure whether it comes back.
  const bindingValue = what.kind === 'test' || config.bindLoginToBrowser ? ports.random.token(32) : undefined;
  const redirect = await authorizationUrl(upstreamContext(context, config), now, secrets, {
    forceAuthn: what.kind === 'sp' && what.forceAuthn,
    ...(what.kind !== 'test' && what.loginHint ? { loginHint: what.loginHint } : {}),
    ...(what.kind !== 'test' && what.selectAccount ? { selectAccount: true } : {}),
  });
  const base: TransactionBase = {
    v: 2,
    attempt: attempt.reference,
    connectionId: config.connectionId,
    providerId: config.providerId,
    nonce: secrets.nonce,
    codeVerifier: secrets.codeVerifier,
    createdAt: now,
    expiresAt: now + config.loginTimeoutSeconds * 1000,
    browserHash: bindingValue ? bindingHash(bindingValue) : null,
    directoryRevision: directoryRevision ?? null,
  };
  const transaction: LoginTransaction =
    what.kind === 'sp'
      ? {
          ...base,
          kind: 'sp',
          samlRequestId: what.samlRequestId,
          relayState: what.relayState,
          forceAuthn: what.forceAuthn,
          spEntityId: what.spEntityId,
          requestedNameId: what.requestedNameId ?? null,
          nameIdFormat: what.nameIdFormat ?? null,
        }
      : what.kind === 'idp'
        ? { ...base, kind: 'idp', relayState: what.relayState, spEntityId: what.spEntityId }
        : { ...base, kind: 'test', testId: what.testId, startRedirect: redirect.href };
  const stored = await guardStorage(() =>
    ports.store.set(storageKeys.login(secrets.state), { ...transaction }, { ttlSeconds: config.loginTimeoutSeconds + 60, ifAbsent: true }),
  );
  // A fresh 256-bit state cannot collide; if it does, something is wrong with the store.
  if (!stored) throw new BridgeError('storage_unavailable', 'login key already exists');
  const browserBinding = bindingValue && what.kind !== 'test' ? { state: secrets.state, value: bindingValue, maxAge: config.loginTimeoutSeconds } : undefined;
  return { redirectTo: redirect.href, state: secrets.state, expiresAt: base.expiresAt, ...(browserBinding ? { browserBinding } : {}), ...(bindingValue ? { bindingValue } : {}) };
}
