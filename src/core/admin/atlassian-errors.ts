import type { ConnectionCheckId } from './admin-api-types.js';

/**
 * The one table of login errors Atlassian shows when a SAML sign-in through Guard fails, as an
 * admin meets them (the URL of Atlassian's error page, or its message), with what usually causes
 * each, which facts of this connection can confirm or rule the cause out (`connection-checks.ts`),
 * and what to do next. Each entry names its source; "observed behaviour" where Atlassian
 * documents nothing.
 *
 * What an admin pastes is hostile text: it is bounded (`PASTED_ERROR_MAX_CHARS`), a URL in it is
 * read with `new URL` only, and nothing of it is ever rendered as HTML (the admin page renders
 * text); only the decoded `error`, `error_description` and `message` parameters go back, cut short.
 */

/** The most an admin may paste: an error page's URL or message is far shorter. */
export const PASTED_ERROR_MAX_CHARS = 4096;
/** How much of each decoded URL parameter goes back to the page. */
const ECHOED_PARAMETER_CHARS = 300;
/** The query (or fragment) parameters Atlassian's error pages carry the error in. */
const ERROR_PARAMETERS = ['error', 'error_description', 'message'] as const;

export type AtlassianErrorId =
  | 'assertion_expired'
  | 'policy_strategy_mismatch'
  | 'email_cannot_log_in'
  | 'certificate_mismatch'
  | 'linked_email_update_failed'
  | 'verify_account'
  | 'bridge_reference'
  | 'not_recognised';

export interface KnownAtlassianError {
  id: AtlassianErrorId;
  title: string;
  /** Tested against the pasted text as `searchableText` leaves it: lower case, decoded, one space between words. */
  matchers: readonly RegExp[];
  causes: readonly string[];
  /** The facts of this connection that can confirm or rule out a cause, in the order shown. */
  checks: readonly ConnectionCheckId[];
  nextStep: string;
  /** Atlassian's article about the error, where there is one. */
  learnMore?: string;
}

/** A reference on one of this bridge's own error pages (`reference.ts`), which the sign-in activity finds. */
const BRIDGE_REFERENCE = /\bR-[A-Z0-9]{4}-[A-Z0-9]{4}\b/;

