import samlify from 'samlify';
import type { BridgeConfig } from '../core/config.js';
import { NAMEID_FORMAT } from './saml-attributes.js';
import type { SigningCredentials } from './signing-key.js';

/**
 * samlify's view of the two parties: the bridge as IdP, the configured service provider.
 * Building them parses certificates and metadata templates, so they are cached for as long as
 * the configuration and the credentials are the same objects.
 */
export interface SamlParties {
  idp: ReturnType<typeof samlify.IdentityProvider>;
  sp: ReturnType<typeof samlify.ServiceProvider>;
}

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

const cache = new WeakMap<BridgeConfig, WeakMap<SigningCredentials, SamlParties>>();

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

export function samlParties(config: BridgeConfig, credentials: SigningCredentials): SamlParties {
  installValidator();
  let byCredentials = cache.get(config);
  if (!byCredentials) cache.set(config, (byCredentials = new WeakMap()));
  let parties = byCredentials.get(credentials);
  if (!parties) {
    parties = buildParties(config, credentials);
    byCredentials.set(credentials, parties);
  }
  return parties;
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
    privateKey: credentials.privateKeyPem,
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

function buildParties(config: BridgeConfig, credentials: SigningCredentials): SamlParties {
  const idp = samlIdentityProvider({ entityId: config.idpEntityId, ssoUrl: config.urls.sso }, credentials);
  const sp = samlify.ServiceProvider({
    entityID: config.serviceProvider.entityId,
    assertionConsumerService: [{ Binding: POST, Location: config.serviceProvider.acsUrl }],
    // Both the Response and the Assertion are signed (PLATFORM.md §1).
    wantAssertionsSigned: true,
    wantMessageSigned: true,
    transformationAlgorithms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  return { idp, sp };
}
