import { DEFAULT_ID } from '../storage-keys.js';

/** The login transaction: what the first leg of a login stores for the second. */

export interface TransactionBase {
  v: 2;
  /** The attempt's reference, carried to the callback so both legs show and record the same one. */
  attempt: string;
  connectionId: string;
  providerId: string;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
  /** Checked by the core itself: Forge KVS may serve expired values for up to 48 hours. */
  expiresAt: number;
  /**
   * SHA-256 of the browser-binding cookie's value, when the login is bound to the browser
   * (`bindLoginToBrowser`). For a test: the cookie its start URL sets, whose return the
   * callback records rather than requires.
   */
  browserHash: string | null;
  /**
   * The directory's revision when the login started. When this instance still has that
   * directory cached, the callback finishes under it without reading storage; otherwise it
   * reads the current one. Either way a saved change applies to every login started after it.
   */
  directoryRevision: string | null;
}

/** Started by an AuthnRequest at the SSO URL; ends in a SAML response. */
export interface SpLoginTransaction extends TransactionBase {
  kind: 'sp';
  samlRequestId: string;
  relayState: string | null;
  forceAuthn: boolean;
  /** The SP the request came from, so a changed connection cannot redirect a login. */
  spEntityId: string;
  /** The NameID of the AuthnRequest's `<Subject>`: only this user may be answered (`checkRequestedSubject`). */
  requestedNameId?: string | null;
  /** The NameIDPolicy's Format when the request names emailAddress: the response uses it. */
  nameIdFormat?: string | null;
}

/** The wizard's connection test: ends in a stored result, never in a SAML response. */
export interface TestLoginTransaction extends TransactionBase {
  kind: 'test';
  /** Where its result is stored (`storageKeys.testResult`). */
  testId: string;
  /** The provider URL its start URL (`/test/start`) redirects to, after setting the cookie. */
  startRedirect: string;
}

/**
 * Started at a connection's start URL (`/saml/start/<connection>`), with no AuthnRequest: ends
 * in an unsolicited SAML response (no `InResponseTo`) with the RelayState chosen when it started.
 */
export interface IdpLoginTransaction extends TransactionBase {
  kind: 'idp';
  /** Where Atlassian sends the user afterwards, checked when the login started (`idpInitiatedTarget`). */
  relayState: string;
  /** The connection's SP when the login started, so a changed connection cannot redirect a login. */
  spEntityId: string;
}

/** A login that ends in a SAML response: answering an AuthnRequest, or unsolicited. */
export type SamlLoginTransaction = SpLoginTransaction | IdpLoginTransaction;

/** A login in flight, as stored. */
export type LoginTransaction = SpLoginTransaction | IdpLoginTransaction | TestLoginTransaction;

/** Every state the bridge issues: openid-client's randomState(), 32 random bytes in base64url. */
export const ISSUED_STATE = /^[A-Za-z0-9_-]{43}$/;

/** A login transaction taken from the store by its callback: checked, and gone from the store. */
export interface TakenLogin<T extends LoginTransaction = LoginTransaction> {
  state: string;
  transaction: T;
  /**
   * For a test whose start URL set the binding cookie: whether the cookie came back with the
   * callback (`seen`) or not (`not_seen`). A login never gets this far without it.
   */
  bindingCookie?: 'seen' | 'not_seen';
  /** A bound login accepted without its cookie, on a host a connection test saw dropping it. */
  unbound?: true;
}

/**
 * A stored transaction, or undefined for anything this release did not write. Logins in flight
 * across an upgrade from the single-configuration release (`v: 1`) finish under the first
 * connection, which is what that release's configuration became.
 */
export function readTransaction(raw: unknown): LoginTransaction | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const stored = raw as Record<string, unknown>;
  if (stored.v === 1) {
    const base = {
      ...stored,
      v: 2,
      attempt: undefined,
      connectionId: DEFAULT_ID,
      providerId: DEFAULT_ID,
      directoryRevision: null,
    };
    return checkedTransaction(stored.kind === 'test' ? { ...base, kind: 'test' } : { ...base, kind: 'sp' });
  }
  return stored.v === 2 ? checkedTransaction(stored) : undefined;
}

function checkedTransaction(stored: Record<string, unknown>): LoginTransaction | undefined {
  const strings = ['connectionId', 'providerId', 'nonce', 'codeVerifier'] as const;
  if (strings.some((name) => typeof stored[name] !== 'string') || typeof stored.expiresAt !== 'number' || typeof stored.createdAt !== 'number') return undefined;
  if (stored.kind === 'sp' && typeof stored.samlRequestId === 'string' && typeof stored.spEntityId === 'string') {
    // A transaction with a requested subject the bridge cannot read must not finish as one without.
    const optionalText = (value: unknown) => value === undefined || value === null || typeof value === 'string';
    return optionalText(stored.requestedNameId) && optionalText(stored.nameIdFormat) ? (stored as unknown as SpLoginTransaction) : undefined;
  }
  if (stored.kind === 'idp' && typeof stored.relayState === 'string' && typeof stored.spEntityId === 'string') return stored as unknown as IdpLoginTransaction;
  // `startRedirect` is checked where it is used (`readTestStart`): the callback needs only the id.
  if (stored.kind === 'test' && typeof stored.testId === 'string') return stored as unknown as TestLoginTransaction;
  return undefined;
}
