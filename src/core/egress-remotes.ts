import type { AdminHost, EgressPlan } from './admin/admin-api-types.js';

/*
 * Where the app may send requests on Forge. Pure and dependency-free: the wizard imports it too
 * (to read back the hosts Forge reports as approved), so it must stay small enough for the page.
 */

/** One remote of `manifest.yml`: its `key` and `baseUrl` exactly as written there. */
export interface StaticRemote {
  key: string;
  /** `https://<host>` or `https://*.<domain>`. */
  baseUrl: string;
}

/**
 * The remotes `manifest.yml` declares, in its order: the hosts the app may call on Forge without
 * asking anyone. `test/unit/egress-remotes.test.ts` holds this list equal to the manifest's, so the
 * wizard's advice cannot drift from what Forge enforces. Every other host needs the admin's
 * approval through customer-managed egress (`permissions.external.configurable`).
 */
export const STATIC_REMOTES: readonly StaticRemote[] = [
  { key: 'okta', baseUrl: 'https://*.okta.com' },
  { key: 'okta-preview', baseUrl: 'https://*.oktapreview.com' },
  { key: 'okta-emea', baseUrl: 'https://*.okta-emea.com' },
  { key: 'entra', baseUrl: 'https://login.microsoftonline.com' },
  { key: 'entra-graph', baseUrl: 'https://graph.microsoft.com' },
  { key: 'google-accounts', baseUrl: 'https://accounts.google.com' },
  { key: 'google-oauth2', baseUrl: 'https://oauth2.googleapis.com' },
  { key: 'google-oidc', baseUrl: 'https://openidconnect.googleapis.com' },
  { key: 'google-apis', baseUrl: 'https://www.googleapis.com' },
  { key: 'auth0', baseUrl: 'https://*.auth0.com' },
  { key: 'auth0-us', baseUrl: 'https://*.us.auth0.com' },
  { key: 'auth0-eu', baseUrl: 'https://*.eu.auth0.com' },
  { key: 'auth0-au', baseUrl: 'https://*.au.auth0.com' },
  { key: 'auth0-ca', baseUrl: 'https://*.ca.auth0.com' },
  { key: 'auth0-jp', baseUrl: 'https://*.jp.auth0.com' },
  { key: 'auth0-uk', baseUrl: 'https://*.uk.auth0.com' },
  { key: 'okta-gov', baseUrl: 'https://*.okta-gov.com' },
  { key: 'okta-mil', baseUrl: 'https://*.okta.mil' },
  { key: 'entra-external-id', baseUrl: 'https://*.ciamlogin.com' },
  { key: 'onelogin', baseUrl: 'https://*.onelogin.com' },
  { key: 'pingone-com', baseUrl: 'https://auth.pingone.com' },
  { key: 'pingone-eu', baseUrl: 'https://auth.pingone.eu' },
  { key: 'pingone-ca', baseUrl: 'https://auth.pingone.ca' },
  { key: 'pingone-com-au', baseUrl: 'https://auth.pingone.com.au' },
  { key: 'pingone-sg', baseUrl: 'https://auth.pingone.sg' },
  { key: 'pingone-asia', baseUrl: 'https://auth.pingone.asia' },
];

/**
 * The host name that egress rules match for a URL (or a bare host): lower case, IDN in punycode,
 * without port, credentials or a trailing dot. Forge matches remotes on the host name alone.
 * `undefined` when the value is not a URL with a host.
 */
export function egressHost(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/\.$/, '');
  return host || undefined;
}

/**
 * The static remote that covers `host`, if one does. `https://*.okta.com` covers
 * `acme.okta.com` but neither `okta.com` itself nor `a.b.okta.com`: whether Forge's `*` spans
 * more than one label is not documented (its `@forge/egress` helper lets it), and counting a
 * host as covered when it is not would leave discovery and every login failing with 403,
 * while the narrower reading costs at most one approval the admin did not need.
 */
export function remoteFor(host: string): StaticRemote | undefined {
  const name = egressHost(host);
  if (!name) return undefined;
  return STATIC_REMOTES.find(({ baseUrl }) => {
    const pattern = new URL(baseUrl.replace('*', 'wildcard')).hostname;
    if (!baseUrl.includes('*')) return pattern === name;
    const suffix = pattern.slice('wildcard'.length);
    const label = name.slice(0, -suffix.length);
    return name.endsWith(suffix) && label.length > 0 && !label.includes('.');
  });
}

/**
 * Which of the hosts behind `urls` the app may call on this host. On Forge: `covered` by a
 * static remote, or `needsApproval` through customer-managed egress. The standalone server
 * has no egress control: every host is reachable and nothing needs approval. Duplicates and
 * values without a host are dropped; order follows `urls`.
 */
export function planEgress(urls: readonly string[], host: AdminHost): EgressPlan {
  const hosts = [...new Set(urls.map(egressHost).filter((h): h is string => h !== undefined))];
  if (host === 'standalone') return { host, covered: hosts, needsApproval: [] };
  return { host, covered: hosts.filter((h) => remoteFor(h)), needsApproval: hosts.filter((h) => !remoteFor(h)) };
}
