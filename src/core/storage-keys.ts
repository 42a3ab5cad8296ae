/**
 * Every storage key the app uses, built in one place with a version prefix so a future format
 * change can live beside the old one. Keys satisfy Forge KVS's pattern `[a-zA-Z0-9:._\s-#]+`.
 */
const VERSION = 'v1';

export const storageKeys = {
  /** The validated configuration, without its secrets. */
  config: () => `${VERSION}:config`,
  /** The OIDC client secret (secret storage). */
  clientSecret: () => `${VERSION}:oidc-client-secret`,
  /** The SAML signing key pair and certificate (secret storage). */
  signingKey: () => `${VERSION}:signing-key`,
  /** Provider metadata and JWKS fetched from the issuer, cached between logins. */
  providerCache: () => `${VERSION}:provider-cache`,
  /** A login in flight, keyed by its OIDC `state`. */
  login: (state: string) => `${VERSION}:login:${state}`,
} as const;
