import { describe, expect, it } from '@jest/globals';
import { checkConfig, type RawConfig } from '../../../src/core/config.js';

/**
 * `atlassianSiteUrl` becomes the "Try again" link on users' error pages: only an Atlassian
 * Cloud site is accepted, so a typo or another host is caught when the configuration is read.
 */
const base: RawConfig = {
  baseUrl: 'https://bridge.example.com',
  oidc: { issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-x' },
  allowedEmailDomains: ['example.com'],
};
const check = (atlassianSiteUrl: string) => checkConfig({ ...base, atlassianSiteUrl }, { allowLoopbackHttp: true });

describe('atlassianSiteUrl', () => {
  it('is optional: without it, Try again goes to start.atlassian.com', () => {
    const checked = checkConfig(base, { allowLoopbackHttp: false });
    expect(checked.ok && checked.config.atlassianSiteUrl).toBeUndefined();
  });

  it.each([
    ['https://acme.atlassian.net', 'https://acme.atlassian.net'],
    ['https://acme.atlassian.net/', 'https://acme.atlassian.net'],
    [' https://ACME.atlassian.net/jira ', 'https://acme.atlassian.net/jira'],
    ['https://legacy-site.jira.com', 'https://legacy-site.jira.com'],
  ])('accepts the Atlassian site %s', (value, normalized) => {
    const checked = check(value);
    expect(checked.ok && checked.config.atlassianSiteUrl).toBe(normalized);
  });

  it.each([
    ['plain http', 'http://acme.atlassian.net'],
    ['another host', 'https://acme.example.com'],
    ['a host that only starts like a site', 'https://acme.atlassian.net.evil.example'],
    ['the bare parent domain', 'https://atlassian.net'],
    ['a nested subdomain', 'https://a.b.atlassian.net'],
    ['a port', 'https://acme.atlassian.net:8443'],
    ['credentials', 'https://user:pw@acme.atlassian.net'],
    ['a query', 'https://acme.atlassian.net/?next=https://evil.example'],
    ['a fragment', 'https://acme.atlassian.net/#x'],
    ['a javascript: URL', 'javascript:alert(1)//acme.atlassian.net'],
    ['no URL', 'acme.atlassian.net'],
  ])('refuses %s, naming the field', (_name, value) => {
    const checked = check(value);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems.map((p) => p.path)).toEqual(['atlassianSiteUrl']);
  });
});
