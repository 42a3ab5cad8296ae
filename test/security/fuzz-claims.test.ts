import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { XmlDocument } from 'libxml2-wasm';
import { userFromClaims } from '../../src/upstream-oidc/user-from-claims.js';
import { samlSubjectFor } from '../../src/downstream-saml/saml-subject.js';
import { parseConfig, type BridgeConfig, type RawConfig } from '../../src/core/config.js';
import type { BridgeErrorCode } from '../../src/core/errors.js';
import { ACS_URL, SP_ENTITY_ID } from '../support/login-harness.js';
import { inProcessBridge, type InProcessBridge } from '../support/in-process-bridge.js';
import { expectBridgeRefusal, expectRefusalResponse, FUZZ_RUNS, fuzzParameters, nastyString, parameterName } from '../support/fuzz.js';
import type { StubUser } from '../support/stub-provider.js';

/**
 * Fuzzing the claims mapper (target 3 of 3): the provider's claims → the authenticated user →
 * the NameID and attributes. Invariant: either a user whose email is one plain address in an
 * allowed domain (verified, when required) and whose every SAML value is text XML can carry,
 * or a refusal with a 4xx code; the claims are never changed. The one 5xx allowed is
 * `oidc_id_token_invalid` for a `sub` that is no usable text (openid-client already insists
 * on a string `sub`; blank, over-long or XML-unsafe is the provider's fault, not the user's).
 */

const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\p{Cs}]/u;
const NOT_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Cs}\uFFFE\uFFFF\s]/u;

function usableText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && value.trim().length <= 1024 && !NOT_XML.test(value.trim());
}

const base: RawConfig = {
  baseUrl: 'https://bridge.example.net',
  oidc: { issuer: 'https://idp.example.com', clientId: 'client', clientSecret: 'secret' },
  serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
  allowedEmailDomains: ['example.com', 'bücher.example'],
};

const configs: BridgeConfig[] = [
  parseConfig(base, { allowLoopbackHttp: false }),
  parseConfig({ ...base, requireVerifiedEmail: false }, { allowLoopbackHttp: false }),
  parseConfig({ ...base, nameIdClaim: 'preferred_username' }, { allowLoopbackHttp: false }),
  parseConfig({ ...base, allowInternationalEmail: true }, { allowLoopbackHttp: false }),
  parseConfig({ ...base, attributeClaims: { displayName: 'nickname', givenName: 'first' } }, { allowLoopbackHttp: false }),
];

const domain = fc.oneof(
  fc.constantFrom(
    'example.com',
    'EXAMPLE.COM',
    'Example.Com',
    'bücher.example',
    'BÜCHER.example',
    'xn--bcher-kva.example',
    'ex\u0430mple.com',
    '\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com',
    'example\u3002com',
    'exam\u00ADple.com',
    'example.com.',
    'sub.example.com',
    'example.org',
    'example.com@example.com',
    '[127.0.0.1]',
    '',
  ),
  nastyString(15),
);

const localPart = fc.oneof(fc.constantFrom('alice', 'Alice.O\'Brien+tag', 'ålice', '"quoted"', ''), fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), nastyString(12));

const email = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(localPart, fc.constantFrom('@', '@', '@', '@@', ''), domain, fc.constantFrom('', ' ', '\n')).map(([l, at, d, pad]) => `${pad}${l}${at}${d}${pad}`) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.array(fc.constant('alice@example.com'), { maxLength: 2 }), fc.string({ maxLength: 2000 })) },
);

const name = fc.oneof(fc.constant(undefined), nastyString(30), fc.string({ maxLength: 1500 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));

const sub = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: nastyString(20) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(' '), fc.string({ minLength: 1025, maxLength: 1100 })) },
);

