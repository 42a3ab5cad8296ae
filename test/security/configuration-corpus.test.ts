import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, type RawConfig } from '../../src/core/config.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { systemClock } from '../../src/core/default-ports.js';
import { createSigningKey } from '../../src/downstream-saml/signing-key.js';
import { alice, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { authnRequestXml, calledTimes, expectRefusal, isCallback, mark, providerEndpoints, redirectEncode, ssoUrl } from '../support/refusals.js';
import { expectSsoRefusal, getSso, rawRequest } from '../support/corpus.js';
import { tamperJson } from '../support/id-token-tamper.js';
import { UserAgent } from '../support/user-agent.js';
import { forgeBridge, type ForgeBridge } from '../support/forge-bridge.js';

/**
 * Configuration an attacker or a mistaken admin could supply: refused when it is parsed (with
 * the field's path), or, where only the provider can tell, refused at run time before any login
 * is stored or any response minted. test/unit/config.test.ts holds the first cases (http issuer
 * outside loopback, loopback only where allowed, unknown fields, bad domains, credentials or
 * fragments in URLs, and the all-at-once report with an empty domain list and relative URLs).
 */

const valid: RawConfig = {
  baseUrl: 'https://bridge.example.net',
  oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: 'client', clientSecret: 'secret' },
  serviceProvider: { entityId: 'https://auth.atlassian.com/saml/1234', acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-1234' },
  allowedEmailDomains: ['example.com'],
};

/** The paths of every problem, or [] when the configuration parses. */
function problems(raw: unknown, allowLoopbackHttp = true): string[] {
  try {
    parseConfig(raw, { allowLoopbackHttp });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.path);
    throw error;
  }
}

describe('configuration corpus: refused when parsed', () => {
  it('accepts the valid configuration the cases below start from (control)', () => {
    expect(problems(valid, false)).toEqual([]);
  });

  it('refuses an http issuer on a host that only looks like loopback (127.0.0.1.nip.io)', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, issuer: 'http://127.0.0.1.nip.io/oauth2/default' } })).toEqual(['oidc.issuer']);
  });

  it('refuses an http issuer under a domain that starts with localhost', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, issuer: 'http://localhost.attacker.example' } })).toEqual(['oidc.issuer']);
  });

  it('refuses an http issuer on loopback under the Forge rules', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, issuer: 'http://localhost:9000' } }, false)).toEqual(['oidc.issuer']);
  });

  it('refuses http provider endpoints outside loopback', () => {
    const endpoints = {
      authorizationEndpoint: 'https://idp.example.com/authorize',
      tokenEndpoint: 'http://idp.example.com/token',
      jwksUri: 'https://idp.example.com/jwks',
    };
    expect(problems({ ...valid, oidc: { ...valid.oidc, endpoints } })).toEqual(['oidc.endpoints.tokenEndpoint']);
  });

  it('refuses an ACS URL that is not absolute', () => {
    expect(problems({ ...valid, serviceProvider: { ...valid.serviceProvider, acsUrl: '/login/callback?connection=saml-1234' } })).toEqual([
      'serviceProvider.acsUrl',
    ]);
  });

  it('refuses an SP entity ID that is not absolute', () => {
    expect(problems({ ...valid, serviceProvider: { ...valid.serviceProvider, entityId: 'auth.atlassian.com/saml/1234' } })).toEqual([
      'serviceProvider.entityId',
    ]);
  });

  it('refuses a javascript: ACS URL (it becomes the form action)', () => {
    expect(problems({ ...valid, serviceProvider: { ...valid.serviceProvider, acsUrl: 'javascript:alert(document.cookie)' } })).toEqual([
      'serviceProvider.acsUrl',
    ]);
  });

  it('refuses a data: ACS URL', () => {
    expect(problems({ ...valid, serviceProvider: { ...valid.serviceProvider, acsUrl: 'data:text/html,<script>alert(1)</script>' } })).toEqual([
      'serviceProvider.acsUrl',
    ]);
  });

  it('refuses an http ACS URL outside loopback', () => {
    expect(problems({ ...valid, serviceProvider: { ...valid.serviceProvider, acsUrl: 'http://auth.atlassian.com/login/callback' } })).toEqual([
      'serviceProvider.acsUrl',
    ]);
  });

  it('refuses an empty list of allowed domains', () => {
    expect(problems({ ...valid, allowedEmailDomains: [] })).toEqual(['allowedEmailDomains']);
  });

  it('refuses a wildcard domain', () => {
    expect(problems({ ...valid, allowedEmailDomains: ['*.example.com'] })).toEqual(['allowedEmailDomains.0']);
  });

  it('refuses a URL in the list of domains', () => {
    expect(problems({ ...valid, allowedEmailDomains: ['https://example.com'] })).toEqual(['allowedEmailDomains.0']);
  });

  it('refuses an empty client secret', () => {
    expect(problems({ ...valid, oidc: { ...valid.oidc, clientSecret: '' } })).toEqual(['oidc.clientSecret']);
  });

  it("refuses a provider timeout that could outlast Forge's 55-second web trigger", () => {
    expect(problems({ ...valid, upstreamTimeoutSeconds: 60 })).toEqual(['upstreamTimeoutSeconds']);
  });
});

