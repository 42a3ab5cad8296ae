/**
 * The one way the downstream half writes XML from its fixed templates (the response, the
 * metadata): `{Name}` placeholders filled with escaped values.
 */

// Line ends and tabs go in as character references, which no parser normalizes: an XML 1.0
// parser turns a literal CR into LF (and a tab or LF in an attribute into a space), and xmldom,
// under xml-crypto and node-saml, also applies XML 1.1's line ends (NEL, LS, PS) to every
// document. Written literally, such a value would reach the service provider altered, and
// verifiers built on different parsers would disagree about the digest.
const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\u0085': '&#133;',
  '\u2028': '&#8232;',
  '\u2029': '&#8233;',
};

/**
 * Fills `{Name}` placeholders with XML-escaped values, in one pass over the template: a value
 * that itself reads like a placeholder stays as it is.
 */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TypeError(`No value for ${placeholder}`);
    return value.replace(/[&<>"'\t\n\r\u0085\u2028\u2029]/g, (c) => XML_ESCAPES[c]!);
  });
}
