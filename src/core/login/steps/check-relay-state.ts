import { BridgeError } from '../../errors.js';

/** RelayState is echoed byte for byte, never truncated; this only bounds memory and page size. */
export const RELAY_STATE_MAX_CHARS = 8 * 1024;

/**
 * Characters an HTML form cannot post back unchanged (browsers turn CR and LF into CRLF and NUL
 * into U+FFFD), and U+FFFD itself, which stands for bytes that were not UTF-8: a RelayState with
 * any of them cannot be echoed byte for byte, so it is refused rather than altered.
 */
const RELAY_STATE_UNECHOABLE = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;

/** RelayState is echoed to the SP unchanged, or refused. */
export function checkRelayState(relayState: string | undefined): void {
  if (relayState === undefined) return;
  if (relayState.length > RELAY_STATE_MAX_CHARS) throw new BridgeError('relay_state_invalid', `length ${relayState.length}`);
  if (RELAY_STATE_UNECHOABLE.test(relayState)) throw new BridgeError('relay_state_invalid', 'characters a form cannot echo unchanged');
}
