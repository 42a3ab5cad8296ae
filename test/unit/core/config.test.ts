import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, type RawConfig } from '../../../src/core/config.js';

const valid: RawConfig = {
  baseUrl: 'https://bridge.example.net/',
  oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: 'client', clientSecret: 'secret' },
  serviceProvider: {
    entityId: 'https://auth.atlassian.com/saml/1234',
    acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-1234',
  },
  allowedEmailDomains: ['Example.COM', 'example.com', 'bücher.example'],
};

function problems(raw: unknown, allowLoopbackHttp = false) {
  try {
    parseConfig(raw, { allowLoopbackHttp });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.path);
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('normalizes and defaults a valid configuration, read-only', () => {
    const config = parseConfig(valid, { allowLoopbackHttp: false });
    expect(config.baseUrl).toBe('https://bridge.example.net');
    expect(config.urls).toEqual({
      sso: 'https://bridge.example.net/saml/sso',
      callback: 'https://bridge.example.net/oidc/callback',
      metadata: 'https://bridge.example.net/saml/metadata',
    });
    expect(config.idpEntityId).toBe('https://bridge.example.net/saml/metadata');
    expect(config.oidc.scopes).toEqual(['openid', 'email', 'profile']);
    expect(config.oidc.clientAuthMethod).toBe('client_secret_basic');
    expect(config.allowedEmailDomains).toEqual(['example.com', 'xn--bcher-kva.example']);
    expect(config.requireVerifiedEmail).toBe(true);
    expect(config.attributeClaims).toEqual({ givenName: 'given_name', surname: 'family_name', displayName: 'name', stableId: 'sub' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.oidc)).toBe(true);
  });

  it('reports every invalid field with its path, at once', () => {
    expect(
      problems({
        baseUrl: 'not a url',
        oidc: { issuer: 'http://dev-123.okta.com', clientId: '', clientSecret: 'x', scopes: ['email'] },
        serviceProvider: { entityId: 'relative/path', acsUrl: 'ftp://acs.example' },
        allowedEmailDomains: [],
      }).sort(),
    ).toEqual(['allowedEmailDomains', 'baseUrl', 'oidc.clientId', 'oidc.issuer', 'oidc.scopes', 'serviceProvider.acsUrl', 'serviceProvider.entityId']);
  });

  it('refuses a plain-http issuer outside loopback even when loopback http is allowed', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, issuer: 'http://idp.example.com' } }, true)).toEqual(['oidc.issuer']);
  });

  it('accepts a plain-http loopback issuer only when the host allows it', () => {
    const raw = { ...valid, oidc: { ...valid.oidc, issuer: 'http://127.0.0.1:9000' } };
    expect(problems(raw, true)).toEqual([]);
    expect(problems(raw, false)).toEqual(['oidc.issuer']);
  });

  it('refuses unknown fields rather than ignoring a typo', () => {
    expect(problems({ ...valid, allowedEmailDomain: ['x.com'] })).toEqual(['']);
  });

  it('refuses domain entries that are not host names', () => {
    expect(problems({ ...valid, allowedEmailDomains: ['example.com.', 'a@b.com', 'nodot'] }).sort()).toEqual([
      'allowedEmailDomains.0',
      'allowedEmailDomains.1',
      'allowedEmailDomains.2',
    ]);
  });

  it('refuses URLs carrying credentials or fragments', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, issuer: 'https://user:pw@idp.example.com' } })).toEqual(['oidc.issuer']);
    expect(problems({ ...valid, baseUrl: 'https://bridge.example.net/#x' })).toEqual(['baseUrl']);
  });
});
