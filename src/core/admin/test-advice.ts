import type { BridgeErrorCode } from '../errors.js';

/**
 * What an administrator should check when a connection test failed with a code that names a
 * field of their configuration; `field` is the input's label exactly as the wizard shows it.
 */
export interface TestAdvice {
  field: 'Client secret' | 'Client ID' | 'Callback URL registered at the provider' | 'Groups claim';
  message: string;
  /** The wizard step with that field, which the test result links to. */
  step: 'provider' | 'callback' | 'users';
}

const ADVICE: Partial<Record<BridgeErrorCode, TestAdvice>> = {
  oidc_client_rejected: {
    field: 'Client secret',
    step: 'provider',
    message:
      'The provider answered invalid_client: it did not accept the client ID and secret. Copy the client secret again from the provider (a secret that expired or was rotated fails this way), and check the Client ID and Client authentication method.',
  },
  oidc_client_unauthorized: {
    field: 'Client ID',
    step: 'provider',
    message:
      'The provider answered unauthorized_client: this client may not use the authorization code flow. Check that the Client ID belongs to a web application at the provider with the Authorization Code grant enabled.',
  },
  oidc_redirect_uri_rejected: {
    field: 'Callback URL registered at the provider',
    step: 'callback',
    message:
      'The provider refused the redirect URI: the callback URL registered there is not exactly the bridge\'s. Copy the callback URL from the callback step into the provider\'s sign-in redirect URIs.',
  },
  // The access rule: the provider sends the groups claim only when it is set up to.
  user_groups_missing: {
    field: 'Groups claim',
    step: 'users',
    message:
      'Providers send a groups claim only once set up to. Okta: add a groups claim (Sign On › OpenID Connect ID Token › Groups claim filter, or a claim on the authorization server) and note that Okta leaves it out when the user is in no group the filter matches. ' +
      'Entra ID: Token configuration › Add groups claim. Keycloak: a Group Membership mapper on the client with "Add to ID token" or "Add to userinfo" on.',
  },
  user_groups_claim_invalid: {
    field: 'Groups claim',
    step: 'users',
    message:
      'The groups claim is not a list of group names (a JSON array of strings): check that the claim name points at the groups, and that the provider sends it as a list (Keycloak: the mapper\'s "Multivalued" or a Group Membership mapper; Auth0: an array in the Action that adds it).',
  },
  user_groups_overage: {
    field: 'Groups claim',
    step: 'users',
    message:
      'Entra ID left the groups out of the token because the user is in more than it can carry (group overage: over 200 in an ID token) and pointed to Microsoft Graph instead, which this bridge never calls. ' +
      'In the app registration, Token configuration › Edit groups claim, choose "Groups assigned to the application" and assign the allowed groups to the enterprise application (Entra then sends their object IDs, fewer than the limit), or use app roles and set the groups claim to roles.',
  },
};

export function adviceFor(code: string): TestAdvice | undefined {
  return ADVICE[code as BridgeErrorCode];
}
