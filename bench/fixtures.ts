/** What the benchmark's parties agree on: the service provider (as Atlassian Guard names itself) and the clients at the provider. */

export const SP = {
  entityId: 'https://auth.atlassian.com/saml/5f1b2c3d-0000-4000-8000-000000000001',
  acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-000000000001',
};

export const STANDALONE_CLIENT = { id: 'bench-client', secret: 'bench-client-secret-0123456789abcdef' };

export const FORGE_CLIENT = { id: 'forge-bench-client', secret: 'forge-bench-client-secret-0123456789' };
