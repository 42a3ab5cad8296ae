import { sign } from 'node:crypto';
import samlp from 'samlp';
import { parseConfig, type BridgeConfig } from '../src/core/config.js';
import { cryptoRandom } from '../src/core/default-ports.js';
import { authenticatedUserFrom, samlSubjectFor, type SamlSubject } from '../src/core/authenticated-user.js';
import { createSignedSamlResponse } from '../src/downstream-saml/saml-response.js';
import { createSigningKey, toCredentials, type SigningCredentials } from '../src/downstream-saml/signing-key.js';
import { demoUsers } from '../src/standalone/demo/demo-provider.js';
import { SP } from './fixtures.js';
import { cpuMs, serveRequests } from './ipc.js';
import { countSignatures, verifySamlResponse } from './verify.js';

/**
 * The signing limit and the mint, in a process of their own: Node's own RSA-SHA256 signatures
 * with a key of the bridge's size; the core's `createSignedSamlResponse` (build, sign the
 * Assertion and the Response, serialize, base64); and the same work by a peer SAML IdP library
 * (Auth0's samlp on node-saml's `saml`), with the same key, NameID and attributes. The three
 * alternate in rounds and the best round of each counts, so a burst of other work on the
 * machine does not decide the comparison.
 */

export interface MintRound {
  rsaSignPerSec: number;
  mintPerSec: number;
  peerMintPerSec: number;
}

export interface MintReport {
  rounds: MintRound[];
  signaturesPerResponse: number;
  peerSignaturesPerResponse: number;
  responseBytes: number;
  peerResponseBytes: number;
  keyBits: number;
}

/**
 * Runs `fn` for about `ms` milliseconds after a warm-up; returns calls per second of this
 * process's CPU time (one core). Per CPU second, not per wall-clock second, so that other work
 * on a shared machine slows the figures down much less than it would otherwise.
 */
async function ratePerSec(fn: () => unknown, ms: number, warmUp = 50): Promise<number> {
  for (let i = 0; i < warmUp; i++) await fn();
  const start = performance.now();
  const cpuStart = cpuMs();
  let n = 0;
  do {
    await fn();
    n++;
  } while (performance.now() - start < ms);
  return n / ((cpuMs() - cpuStart) / 1000);
}

function syncRatePerSec(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 50; i++) fn();
  const start = performance.now();
  const cpuStart = cpuMs();
  let n = 0;
  do {
    fn();
    n++;
  } while (performance.now() - start < ms);
  return n / ((cpuMs() - cpuStart) / 1000);
}

function benchConfig(): BridgeConfig {
  return parseConfig(
    {
      baseUrl: 'https://6f1a2b3c.webtrigger.atlassian.app/public/bridge-0123456789abcdef',
      oidc: { issuer: 'https://example.okta.com/oauth2/default', clientId: '0oa123', clientSecret: 'secret' },
      serviceProvider: SP,
      allowedEmailDomains: ['example.com'],
    },
    { allowLoopbackHttp: false },
  );
}

function peerMint(config: BridgeConfig, credentials: SigningCredentials, subject: SamlSubject, inResponseTo: string): Promise<string> {
  const claims = Object.fromEntries(subject.attributes.map((a) => [a.name, a.values.length === 1 ? a.values[0]! : [...a.values]]));
  return new Promise((resolve, reject) =>
    samlp.getSamlResponse(
      {
        issuer: config.idpEntityId,
        cert: credentials.certificatePem,
        key: credentials.privateKey,
        audience: config.serviceProvider.entityId,
        destination: config.serviceProvider.acsUrl,
        recipient: config.serviceProvider.acsUrl,
        inResponseTo,
        signResponse: true,
        signatureAlgorithm: 'rsa-sha256',
        digestAlgorithm: 'sha256',
        lifetimeInSeconds: config.assertionLifetimeSeconds,
        sessionIndex: `_${cryptoRandom.token(16)}`,
        authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        profileMapper: () => ({
          getClaims: () => claims,
          getNameIdentifier: () => ({ nameIdentifier: subject.nameId, nameIdentifierFormat: subject.nameIdFormat }),
        }),
      },
      {},
      (error, xml) => (error ? reject(error) : resolve(Buffer.from(xml, 'utf8').toString('base64'))),
    ),
  );
}

async function run(rounds: number, msPerRound: number): Promise<MintReport> {
  const config = benchConfig();
  const credentials = toCredentials(await createSigningKey({ now: () => Date.now() }, new URL(config.baseUrl).host));
  const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
  const subject = samlSubjectFor(authenticatedUserFrom({ ...alice, email_verified: true }, config), config);
  const mint = async () => {
    const now = Date.now();
    const signed = await createSignedSamlResponse(config, credentials, cryptoRandom, {
      inResponseTo: `_${cryptoRandom.token(16)}`,
      nameId: subject.nameId,
      nameIdFormat: subject.nameIdFormat,
      attributes: subject.attributes,
      authnInstant: now,
      sessionIndex: `_${cryptoRandom.token(16)}`,
      now,
    });
    return signed.samlResponse;
  };
  const peer = () => peerMint(config, credentials, subject, `_${cryptoRandom.token(16)}`);

  // Both outputs must be what a service provider accepts, or the comparison means nothing.
  const expected = { certificateBase64: credentials.certificateBase64, spEntityId: SP.entityId, acsUrl: SP.acsUrl, idpIssuer: config.idpEntityId };
  const ours = await mint();
  const theirs = await peer();
  for (const [name, response] of [['core', ours], ['peer', theirs]] as const) {
    const checked = await verifySamlResponse(response, expected);
    if (checked.nameId !== subject.nameId || checked.attributes < subject.attributes.length) {
      throw new Error(`${name} response: unexpected NameID or attributes`);
    }
  }

  // What one signature costs at the least: RS256 over a SignedInfo-sized input.
  const signedInfo = Buffer.alloc(900, 'a');
  const results: MintRound[] = [];
  for (let round = 0; round < rounds; round++) {
    results.push({
      rsaSignPerSec: syncRatePerSec(() => sign('sha256', signedInfo, credentials.privateKey), msPerRound * 0.6),
      mintPerSec: await ratePerSec(mint, msPerRound),
      peerMintPerSec: await ratePerSec(peer, msPerRound),
    });
  }
  return {
    rounds: results,
    signaturesPerResponse: countSignatures(ours),
    peerSignaturesPerResponse: countSignatures(theirs),
    responseBytes: Buffer.from(ours, 'base64').length,
    peerResponseBytes: Buffer.from(theirs, 'base64').length,
    keyBits: credentials.privateKey.asymmetricKeyDetails?.modulusLength ?? 0,
  };
}

serveRequests({
  run: (request) => run(Number(request.rounds ?? 3), Number(request.msPerRound ?? 1500)),
});
