/**
 * The names the test peers are registered under: Guard's SP entity ID and ACS URL, the bridge's
 * OIDC client. Kept apart from login-harness.ts (which loads oidc-provider, node-saml and the
 * standalone server) so in-process tests and the mutation run load only what they use.
 */
export const SP_ENTITY_ID = 'https://auth.atlassian.test/saml/5f1b2c3d-0000-4000-8000-000000000001';
export const ACS_URL = 'https://auth.atlassian.test/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-000000000001';
export const CLIENT_ID = 'bridge-client';
export const CLIENT_SECRET = 'bridge-client-secret-0123456789abcdef';
