import { describe, expect, it } from '@jest/globals';
import { KNOWN_ATLASSIAN_ERRORS, PASTED_ERROR_MAX_CHARS, recogniseAtlassianError, type AtlassianErrorId } from '../../../src/core/admin/atlassian-errors.js';

/**
 * The table of Atlassian's login errors: each known error is recognised from the address of
 * Atlassian's error page (its error_description decoded) and from the bare message, and what an
 * admin pastes is read as the hostile text it may be.
 */

const ids = (text: string) => recogniseAtlassianError(text).entries.map((e) => e.id);

/** Each known error as Atlassian shows it: the message, and the error page's address carrying it. */
const KNOWN: readonly [AtlassianErrorId, string, string][] = [
  ['assertion_expired', 'assertion has expired', 'https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired'],
  ['assertion_expired', 'The assertion is not yet valid', 'https://id.atlassian.com/error?error=access_denied&error_description=assertion+is+not+yet+valid'],
  ['policy_strategy_mismatch', 'authentication-policy-strategy-mismatch', 'https://id.atlassian.com/login?error=authentication-policy-strategy-mismatch'],
  [
    'email_cannot_log_in',
    'The email address you entered can’t be used to log in here.',
    'https://id.atlassian.com/login?message=The%20email%20address%20you%20entered%20can%27t%20be%20used%20to%20log%20in%20here.',
  ],
  [
    'certificate_mismatch',
    'Certificate in SAML Response does not match the certificate configured for this identity provider',
    'https://id.atlassian.com/error?error=access_denied&error_description=Certificate%20in%20SAML%20Response%20does%20not%20match',
  ],
  ['linked_email_update_failed', 'update-linked-primary-user-email-failed', 'https://id.atlassian.com/error?error=update-linked-primary-user-email-failed'],
  ['verify_account', 'Hang on, we need to verify a few things', 'https://id.atlassian.com/error?error_description=Hang%20on%2C%20we%20need%20to%20verify%20a%20few%20things'],
];

describe('the table of Atlassian login errors', () => {
  it('has one entry per id, each with causes and a next step; only the fallbacks have no matchers', () => {
    expect(new Set(KNOWN_ATLASSIAN_ERRORS.map((e) => e.id)).size).toBe(KNOWN_ATLASSIAN_ERRORS.length);
    for (const entry of KNOWN_ATLASSIAN_ERRORS) {
      expect(entry.causes.length).toBeGreaterThan(0);
      expect(entry.nextStep.length).toBeGreaterThan(20);
      expect(entry.matchers.length === 0).toBe(entry.id === 'bridge_reference' || entry.id === 'not_recognised');
    }
  });

  it('covers every recognisable entry in this test', () => {
    const recognisable = KNOWN_ATLASSIAN_ERRORS.filter((e) => e.matchers.length).map((e) => e.id);
    expect(new Set(KNOWN.map(([id]) => id))).toEqual(new Set(recognisable));
  });

  it.each(KNOWN)('recognises %s from the bare message (%s)', (id, message) => {
    expect(ids(message)).toEqual([id]);
    expect(recogniseAtlassianError(message).pasted).toMatchObject({ kind: 'text', parameters: [] });
  });

  it.each(KNOWN)('recognises %s from the error page address', (id, _message, url) => {
    const { pasted, entries } = recogniseAtlassianError(url);
    expect(entries.map((e) => e.id)).toEqual([id]);
    expect(pasted).toMatchObject({ kind: 'url', host: 'id.atlassian.com', atlassian: true });
    expect(pasted.parameters.length).toBeGreaterThan(0);
  });

  it('decodes the error page address\'s parameters and shows them', () => {
    const { pasted } = recogniseAtlassianError('  https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired \n');
    expect(pasted.parameters).toEqual([
      { name: 'error', value: 'access_denied' },
      { name: 'error_description', value: 'assertion has expired' },
    ]);
  });

  it('finds the address inside a sentence around it', () => {
    const text = 'Users get this: https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired since this morning';
    expect(recogniseAtlassianError(text)).toMatchObject({ pasted: { kind: 'url', host: 'id.atlassian.com' }, entries: [{ id: 'assertion_expired' }] });
  });

  it('recognises a bare error_description value copied out of the address, still encoded', () => {
    expect(ids('error_description=assertion%20has%20expired')).toEqual(['assertion_expired']);
    expect(ids('assertion+has+expired')).toEqual(['assertion_expired']);
  });

  it('says when the address is not Atlassian\'s', () => {
    expect(recogniseAtlassianError('https://evil.example/error?error_description=assertion%20has%20expired').pasted).toMatchObject({ host: 'evil.example', atlassian: false });
    expect(recogniseAtlassianError('https://acme.atlassian.net/jira').pasted).toMatchObject({ atlassian: true });
  });

  it('finds a reference of the bridge\'s own error page', () => {
    const { pasted, entries } = recogniseAtlassianError('Sign-in refused. Reference: R-AB12-CD34');
    expect(pasted.reference).toBe('R-AB12-CD34');
    expect(entries.map((e) => e.id)).toEqual(['bridge_reference']);
  });

  it('answers not_recognised, honestly, for anything else', () => {
    expect(ids('Something went wrong')).toEqual(['not_recognised']);
    expect(ids('https://id.atlassian.com/error?error=server_error')).toEqual(['not_recognised']);
  });
});

