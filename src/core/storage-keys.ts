/**
 * Every storage key the app uses, built in one place with a version prefix so a future format
 * change can live beside the old one. Keys satisfy Forge KVS's pattern `[a-zA-Z0-9:._\s-#]+`.
 */
const VERSION = 'v1';

export const storageKeys = {
  /**
   * The settings the setup wizard saved (`AdminSettings`: the configuration without `baseUrl`,
   * which the host knows, and without the client secret). Each value was validated when saved;
   * the whole may still be incomplete.
   */
  config: () => `${VERSION}:config`,
  /** The OIDC client secret (secret storage). */
  clientSecret: () => `${VERSION}:oidc-client-secret`,
  /** The SAML signing key pair and certificate (secret storage). */
  signingKey: () => `${VERSION}:signing-key`,
  /** Provider metadata and JWKS fetched from the issuer, cached between logins. */
  providerCache: () => `${VERSION}:provider-cache`,
  /** A login in flight, keyed by its OIDC `state`. */
  login: (state: string) => `${VERSION}:login:${state}`,
  /** Wizard progress: the steps an admin has marked done. */
  wizardProgress: () => `${VERSION}:wizard:progress`,
  /** Wizard step 8: the rollout checklist in Atlassian Guard. */
  wizardRollout: () => `${VERSION}:wizard:rollout`,
  /** The fingerprint of the provider settings the last passing connection test used (no PII). */
  wizardTestPassed: () => `${VERSION}:wizard:test-passed`,
  /** The claims of the latest finished connection test, for the user-mapping preview (TTL). */
  wizardLastTest: () => `${VERSION}:wizard:last-test`,
  /** The latest connection test started by one admin, so the wizard can resume it (TTL). */
  wizardLatestTest: (actorHash: string) => `${VERSION}:wizard:latest-test:${actorHash}`,
  /** A connection test: pending, then its result (claims, NameID or failure), keyed by test id (TTL). */
  testResult: (testId: string) => `${VERSION}:test:${testId}`,
  /**
   * What the last connection test saw of the browser-binding cookie through this host
   * (`BindingCookieCheck`: seen or not, and when). Durable; decides whether logins are bound.
   */
  bindingCookieCheck: () => `${VERSION}:binding-cookie-check`,
  /** Standalone only: SHA-256 of the generated admin token (secret storage). */
  adminTokenHash: () => `${VERSION}:admin-token-hash`,
} as const;
