import { ParseOption, XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
import { SAML_PROTOCOL_SCHEMA, samlSchemas } from './schemas/saml-schemas.js';

/**
 * XML parsing and SAML schema validation on libxml2 (compiled to WebAssembly, so it runs on
 * Forge and any Node without Java or native builds). The schema is compiled once per process
 * and reused: validation then costs tens of microseconds.
 */

let protocolValidator: XsdValidator | undefined;

function samlProtocolValidator(): XsdValidator {
  if (!protocolValidator) {
    const encoder = new TextEncoder();
    // The protocol schema imports the others by file name; serve them from memory only, so
    // libxml2 never touches the file system or the network.
    xmlRegisterInputProvider(
      new XmlBufferInputProvider(
        Object.fromEntries(Object.entries(samlSchemas).map(([name, text]) => [name, encoder.encode(text)])),
      ),
    );
    const schemaDocument = XmlDocument.fromString(samlSchemas[SAML_PROTOCOL_SCHEMA]!, { url: SAML_PROTOCOL_SCHEMA });
    protocolValidator = XsdValidator.fromDoc(schemaDocument);
    schemaDocument.dispose();
  }
  return protocolValidator;
}

export type XmlCheckFailure = 'not_xml' | 'schema' | 'dtd';

/** Why a text is refused as XML before any parser sees it. */
export type XmlTextRefusal = 'characters' | 'encoding' | 'dtd';

/** What the log says of each refusal. */
export const XML_TEXT_REFUSALS: Record<XmlTextRefusal, string> = {
  characters: 'characters not allowed in XML',
  encoding: 'XML declaration names an encoding other than UTF-8',
  dtd: 'DTD present',
};

/**
 * The checks every XML text from outside passes before it is parsed (an AuthnRequest, pasted SP
 * metadata): one function, so the two cannot drift apart.
 */
export function unsafeXmlText(xml: string): XmlTextRefusal | undefined {
  // The checks below read the text as UTF-8, so the parser must too. UTF-16 text padded with
  // NULs is valid UTF-8 and libxml2 would read it as UTF-16, right past the DTD check; XML 1.0
  // (§2.2) allows neither NUL nor these other control characters anywhere in a document.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml)) return 'characters';
  const declaredEncoding = /^\uFEFF?<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']/.exec(xml)?.[1];
  if (declaredEncoding !== undefined && !/^utf-?8$/i.test(declaredEncoding)) return 'encoding';
  // SAML messages and metadata never carry a document type declaration (SAML core §1.3.5 lets a
  // relying party refuse them); refusing it closes XXE and entity expansion before any parser runs.
  if (/<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(xml)) return 'dtd';
  return undefined;
}

/**
 * Parses XML that `unsafeXmlText` let through, without network access or external entities,
 * and refuses a document that still came out with a DTD node (a spelling the text check did not
 * foresee): nothing downstream then ever sees a document type declaration.
 */
export function parseXmlWithoutDtd(xml: string, options: { quiet?: boolean } = {}): XmlDocument | 'dtd' {
  const option = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | (options.quiet ? ParseOption.XML_PARSE_NOERROR | ParseOption.XML_PARSE_NOWARNING : 0);
  const document = XmlDocument.fromString(xml, { option });
  if (document.dtd !== null) {
    document.dispose();
    return 'dtd';
  }
  return document;
}

/**
 * Parses `xml` and validates it against the SAML 2.0 protocol schema, then hands the parsed
 * document to `read`, disposing of it afterwards (libxml2 memory lives outside the JS heap).
 * The caller has already refused unsafe text (`unsafeXmlText`); a DTD node after parsing is
 * refused as well.
 */
export function withValidSamlDocument<T>(
  xml: string,
  read: (document: XmlDocument) => T,
): { ok: true; value: T } | { ok: false; failure: XmlCheckFailure; detail: string } {
  let parsed: XmlDocument | 'dtd';
  try {
    parsed = parseXmlWithoutDtd(xml);
  } catch (error) {
    return { ok: false, failure: 'not_xml', detail: firstLine(error) };
  }
  if (parsed === 'dtd') return { ok: false, failure: 'dtd', detail: 'DTD node after parsing' };
  const document = parsed;
  try {
    try {
      samlProtocolValidator().validate(document);
    } catch (error) {
      return { ok: false, failure: 'schema', detail: firstLine(error) };
    }
    return { ok: true, value: read(document) };
  } finally {
    document.dispose();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}