export const KNOWN_ATLASSIAN_ERRORS: readonly KnownAtlassianError[] = [
  {
    // Source: https://support.atlassian.com/atlassian-cloud/kb/resolving-saml-time-mismatch-issues-aka-assertion-has-expired/
    // (the error page is https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired);
    // "not yet valid" for a NotBefore in Guard's future: observed behaviour.
    id: 'assertion_expired',
    title: 'The assertion has expired (or is not valid yet)',
    matchers: [/\bassertion (?:has |is )?expired\b/, /\bassertion (?:is )?not yet valid\b/, /\bnot yet valid\b/],
    causes: [
      "The bridge's clock and Atlassian's disagree by more than the assertion's validity window, so Guard reads the assertion as expired (or as not valid yet).",
      'The user took longer than the assertion lifetime between the bridge and Atlassian (a browser that stalled, a proxy that held the POST).',
      'The browser posted an old sign-in again (Back, or a reload of the auto-post page).',
    ],
    checks: ['clock_provider', 'clock_browser', 'assertion_window'],
    nextStep:
      "Sync the clock of the server the bridge runs on (NTP); on Forge the clock is Atlassian's own, so look at the user's side instead. If the clocks agree, raise clockSkewSeconds (how far NotBefore is set back) in the configuration, then sign in again from the start.",
    learnMore: 'https://support.atlassian.com/atlassian-cloud/kb/resolving-saml-time-mismatch-issues-aka-assertion-has-expired/',
  },
  {
    // Source: ../shared/docs/PLATFORM.md ("Errors admins meet"), from Atlassian's knowledge base and community answers.
    id: 'policy_strategy_mismatch',
    title: 'authentication-policy-strategy-mismatch',
    matchers: [/\bauthentication[-_ ]policy[-_ ]strategy[-_ ]mismatch\b/],
    causes: [
      "The NameID is not the email of the user's Atlassian account, so Guard finds an account whose policy does not use this identity provider.",
      'The user is not in an authentication policy that enforces single sign-on with this identity provider (or their domain is not linked to it).',
    ],
    checks: ['name_id_claim', 'name_id_value', 'rollout'],
    nextStep:
      "In Atlassian Administration, open the user and check their authentication policy and email; it must be the NameID the bridge sends (shown below from your last connection test). Link the user's domain to this identity provider and add the user to a policy that enforces SSO.",
    learnMore: 'https://support.atlassian.com/provisioning-users/docs/link-domains-to-identity-provider-directories/',
  },
  {
    // Source: ../shared/docs/PLATFORM.md ("Errors admins meet": wrong NameID).
    id: 'email_cannot_log_in',
    title: "The email address you entered can't be used to log in here",
    matchers: [/\bthe email address you entered (?:can't|cannot|can not) be used to log in here\b/, /\bemail address you entered (?:can't|cannot|can not) be used\b/],
    causes: [
      "The NameID the bridge sends is not the email the user typed at Atlassian (another claim, or another address at the provider).",
      "The email's domain is not verified in Atlassian and linked to this identity provider.",
    ],
    checks: ['name_id_claim', 'name_id_value', 'rollout'],
    nextStep:
      "Compare the NameID below with the email the user typed at Atlassian. If they differ, set the NameID claim (step 7) to the claim that holds the Atlassian email, or correct the user's email at the provider; if the domain is not linked, link it in Atlassian Administration → Security → Identity providers.",
    learnMore: 'https://support.atlassian.com/provisioning-users/docs/link-domains-to-identity-provider-directories/',
  },
  {
    // Source: https://jira.atlassian.com/browse/ACCESS-1498 (a stray "\n" in a pasted PEM broke logins) and
    // ../shared/docs/PLATFORM.md ("the certificate inside the response is compared with the one pasted").
    id: 'certificate_mismatch',
    title: 'The certificate in the SAML response does not match the one in Guard',
    matchers: [/\bcertificate in (?:the )?saml response does not match\b/, /\bcertificate (?:in|of) (?:the )?saml response (?:doesn't|does not|did not) match\b/],
    causes: [
      "The certificate pasted into Guard is not the bridge's active signing certificate (an old one, another connection's, or another installation's).",
      'The pasted certificate carries stray characters: a literal \\n, spaces inside the base64, or missing BEGIN/END lines.',
    ],
    checks: ['certificate_match', 'certificate_expiry'],
    nextStep:
      "Copy the certificate from step 5 (Values for Atlassian Guard) and paste it into Guard's Public X509 certificate field in one go, BEGIN and END lines included, then save in Guard.",
    learnMore: 'https://jira.atlassian.com/browse/ACCESS-1498',
  },
  {
    // Source: https://confluence.atlassian.com/cloudkb/saml-login-fails-for-a-user-whose-email-was-changed-957145522.html
    id: 'linked_email_update_failed',
    title: 'update-linked-primary-user-email-failed',
    matchers: [/\bupdate[-_ ]linked[-_ ]primary[-_ ]user[-_ ]email[-_ ]failed\b/],
    causes: [
      "The user's email changed at the provider, and the stable id (the name attribute) does not tie the new email to the existing Atlassian account.",
      'The stable id claim is the email, or a value that changes with it.',
    ],
    checks: ['stable_id', 'name_id_value'],
    nextStep:
      'Keep the Stable ID claim (step 7) on an identifier that never changes (sub, the default). For the affected user, change their email in Atlassian (managed accounts) to the one the provider now sends, then sign in again.',
    learnMore: 'https://confluence.atlassian.com/cloudkb/saml-login-fails-for-a-user-whose-email-was-changed-957145522.html',
  },
  {
    // Source: ../shared/docs/PLATFORM.md ("claims/name must be an immutable id, or an email change at the
    // provider creates a new account ('Hang on, we need to verify a few things')").
    id: 'verify_account',
    title: 'Hang on, we need to verify a few things',
    matchers: [/\bhang on,? we need to verify a few things\b/],
    causes: [
      "Guard received a stable id (the name attribute) it does not know for this email, usually after the user's email or the Stable ID claim changed, and asks the user to confirm a new account.",
    ],
    checks: ['stable_id', 'name_id_value'],
    nextStep:
      "Check that the Stable ID claim (step 7) has not changed since the user last signed in. If it did, set it back; if the user's email changed, change it in Atlassian before they sign in again.",
  },
  {
    // Source: this project's own error pages, which show a reference written to the sign-in activity (src/core/reference.ts).
    id: 'bridge_reference',
    title: "An error page of this bridge, with its reference",
    matchers: [],
    causes: ['The sign-in stopped at the bridge, before Atlassian: the reference names the attempt, with the reason in the sign-in activity.'],
    checks: [],
    nextStep: 'Open Sign-in activity and find the attempt by its reference: it shows what the bridge refused and why.',
  },
  {
    // Source: observed behaviour: the checks that rule most Guard failures in or out.
    id: 'not_recognised',
    title: 'Not an error this page knows',
    matchers: [],
    causes: [
      "This page does not recognise the error, so it cannot say what caused it. The checks below cover what most often breaks a sign-in through Guard: the certificate, the clocks, the NameID and the stable id.",
    ],
    checks: ['certificate_match', 'certificate_expiry', 'clock_provider', 'clock_browser', 'name_id_claim', 'name_id_value', 'stable_id'],
    nextStep:
      "Paste the address of Atlassian's error page (its error_description names the error), or its exact message. A sign-in that stopped at the bridge shows a reference (R-XXXX-XXXX): find it in Sign-in activity.",
  },
];

/** What the pasted text turned out to be, as far as it is safe to say. */
export interface PastedError {
  kind: 'url' | 'text';
  /** The host of a pasted URL. */
  host?: string;
  /** Whether that host is one of Atlassian's. */
  atlassian?: boolean;
  /** Decoded `error`, `error_description` and `message` parameters of the URL, cut short. */
  parameters: { name: (typeof ERROR_PARAMETERS)[number]; value: string }[];
  /** A reference of one of this bridge's error pages found in the text. */
  reference?: string;
}

export interface RecognisedError {
  pasted: PastedError;
  /** The table's entries that match, in table order; `not_recognised` alone when none does. */
  entries: KnownAtlassianError[];
}

/**
 * Reads what an admin pasted: a URL (its error parameters decoded), a message, or both, and
 * finds the table's entries that match. Throws `TypeError` for a string over the limit, which
 * the resolver's schema refuses first.
 */
export function recogniseAtlassianError(input: string): RecognisedError {
  if (typeof input !== 'string' || input.length > PASTED_ERROR_MAX_CHARS) throw new TypeError('pasted error too long');
  const url = pastedUrl(input);
  const parameters: PastedError['parameters'] = [];
  if (url) {
    // Atlassian puts the error in the query; a fragment is read the same way in case a page moves it there.
    for (const params of [url.searchParams, new URLSearchParams(url.hash.replace(/^#/, ''))]) {
      for (const name of ERROR_PARAMETERS) {
        const value = params.get(name);
        if (value && !parameters.some((p) => p.name === name)) parameters.push({ name, value: value.slice(0, ECHOED_PARAMETER_CHARS) });
      }
    }
  }
  const text = searchableText([input, ...parameters.map((p) => p.value)].join(' '));
  const reference = BRIDGE_REFERENCE.exec(input)?.[0];
  const pasted: PastedError = {
    kind: url ? 'url' : 'text',
    ...(url ? { host: url.hostname, atlassian: isAtlassianHost(url.hostname) } : {}),
    parameters,
    ...(reference ? { reference } : {}),
  };
  const entries = KNOWN_ATLASSIAN_ERRORS.filter((entry) => (entry.id === 'bridge_reference' ? reference !== undefined : entry.matchers.some((m) => m.test(text))));
  return { pasted, entries: entries.length ? entries : [atlassianError('not_recognised')] };
}

export function atlassianError(id: AtlassianErrorId): KnownAtlassianError {
  const entry = KNOWN_ATLASSIAN_ERRORS.find((e) => e.id === id);
  if (!entry) throw new TypeError(`no Atlassian error ${id}`);
  return entry;
}

/**
 * The first http(s) URL in the text that `new URL` accepts: the whole text when it is one, else
 * the first URL-looking run of characters (an admin often pastes a sentence around it).
 */
function pastedUrl(input: string): URL | undefined {
  const trimmed = input.trim();
  const candidate = /^https?:\/\/\S+$/i.test(trimmed) ? trimmed : /\bhttps?:\/\/[^\s"'<>]+/i.exec(trimmed)?.[0];
  // Only an http(s) candidate gets this far, so no other scheme (javascript:, data:) is ever read as the address.
  if (!candidate) return undefined;
  try {
    return new URL(candidate);
  } catch {
    return undefined;
  }
}

function isAtlassianHost(host: string): boolean {
  return host === 'atlassian.com' || host.endsWith('.atlassian.com') || host.endsWith('.atlassian.net') || host.endsWith('.jira.com');
}

/**
 * The text the matchers read: percent-escapes and `+` decoded where the text has them (a bare
 * `error_description` value copied from a URL), typographic apostrophes made plain, lower case,
 * one space between words.
 */
export function searchableText(text: string): string {
  let decoded = text;
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      decoded = `${text} ${decodeURIComponent(text.replace(/\+/g, ' '))}`;
    } catch {
      // A stray % that is not an escape: read the text as it is.
    }
  } else if (/\w\+\w/.test(text)) {
    decoded = `${text} ${text.replace(/\+/g, ' ')}`;
  }
  return decoded
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02bc\u2032]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, ' ');
}
