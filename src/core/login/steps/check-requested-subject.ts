import { normalizeDomain } from '../../config.js';
import { BridgeError } from '../../errors.js';
import type { SpLoginTransaction } from '../transaction.js';

/**
 * An AuthnRequest that names a `<Subject>` is answered only for that subject (SAML core
 * §3.4.1): the service provider asked "sign in this user", and an assertion about whoever
 * signed in at the provider instead would log that other person into the account the SP meant.
 * Compared as addresses, the way Atlassian matches NameIDs to accounts: letter case and the
 * domain's Unicode or punycode spelling aside, the names must be equal.
 */
export function checkRequestedSubject(transaction: Pick<SpLoginTransaction, 'requestedNameId'>, nameId: string): void {
  const requested = transaction.requestedNameId;
  if (requested === undefined || requested === null) return;
  if (comparable(requested) !== comparable(nameId)) {
    throw new BridgeError('saml_subject_mismatch', 'the user who signed in is not the Subject the AuthnRequest named');
  }
}

function comparable(name: string): string {
  const trimmed = name.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return trimmed.toLowerCase();
  const domain = trimmed.slice(at + 1);
  return `${trimmed.slice(0, at).toLowerCase()}@${normalizeDomain(domain) ?? domain.toLowerCase()}`;
}
