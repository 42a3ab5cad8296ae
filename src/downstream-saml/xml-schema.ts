import { XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
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

export type XmlCheckFailure = 'not_xml' | 'schema';

/**
 * Parses `xml` and validates it against the SAML 2.0 protocol schema, then hands the parsed
 * document to `read`, disposing of it afterwards (libxml2 memory lives outside the JS heap).
 * The caller has already refused DTDs; libxml2's defaults load no external entities.
 */
export function withValidSamlDocument<T>(
  xml: string,
  read: (document: XmlDocument) => T,
): { ok: true; value: T } | { ok: false; failure: XmlCheckFailure; detail: string } {
  let document: XmlDocument;
  try {
    document = XmlDocument.fromString(xml);
  } catch (error) {
    return { ok: false, failure: 'not_xml', detail: firstLine(error) };
  }
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
