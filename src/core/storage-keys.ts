/**
 * Every storage key the app uses, built in one place with a version prefix so a future format
 * change can live beside the old one. Keys satisfy Forge KVS's pattern `[a-zA-Z0-9:._\s-#]+`.
 */
const VERSION = 'v1';

/** The id of the connection, and of its provider, that the single-configuration release becomes. */
export const DEFAULT_ID = 'default';

/** A key of one connection (and provider); those of the first keep their single-configuration keys. */
function scoped(name: string, connectionId: string, providerId = DEFAULT_ID): string {
  if (connectionId === DEFAULT_ID && providerId === DEFAULT_ID) return `${VERSION}:${name}`;
  return providerId === DEFAULT_ID ? `v2:${name}:${connectionId}` : `v2:${name}:${connectionId}:${providerId}`;
}

export const storageKeys = {
  /**
   * The settings the setup wizard saved (`AdminSettings`: the configuration without `baseUrl`,
   * which the host knows, and without the client secret). Each value was validated when saved;
   * the whole may still be incomplete.
   */
  config: () => `${VERSION}:config`,
  /**
   * Every connection with its providers (`ConnectionsDocument`, under compare-and-set), no
   * secret. Replaced `config`, which is read once more to migrate it.
   */
  connections: () => 'v2:connections',
  /**
   * The OIDC client secret of one provider of one connection (secret storage). The first
   * provider of the first connection keeps the key of the single-configuration release.
   */
  clientSecret: (connectionId = DEFAULT_ID, providerId = DEFAULT_ID) => scoped('oidc-client-secret', connectionId, providerId),
  /**
   * The draft of a live connection (`ConnectionDraft`: the whole connection record as it would be
   * applied, no secret). Logins never read it; `draft/apply` makes it the stored connection.
   */
  connectionDraft: (connectionId = DEFAULT_ID) => `v2:connection-draft:${connectionId}`,
  /** A draft's new OIDC client secret of one provider (secret storage), moved into place on apply. */
  draftClientSecret: (connectionId = DEFAULT_ID, providerId = DEFAULT_ID) => `v2:draft-oidc-client-secret:${connectionId}:${providerId}`,
  /** The fingerprint of the draft (`draftFingerprint`) the last passing connection test of a provider's draft used. */
  draftTestPassed: (connectionId = DEFAULT_ID, providerId = DEFAULT_ID) => `v2:wizard:draft-test-passed:${connectionId}:${providerId}`,
  /** The SAML signing key pair and certificate of one connection (secret storage). */
  signingKey: (connectionId = DEFAULT_ID) => scoped('signing-key', connectionId),
  /**
   * The signing key ring of one connection (`KeyRing`, under compare-and-set): which key signs,
   * the next one being prepared, the previous one kept for undo. Public values only; the keys
   * themselves stay in secret storage (`signingKeyOf`, the ring's first key at `signingKey`).
   */
  signingKeyRing: (connectionId = DEFAULT_ID) => `v2:signing-key-ring:${connectionId}`,
  /** One key of a connection's ring (secret storage), by its id; written once, never overwritten. */
  signingKeyOf: (connectionId: string, keyId: string) => `v2:signing-key-of:${connectionId}:${keyId}`,
  /**
   * The client key ring of one provider of one connection (`KeyRing`, under compare-and-set): the
   * keys its `private_key_jwt` assertions are signed with. Public values only (`clientKeyOf`).
   */
  clientKeyRing: (connectionId: string, providerId: string) => `v2:client-key-ring:${connectionId}:${providerId}`,
  /** One key of a provider's client key ring (secret storage), by its id; written once, never overwritten. */
  clientKeyOf: (connectionId: string, providerId: string, keyId: string) => `v2:client-key-of:${connectionId}:${providerId}:${keyId}`,
  /** Provider metadata and JWKS fetched from the issuer, cached between logins. */
  providerCache: () => `${VERSION}:provider-cache`,
  /**
   * The last health check of one provider's discovery document and JWKS (`providers/health`):
   * public values only, no secret, no user; kept a few minutes, fresh for one.
   */
  providerHealth: (connectionId: string, providerId: string) => `v2:provider-health:${connectionId}:${providerId}`,
  /** How many provider health checks fetched in one minute (the window's number since the epoch, TTL): the rate limit. */
  providerHealthChecks: (window: number) => `v2:provider-health-checks:${window}`,
  /** A login in flight, keyed by its OIDC `state`. */
  login: (state: string) => `${VERSION}:login:${state}`,
  /**
   * How many SP-initiated logins started in one window (`LoginCounter`), keyed by the window's
   * number since the epoch (TTL).
   */
  loginCount: (window: number) => `${VERSION}:login-count:${window}`,
  /** Wizard progress of one connection: the steps an admin has marked done. */
  wizardProgress: (connectionId = DEFAULT_ID) => scoped('wizard:progress', connectionId),
  /** Wizard step 8 of one connection: the rollout checklist in Atlassian Guard. */
  wizardRollout: (connectionId = DEFAULT_ID) => scoped('wizard:rollout', connectionId),
  /** The fingerprint of the provider settings the last passing connection test of a provider used (no PII). */
  wizardTestPassed: (connectionId = DEFAULT_ID, providerId = DEFAULT_ID) => scoped('wizard:test-passed', connectionId, providerId),
  /**
   * The claims of the latest finished connection test of a provider, for the user-mapping preview
   * (TTL); per admin (`actorHash`): they are the test user's personal data, for the admin who ran it.
   */
  wizardLastTest: (connectionId = DEFAULT_ID, providerId = DEFAULT_ID, actorHash?: string) =>
    actorHash === undefined ? scoped('wizard:last-test', connectionId, providerId) : `v2:wizard:last-test-of:${actorHash}:${connectionId}:${providerId}`,
  /** The latest connection test one admin started for a provider, so the wizard can resume it (TTL). */
  wizardLatestTest: (actorHash: string, connectionId = DEFAULT_ID, providerId = DEFAULT_ID) =>
    connectionId === DEFAULT_ID && providerId === DEFAULT_ID ? `${VERSION}:wizard:latest-test:${actorHash}` : `v2:wizard:latest-test:${actorHash}:${connectionId}:${providerId}`,
  /** A connection test: pending, then its result (claims, NameID or failure), keyed by test id (TTL). */
  testResult: (testId: string) => `${VERSION}:test:${testId}`,
  /**
   * What the last connection test saw of the browser-binding cookie through this host
   * (`BindingCookieCheck`: seen or not, and when). Durable; decides whether logins are bound.
   */
  bindingCookieCheck: () => `${VERSION}:binding-cookie-check`,
  /**
   * The SSO owners of the installation and a pending ownership request (`OwnersRecord`, under
   * compare-and-set): owners decide who signs in for every connection, so there is one record.
   */
  owners: () => 'v2:owners',
  /** Standalone only: SHA-256 of the generated admin token (secret storage). */
  adminTokenHash: () => `${VERSION}:admin-token-hash`,
} as const;
