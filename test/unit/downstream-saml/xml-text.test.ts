import { describe, expect, it } from '@jest/globals';
import { parseXmlWithoutDtd, unsafeXmlText, withValidSamlDocument } from '../../../src/downstream-saml/xml-schema.js';

/**
 * The XML checks shared by the AuthnRequest decoder and the SP-metadata import: the text
 * refusals before parsing, and the refusal of any DTD node the parser still produced.
 */
describe('unsafeXmlText', () => {
  it.each([
    ['a DTD', '<!DOCTYPE a><a/>', 'dtd'],
    ['a DTD with space after <!', '<! DOCTYPE a><a/>', 'dtd'],
    ['an entity declaration', '<a><!ENTITY x "y"></a>', 'dtd'],
    ['NUL padding (UTF-16 read as UTF-8)', '<!DOCTYPE a><a/>'.split('').join('\u0000'), 'characters'],
    ['a declared UTF-16 encoding', '<?xml version="1.0" encoding="UTF-16"?><a/>', 'encoding'],
  ])('refuses %s', (_name, xml, refusal) => {
    expect(unsafeXmlText(xml)).toBe(refusal);
  });

  it('lets plain UTF-8 XML through', () => {
    expect(unsafeXmlText('<?xml version="1.0" encoding="utf-8"?><a b="é"/>')).toBeUndefined();
  });
});

describe('parseXmlWithoutDtd: a DTD node is refused after parsing too', () => {
  // Text that reaches the parser has passed `unsafeXmlText`; these show the second line holds
  // on its own, for a spelling the text check might not foresee.
  it('refuses a document that parsed with an internal subset', () => {
    expect(parseXmlWithoutDtd('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toBe('dtd');
  });

  it('refuses a document type declaration without an internal subset', () => {
    expect(parseXmlWithoutDtd('<!DOCTYPE a SYSTEM "a.dtd"><a/>')).toBe('dtd');
  });

  it('refuses it before the SAML schema sees it', () => {
    expect(withValidSamlDocument('<!DOCTYPE a><a/>', () => 'read')).toMatchObject({ ok: false, failure: 'dtd' });
  });

  it('parses a document without one', () => {
    const document = parseXmlWithoutDtd('<a/>');
    expect(document).not.toBe('dtd');
    if (document !== 'dtd') {
      expect(document.root.name).toBe('a');
      document.dispose();
    }
  });
});
