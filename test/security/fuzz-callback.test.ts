import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { storageKeys } from '../../src/core/storage-keys.js';
import type { BridgeErrorCode } from '../../src/core/errors.js';
import { startHarness, type Harness } from '../support/login-harness.js';
import { inProcessBridge, IN_PROCESS_ISSUER, type InProcessBridge } from '../support/in-process-bridge.js';
import { expectRefusalResponse, FUZZ_RUNS, fuzzParameters, nastyString, parameterName } from '../support/fuzz.js';

/**
 * Fuzzing the callback parameters (target 2 of 3). Half the runs carry the state of a real
 * login just started (so the run gets past the store, into the RFC 9207 check, openid-client's
 * response validation and the token endpoint, which refuses the made-up code), half carry
 * whatever the generator makes. Invariant: a 4xx page with a known code and no SAML response,
 * never an exception, never a 5xx, nothing new stored; the one 5xx allowed is
 * `oidc_authorization_error` when the callback itself reports a provider error (`error=`),
 * since the bridge only repeats what the provider is claimed to have said.
 */

const PROVIDER_REPORTED: readonly BridgeErrorCode[] = ['oidc_authorization_error'];

/** Values of one callback parameter: usually one, sometimes none or several. */
const values = (value: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 6, arbitrary: value.map((v) => [v]) }, { weight: 1, arbitrary: fc.array(value, { maxLength: 3 }) });

const callbackQuery = fc.record(
  {
    code: values(fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }), nastyString(64))),
    iss: values(fc.oneof(fc.constant(IN_PROCESS_ISSUER), fc.constant(`${IN_PROCESS_ISSUER}/`), nastyString(40))),
    error: values(fc.oneof(fc.constantFrom('access_denied', 'login_required', 'server_error', 'temporarily_unavailable', 'invalid_request'), nastyString(30))),
    error_description: values(nastyString(100)),
    error_uri: values(nastyString(40)),
    session_state: values(nastyString(20)),
    extra: fc.dictionary(parameterName(12), values(nastyString(30)), { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

/** A state: a real one (from a login just started), or anything at all. */
const stateChoice = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ real: true as const }) },
  { weight: 1, arbitrary: values(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), nastyString(80), fc.string({ maxLength: 600 }))).map((state) => ({ real: false as const, state })) },
);

function toQuery(generated: { extra?: Record<string, string[]> } & Record<string, unknown>, state: string[] | undefined): Record<string, string[]> {
  const query: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const { extra, ...named } = generated;
  for (const [name, value] of Object.entries(extra ?? {})) query[name] = value;
  for (const [name, value] of Object.entries(named)) query[name] = value as string[];
  if (state) query.state = state;
  return query;
}

describe('fuzzing the callback parameters', () => {
  let bridge: InProcessBridge;
  beforeAll(async () => {
    bridge = await inProcessBridge();
  });

  it(`answers ${FUZZ_RUNS} generated callbacks with a 4xx page and stores nothing`, async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(callbackQuery, stateChoice, fc.boolean(), async (generated, choice, withCookie) => {
        let state = choice.real ? undefined : choice.state;
        let cookie: string | undefined;
        if (choice.real) {
          const started = await bridge.startLogin();
          state = [started.state];
          cookie = withCookie ? started.cookie : undefined;
        }
        const query = toQuery(generated, state);
        const before = bridge.store.keys(storageKeys.login('')).length;
        const response = await bridge.get('/oidc/callback', query, cookie ? { cookie: [cookie] } : {});
        const reported = (query.error?.length ?? 0) === 1 && query.error![0] !== '';
        const code = expectRefusalResponse(response, reported ? PROVIDER_REPORTED : []);
        if (bridge.store.keys(storageKeys.login('')).length > before) throw new Error('a callback stored a login');
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        // Keep the store small: a run that stopped before the take leaves its login behind.
        bridge.store.entries.clear();
      }),
      fuzzParameters(FUZZ_RUNS),
    );
    // The real states take the runs deep: past the store and the binding cookie, to the
    // provider's answer (the made-up code is refused by the token endpoint).
    expect([...outcomes.keys()]).toEqual(
      expect.arrayContaining(['login_unknown', 'login_state_missing', 'callback_malformed', 'login_browser_mismatch', 'oidc_issuer_mismatch', 'oidc_code_missing', 'oidc_access_denied', 'oidc_authorization_error']),
    );
    expect(bridge.provider.calls.filter((url) => url === bridge.provider.endpoints.token).length).toBeGreaterThan(100);
  }, 120_000);

  describe('through the standalone server, over HTTP', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness();
    });
    afterAll(async () => harness.close());

    it('answers 200 generated callbacks with a 4xx page', async () => {
      await fc.assert(
        fc.asyncProperty(callbackQuery, stateChoice, async (generated, choice) => {
          const query = toQuery(generated, choice.real ? undefined : choice.state);
          const url = new URL(`${harness.app.baseUrl}/oidc/callback`);
          for (const [name, list] of Object.entries(query)) for (const value of list) url.searchParams.append(name, value);
          const response = await fetch(url, { redirect: 'manual' });
          const headers: Record<string, string> = {};
          const canonical: Record<string, string> = { 'x-bridge-error': 'X-Bridge-Error', 'x-bridge-reference': 'X-Bridge-Reference', 'content-security-policy': 'Content-Security-Policy' };
          response.headers.forEach((value, name) => (headers[canonical[name] ?? name] = value));
          expectRefusalResponse({ status: response.status, headers, body: await response.text() });
        }),
        fuzzParameters(200),
      );
    }, 120_000);
  });
});
