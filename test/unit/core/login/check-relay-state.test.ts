import { describe, expect, it } from '@jest/globals';
import { BridgeError, type BridgeErrorCode } from '../../../../src/core/errors.js';
import { checkRelayState, RELAY_STATE_MAX_BYTES } from '../../../../src/core/login/steps/check-relay-state.js';

/** RelayState is echoed byte for byte or refused; over the SSO URL in test/security/relay-state.test.ts. */
function refusal(relayState: string | undefined): BridgeErrorCode | 'none' {
  try {
    checkRelayState(relayState);
  } catch (error) {
    if (error instanceof BridgeError) return error.code;
    throw error;
  }
  return 'none';
}

describe('checkRelayState', () => {
  it('takes no RelayState, an empty one, and what Atlassian sends', () => {
    expect(refusal(undefined)).toBe('none');
    expect(refusal('')).toBe('none');
    expect(refusal('https://start.atlassian.com')).toBe('none');
    expect(refusal('https://acme.atlassian.net/jira/software/projects/KEY/boards/1?selectedIssue=KEY-1&a=b%20c')).toBe('none');
  });

  it(`takes exactly ${RELAY_STATE_MAX_BYTES} bytes and refuses one more`, () => {
    expect(refusal('r'.repeat(RELAY_STATE_MAX_BYTES))).toBe('none');
    expect(refusal('r'.repeat(RELAY_STATE_MAX_BYTES + 1))).toBe('relay_state_invalid');
  });

  it('counts UTF-8 bytes, not characters: a value under the character bound can be over the byte bound', () => {
    // "é" is one UTF-16 code unit and two UTF-8 bytes.
    expect(refusal('é'.repeat(RELAY_STATE_MAX_BYTES / 2))).toBe('none');
    expect(refusal(`${'é'.repeat(RELAY_STATE_MAX_BYTES / 2)}r`)).toBe('relay_state_invalid');
    // An emoji is two code units and four bytes.
    expect(refusal('😀'.repeat(RELAY_STATE_MAX_BYTES / 4))).toBe('none');
    expect(refusal('😀'.repeat(RELAY_STATE_MAX_BYTES / 4 + 1))).toBe('relay_state_invalid');
  });

  it.each([
    ['a line feed', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a NUL', 'a\u0000b'],
    ['another control character', 'a\u0001b'],
    ['the last C0 control', 'a\u001fb'],
    ['DEL', 'a\u007fb'],
    ['U+FFFD (bytes that were not UTF-8)', 'a\ufffdb'],
  ])('refuses %s, which a form cannot post back unchanged', (_, relayState) => {
    expect(refusal(relayState)).toBe('relay_state_invalid');
  });

  it('takes a tab, spaces and non-ASCII text, which a form echoes as they are (control)', () => {
    expect(refusal('a\tb c ü 漢字')).toBe('none');
  });
});
