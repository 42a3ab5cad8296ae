import { normalizeDomain } from '../../config.js';
import type { ConnectionEntry, ProviderEntry } from '../../connections/directory.js';
import { BridgeError } from '../../errors.js';

/** What the request says about the provider: the choice page's answer, or this browser's earlier pick. */
export interface ProviderChoice {
  providerId?: string;
  email?: string;
  remembered?: string;
}

/**
 * The provider of this login: the only one, the one whose domains hold the email the user gave,
 * the one the user picked, or the one this browser picked before. Undefined: ask the user.
 * Routing only picks where the user signs in; the callback still accepts only the picked
 * provider's own domains, so no provider can vouch for another's users.
 */
export function chooseProvider(
  connection: ConnectionEntry,
  choice: ProviderChoice | undefined,
): { provider: ProviderEntry; chosen: boolean; email?: string } | undefined {
  if (connection.providers.length === 1) return { provider: connection.providers[0]!, chosen: false };
  if (choice?.email !== undefined) {
    const email = choice.email.trim();
    const at = email.lastIndexOf('@');
    const domain = at > 0 && email.length <= 320 ? normalizeDomain(email.slice(at + 1)) : undefined;
    if (!domain) throw new BridgeError('user_email_invalid', 'the email given on the choice page is not an address');
    const provider = connection.providers.find((p) => p.domains.includes(domain));
    if (!provider) throw new BridgeError('user_domain_not_allowed', `no provider of connection ${connection.id} serves ${domain}`);
    return { provider, chosen: true, email };
  }
  if (choice?.providerId !== undefined) {
    const provider = connection.providers.find((p) => p.id === choice.providerId);
    if (!provider) throw new BridgeError('saml_request_malformed', 'the chosen provider is not one of this connection');
    return { provider, chosen: true };
  }
  const remembered = choice?.remembered !== undefined ? connection.providers.find((p) => p.id === choice.remembered) : undefined;
  return remembered ? { provider: remembered, chosen: false } : undefined;
}