describe('what an admin pastes, read as hostile text', () => {
  it('refuses text over the limit (the resolver refuses it first, as bad_request)', () => {
    expect(() => recogniseAtlassianError('a'.repeat(PASTED_ERROR_MAX_CHARS + 1))).toThrow(TypeError);
    expect(ids(`${'x '.repeat((PASTED_ERROR_MAX_CHARS - 30) / 2)}assertion has expired`)).toEqual(['assertion_expired']);
  });

  it('refuses what is not a string', () => {
    expect(() => recogniseAtlassianError(42 as unknown as string)).toThrow(TypeError);
  });

  it('reads HTML as text and echoes only the decoded parameters, cut short', () => {
    const html = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const { pasted, entries } = recogniseAtlassianError(`https://id.atlassian.com/error?error_description=${encodeURIComponent(`${html} assertion has expired ${'y'.repeat(1000)}`)}`);
    expect(entries.map((e) => e.id)).toEqual(['assertion_expired']);
    // Returned as a plain string for the page to render as text; never more than 300 characters.
    expect(pasted.parameters[0]!.value.startsWith(html)).toBe(true);
    expect(pasted.parameters[0]!.value.length).toBe(300);
    expect(ids(`${html} assertion has expired`)).toEqual(['assertion_expired']);
  });

  it('reads a malformed address as text, never throwing', () => {
    // Port out of range: new URL refuses it; the message inside still counts.
    const bad = 'https://id.atlassian.com:99999/error?error_description=assertion%20has%20expired';
    expect(recogniseAtlassianError(bad)).toMatchObject({ pasted: { kind: 'text', parameters: [] }, entries: [{ id: 'assertion_expired' }] });
    for (const text of ['https://[::1', 'http://', 'javascript:alert(1)', '%E0%A4%A', '100% sure %zz', 'https://id.atlassian.com/error?error_description=%E0%A4%A']) {
      expect(() => recogniseAtlassianError(text)).not.toThrow();
    }
    expect(recogniseAtlassianError('javascript:alert(1)//https').pasted.kind).toBe('text');
  });

  it('takes no noticeable time over a long adversarial input', () => {
    const started = performance.now();
    for (const text of ['assertion '.repeat(400), `${'-'.repeat(4000)}mismatch`, `https://a/${'?error='.repeat(580)}`, `${'can'.repeat(1300)}`]) {
      recogniseAtlassianError(text.slice(0, PASTED_ERROR_MAX_CHARS));
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});
