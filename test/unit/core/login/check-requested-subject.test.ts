import { describe, expect, it } from '@jest/globals';
import { checkRequestedSubject } from '../../../../src/core/login/steps/check-requested-subject.js';
import { readTransaction } from '../../../../src/core/login/transaction.js';
import { BridgeError } from '../../../../src/core/errors.js';

/** An AuthnRequest's `<Subject>` (SAML core §3.4.1) binds the login to that user; end to end in test/integration/refusals.test.ts. */
describe('checkRequestedSubject', () => {
  const refused = (requested: string, asserted: string) => {
    try {
      checkRequestedSubject({ requestedNameId: requested }, asserted);
    } catch (error) {
      return error instanceof BridgeError ? error.code : error;
    }
    return undefined;
  };

  it('lets any user through when the request named no subject', () => {
    expect(() => checkRequestedSubject({ requestedNameId: null }, 'alice@example.com')).not.toThrow();
    expect(() => checkRequestedSubject({}, 'alice@example.com')).not.toThrow();
  });

  it('refuses another user', () => {
    expect(refused('bob@example.com', 'alice@example.com')).toBe('saml_subject_mismatch');
  });

  it('refuses the same local part in another domain', () => {
    expect(refused('alice@example.org', 'alice@example.com')).toBe('saml_subject_mismatch');
  });

  it('refuses a subject that only starts with the user', () => {
    expect(refused('alice@example.com.attacker.example', 'alice@example.com')).toBe('saml_subject_mismatch');
  });

  it("compares the local part in lower case, not folded: 'straße' is not 'strasse'", () => {
    // Upper case would fold both to STRASSE and let the other account in.
    expect(refused('straße@example.com', 'strasse@example.com')).toBe('saml_subject_mismatch');
    expect(refused('straße@exa mple', 'strasse@exa mple')).toBe('saml_subject_mismatch');
  });

  it('compares a name without a local part, or without an @, as text apart from letter case', () => {
    expect(refused('@bücher.example', '@xn--bcher-kva.example')).toBe('saml_subject_mismatch');
    // The fullwidth Ｅ is a plain "e" in a host name, not in a name.
    expect(refused('alice.example', 'alice.examplＥ')).toBe('saml_subject_mismatch');
    expect(refused('straße', 'STRASSE')).toBe('saml_subject_mismatch');
    expect(refused('Alice', 'alice')).toBeUndefined();
    expect(refused('@Example.COM', '@example.com')).toBeUndefined();
  });

  it('matches regardless of letter case, surrounding spaces and the Unicode or punycode domain (control)', () => {
    expect(refused(' Alice@EXAMPLE.com ', 'alice@example.com')).toBeUndefined();
    expect(refused('alice@bücher.example', 'alice@xn--bcher-kva.example')).toBeUndefined();
  });
});

describe('readTransaction, for the requested subject', () => {
  const stored = {
    v: 2,
    kind: 'sp',
    attempt: 'R-AAAA-BBBB',
    connectionId: 'default',
    providerId: 'default',
    nonce: 'n',
    codeVerifier: 'v',
    createdAt: 0,
    expiresAt: 1,
    browserHash: null,
    directoryRevision: null,
    samlRequestId: '_req',
    relayState: null,
    forceAuthn: false,
    spEntityId: 'https://sp.example',
  };

  it('reads a requested subject and format, or their absence', () => {
    expect(readTransaction({ ...stored, requestedNameId: 'alice@example.com', nameIdFormat: null })).toMatchObject({ requestedNameId: 'alice@example.com' });
    expect(readTransaction(stored)).toBeDefined();
  });

  it('refuses a transaction whose requested subject is not text (it must not finish as one without)', () => {
    expect(readTransaction({ ...stored, requestedNameId: { value: 'alice@example.com' } })).toBeUndefined();
    expect(readTransaction({ ...stored, nameIdFormat: 42 })).toBeUndefined();
  });
});
