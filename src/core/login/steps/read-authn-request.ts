import type { BridgeDirectory, ConnectionEntry } from '../../connections/directory.js';
import { connectionForIssuer } from '../../connections/directory.js';
import { readAuthnRequest, type AuthnRequestInfo, type SamlBinding } from '../../../downstream-saml/authn-request.js';
import type { LoginContext } from '../attempt.js';

/** The AuthnRequest, checked against the connection its Issuer names. */
export function readRequestForConnection(context: LoginContext, directory: BridgeDirectory, input: { binding: SamlBinding; samlRequest: string | undefined }): { request: AuthnRequestInfo; connection: ConnectionEntry } {
  let connection: ConnectionEntry | undefined;
  const request = readAuthnRequest(input.binding, input.samlRequest, {
    now: context.ports.clock.now(),
    serviceProviderFor(issuer) {
      connection = connectionForIssuer(directory, issuer);
      return { entityId: connection.spEntityId, acsUrl: connection.acsUrl, ssoUrl: connection.ssoUrl, ...connection.requestLimits };
    },
  });
  return { request, connection: connection! };
}
