import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../../../src/core/config.js';
import { cryptoRandom } from '../../../../src/core/default-ports.js';
import { BridgeError } from '../../../../src/core/errors.js';
import type { LoginContext } from '../../../../src/core/login/attempt.js';
import { offerAnotherAccount } from '../../../../src/core/login/steps/offer-another-account.js';
import { readTransaction, type SpLoginTransaction } from '../../../../src/core/login/transaction.js';
import type { Fetch } from '../../../../src/core/ports.js';
import { storageKeys } from '../../../../src/core/storage-keys.js';
import { ProviderConfigurationCache } from '../../../../src/upstream-oidc/upstream-oidc.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from '../../../support/peer-names.js';
import { MemoryStore, MovableClock, recordingLogger } from '../../../support/memory-ports.js';
import { createStubProvider, type StubProvider } from '../../../support/stub-provider.js';

/**
 * "Use another account" on an error page: a new login for the same AuthnRequest, asking the
 * provider to let the user pick an account, made only for the refusals it can help with and only
 * at a provider that supports `prompt=select_account`. The error page's button is driven over
 * HTTP in test/integration/error-page-ways-on.test.ts and in Chromium in
 * test/browser/user-error-pages.test.ts; here, what the new login carries.
 */

const config = parseConfig(
  {
    baseUrl: 'https://bridge.test',
    oidc: { issuer: 'https://idp.test', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
    allowedEmailDomains: ['example.com'],
  },
  { allowLoopbackHttp: false },
);

const refused: SpLoginTransaction = {
  v: 2,
  kind: 'sp',
  attempt: 'R-OLD0-OLD0',
  connectionId: config.connectionId,
  providerId: config.providerId,
  nonce: 'old-nonce',
  codeVerifier: 'old-verifier',
  createdAt: 0,
  expiresAt: 1,
  browserHash: null,
  directoryRevision: null,
  samlRequestId: '_request-1',
  relayState: 'https://acme.atlassian.net/wiki',
  forceAuthn: true,
  spEntityId: SP_ENTITY_ID,
  requestedNameId: 'alice@example.com',
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
};

let provider: StubProvider;
let store: MemoryStore;
let context: LoginContext;

beforeAll(async () => {
  provider = await createStubProvider({ issuer: config.oidc.issuer, clientId: config.oidc.clientId, clientSecret: config.oidc.clientSecret!, redirectUri: config.urls.callback });
});

/** The stub provider, with or without `select_account` in its discovery document. */
function contextFor(selectAccount: boolean): LoginContext {
  const fetch: Fetch = async (input, init) => {
    const response = await provider.fetch(input, init);
    if (!String(input).endsWith('/.well-known/openid-configuration') || !selectAccount) return response;
    return Response.json({ ...(await response.json()), prompt_values_supported: ['none', 'login', 'consent', 'select_account'] });
  };
  const clock = new MovableClock();
  store = new MemoryStore(clock);
  return { ports: { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch }, providerCache: new ProviderConfigurationCache(), allowLoopbackHttp: false };
}

beforeEach(() => {
  context = contextFor(true);
});

describe('offerAnotherAccount', () => {
  it('starts a new login for the same AuthnRequest, its subject, format, RelayState and ForceAuthn included, asking to pick an account', async () => {
    const offer = await offerAnotherAccount(context, config, refused, new BridgeError('user_domain_not_allowed'), 'rev-1');
    expect(offer).toBeDefined();
    const url = new URL(offer!.redirectTo);
    expect(url.searchParams.get('prompt')).toBe('select_account login');
    const state = url.searchParams.get('state')!;
    expect(offer!.browserBinding?.state).toBe(state);
    const stored = readTransaction(await store.get(storageKeys.login(state)));
    expect(stored).toMatchObject({
      kind: 'sp',
      samlRequestId: '_request-1',
      relayState: 'https://acme.atlassian.net/wiki',
      forceAuthn: true,
      spEntityId: SP_ENTITY_ID,
      requestedNameId: 'alice@example.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      directoryRevision: 'rev-1',
    });
    // A login of its own: new secrets and a new reference.
    expect(stored).not.toMatchObject({ nonce: 'old-nonce' });
    expect(stored).not.toMatchObject({ codeVerifier: 'old-verifier' });
    expect(stored).not.toMatchObject({ attempt: 'R-OLD0-OLD0' });
  });

  it('keeps a request that named no subject without one', async () => {
    const offer = await offerAnotherAccount(context, config, { ...refused, requestedNameId: null, nameIdFormat: null, forceAuthn: false }, new BridgeError('oidc_access_denied'), undefined);
    const url = new URL(offer!.redirectTo);
    expect(url.searchParams.get('prompt')).toBe('select_account');
    expect(await store.get(storageKeys.login(url.searchParams.get('state')!))).toMatchObject({ requestedNameId: null, nameIdFormat: null });
  });

  it('starts an IdP-initiated login again as one, to the same RelayState, asking to pick an account', async () => {
    const idp = { v: 2, kind: 'idp', attempt: 'R-OLD0-OLD0', connectionId: config.connectionId, providerId: config.providerId, nonce: 'old-nonce', codeVerifier: 'old-verifier', createdAt: 0, expiresAt: 1, browserHash: null, directoryRevision: null, relayState: 'https://start.atlassian.com', spEntityId: SP_ENTITY_ID } as const;
    const offer = await offerAnotherAccount(context, config, idp, new BridgeError('user_domain_not_allowed'), undefined);
    const url = new URL(offer!.redirectTo);
    expect(url.searchParams.get('prompt')).toBe('select_account');
    const stored = readTransaction(await store.get(storageKeys.login(url.searchParams.get('state')!)));
    expect(stored).toMatchObject({ kind: 'idp', relayState: 'https://start.atlassian.com', spEntityId: SP_ENTITY_ID });
    expect(stored).not.toHaveProperty('samlRequestId');
  });

  it('offers nothing, and stores nothing, for a refusal another account cannot help with', async () => {
    for (const code of ['saml_subject_mismatch', 'oidc_id_token_invalid', 'oidc_timeout'] as const) {
      expect(await offerAnotherAccount(context, config, refused, new BridgeError(code), undefined)).toBeUndefined();
    }
    expect(store.writes).toBe(0);
  });

  it('offers nothing where the provider does not say it supports select_account', async () => {
    context = contextFor(false);
    expect(await offerAnotherAccount(context, config, refused, new BridgeError('user_domain_not_allowed'), undefined)).toBeUndefined();
    expect(store.writes).toBe(0);
  });
});
