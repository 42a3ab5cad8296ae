import type { BridgeErrorCode } from '../errors.js';

/**
 * What an administrator should check when a connection test failed with a code that names a
 * field of their configuration; `field` is the input's label exactly as the wizard shows it.
 */
export interface TestAdvice {
  field: 'Client secret' | 'Client ID' | 'Callback URL registered at the provider';
  message: string;
  /** The wizard step with that field, which the test result links to. */
  step: 'provider' | 'callback';
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
};

export function adviceFor(code: string): TestAdvice | undefined {
  return ADVICE[code as BridgeErrorCode];
}
