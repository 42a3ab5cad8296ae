import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { bindingHash } from '../../../../src/core/browser-binding.js';
import type { BridgeConfig, RawConfig } from '../../../../src/core/config.js';
import { parseConfig } from '../../../../src/core/config.js';
import { cryptoRandom } from '../../../../src/core/default-ports.js';
import { BridgeError } from '../../../../src/core/errors.js';
import type { Attempt, LoginContext } from '../../../../src/core/login/attempt.js';
import { redirectToProvider, type NewTransaction } from '../../../../src/core/login/steps/redirect-to-provider.js';
import { readTransaction } from '../../../../src/core/login/transaction.js';
import { storageKeys } from '../../../../src/core/storage-keys.js';
import { ProviderConfigurationCache } from '../../../../src/upstream-oidc/upstream-oidc.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from '../../../support/peer-names.js';
import type { Clock } from '../../../../src/core/ports.js';
import { MemoryStore, recordingLogger } from '../../../support/memory-ports.js';
import { createStubProvider, type StubProvider } from '../../../support/stub-provider.js';

/**
 * The first leg's last step on memory ports and the stub provider: what the login transaction
 * stores and for how long, the browser binding it asks for, and the authorization URL's
 * parameters. The whole leg runs over the SSO URL in test/unit/core/login/sp-login.test.ts.
 */

