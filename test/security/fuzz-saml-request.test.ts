import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { BridgeError } from '../../src/core/errors.js';
import { readAuthnRequest, type SamlBinding } from '../../src/downstream-saml/authn-request.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { ACS_URL, SP_ENTITY_ID, startHarness, type Harness } from '../support/login-harness.js';
import { inProcessBridge, IN_PROCESS_ISSUER, type InProcessBridge } from '../support/in-process-bridge.js';
import { authnRequestXml, expectBridgeRefusal, expectRefusalResponse, FUZZ_RUNS, fuzzParameters, mutatedXml, nastyString, parameterName } from '../support/fuzz.js';
import { ssoUrl } from '../support/refusals.js';

/**
 * Fuzzing the SAMLRequest decoder and parser (target 1 of 3). Invariant: whatever arrives, the
 * outcome is either a checked AuthnRequest from the configured SP, or a refusal with a 4xx
 * code: no exception escapes, no 5xx, no SAML response, and a refused request stores nothing.
 */

const binding = fc.constantFrom<SamlBinding>('redirect', 'post');

/** What the SSO URL receives as SAMLRequest: raw text, base64 of bytes, DEFLATE of XML-like text. */
const encodedSamlRequest = fc.oneof(
  { weight: 1, arbitrary: nastyString(200) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((bytes) => deflateRawSync(bytes).toString('base64')) },
  { weight: 3, arbitrary: fc.tuple(fc.oneof(authnRequestXml, mutatedXml), fc.boolean()).map(([xml, deflate]) => (deflate ? deflateRawSync(Buffer.from(xml)) : Buffer.from(xml)).toString('base64')) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(authnRequestXml, mutatedXml), fc.constantFrom('utf16le', 'latin1' as const)).map(([xml, encoding]) => deflateRawSync(Buffer.from(xml, encoding)).toString('base64')) },
);

/** The one service provider the bridge serves here; any other Issuer is refused as the directory refuses it. */
function knownServiceProvider(issuer: string) {
  if (issuer !== SP_ENTITY_ID) throw new BridgeError('saml_unknown_sp', 'Issuer matches no connection');
  return { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, ssoUrl: 'https://bridge.example.net/saml/sso', maxAgeSeconds: 600, maxFutureSeconds: 180 };
}

describe('fuzzing the SAMLRequest decoder and parser', () => {
  it(`reads or refuses ${FUZZ_RUNS} generated AuthnRequests, always with a 4xx code`, () => {
    const outcomes = new Map<string, number>();
    const now = Date.now();
    fc.assert(
      fc.property(binding, encodedSamlRequest, (via, encoded) => {
        let outcome: string;
        try {
          const request = readAuthnRequest(via, encoded, { now, serviceProviderFor: knownServiceProvider });
          // Accepted: then it must be what the checks promise.
          if (request.issuer !== SP_ENTITY_ID) throw new Error(`accepted an AuthnRequest from ${request.issuer}`);
          if (!request.id) throw new Error('accepted an AuthnRequest without ID');
          outcome = 'accepted';
        } catch (error) {
          outcome = expectBridgeRefusal(error);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      fuzzParameters(FUZZ_RUNS),
    );
    // The generators reach every layer: acceptance and each kind of refusal.
    expect([...outcomes.keys()].sort()).toEqual(
      expect.arrayContaining(['accepted', 'saml_request_malformed', 'saml_unknown_sp', 'saml_acs_mismatch', 'saml_request_unsupported', 'saml_request_stale']),
    );
  }, 120_000);

  describe('through the bridge, in-process', () => {
    let bridge: InProcessBridge;
    beforeAll(async () => {
      bridge = await inProcessBridge();
    });

    it('answers 2,000 generated SSO requests (GET, POST, other methods) with a redirect or a 4xx page', async () => {
      const request = fc.record({
        method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'HEAD', 'get'),
        samlRequest: fc.option(encodedSamlRequest, { nil: undefined }),
        repeat: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
        relayState: fc.option(nastyString(100), { nil: undefined }),
        extra: fc.dictionary(parameterName(), nastyString(20), { maxKeys: 3 }),
        contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'text/plain', 'multipart/form-data', ''),
        rawBody: fc.option(nastyString(100).filter((body) => ![...new URLSearchParams(body).keys()].some((name) => name in Object.prototype)), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const params = new URLSearchParams(r.extra);
          if (r.samlRequest !== undefined) params.append('SAMLRequest', r.samlRequest);
          if (r.samlRequest !== undefined && r.repeat) params.append('SAMLRequest', r.samlRequest);
          if (r.relayState !== undefined) params.append('RelayState', r.relayState);
          const query: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
          for (const [name, value] of params) (query[name] ??= []).push(value);
          const isPost = r.method === 'POST';
          const before = bridge.store.keys(storageKeys.login('')).length;
          const response = await bridge.handle({
            method: r.method,
            path: '/saml/sso',
            query: isPost ? {} : query,
            headers: isPost ? { 'content-type': [r.contentType] } : {},
            body: isPost ? (r.rawBody ?? params.toString()) : '',
          });
          const after = bridge.store.keys(storageKeys.login('')).length;
          if (response.status === 302) {
            if (!response.headers.Location?.startsWith(`${IN_PROCESS_ISSUER}/authorize?`)) throw new Error('a redirect elsewhere than the provider');
            if (after !== before + 1) throw new Error('a started login without exactly one stored transaction');
            return;
          }
          expectRefusalResponse(response);
          if (after !== before) throw new Error('a refused request stored something');
        }),
        fuzzParameters(2_000),
      );
    }, 120_000);
  });

  describe('through the standalone server, over HTTP', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness();
    });
    afterAll(async () => harness.close());

    it('answers 200 generated requests with a redirect or a 4xx page', async () => {
      await fc.assert(
        fc.asyncProperty(encodedSamlRequest, fc.option(nastyString(50), { nil: undefined }), fc.boolean(), async (samlRequest, relayState, post) => {
          const fields: Record<string, string> = { SAMLRequest: samlRequest, ...(relayState !== undefined ? { RelayState: relayState } : {}) };
          const url = ssoUrl(harness, post ? {} : fields);
          const response = await fetch(url, post
            ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' }
            : { redirect: 'manual' });
          const body = await response.text();
          if (response.status === 302) {
            if (!response.headers.get('location')?.startsWith(harness.providerUrl)) throw new Error('a redirect elsewhere than the provider');
            return;
          }
          const headers: Record<string, string> = {};
          const canonical: Record<string, string> = { 'x-bridge-error': 'X-Bridge-Error', 'x-bridge-reference': 'X-Bridge-Reference', 'content-security-policy': 'Content-Security-Policy' };
          response.headers.forEach((value, name) => (headers[canonical[name] ?? name] = value));
          expectRefusalResponse({ status: response.status, headers, body });
        }),
        fuzzParameters(200),
      );
    }, 120_000);
  });
});
