import { BridgeError } from '../../errors.js';

/**
 * The longest RelayState the bridge carries, in UTF-8 bytes. SAML bindings §3.4.3 and §3.5.3
 * cap it at 80 bytes; service providers send more (full URLs, encoded continuation state), so
 * the bridge echoes up to this many, byte for byte, and refuses (never truncates) anything
 * longer. What Atlassian is known to send is a URL: `https://start.atlassian.com` (25 bytes, the
 * default for IdP-initiated logins) or `https://<site>.atlassian.net/...`; the SP-initiated
 * value is not published. 4 KiB carries any URL a browser reliably keeps (about 2,000
 * characters) twice over, and any opaque token seen from other SPs (about 1,100). The cap
 * also bounds what one login transaction stores for an anonymous client (see
 * `liveLoginLimit`).
 */
export const RELAY_STATE_MAX_BYTES = 4096;

/**
 * Characters an HTML form cannot post back unchanged (browsers turn CR and LF into CRLF and NUL
 * into U+FFFD), and U+FFFD itself, which stands for bytes that were not UTF-8: a RelayState with
 * any of them cannot be echoed byte for byte, so it is refused rather than altered.
 */
const RELAY_STATE_UNECHOABLE = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;

const utf8 = new TextEncoder();

/** RelayState is echoed to the SP unchanged, or refused. */
export function checkRelayState(relayState: string | undefined): void {
  if (relayState === undefined) return;
  // A cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes, and at least 1.
  if (relayState.length > RELAY_STATE_MAX_BYTES) throw new BridgeError('relay_state_invalid', `length over ${RELAY_STATE_MAX_BYTES} characters`);
  const bytes = utf8.encode(relayState).length;
  if (bytes > RELAY_STATE_MAX_BYTES) throw new BridgeError('relay_state_invalid', `${bytes} bytes`);
  if (RELAY_STATE_UNECHOABLE.test(relayState)) throw new BridgeError('relay_state_invalid', 'characters a form cannot echo unchanged');
}
