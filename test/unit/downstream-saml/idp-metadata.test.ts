import { beforeAll, describe, expect, it } from '@jest/globals';
import samlify from 'samlify';
import { XmlDocument } from 'libxml2-wasm';
import { idpMetadataXml } from '../../../src/downstream-saml/idp-metadata.js';
import { createSigningKey, toCredentials, type SigningCredentials } from '../../../src/downstream-saml/signing-key.js';

// The IdP metadata comes from a fixed template; an independent SAML library (samlify's metadata
// reader) reads it back, and hostile-looking values are escaped, never markup.

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

describe('the IdP metadata', () => {
  let credentials: SigningCredentials;
  beforeAll(async () => {
    credentials = toCredentials(await createSigningKey({ now: () => Date.now() }, 'bridge.example'));
  });

  it('is read back by samlify: entity ID, both SSO bindings, the signing certificate, NameID emailAddress, unsigned requests', () => {
    const identity = { entityId: 'https://bridge.example/saml/metadata', ssoUrl: 'https://bridge.example/saml/sso' };
    const metadata = samlify.IdPMetadata(idpMetadataXml(identity, credentials));
    expect(metadata.getEntityID()).toBe(identity.entityId);
    // samlify answers every binding at once when there are several.
    expect(metadata.getSingleSignOnService(POST)).toEqual({ [POST]: identity.ssoUrl, [REDIRECT]: identity.ssoUrl });
    expect(String(metadata.getX509Certificate('signing')).replace(/\s+/g, '')).toBe(credentials.certificateBase64);
    expect([metadata.getNameIDFormat()].flat()).toEqual(['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress']);
    expect(metadata.isWantAuthnRequestsSigned()).toBe(false);
  });

  it('escapes the values it is given: an entity ID or URL with markup characters stays one attribute', () => {
    const identity = { entityId: 'https://bridge.example/x"><evil/>&amp;', ssoUrl: "https://bridge.example/sso?a=1&b='2'<" };
    const xml = idpMetadataXml(identity, credentials);
    const document = XmlDocument.fromString(xml);
    try {
      expect(document.root.name).toBe('EntityDescriptor');
      expect(document.root.attr('entityID')?.value).toBe(identity.entityId);
      expect(document.find('//*[local-name()="evil"]')).toEqual([]);
    } finally {
      document.dispose();
    }
    expect(samlify.IdPMetadata(xml).getSingleSignOnService(POST)).toEqual({ [POST]: identity.ssoUrl, [REDIRECT]: identity.ssoUrl });
  });
});
