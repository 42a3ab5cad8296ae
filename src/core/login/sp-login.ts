import type { AuthenticatedUser } from '../authenticated-user.js';
import { providerById, type BridgeDirectory, type ConnectionEntry, type ProviderEntry } from '../connections/directory.js';
import { BridgeError } from '../errors.js';
import type { BrowserBinding } from '../browser-binding.js';
import type { SamlBinding } from '../../downstream-saml/authn-request.js';
import { createSignedSamlResponse } from '../../downstream-saml/saml-response.js';
import { samlSubjectFor } from '../../downstream-saml/saml-subject.js';
import type { SigningCredentials } from '../../downstream-saml/signing-key.js';
import { userFromClaims } from '../../upstream-oidc/user-from-claims.js';
import type { Attempt, LoginContext } from './attempt.js';
import type { SamlLoginTransaction, TakenLogin } from './transaction.js';
import type { LoginCounter } from './steps/admit-login.js';
import { checkForceAuthn } from './steps/check-force-authn.js';
import { checkRelayState } from './steps/check-relay-state.js';
import { checkRequestedSubject } from './steps/check-requested-subject.js';
import { chooseProvider, type ProviderChoice } from './steps/choose-provider.js';
import { exchangeCode, noteClaimedUser } from './steps/exchange-code.js';
import { readRequestForConnection } from './steps/read-authn-request.js';
import { redirectToProvider } from './steps/redirect-to-provider.js';

/**
 * An SP-initiated login. The first leg, at the SSO URL: check the RelayState, read the
 * AuthnRequest against the connection its Issuer names, choose the provider (or ask), admit the
 * login under the installation's bound, redirect to it. The second leg, at the callback (after `takeLoginTransaction`): the provider's half,
 * ForceAuthn, the user against this provider's own policy, the signed response.
 */

export interface StartLoginInput {
  binding: SamlBinding;
  samlRequest: string | undefined;
  relayState: string | undefined;
  /** The provider the user picked on the choice page, or the one this browser picked before. */
  providerChoice?: ProviderChoice;
}

export type StartLoginResult =
  | {
      kind: 'redirect';
      redirectTo: string;
      samlRequestId: string;
      browserBinding?: BrowserBinding;
      connection: ConnectionEntry;
      provider: ProviderEntry;
      /** The user chose on the choice page: remember it in this browser. */
      chosen: boolean;
    }
  /** More than one provider could serve this login: ask the user. */
  | { kind: 'choose'; connection: ConnectionEntry; samlRequestId: string };

/** Checks the AuthnRequest, finds its connection and provider, records the login, and returns where to go. */
export async function startLogin(context: LoginContext & { loginCounter: LoginCounter }, directory: BridgeDirectory, input: StartLoginInput, attempt: Attempt): Promise<StartLoginResult> {
  attempt.flow = 'sp';
  checkRelayState(input.relayState);
  const { request, connection } = readRequestForConnection(context, directory, input);
  attempt.connectionId = connection.id;
  attempt.samlRequestId = request.id;
  const choice = chooseProvider(connection, input.providerChoice);
  if (!choice) return { kind: 'choose', connection, samlRequestId: request.id };
  const { provider } = choice;
  attempt.providerId = provider.id;
  // Only now, when a transaction is about to be stored: the choice page stores nothing.
  await context.loginCounter.admit(context);
  attempt.admitted = true;
  const config = await provider.config();
  const started = await redirectToProvider(context, config, attempt, directory.revision, {
    kind: 'sp',
    samlRequestId: request.id,
    relayState: input.relayState ?? null,
    forceAuthn: request.forceAuthn,
    spEntityId: connection.spEntityId,
    // The Subject's name is the best hint there is: the provider should offer that account.
    loginHint: choice.email ?? request.requestedNameId,
    ...(request.requestedNameId !== undefined ? { requestedNameId: request.requestedNameId } : {}),
    ...(request.nameIdFormat !== undefined ? { nameIdFormat: request.nameIdFormat } : {}),
  });
  return { kind: 'redirect', ...started, samlRequestId: request.id, connection, provider, chosen: choice.chosen };
}

/** What the callback of an SP-initiated login posts to the service provider. */
export interface FinishLoginResult {
  acsUrl: string;
  samlResponse: string;
  relayState: string | undefined;
  user: AuthenticatedUser;
  responseId: string;
  assertionId: string;
  /** The AuthnRequest answered; undefined for an IdP-initiated (unsolicited) response. */
  samlRequestId: string | undefined;
  usedUserinfo: boolean;
}

/**
 * The rest of a login's callback, after `takeLoginTransaction`: the provider's half
 * (openid-client checks state, PKCE, ID token signature, iss, aud, exp, nonce), ForceAuthn,
 * the user checks against this provider's own domains, and the signed response. The same for
 * an IdP-initiated login (`idp-login.ts`), whose response answers no request: no
 * `InResponseTo`, the RelayState its start chose, and every other part as for an SP-initiated one.
 */
export async function finishLogin(
  context: LoginContext,
  directory: BridgeDirectory,
  query: Record<string, string[]>,
  credentials: (connectionId: string) => Promise<SigningCredentials>,
  taken: TakenLogin<SamlLoginTransaction>,
  attempt: Attempt,
): Promise<FinishLoginResult> {
  const { transaction } = taken;
  const provider = providerById(directory, transaction.connectionId, transaction.providerId);
  const config = await provider.config();
  if (transaction.spEntityId !== config.serviceProvider.entityId) {
    throw new BridgeError('login_unknown', 'the service provider changed since the login started');
  }
  const now = context.ports.clock.now();
  const { claims, authTime, usedUserinfo } = await exchangeCode(context, config, taken, query, now);
  noteClaimedUser(attempt, claims);
  const solicited = transaction.kind === 'sp' ? transaction : undefined;
  if (solicited) checkForceAuthn(solicited, authTime, config);
  const user = userFromClaims(claims, config);
  attempt.email = user.email;
  attempt.subject = user.subject;
  const subject = samlSubjectFor(user);
  if (solicited) checkRequestedSubject(solicited, subject.nameId);
  const signed = await createSignedSamlResponse(config, await credentials(config.connectionId), context.ports.random, {
    inResponseTo: solicited?.samlRequestId,
    nameId: subject.nameId,
    // SAML core §3.4.1.1: a requested format (emailAddress; anything else was refused) is the one to use; the NameID is an address either way.
    nameIdFormat: solicited?.nameIdFormat ?? subject.nameIdFormat,
    attributes: subject.attributes,
    authnInstant: authTime && authTime <= now ? authTime : now,
    sessionIndex: `_${context.ports.random.token(16)}`,
    now,
  });
  attempt.samlResponseId = signed.responseId;
  return {
    acsUrl: config.serviceProvider.acsUrl,
    samlResponse: signed.samlResponse,
    relayState: transaction.relayState ?? undefined,
    user,
    responseId: signed.responseId,
    assertionId: signed.assertionId,
    samlRequestId: solicited?.samlRequestId,
    usedUserinfo,
  };
}