const claims = fc.record(
  {
    sub,
    email,
    email_verified: fc.constantFrom(true, true, 'true', false, 'false', undefined, 0, 1, '0', 'yes', null, [true], {}),
    given_name: name,
    family_name: name,
    name,
    preferred_username: fc.oneof(fc.constant('alice'), fc.constant('alice@example.com'), fc.constant('Alice@EXAMPLE.com'), nastyString(20)),
    first: name,
    nickname: name,
    extra: fc.dictionary(parameterName(12), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['sub'] },
).map(({ extra, ...named }) => ({ ...extra, ...Object.fromEntries(Object.entries(named).filter(([, v]) => v !== undefined)) }));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Checks a mapped user against the configuration; throws on any broken promise. */
function checkMapped(input: Record<string, unknown>, config: BridgeConfig): 'mapped' {
  const user = userFromClaims(input, config);
  if (user.claims !== input) throw new Error('the user does not carry the claims it came from');
  const at = user.email.indexOf('@');
  if (at <= 0 || at !== user.email.lastIndexOf('@')) throw new Error(`mapped email ${JSON.stringify(user.email)} is not one address`);
  if (NOT_IN_EMAIL.test(user.email)) throw new Error(`mapped email ${JSON.stringify(user.email)} carries controls or spaces`);
  if (!config.allowedEmailDomains.includes(user.email.slice(at + 1))) throw new Error(`mapped email ${user.email} outside the allowed domains`);
  if (typeof input.email !== 'string' || user.email.slice(0, at) !== input.email.trim().slice(0, at)) throw new Error('the local part changed');
  // Only JSON true or the string "true" vouches (no xms_edov is generated here).
  if (config.requireVerifiedEmail && input.email_verified !== true && input.email_verified !== 'true') throw new Error('an unverified email was accepted');
  const local = user.email.slice(0, at);
  if (!config.allowInternationalEmail && /[^\x21-\x7E]/.test(local)) throw new Error(`a non-ASCII local part ${JSON.stringify(local)} was accepted`);
  if (local.normalize('NFKC') !== local) throw new Error(`a local part NFKC changes ${JSON.stringify(local)} was accepted`);
  const subject = samlSubjectFor(user);
  if (config.nameIdClaim === 'email' && subject.nameId !== user.email) throw new Error('the NameID is not the email');
  if (config.nameIdClaim !== 'email') {
    const nameAt = subject.nameId.indexOf('@');
    if (nameAt <= 0 || nameAt !== subject.nameId.lastIndexOf('@') || NOT_IN_EMAIL.test(subject.nameId)) throw new Error(`NameID ${JSON.stringify(subject.nameId)} is not one plain address`);
    if (!config.allowedEmailDomains.includes(subject.nameId.slice(nameAt + 1))) throw new Error(`NameID ${subject.nameId} outside the allowed domains`);
  }
  for (const value of [subject.nameId, ...subject.attributes.flatMap((a) => a.values)]) {
    if (typeof value !== 'string' || value === '' || value.length > 1024 || NOT_XML.test(value)) throw new Error(`an unusable SAML value ${JSON.stringify(value)}`);
  }
  return 'mapped';
}

describe('fuzzing the claims mapper', () => {
  it(`maps or refuses ${FUZZ_RUNS} generated claim sets, always with a 4xx code`, () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(claims, fc.constantFrom(...configs), (generated, config) => {
        const input = deepFreeze(structuredClone(generated) as Record<string, unknown>);
        let outcome: string;
        try {
          outcome = checkMapped(input, config);
        } catch (error) {
          const allowed: BridgeErrorCode[] = usableText(input.sub) ? [] : ['oidc_id_token_invalid'];
          outcome = expectBridgeRefusal(error, allowed);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      fuzzParameters(FUZZ_RUNS),
    );
    expect([...outcomes.keys()]).toEqual(
      expect.arrayContaining(['mapped', 'user_email_missing', 'user_email_invalid', 'user_email_unverified', 'user_domain_not_allowed', 'oidc_id_token_invalid']),
    );
  }, 120_000);

  describe('end to end, in-process: claims from the provider to a signed response', () => {
    let bridge: InProcessBridge;
    let sp: SAML;
    beforeAll(async () => {
      bridge = await inProcessBridge();
      const credentials = await bridge.bridge.signingCredentials();
      sp = new SAML({
        entryPoint: `${bridge.config.urls.sso}`,
        issuer: SP_ENTITY_ID,
        callbackUrl: ACS_URL,
        audience: SP_ENTITY_ID,
        idpCert: credentials.certificateBase64,
        idpIssuer: bridge.config.idpEntityId,
        wantAuthnResponseSigned: true,
        wantAssertionsSigned: true,
        validateInResponseTo: ValidateInResponseTo.never,
        acceptedClockSkewMs: 5_000,
      });
    });

    it('answers 200 generated users with a response the SP accepts, or a 4xx page', async () => {
      // Mostly addresses that pass, so the names and extra claims reach the signed response.
      const passing = fc.tuple(fc.constantFrom('alice', 'Bob.O\'Brien+x', 'a&b', 'x_y-z'), fc.constantFrom('example.com', 'EXAMPLE.com', 'bücher.example')).map(([l, d]) => `${l}@${d}`);
      const e2eClaims = fc
        .tuple(claims, fc.oneof({ weight: 3, arbitrary: passing }, { weight: 1, arbitrary: email }), fc.constantFrom(true, true, 'true', undefined))
        .map(([c, address, verified]) => ({ ...c, email: address, email_verified: verified }) as Record<string, unknown>)
        .filter((c) => typeof c.sub === 'string' && usableText(c.sub));
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(e2eClaims, async (user) => {
          const started = await bridge.startLogin('relay');
          const query = bridge.provider.authorize(started.location, user as unknown as StubUser);
          const response = await bridge.get('/oidc/callback', query, { cookie: [started.cookie!] });
          if (response.status !== 200) {
            expectRefusalResponse(response);
            return;
          }
          const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(response.body)?.[1];
          if (!samlResponse) throw new Error('a 200 without a SAML response');
          // Well-formed XML whatever the claims held, and accepted by an independent SP.
          XmlDocument.fromString(Buffer.from(samlResponse, 'base64').toString('utf8')).dispose();
          const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse, RelayState: 'relay' });
          const mapped = userFromClaims(user, bridge.config);
          if (profile?.nameID !== mapped.email) throw new Error(`NameID ${profile?.nameID} is not ${mapped.email}`);
          accepted += 1;
        }),
        fuzzParameters(200),
      );
      expect(accepted).toBeGreaterThan(60);
    }, 120_000);
  });
});
