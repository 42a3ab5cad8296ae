import { randomBytes } from 'node:crypto';
import type { Bridge } from '../../src/core/bridge.js';
import type { AdminSettings } from '../../src/core/admin/admin-api-types.js';
import type { RawConfig } from '../../src/core/config.js';
import { createDemoProvider, demoUsers } from './demo-provider.js';
import { createDemoServiceProvider } from './demo-service-provider.js';
import { renderDemoHome } from './demo-home.js';
import type { Mount } from '../../src/standalone/standalone-app.js';

/**
 * Demo mode (`npm start` with no configuration): one server hosts the bridge, a demo OpenID
 * provider (oidc-provider, at /demo-op) and a demo SAML service provider that plays Atlassian
 * Guard (node-saml, at /demo-sp), wired together, with a landing page at /.
 */

const DEMO_CLIENT_ID = 'demo-bridge';
// Both ends live in this process; a fresh secret each start keeps nothing guessable on disk.
const demoClientSecret = randomBytes(24).toString('base64url');

export function demoConfig(baseUrl: string): RawConfig {
  return {
    baseUrl,
    oidc: {
      issuer: `${baseUrl}/demo-op`,
      clientId: DEMO_CLIENT_ID,
      clientSecret: demoClientSecret,
      scopes: ['openid', 'email', 'profile'],
    },
    serviceProvider: { entityId: `${baseUrl}/demo-sp/metadata`, acsUrl: `${baseUrl}/demo-sp/acs` },
    allowedEmailDomains: ['example.com'],
  };
}

/**
 * The demo configuration as wizard settings, written to the store at every demo start (see
 * `StandaloneOptions.seed`): the wizard at /admin then shows a configured bridge that an admin
 * can look through, test with the demo users and change until the next start.
 */
export function demoSeed(baseUrl: string): { settings: AdminSettings; clientSecret: string } {
  const { oidc, serviceProvider, allowedEmailDomains } = demoConfig(baseUrl);
  return {
    settings: {
      preset: 'other',
      oidc: { issuer: oidc.issuer, clientId: oidc.clientId, scopes: oidc.scopes },
      serviceProvider: { entityId: serviceProvider.entityId, acsUrl: serviceProvider.acsUrl },
      allowedEmailDomains,
    },
    clientSecret: demoClientSecret,
  };
}

export async function demoMounts(context: { baseUrl: string; bridge: Bridge }): Promise<Mount[]> {
  const { baseUrl, bridge } = context;
  const provider = await createDemoProvider({
    issuer: `${baseUrl}/demo-op`,
    clients: [{ client_id: DEMO_CLIENT_ID, client_secret: demoClientSecret, redirect_uris: [`${baseUrl}/oidc/callback`] }],
  });
  const serviceProvider = createDemoServiceProvider({
    baseUrl: `${baseUrl}/demo-sp`,
    entityId: `${baseUrl}/demo-sp/metadata`,
    idpSsoUrl: `${baseUrl}/saml/sso`,
    idpIssuer: `${baseUrl}/saml/metadata`,
    idpCertificate: async () => (await bridge.signingCredentials()).certificatePem,
    // As Atlassian does: the demo shows sign-in from a bookmark once an admin turns it on.
    acceptUnsolicited: true,
  });
  const home = renderDemoHome({ spUrl: `${baseUrl}/demo-sp/`, providerUrl: `${baseUrl}/demo-op`, users: demoUsers });
  return [
    { prefix: '/demo-op', handle: provider.handle },
    { prefix: '/demo-sp', handle: serviceProvider.handle },
    {
      prefix: '/',
      handle: (_req, res) => {
        res.writeHead(home.status ?? 200, home.headers);
        res.end(home.body);
      },
    },
  ];
}