describe('configuration corpus: refused at run time', () => {
  describe('an issuer whose discovery document names another issuer', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness();
    });
    afterAll(async () => harness.close());
    afterEach(() => {
      harness.upstream.intercept = undefined;
    });

    it('is refused at the SSO URL before a login is stored', async () => {
      harness.app.caches.provider.clear();
      tamperJson(harness, `${harness.providerUrl}/.well-known/openid-configuration`, (metadata) => ({ ...metadata, issuer: 'https://attacker.example' }));
      const discovery = `${harness.providerUrl}/.well-known/openid-configuration`;
      await expectSsoRefusal(harness, () => getSso(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }), { status: 502, code: 'oidc_response_invalid' }, {
        upstreamCalls: [discovery],
      });
    });
  });

  describe('a signing certificate that does not match the signing key', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness();
      const [ours, other] = await Promise.all([createSigningKey(systemClock, 'bridge.test'), createSigningKey(systemClock, 'bridge.test')]);
      await harness.app.store.setSecret(storageKeys.signingKey(), { ...ours, certificatePem: other.certificatePem });
      harness.app.caches.credentials.clear();
    });
    afterAll(async () => harness.close());

    it('is refused when a login would be signed: no SAML response is minted', async () => {
      const { token } = await providerEndpoints(harness);
      const agent = new UserAgent({ stopAt: stopAtAcs });
      // Started by hand: an SP could not even be set up, the metadata has no certificate to give.
      const loginPage = await agent.get(ssoUrl(harness, { SAMLRequest: redirectEncode(authnRequestXml()) }));
      const stopped = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password }, stopAt: isCallback(harness) });
      const since = mark(harness);
      expectRefusal(await agent.get(stopped.stopped!.url), since, { status: 503, code: 'config_invalid' });
      expect(calledTimes(since, token)).toBe(1);
    });

    it('is refused when the metadata would publish it', async () => {
      const page = await rawRequest(`${harness.app.baseUrl}/saml/metadata`);
      expect(page.status).toBe(503);
      expect(page.headers.get('x-bridge-error')).toBe('config_invalid');
      expect(page.body).not.toContain('X509Certificate');
    });
  });

  describe('on Forge', () => {
    let forge: ForgeBridge;
    beforeEach(async () => {
      forge = await forgeBridge();
    });
    afterEach(() => forge.uninstall());

    it('answers 503 config_missing while nothing is stored', async () => {
      await forge.clearConfig();
      const response = await forge.sso();
      expect({ status: response.statusCode, code: response.headers['X-Bridge-Error']?.[0] }).toEqual({ status: 503, code: 'config_missing' });
      expect(forge.loginKeys()).toEqual([]);
    });

    it('answers 503 config_invalid for a stored http issuer (Forge allows no loopback http)', async () => {
      await forge.storeConfig({ oidc: { issuer: 'http://127.0.0.1:9000', clientId: 'client' } });
      const response = await forge.sso();
      expect({ status: response.statusCode, code: response.headers['X-Bridge-Error']?.[0] }).toEqual({ status: 503, code: 'config_invalid' });
      expect(forge.loginKeys()).toEqual([]);
      expect(forge.provider.calls).toEqual([]);
    });
  });
});
