import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { parseXmlWithoutDtd, unsafeXmlText } from '../../downstream-saml/xml-schema.js';
import { z } from 'zod';
import { settingsToRawConfig, checkRawConfig } from '../stored-config.js';
import type { ParseSpMetadataResponse, SpMetadataProblem } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { settingsWarnings } from './setup-state.js';

/** Guard's SP metadata is about 2 KB; this bounds parser work, well below Forge's 500 KB invoke limit. */
export const MAX_SP_METADATA_CHARS = 256 * 1024;

const requestSchema = z.strictObject({ xml: z.string() });

const DTD_MESSAGE = 'The XML contains a document type declaration (DTD), which metadata never needs.';

const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function refuse(problem: SpMetadataProblem, message: string): ParseSpMetadataResponse {
  return { ok: false, problem, message };
}

/**
 * `sp/parse-metadata`: reads Guard's SP metadata XML (SAML metadata §2.4.4) and extracts the
 * `entityID` and the HTTP-POST AssertionConsumerService `Location` (the default one, else the
 * lowest index, else the first). Nothing is saved: the wizard fills the fields, and `config/save`
 * validates them like typed values. Unsafe text is refused before parsing as for an AuthnRequest
 * (`unsafeXmlText`), a DTD node after parsing too, and libxml2 runs without network access or
 * external entities.
 */
export async function spParseMetadata(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ParseSpMetadataResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const xml = parsed.value.xml.trim();
  if (!xml) return refuse('empty', 'Paste the SP metadata XML from Atlassian Guard.');
  if (xml.length > MAX_SP_METADATA_CHARS) return refuse('too_large', 'This is far larger than any SP metadata. Paste only the metadata XML from Atlassian Guard.');
  // The same refusals as for an AuthnRequest (`unsafeXmlText`): NUL-padded UTF-16, another
  // declared encoding, any DTD. Metadata never needs one; refusing it closes XXE and entity
  // expansion before the parser runs, and a DTD node that still comes out of it is refused too.
  const unsafe = unsafeXmlText(xml);
  if (unsafe === 'dtd') return refuse('dtd', DTD_MESSAGE);
  if (unsafe) return refuse('not_xml', 'This XML holds characters or an encoding declaration that metadata never has. Paste the SP metadata XML from Atlassian Guard as it is.');

  let extracted: { entityId: string; acsUrl: string } | { problem: SpMetadataProblem; message: string };
  let document: XmlDocument | 'dtd';
  try {
    document = parseXmlWithoutDtd(xml, { quiet: true });
  } catch {
    return refuse('not_xml', 'This is not well-formed XML. Paste the whole SP metadata XML from Atlassian Guard.');
  }
  if (document === 'dtd') return refuse('dtd', DTD_MESSAGE);
  try {
    extracted = extract(document);
  } finally {
    document.dispose();
  }
  if ('problem' in extracted) return refuse(extracted.problem, extracted.message);

  // The same checks as for typed values, from the one config schema.
  const raw = settingsToRawConfig({ serviceProvider: extracted }, undefined, ctx.baseUrl);
  const checked = checkRawConfig(raw, { allowLoopbackHttp: ctx.allowLoopbackHttp });
  const problems = checked.ok ? [] : checked.problems.filter((p) => p.path.startsWith('serviceProvider.'));
  if (problems.length) {
    return refuse('invalid_values', `The metadata was read, but its values are not usable: ${problems.map((p) => `${p.path === 'serviceProvider.acsUrl' ? 'ACS URL' : 'entity ID'}: ${p.message}`).join(' ')}`);
  }
  const warnings = settingsWarnings({ serviceProvider: extracted });
  return { ok: true, entityId: extracted.entityId, acsUrl: extracted.acsUrl, ...(warnings.length ? { warnings } : {}) };
}

function problem(code: SpMetadataProblem, message: string) {
  return { problem: code, message };
}

function extract(document: XmlDocument): { entityId: string; acsUrl: string } | { problem: SpMetadataProblem; message: string } {
  const root = document.root;
  if (root.namespaceUri !== MD_NS || (root.name !== 'EntityDescriptor' && root.name !== 'EntitiesDescriptor')) {
    return problem('not_metadata', 'This is not SAML metadata (the root element is not md:EntityDescriptor).');
  }
  const ns = { md: MD_NS };
  const entities = document.find('//md:EntityDescriptor[md:SPSSODescriptor]', ns) as XmlElement[];
  if (entities.length === 0) return problem('no_service_provider', 'The metadata describes no service provider (no SPSSODescriptor).');
  if (entities.length > 1) return problem('several_service_providers', 'The metadata describes several service providers. Paste the metadata of the one from Atlassian Guard.');
  const entity = entities[0]!;
  const entityId = entity.attr('entityID')?.value.trim();
  if (!entityId) return problem('no_entity_id', 'The metadata has no entityID.');
  const services = (entity.find('md:SPSSODescriptor/md:AssertionConsumerService', ns) as XmlElement[])
    .filter((service) => service.attr('Binding')?.value === HTTP_POST)
    .map((service, position) => ({
      location: service.attr('Location')?.value.trim() ?? '',
      isDefault: ['true', '1'].includes(service.attr('isDefault')?.value ?? ''),
      index: Number.parseInt(service.attr('index')?.value ?? '', 10),
      position,
    }))
    .filter((service) => service.location);
  if (!services.length) return problem('no_post_acs', 'The metadata has no AssertionConsumerService with the HTTP-POST binding.');
  const chosen =
    services.find((s) => s.isDefault) ??
    [...services].sort((a, b) => (Number.isFinite(a.index) ? a.index : Infinity) - (Number.isFinite(b.index) ? b.index : Infinity) || a.position - b.position)[0]!;
  return { entityId, acsUrl: chosen.location };
}
