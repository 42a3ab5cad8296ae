import samlify from 'samlify';
import { NAMEID_FORMAT } from './saml-attributes.js';
import type { SigningCredentials } from './signing-key.js';

/**
 * samlify's view of the bridge as an IdP, from which the metadata is generated. Responses are
 * signed by `saml-response.ts` (libxml2's C14N and `node:crypto`), so samlify never holds the
 * private key.
 */

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

let validatorInstalled = false;

function installValidator(): void {
  if (!validatorInstalled) {
    // samlify refuses to parse without a schema validator. The bridge parses AuthnRequests
    // itself (see authn-request.ts: bounded inflate, DTD refusal, libxml2 XSD validation) and
    // never asks samlify to parse, so any samlify parse attempt is refused outright.
    samlify.setSchemaValidator({ validate: () => Promise.reject(new Error('samlify parsing is not used by the bridge')) });
    validatorInstalled = true;
  }
}

/** Who the bridge is as an IdP: all that metadata needs, available before an SP is configured. */
export interface IdpIdentity {
  entityId: string;
  ssoUrl: string;
}

export function samlIdentityProvider(identity: IdpIdentity, credentials: SigningCredentials) {
  installValidator();
  return samlify.IdentityProvider({
    entityID: identity.entityId,
    signingCert: credentials.certificatePem,
    wantAuthnRequestsSigned: false,
    isAssertionEncrypted: false,
    nameIDFormat: [NAMEID_FORMAT.emailAddress],
    singleSignOnService: [
      { Binding: REDIRECT, Location: identity.ssoUrl },
      { Binding: POST, Location: identity.ssoUrl },
    ],
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
}
