import { describe, expect, it } from '@jest/globals';
import { SAML } from '@node-saml/node-saml';
import type { ParseSpMetadataResponse } from '../../src/core/admin/admin-api-types.js';
import { MAX_SP_METADATA_CHARS, spParseMetadata } from '../../src/core/admin/sp-parse-metadata.js';
import { memoryAdmin } from './support/memory-ports.js';

/**
 * sp/parse-metadata: Guard's SP metadata in, the SP Entity ID and HTTP-POST ACS URL out; named
 * refusals for everything else, DTDs (XXE, entity expansion) above all.
 */

const UUID = '6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const ENTITY_ID = `https://auth.atlassian.com/saml/${UUID}`;
const ACS_URL = `https://auth.atlassian.com/login/callback?connection=saml-${UUID}`;

/** The shape of the SP metadata Atlassian Guard offers for download. */
function guardMetadata(services = `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS_URL}" index="0" isDefault="true"/>`, entityId = ENTITY_ID): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    ${services}
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;
}

async function parse(xml: unknown, allowLoopbackHttp = false): Promise<ParseSpMetadataResponse> {
  return (await spParseMetadata(memoryAdmin({ allowLoopbackHttp }).ctx, { xml })) as ParseSpMetadataResponse;
}

describe('sp/parse-metadata', () => {
  it('extracts the entity ID and the HTTP-POST ACS URL from Guard\'s metadata, without warnings', async () => {
    await expect(parse(guardMetadata())).resolves.toEqual({ ok: true, entityId: ENTITY_ID, acsUrl: ACS_URL });
  });

  it('reads the metadata node-saml generates for an SP, and warns that it is not Atlassian\'s', async () => {
    const sp = new SAML({ issuer: 'https://sp.example.com/saml', callbackUrl: 'https://sp.example.com/saml/acs', idpCert: 'MIIB' });
    const answer = await parse(sp.generateServiceProviderMetadata(null, null));
    expect(answer).toMatchObject({ ok: true, entityId: 'https://sp.example.com/saml', acsUrl: 'https://sp.example.com/saml/acs' });
    expect(answer.ok && answer.warnings?.map((w) => w.path)).toEqual(['serviceProvider.entityId', 'serviceProvider.acsUrl']);
  });

  it('picks the default HTTP-POST service, else the lowest index, and ignores other bindings', async () => {
    const redirect = `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://auth.atlassian.com/redirect" index="0" isDefault="true"/>`;
    const post = (index: number, suffix: string, isDefault = false) =>
      `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS_URL}${suffix}" index="${index}"${isDefault ? ' isDefault="true"' : ''}/>`;
    await expect(parse(guardMetadata(redirect + post(3, '-three') + post(1, '-one')))).resolves.toMatchObject({ ok: true, acsUrl: `${ACS_URL}-one` });
    await expect(parse(guardMetadata(post(1, '-one') + post(2, '-two', true)))).resolves.toMatchObject({ ok: true, acsUrl: `${ACS_URL}-two` });
  });

  it('unescapes XML entities in the Location (an & in a query)', async () => {
    const acs = 'https://auth.atlassian.com/login/callback?connection=saml-x&amp;a=1';
    await expect(
      parse(guardMetadata(`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}" index="0"/>`)),
    ).resolves.toMatchObject({ ok: true, acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x&a=1' });
  });

  it('accepts an EntitiesDescriptor holding exactly one service provider', async () => {
    const inner = guardMetadata().replace(/^<\?xml[^>]*>\s*/, '');
    const wrapped = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner}</md:EntitiesDescriptor>`;
    await expect(parse(wrapped)).resolves.toMatchObject({ ok: true, entityId: ENTITY_ID });
    const two = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner}${inner.replace(UUID, 'other')}</md:EntitiesDescriptor>`;
    await expect(parse(two)).resolves.toMatchObject({ ok: false, problem: 'several_service_providers' });
  });

  it.each([
    ['an empty paste', '', 'empty'],
    ['text that is not XML', 'SP Entity ID: https://auth.atlassian.com/saml/x', 'not_xml'],
    ['XML that is not metadata', '<html><body>Atlassian</body></html>', 'not_metadata'],
    [
      'metadata of an identity provider only',
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>',
      'no_service_provider',
    ],
    ['no HTTP-POST service', guardMetadata('<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://a.example.com" index="0"/>'), 'no_post_acs'],
    ['no entityID', guardMetadata(undefined, ''), 'no_entity_id'],
    ['an ACS URL on plain http', guardMetadata('<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://auth.atlassian.com/acs" index="0"/>'), 'invalid_values'],
    ['an external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${guardMetadata(undefined, '&xxe;').replace(/^<\?xml[^>]*>/, '')}`, 'dtd'],
    ['entity expansion (billion laughs)', `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>`, 'dtd'],
    ['an undeclared entity', guardMetadata(undefined, '&xxe;'), 'not_xml'],
    // The AuthnRequest decoder's refusals (`unsafeXmlText`): libxml2 reads NUL-padded text as
    // UTF-16, right past a DTD check that reads it as UTF-8.
    [
      'a NUL-padded (UTF-16) DTD',
      `${`<?xml version="1.0"?><!DOCTYPE md [<!ENTITY id "${ENTITY_ID}">]>${guardMetadata(undefined, '&id;').replace(/^<\?xml[^>]*>/, '')}`.split('').join('\u0000')}\u0000`,
      'not_xml',
    ],
    ['an XML declaration naming UTF-16', guardMetadata().replace('encoding="UTF-8"', 'encoding="UTF-16"'), 'not_xml'],
    ['a paste over the size limit', `${guardMetadata()}<!--${'x'.repeat(MAX_SP_METADATA_CHARS)}-->`, 'too_large'],
  ])('refuses %s', async (_name, xml, problem) => {
    const answer = await parse(xml);
    expect(answer).toEqual({ ok: false, problem, message: expect.any(String) });
  });

  it('accepts a loopback http ACS only where the host allows it', async () => {
    const local = guardMetadata('<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://127.0.0.1:9000/acs" index="0"/>', 'http://127.0.0.1:9000/metadata');
    await expect(parse(local, true)).resolves.toMatchObject({ ok: true, acsUrl: 'http://127.0.0.1:9000/acs' });
    await expect(parse(local, false)).resolves.toMatchObject({ ok: false, problem: 'invalid_values' });
  });

  it('answers bad_request for a payload that is not { xml: string }', async () => {
    await expect(spParseMetadata(memoryAdmin().ctx, { xml: 42 })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(spParseMetadata(memoryAdmin().ctx, 'xml')).resolves.toMatchObject({ error: 'bad_request' });
  });
});
