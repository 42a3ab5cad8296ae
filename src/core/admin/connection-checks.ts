import { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';
import type { ConnectionCheck, ConnectionCheckId, RolloutChecklist, UsersPreviewResponse } from './admin-api-types.js';

/**
 * The checks an explained Atlassian error (`atlassian-errors.ts`) is held against: pure
 * functions over what the core already has of one connection (its user settings, the last
 * connection test this admin ran, the active signing certificate, the rollout checklist). Each
 * answers ok, problem or unknown (nothing to decide by), with one line saying why.
 */

/** Clocks that differ by more than this are worth fixing before anything else. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** NotBefore set back by less than this leaves no room for a Guard clock a little behind the bridge's. */
const MIN_BACKDATE_SECONDS = 60;
/** An assertion valid for less than this can expire on a slow network between the bridge and Guard. */
const MIN_LIFETIME_SECONDS = 120;
/** Atlassian warns 30 days before the certificate in Guard expires (../shared/docs/PLATFORM.md). */
const EXPIRY_WARNING_DAYS = 30;
/** The most a pasted certificate may be: a PEM of a 4096-bit RSA certificate is under 3 KB. */
export const PASTED_CERTIFICATE_MAX_CHARS = 16 * 1024;
const DAY_MS = 24 * 3600 * 1000;

export interface ConnectionFacts {
  /** The bridge's clock now. */
  now: number;
  /** The claim the NameID comes from and the stable id's claim, of the settings users sign in with. */
  nameIdClaim: string;
  stableIdClaim: string;
  /** How assertions are timed (`clockSkewSeconds` backdates NotBefore). */
  timing: { clockSkewSeconds: number; assertionLifetimeSeconds: number };
  /** This admin's last connection test of the provider, and what the login's mapping makes of its claims. */
  lastTest?: { finishedAt: number; claims: Readonly<Record<string, unknown>>; mapped: Exclude<UsersPreviewResponse, { state: 'no_test' }> };
  /** Whether allowed email domains are set (without them a test accepts the user's own domain). */
  checksDomains: boolean;
  activeCertificatePem: string;
  /** The certificate the admin pasted from Guard, untrusted. */
  guardCertificate?: string;
  /** The admin's browser clock when the request left, untrusted. */
  browserTime?: number;
  rollout: RolloutChecklist;
}

const LABELS: Record<ConnectionCheckId, string> = {
  clock_provider: "The bridge's clock against the provider's",
  clock_browser: "The bridge's clock against this browser's",
  assertion_window: "The assertion's validity window",
  name_id_claim: 'Where the NameID comes from',
  name_id_value: 'The NameID of your last connection test',
  rollout: 'Domain and policy in Atlassian Guard (step 8)',
  certificate_match: 'The certificate in Guard against the active one',
  certificate_expiry: 'The active signing certificate',
  stable_id: 'The stable id (name attribute)',
};

type Outcome = Omit<ConnectionCheck, 'id' | 'label'>;

const CHECKS: Record<ConnectionCheckId, (facts: ConnectionFacts) => Outcome> = {
  clock_provider: (facts) => {
    const test = facts.lastTest;
    if (!test) return { result: 'unknown', reason: 'No connection test of yours is kept (they last 24 hours): run one in step 4 to compare the clocks.' };
    const iat = test.claims.iat;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return { result: 'unknown', reason: "The last test's ID token carried no issue time (iat) to compare with." };
    // The provider issued the ID token moments before the bridge's callback noted finishedAt.
    const skewMs = test.finishedAt - iat * 1000;
    const when = `at your last connection test (${iso(test.finishedAt)})`;
    const values = [
      { label: 'Provider issued the ID token at', value: iso(iat * 1000) },
      { label: 'Bridge received it at', value: iso(test.finishedAt) },
    ];
    if (Math.abs(skewMs) > CLOCK_TOLERANCE_SECONDS * 1000) {
      return { result: 'problem', reason: `The bridge's clock was ${duration(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} the provider's ${when}: one of them is wrong.`, values };
    }
    return { result: 'ok', reason: `The bridge's clock agreed with the provider's within ${duration(skewMs)} ${when}.`, values };
  },
  clock_browser: (facts) => {
    if (facts.browserTime === undefined) return { result: 'unknown', reason: "This browser did not send its clock." };
    const skewMs = facts.now - facts.browserTime;
    const values = [
      { label: 'Bridge clock', value: iso(facts.now) },
      { label: 'Browser clock', value: iso(facts.browserTime) },
    ];
    if (Math.abs(skewMs) > CLOCK_TOLERANCE_SECONDS * 1000) {
      return { result: 'problem', reason: `The bridge's clock is ${duration(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} this browser's: check both against a time service.`, values };
    }
    return { result: 'ok', reason: `The bridge's clock agrees with this browser's within ${duration(skewMs)}.`, values };
  },
  assertion_window: ({ now, timing }) => {
    const values = [
      { label: 'NotBefore of an assertion issued now', value: iso(now - timing.clockSkewSeconds * 1000) },
      { label: 'NotOnOrAfter of an assertion issued now', value: iso(now + timing.assertionLifetimeSeconds * 1000) },
    ];
    const window = `valid from ${timing.clockSkewSeconds} s before it is issued until ${timing.assertionLifetimeSeconds} s after`;
    if (timing.clockSkewSeconds < MIN_BACKDATE_SECONDS) {
      return { result: 'problem', reason: `An assertion is ${window}: a Guard clock only a little behind the bridge's reads it as not valid yet (raise clockSkewSeconds).`, values };
    }
    if (timing.assertionLifetimeSeconds < MIN_LIFETIME_SECONDS) {
      return { result: 'problem', reason: `An assertion is ${window}: a slow sign-in can outlast it (raise assertionLifetimeSeconds).`, values };
    }
    return { result: 'ok', reason: `An assertion is ${window}.`, values };
  },
  name_id_claim: ({ nameIdClaim }) =>
    nameIdClaim === 'email'
      ? { result: 'ok', reason: "The NameID is the provider's email claim, which Guard matches against the Atlassian account's email." }
      : {
          result: 'problem',
          reason: `The NameID comes from the claim "${nameIdClaim}", not "email": Guard matches the NameID against the Atlassian account's email, so it must hold exactly that address.`,
        },
  name_id_value: ({ lastTest, checksDomains }) => {
    if (!lastTest) return { result: 'unknown', reason: 'No connection test of yours is kept: run one in step 4 as the affected user to see the NameID the bridge sends.' };
    const { mapped } = lastTest;
    if (mapped.state === 'invalid') return { result: 'unknown', reason: 'The user settings are not valid, so the NameID cannot be worked out.' };
    const email = typeof lastTest.claims.email === 'string' ? lastTest.claims.email : undefined;
    if (mapped.state === 'refused') {
      return { result: 'problem', reason: `The bridge would refuse the last test's user (${mapped.code}): ${mapped.title}`, ...(email ? { values: [{ label: 'Email claim', value: email }] } : {}) };
    }
    const values = [{ label: 'NameID', value: mapped.nameId }, ...(email ? [{ label: 'Email claim', value: email }] : [])];
    if (email && email.toLowerCase() !== mapped.nameId.toLowerCase()) {
      return { result: 'problem', reason: 'The NameID is not the email the provider sent: Guard looks the account up by the NameID.', values };
    }
    if (!checksDomains) return { result: 'problem', reason: 'No allowed email domains are set (step 7), so the NameID\'s domain was not checked.', values };
    return { result: 'ok', reason: "The bridge sends this NameID, in an allowed domain: it must be the user's Atlassian email.", values };
  },
  rollout: ({ rollout }) => {
    if (!rollout.domainLinked) return { result: 'problem', reason: "Step 8's “Link the verified domain to this identity provider” is not ticked." };
    if (!rollout.testPolicyCreated && !rollout.enforced) return { result: 'problem', reason: 'Step 8 has no authentication policy that enforces single sign-on ticked.' };
    return { result: 'ok', reason: "Step 8 says the domain is linked and a policy enforces SSO (ticked by an admin: this app cannot read Guard's policies or which users are in them)." };
  },
  certificate_match: ({ activeCertificatePem, guardCertificate }) => {
    const active = readCertificate(activeCertificatePem);
    if (!active.ok) return { result: 'problem', reason: 'The active signing certificate could not be read.' };
    const activeValue = { label: 'Active certificate (SHA-256)', value: active.fingerprint };
    if (guardCertificate === undefined || guardCertificate.trim() === '') {
      return { result: 'unknown', reason: "Paste the certificate now in Guard's Public X509 certificate field to compare it with the active one.", values: [activeValue] };
    }
    const pasted = readCertificate(guardCertificate);
    if (!pasted.ok) return { result: 'problem', reason: `What was pasted as Guard's certificate is not a certificate: ${pasted.reason}.`, values: [activeValue] };
    const values = [{ label: 'Certificate in Guard (SHA-256)', value: pasted.fingerprint }, activeValue, { label: 'Certificate in Guard valid until', value: pasted.validTo }];
    if (pasted.fingerprint !== active.fingerprint) {
      return { result: 'problem', reason: "The certificate in Guard is not the bridge's active signing certificate: the fingerprints differ.", values };
    }
    if (pasted.literalNewlines) {
      // ACCESS-1498: Guard compares the certificate as pasted, and a literal \n broke logins.
      return { result: 'problem', reason: 'It is the active certificate, but the pasted text holds the characters \\n: paste it into Guard again from step 5.', values };
    }
    return { result: 'ok', reason: "The certificate in Guard is the bridge's active signing certificate.", values };
  },
  certificate_expiry: ({ activeCertificatePem, now }) => {
    const active = readCertificate(activeCertificatePem);
    if (!active.ok) return { result: 'problem', reason: 'The active signing certificate could not be read.' };
    const values = [{ label: 'Valid until', value: active.validTo }];
    const left = active.validToMs - now;
    if (left <= 0) return { result: 'problem', reason: 'The active signing certificate has expired: rotate it and paste the new one into Guard.', values };
    if (left < EXPIRY_WARNING_DAYS * DAY_MS) {
      return { result: 'problem', reason: `The active signing certificate expires in ${Math.ceil(left / DAY_MS)} days: rotate it soon.`, values };
    }
    return { result: 'ok', reason: `The active signing certificate is valid for ${Math.floor(left / DAY_MS)} more days.`, values };
  },
  stable_id: ({ stableIdClaim, nameIdClaim, lastTest }) => {
    if (stableIdClaim === 'email' || stableIdClaim === nameIdClaim || /e?mail|upn/i.test(stableIdClaim)) {
      return { result: 'problem', reason: `The stable id comes from the claim "${stableIdClaim}", which changes with the user's email: use an identifier that never changes, such as sub.` };
    }
    if (!lastTest) return { result: 'unknown', reason: `The stable id comes from the claim "${stableIdClaim}"; run the connection test (step 4) to see its value.` };
    const value = lastTest.claims[stableIdClaim];
    if (typeof value !== 'string' && typeof value !== 'number') {
      return { result: 'problem', reason: `Your last connection test's claims have no "${stableIdClaim}": Guard gets no stable id and cannot follow an email change.` };
    }
    const shown = String(value).slice(0, 200);
    const values = [{ label: `Stable id (${stableIdClaim})`, value: shown }];
    if (shown.includes('@')) return { result: 'problem', reason: `The stable id "${stableIdClaim}" holds an email address, which can change: use an identifier that never changes, such as sub.`, values };
    return { result: 'ok', reason: `The stable id comes from the claim "${stableIdClaim}", which is not the email.`, values };
  },
};

/** Runs the named checks in order. */
export function runConnectionChecks(ids: readonly ConnectionCheckId[], facts: ConnectionFacts): ConnectionCheck[] {
  return ids.map((id) => ({ id, label: LABELS[id], ...CHECKS[id](facts) }));
}

type ReadCertificate = { ok: true; fingerprint: string; validTo: string; validToMs: number; literalNewlines: boolean } | { ok: false; reason: string };

/**
 * A certificate as an admin pastes it: a PEM (BEGIN/END lines, any line breaks, even as the
 * two characters `\n`) or its bare base64. Parsed by node's X509Certificate, never by hand.
 */
export function readCertificate(text: string): ReadCertificate {
  if (text.length > PASTED_CERTIFICATE_MAX_CHARS) return { ok: false, reason: 'it is too long' };
  const literalNewlines = /\\[nr]/.test(text);
  const cleaned = text.replace(/\\[nr]/g, '\n');
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(cleaned);
  if (!pem && cleaned.includes('-----')) return { ok: false, reason: 'it has no BEGIN CERTIFICATE and END CERTIFICATE lines around it' };
  const body = (pem ? pem[1]! : cleaned).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return { ok: false, reason: 'it is not base64' };
  try {
    const certificate = new X509Certificate(Buffer.from(body, 'base64'));
    const validToMs = Date.parse(certificate.validTo);
    return { ok: true, fingerprint: certificate.fingerprint256, validTo: Number.isFinite(validToMs) ? iso(validToMs) : certificate.validTo, validToMs, literalNewlines };
  } catch {
    return { ok: false, reason: 'it does not parse as an X.509 certificate' };
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : 'an invalid time';
}

/** A difference of clocks as a person reads it: "5 min 3 s", "12 s". */
function duration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${Math.round(minutes / 60)} h`;
}
