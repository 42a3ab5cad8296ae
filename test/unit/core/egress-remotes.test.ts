import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { validate } from '@forge/manifest';
// What @forge/api's permission checks match egress with (a dependency of @forge/api and
// @forge/bridge): the classifier must never call a host covered that Forge's own matcher refuses.
import forgeEgress from '@forge/egress';
import { egressHost, planEgress, remoteFor, STATIC_REMOTES } from '../../../src/core/egress-remotes.js';

const MANIFEST = fileURLToPath(new URL('../../../manifest.yml', import.meta.url));

interface ManifestRemote {
  key: string;
  baseUrl: string;
  operations?: string[];
}

async function manifest(): Promise<{ remotes: ManifestRemote[]; backend: { remote?: string }[]; configurable?: { enabled?: boolean } }> {
  const result = await validate(false, MANIFEST);
  const content = result.manifestObject?.typedContent as unknown as {
    remotes?: ManifestRemote[];
    permissions?: { external?: { fetch?: { backend?: { remote?: string }[] }; configurable?: { enabled?: boolean } } };
  };
  return {
    remotes: content.remotes ?? [],
    backend: content.permissions?.external?.fetch?.backend ?? [],
    configurable: content.permissions?.external?.configurable,
  };
}

describe('the static remotes', () => {
  it('are exactly the remotes of manifest.yml, each allowed for backend fetch', async () => {
    const { remotes, backend, configurable } = await manifest();
    expect(STATIC_REMOTES.map(({ key, baseUrl }) => ({ key, baseUrl }))).toEqual(remotes.map(({ key, baseUrl }) => ({ key, baseUrl })));
    expect(remotes.every((r) => r.operations?.includes('fetch'))).toBe(true);
    expect(backend.map((entry) => entry.remote).sort()).toEqual(STATIC_REMOTES.map((r) => r.key).sort());
    // Every other host goes through customer-managed egress, which must stay enabled.
    expect(configurable).toEqual({ enabled: true });
  });

  it.each([
    ['acme.okta.com', 'okta'],
    ['acme.oktapreview.com', 'okta-preview'],
    ['acme.okta-emea.com', 'okta-emea'],
    ['acme.okta-gov.com', 'okta-gov'],
    ['acme.okta.mil', 'okta-mil'],
    ['login.microsoftonline.com', 'entra'],
    ['contoso.ciamlogin.com', 'entra-external-id'],
    ['accounts.google.com', 'google-accounts'],
    ['tenant.auth0.com', 'auth0'],
    ['tenant.us.auth0.com', 'auth0-us'],
    ['tenant.eu.auth0.com', 'auth0-eu'],
    ['tenant.jp.auth0.com', 'auth0-jp'],
    ['acme.onelogin.com', 'onelogin'],
    ['auth.pingone.com', 'pingone-com'],
    ['auth.pingone.eu', 'pingone-eu'],
    ['auth.pingone.com.au', 'pingone-com-au'],
  ])('covers %s through the %s remote', (host, key) => {
    expect(remoteFor(host)?.key).toBe(key);
    expect(new forgeEgress.EgressFilteringService(STATIC_REMOTES.map((r) => r.baseUrl)).isValidUrl(`https://${host}/`)).toBe(true);
  });

  it.each([
    ['okta.com', 'the bare parent domain of *.okta.com'],
    ['auth0.com', 'the bare parent domain of *.auth0.com'],
    ['login.company.com', 'an Okta custom domain'],
    ['keycloak.example.org', 'a Keycloak server'],
    ['sso.pingone.com', 'a PingOne host other than auth.'],
    ['auth.pingone.com.evil.example', 'a suffix after a covered host'],
    ['evilokta.com', 'a name that only ends like the domain'],
    ['a.b.okta.com', 'two labels under *.okta.com (a wildcard counts as one label)'],
    ['microsoftonline.com', 'the parent of an exact host'],
  ])('does not cover %s (%s)', (host) => {
    expect(remoteFor(host)).toBeUndefined();
  });

  it('normalises case, port, path and a trailing dot', () => {
    expect(egressHost('https://ACME.Okta.com:8443/oauth2/default')).toBe('acme.okta.com');
    expect(egressHost('Login.Company.COM.')).toBe('login.company.com');
    expect(egressHost('https://user:pw@login.company.com/x?y#z')).toBe('login.company.com');
    expect(remoteFor('https://ACME.OKTA.COM:443/oauth2/default')?.key).toBe('okta');
    expect(egressHost('not a url')).toBeUndefined();
    expect(egressHost('')).toBeUndefined();
  });
});

describe('planEgress', () => {
  it('on Forge, splits the hosts into covered and needing approval, once each, in order', () => {
    expect(
      planEgress(
        ['https://login.company.com/oauth2/default', 'https://LOGIN.company.com/oauth2/v1/token', 'https://acme.okta.com/oauth2/v1/keys', 'https://okta.com/x'],
        'forge',
      ),
    ).toEqual({ host: 'forge', covered: ['acme.okta.com'], needsApproval: ['login.company.com', 'okta.com'] });
  });

  it('on the standalone server, needs no approval for any host', () => {
    expect(planEgress(['https://login.company.com', 'https://acme.okta.com'], 'standalone')).toEqual({
      host: 'standalone',
      covered: ['login.company.com', 'acme.okta.com'],
      needsApproval: [],
    });
  });
});
