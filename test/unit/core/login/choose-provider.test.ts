import { describe, expect, it } from '@jest/globals';
import type { ConnectionEntry, ProviderEntry } from '../../../../src/core/connections/directory.js';
import { BridgeError, type BridgeErrorCode } from '../../../../src/core/errors.js';
import { chooseProvider, type ProviderChoice } from '../../../../src/core/login/steps/choose-provider.js';

/**
 * Which provider a login goes to when a connection has several: the email's domain, the
 * user's pick, or this browser's earlier pick. End to end over the choice page in
 * test/integration/connections.test.ts; here each branch and refusal on its own.
 */

const provider = (id: string, domains: string[]): ProviderEntry => ({ id, name: `Provider ${id}`, domains, config: () => Promise.reject(new Error('not read when choosing')) });
const okta = provider('okta', ['example.com', 'xn--bcher-kva.example']);
const entra = provider('entra', ['example.org']);

const connection = (providers: ProviderEntry[]): ConnectionEntry => ({
  id: 'acme',
  name: 'Acme',
  spEntityId: 'https://sp.example/saml',
  acsUrl: 'https://sp.example/acs',
  idpEntityId: 'https://bridge.example/idp',
  metadataUrl: 'https://bridge.example/metadata',
  ssoUrl: 'https://bridge.example/sso',
  requestLimits: { maxAgeSeconds: 300, maxFutureSeconds: 60 },
  idpInitiated: { enabled: false },
  providers,
});
const two = connection([okta, entra]);

const choose = (choice: ProviderChoice | undefined, of = two) => chooseProvider(of, choice);
function refusal(choice: ProviderChoice, of = two): BridgeErrorCode | 'none' {
  try {
    choose(choice, of);
  } catch (error) {
    if (error instanceof BridgeError) return error.code;
    throw error;
  }
  return 'none';
}

describe('chooseProvider: one provider', () => {
  it('is the only provider, not chosen by the user, whatever the request says', () => {
    const single = connection([entra]);
    expect(choose(undefined, single)).toEqual({ provider: entra, chosen: false });
    expect(choose({ email: 'alice@example.com', providerId: 'okta', remembered: 'okta' }, single)).toEqual({ provider: entra, chosen: false });
  });
});

describe('chooseProvider: by the email the user gave', () => {
  it("routes to the provider whose domains hold the address's domain, keeping the trimmed address", () => {
    expect(choose({ email: '  alice@example.org ' })).toEqual({ provider: entra, chosen: true, email: 'alice@example.org' });
    expect(choose({ email: 'bob@example.com' })).toEqual({ provider: okta, chosen: true, email: 'bob@example.com' });
  });

  it('compares the domain normalized: letter case and the Unicode spelling of a punycode domain', () => {
    expect(choose({ email: 'Bob@EXAMPLE.COM' })?.provider).toBe(okta);
    expect(choose({ email: 'bob@bücher.example' })?.provider).toBe(okta);
  });

  it('takes the domain after the last @', () => {
    expect(choose({ email: '"a@example.org"@example.com' })?.provider).toBe(okta);
  });

  it('the email wins over a provider id and a remembered pick', () => {
    expect(choose({ email: 'alice@example.org', providerId: 'okta', remembered: 'okta' })?.provider).toBe(entra);
  });

  it.each([
    ['no @', 'alice.example.com'],
    ['nothing before the @', '@example.com'],
    ['nothing after the @', 'alice@'],
    ['an empty answer', ''],
    ['a domain that is not one', 'alice@exa mple.com'],
  ])('refuses an email with %s as not an address', (_, email) => {
    expect(refusal({ email })).toBe('user_email_invalid');
  });

  it('refuses an address over 320 characters, and takes one of exactly 320', () => {
    const domain = 'example.com';
    const local = (n: number) => 'a'.repeat(n - domain.length - 1);
    expect(choose({ email: `${local(320)}@${domain}` })?.provider).toBe(okta);
    expect(refusal({ email: `${local(321)}@${domain}` })).toBe('user_email_invalid');
  });

  it("refuses a domain no provider of the connection serves, naming neither provider's", () => {
    expect(refusal({ email: 'mallory@example.net' })).toBe('user_domain_not_allowed');
    // A domain that only ends with a served one is another domain.
    expect(refusal({ email: 'mallory@evil-example.com' })).toBe('user_domain_not_allowed');
    expect(refusal({ email: 'mallory@sub.example.com' })).toBe('user_domain_not_allowed');
  });
});

describe('chooseProvider: by the provider the user picked', () => {
  it('is the picked provider, chosen by the user', () => {
    expect(choose({ providerId: 'entra' })).toEqual({ provider: entra, chosen: true });
    expect(choose({ providerId: 'okta', remembered: 'entra' })).toEqual({ provider: okta, chosen: true });
  });

  it("refuses an id that is not one of the connection's providers", () => {
    expect(refusal({ providerId: 'google' })).toBe('saml_request_malformed');
    expect(refusal({ providerId: '' })).toBe('saml_request_malformed');
  });
});

describe("chooseProvider: this browser's earlier pick", () => {
  it('is the remembered provider, not counted as chosen (the choice page can still be offered)', () => {
    expect(choose({ remembered: 'entra' })).toEqual({ provider: entra, chosen: false });
  });

  it('asks the user when nothing was said, or the remembered provider is gone', () => {
    expect(choose(undefined)).toBeUndefined();
    expect(choose({})).toBeUndefined();
    expect(choose({ remembered: 'google' })).toBeUndefined();
  });
});
