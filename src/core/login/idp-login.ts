import type { BridgeDirectory, ConnectionEntry, ProviderEntry } from '../connections/directory.js';
import { BridgeError } from '../errors.js';
import type { BrowserBinding } from '../browser-binding.js';
import type { Attempt, LoginContext } from './attempt.js';
import type { LoginCounter } from './steps/admit-login.js';
import { chooseProvider, type ProviderChoice } from './steps/choose-provider.js';
import { idpInitiatedTarget } from './steps/idp-initiated-target.js';
import { redirectToProvider } from './steps/redirect-to-provider.js';

/**
 * An IdP-initiated login's first leg, at a connection's start URL (`/saml/start/<connection>`,
 * a bookmark or a dashboard tile): no AuthnRequest, so the connection is the one the URL names,
 * and only when an owner turned its start URL on. The RelayState is chosen here, never taken as
 * given (`idpInitiatedTarget`). From the provider choice on it is the SP-initiated pipeline:
 * admission under the same bound, the same transaction (kind `idp`: unsolicited, with its
 * RelayState), the same callback (`finishLogin`), whose response has no `InResponseTo`.
 */

export interface StartIdpLoginInput {
  connectionId: string;
  /** The start URL's `target` parameter: a path of the connection's own site, or nothing. */
  targetPath: string | undefined;
  providerChoice?: ProviderChoice;
}

export type StartIdpLoginResult =
  | {
      kind: 'redirect';
      redirectTo: string;
      relayState: string;
      browserBinding?: BrowserBinding;
      connection: ConnectionEntry;
      provider: ProviderEntry;
      chosen: boolean;
    }
  | { kind: 'choose'; connection: ConnectionEntry; relayState: string };

export async function startIdpLogin(context: LoginContext & { loginCounter: LoginCounter }, directory: BridgeDirectory, input: StartIdpLoginInput, attempt: Attempt): Promise<StartIdpLoginResult> {
  attempt.flow = 'idp';
  const connection = directory.connections.find((c) => c.id === input.connectionId);
  if (!connection) {
    const unready = directory.unready.some((c) => c.id === input.connectionId);
    throw new BridgeError('idp_initiated_off', unready ? `connection ${input.connectionId} is not ready` : `no connection ${input.connectionId}`);
  }
  attempt.connectionId = connection.id;
  if (!connection.idpInitiated.enabled) throw new BridgeError('idp_initiated_off', `connection ${connection.id}: sign-in from its start URL is off`);
  // Again at every start: the stored target was checked at its save, the site URL may have changed since.
  const target = idpInitiatedTarget({ relayState: connection.idpInitiated.relayState, siteUrl: connection.siteUrl }, input.targetPath);
  if (!target.ok) throw new BridgeError('idp_initiated_target_refused', `connection ${connection.id}: ${target.reason}`);
  const choice = chooseProvider(connection, input.providerChoice);
  if (!choice) return { kind: 'choose', connection, relayState: target.relayState };
  const { provider } = choice;
  attempt.providerId = provider.id;
  await context.loginCounter.admit(context);
  attempt.admitted = true;
  const config = await provider.config();
  const started = await redirectToProvider(context, config, attempt, directory.revision, {
    kind: 'idp',
    relayState: target.relayState,
    spEntityId: connection.spEntityId,
    ...(choice.email !== undefined ? { loginHint: choice.email } : {}),
  });
  return {
    kind: 'redirect',
    redirectTo: started.redirectTo,
    relayState: target.relayState,
    ...(started.browserBinding ? { browserBinding: started.browserBinding } : {}),
    connection,
    provider,
    chosen: choice.chosen,
  };
}