const raw: RawConfig = {
  baseUrl: 'https://bridge.test',
  oidc: { issuer: 'https://idp.test', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
  allowedEmailDomains: ['example.com'],
};
const bound = parseConfig(raw, { allowLoopbackHttp: false });
const unbound = parseConfig({ ...raw, bindLoginToBrowser: false }, { allowLoopbackHttp: false });

const sp = (extra: Partial<Extract<NewTransaction, { kind: 'sp' }>> = {}): NewTransaction => ({
  kind: 'sp',
  samlRequestId: '_request-1',
  relayState: 'https://start.atlassian.com',
  forceAuthn: false,
  spEntityId: SP_ENTITY_ID,
  ...extra,
});
const test: NewTransaction = { kind: 'test', testId: 'test-1' };

let provider: StubProvider;
/** A clock that moves only when told, so stored times can be compared exactly. */
let now: number;
const clock: Clock = { now: () => now };
let store: MemoryStore;
let context: LoginContext;
const attempt: Attempt = { reference: 'R-AAAA-BBBB', startedAt: 0 };

beforeAll(async () => {
  provider = await createStubProvider({ issuer: bound.oidc.issuer, clientId: bound.oidc.clientId, clientSecret: bound.oidc.clientSecret!, redirectUri: bound.urls.callback });
});

beforeEach(() => {
  now = Date.UTC(2026, 11, 2, 12);
  store = new MemoryStore(clock);
  context = {
    ports: { store, secrets: store, clock, random: cryptoRandom, logger: recordingLogger(), fetch: provider.fetch },
    providerCache: new ProviderConfigurationCache(),
    allowLoopbackHttp: false,
  };
});

const start = (what: NewTransaction, config: BridgeConfig = bound) => redirectToProvider(context, config, attempt, 'rev-1', what);
const storedLogin = async (state: string) => readTransaction(await store.get(storageKeys.login(state)));

describe('redirectToProvider: the login transaction', () => {
  it('stores an SP login under its state, with what the callback needs to answer the SP', async () => {
    const started = await start(sp({ requestedNameId: 'alice@example.com', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }));
    const now = clock.now();
    expect(await storedLogin(started.state)).toEqual({
      v: 2,
      kind: 'sp',
      attempt: attempt.reference,
      connectionId: bound.connectionId,
      providerId: bound.providerId,
      nonce: expect.any(String),
      codeVerifier: expect.any(String),
      createdAt: now,
      expiresAt: now + bound.loginTimeoutSeconds * 1000,
      browserHash: bindingHash(started.bindingValue!),
      directoryRevision: 'rev-1',
      samlRequestId: '_request-1',
      relayState: 'https://start.atlassian.com',
      forceAuthn: false,
      spEntityId: SP_ENTITY_ID,
      requestedNameId: 'alice@example.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
    expect(started.expiresAt).toBe(now + bound.loginTimeoutSeconds * 1000);
  });

  it('stores no requested subject as null, not as a missing member', async () => {
    const started = await start(sp());
    expect(await store.get(storageKeys.login(started.state))).toMatchObject({ requestedNameId: null, nameIdFormat: null });
  });

  it("keeps the transaction in the store for the whole login and a minute more, so the transaction's own expiry decides", async () => {
    const started = await start(sp());
    now += bound.loginTimeoutSeconds * 1000 + 59_000;
    expect(await store.get(storageKeys.login(started.state))).toBeDefined();
    now += 2_000;
    expect(await store.get(storageKeys.login(started.state))).toBeUndefined();
  });

  it("never overwrites another login's transaction: a state already stored is refused as storage_unavailable", async () => {
    const set = store.set.bind(store);
    const options: unknown[] = [];
    store.set = (async (key, value, opts) => {
      options.push(opts);
      // As if another login had taken this state first.
      await set(key, { other: true }, {});
      return set(key, value, opts);
    }) as MemoryStore['set'];
    const error = await start(sp()).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('storage_unavailable');
    expect(options).toEqual([expect.objectContaining({ ifAbsent: true })]);
  });

  it('stores a connection test with its id and the URL it started at', async () => {
    const started = await start(test);
    expect(await storedLogin(started.state)).toMatchObject({ kind: 'test', testId: 'test-1', startRedirect: started.redirectTo });
  });
});

describe('redirectToProvider: the browser binding', () => {
  it('binds an SP login with a cookie for this state, the login timeout long', async () => {
    const started = await start(sp());
    expect(started.bindingValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.browserBinding).toEqual({ state: started.state, value: started.bindingValue, maxAge: bound.loginTimeoutSeconds });
  });

  it('binds nothing when the configuration turns the binding off', async () => {
    const started = await start(sp(), unbound);
    expect(started.bindingValue).toBeUndefined();
    expect(started.browserBinding).toBeUndefined();
    expect(await store.get(storageKeys.login(started.state))).toMatchObject({ browserHash: null });
  });

  it('always gives a connection test a binding value (to measure whether its cookie comes back), but no SP cookie', async () => {
    for (const config of [bound, unbound]) {
      const started = await start(test, config);
      expect(started.bindingValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(started.browserBinding).toBeUndefined();
      expect(await store.get(storageKeys.login(started.state))).toMatchObject({ browserHash: bindingHash(started.bindingValue!) });
    }
  });
});

describe("redirectToProvider: the provider's authorization URL", () => {
  const params = async (what: NewTransaction) => {
    const started = await start(what);
    const url = new URL(started.redirectTo);
    expect(url.searchParams.get('state')).toBe(started.state);
    return url.searchParams;
  };

  it("carries the SP login's hint and the wish to pick another account", async () => {
    const searchParams = await params(sp({ loginHint: 'alice@example.com', selectAccount: true }));
    expect(searchParams.get('login_hint')).toBe('alice@example.com');
    expect(searchParams.get('prompt')).toBe('select_account');
  });

  it('asks for neither when the SP login did not', async () => {
    const searchParams = await params(sp());
    expect(searchParams.has('login_hint')).toBe(false);
    expect(searchParams.has('prompt')).toBe(false);
  });

  it('asks for a new authentication when the SP login forces one, and never for a connection test', async () => {
    expect((await params(sp({ forceAuthn: true }))).get('prompt')).toBe('login');
    const testParams = await params(test);
    expect(testParams.has('prompt')).toBe(false);
    expect(testParams.has('login_hint')).toBe(false);
  });
});
