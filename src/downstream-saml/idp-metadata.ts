import { NAMEID_FORMAT } from './saml-attributes.js';
import type { SigningCredentials } from './signing-key.js';
import type { KeyRing } from './signing-key-ring.js';
import { fill } from './xml-template.js';

/** Who the bridge is as an IdP: all that metadata needs, available before an SP is configured. */
export interface IdpIdentity {
  entityId: string;
  ssoUrl: string;
}

// SAML metadata §2.4.3, in the shape samlify generated before (so what admins pasted stays
// valid): the signing certificate, NameIDFormat emailAddress, the SSO URL for both bindings.
// A fixed template: metadata is a few public values, and building it needs no XML library, so
// the login path carries none for it. samlify's metadata reader reads it back in the tests
// (test/unit/idp-metadata.test.ts), hostile values included.
const METADATA_TEMPLATE =
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{EntityID}">' +
  '<IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  '<KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{Certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>' +
  '{NextKeyDescriptor}' +
  '<NameIDFormat>{NameIDFormat}</NameIDFormat>' +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SsoUrl}"/>' +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{SsoUrl}"/>' +
  '</IDPSSODescriptor>' +
  '</EntityDescriptor>';

// The next key's descriptor goes into the template before it is filled, so its certificate is
// filled (escaped) like every other value.
const NEXT_KEY_DESCRIPTOR =
  '<KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{NextCertificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>';

/** Base64 DER from a normalised PEM. */
function base64Of(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/**
 * The IdP metadata (SAML metadata §2.4.3): EntityDescriptor with an IDPSSODescriptor, the
 * signing KeyDescriptor with the certificate that signs responses, NameIDFormat emailAddress,
 * and the SSO URL for HTTP-Redirect and HTTP-POST. It needs no service provider, since
 * Atlassian Guard asks for these values before it shows its own. Given a key ring, the active
 * certificate comes first and a next one being prepared follows as a second signing key, so a
 * service provider that reads metadata trusts both across the switch.
 */
export function idpMetadataXml(identity: IdpIdentity, signing: Pick<SigningCredentials, 'certificateBase64'> | Pick<KeyRing, 'active' | 'next'>): string {
  const active = 'active' in signing ? base64Of(signing.active.certificatePem) : signing.certificateBase64;
  const next = 'active' in signing && signing.next ? base64Of(signing.next.certificatePem) : undefined;
  return fill(METADATA_TEMPLATE.replace('{NextKeyDescriptor}', next ? NEXT_KEY_DESCRIPTOR : ''), {
    EntityID: identity.entityId,
    Certificate: active,
    ...(next ? { NextCertificate: next } : {}),
    NameIDFormat: NAMEID_FORMAT.emailAddress,
    SsoUrl: identity.ssoUrl,
  });
}
