import { atomicValue, KEY_AUTH_METHOD } from '../config-fields.js';
import type { AdminSettings, FieldProblem } from './admin-api-types.js';

/**
 * The stored client secret belongs to the provider it was entered for. Whoever can edit the
 * settings could otherwise point the token endpoint (or the issuer that discovery turns into
 * one) at a server of their own, or switch to `client_secret_post`, and the next login or test
 * would hand them the stored secret. So a change to anything that decides where the secret is
 * sent, or for which client, needs the secret typed again in the same save.
 */

/** Default of `oidc.clientAuthMethod` (`config-fields.ts`): an absent value means this one. */
const DEFAULT_AUTH_METHOD = 'client_secret_basic';

/** What decides where and as which client the secret goes, normalized so that unchanged values compare equal. */
function secretDestination(settings: AdminSettings | undefined): string {
  const oidc = settings?.oidc;
  return JSON.stringify([
    oidc?.issuer?.trim().replace(/\/+$/, '') ?? '',
    oidc?.clientId?.trim() ?? '',
    oidc?.clientAuthMethod ?? DEFAULT_AUTH_METHOD,
    // Manual mode or not, and every endpoint in it (atomic: all four, or none).
    Object.entries(atomicValue(oidc?.endpoints) ?? {})
      .map(([name, value]) => [name, String(value).trim()])
      .sort(),
  ]);
}

/** The settings fields whose change requires the client secret again (for the wizard's hint). */
export const SECRET_BOUND_FIELDS = ['oidc.issuer', 'oidc.endpoints', 'oidc.clientId', 'oidc.clientAuthMethod'] as const;

/**
 * The field problem of a change that would send a stored client secret somewhere new without
 * the secret being given again, or undefined when the change may go ahead. No stored secret
 * (the first save): nothing to send elsewhere. Used by every path that changes a provider's
 * OIDC settings (`config/save`, on its pre-check and inside its compare-and-set write).
 */
export function secretRebindingProblem(
  before: AdminSettings | undefined,
  after: AdminSettings,
  secret: { stored: boolean; given: boolean },
): FieldProblem | undefined {
  if (!secret.stored || secret.given) return undefined;
  // A client that signs with its own key sends no secret anywhere (`config.ts` leaves it out).
  // Switching back is a change of method like any other: the secret is asked for again.
  if (after.oidc?.clientAuthMethod === KEY_AUTH_METHOD) return undefined;
  if (secretDestination(before) === secretDestination(after)) return undefined;
  return {
    path: 'oidc.clientSecret',
    message:
      'Enter the client secret again: the issuer, an endpoint, the client ID or the authentication method changed, and the stored secret is sent only to the provider it was entered for.',
  };
}
