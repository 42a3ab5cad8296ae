import { sign } from 'node:crypto';
import { parseConfig, type BridgeConfig } from '../src/core/config.js';
import { cryptoRandom } from '../src/core/default-ports.js';
import { userFromClaims } from '../src/upstream-oidc/user-from-claims.js';
import { samlSubjectFor, type SamlSubject } from '../src/downstream-saml/saml-subject.js';
import { createSignedSamlResponse } from '../src/downstream-saml/saml-response.js';
import { createSigningKey, toCredentials } from '../src/downstream-saml/signing-key.js';
import { demoUsers } from '../dev/demo/demo-provider.js';
import { SP } from './fixtures.js';
import { cpuMs, serveRequests } from './ipc.js';
import { samlifyPeer, samlpPeer, xmldsigjsPeer, type PeerMint } from './peers.js';
import { countSignatures, verifySamlResponse } from './verify.js';

/**
 * The signing limit and the mint, in a process of their own: Node's own RSA-SHA256 signatures
 * with a key of the bridge's size; the core's `createSignedSamlResponse` (build, sign the
 * Assertion and the Response, serialize, base64); and the same work by peer libraries (Auth0's
 * samlp on node-saml's `saml`, samlify's `createLoginResponse` with the key as a KeyObject,
 * xmldsigjs when installed), with the same key, NameID and attributes. They alternate in rounds
 * and the best round of each counts, so a burst of other work on the machine does not decide
 * the comparison.
 */

export interface MintRound {
  rsaSignPerSec: number;
  mintPerSec: number;
  /** samlp's figure: results.json's `peerMintPerSec`, as before there were several peers. */
  peerMintPerSec: number;
  peers: PeerRates;
}

/** Mints per CPU second of each peer; null for a peer that is not installed. */
export interface PeerRates {
  samlp: number;
  samlifyKeyObject: number;
  xmldsigjs: number | null;
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

async function run(rounds: number, msPerRound: number): Promise<MintReport> {
  const config = benchConfig();
  const credentials = toCredentials(await createSigningKey({ now: () => Date.now() }, new URL(config.baseUrl).host));
  const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
  const subject = samlSubjectFor(userFromClaims({ ...alice, email_verified: true }, config));
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
  const ours = await mint();
  const context = { config, credentials, subject, ours };
  const peers: { samlp: PeerMint; samlifyKeyObject: PeerMint; xmldsigjs: PeerMint | null } = {
    samlp: samlpPeer(context),
    samlifyKeyObject: samlifyPeer(context),
    xmldsigjs: await xmldsigjsPeer(context),
  };

  // Every output must be what a service provider accepts, or the comparison means nothing.
  const expected = { certificateBase64: credentials.certificateBase64, spEntityId: SP.entityId, acsUrl: SP.acsUrl, idpIssuer: config.idpEntityId };
  const samples: [string, string][] = [['core', ours]];
  for (const [name, peer] of Object.entries(peers)) if (peer) samples.push([name, await peer()]);
  for (const [name, response] of samples) {
    const checked = await verifySamlResponse(response, expected);
    if (checked.nameId !== subject.nameId || checked.attributes < subject.attributes.length) {
      throw new Error(`${name} response: unexpected NameID or attributes`);
    }
    if (countSignatures(response) !== 2) throw new Error(`${name} response: not two signatures`);
  }
  const theirs = samples.find(([name]) => name === 'samlp')![1];

  // What one signature costs at the least: RS256 over a SignedInfo-sized input.
  const signedInfo = Buffer.alloc(900, 'a');
  const results: MintRound[] = [];
  for (let round = 0; round < rounds; round++) {
    results.push({
      rsaSignPerSec: syncRatePerSec(() => sign('sha256', signedInfo, credentials.privateKey), msPerRound * 0.6),
      mintPerSec: await ratePerSec(mint, msPerRound),
      ...(await peerRates(peers, msPerRound)),
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

async function peerRates(
  peers: { samlp: PeerMint; samlifyKeyObject: PeerMint; xmldsigjs: PeerMint | null },
  msPerRound: number,
): Promise<Pick<MintRound, 'peerMintPerSec' | 'peers'>> {
  const samlpRate = await ratePerSec(peers.samlp, msPerRound);
  const samlifyRate = await ratePerSec(peers.samlifyKeyObject, msPerRound);
  const xmldsigjsRate = peers.xmldsigjs ? await ratePerSec(peers.xmldsigjs, msPerRound) : null;
  return { peerMintPerSec: samlpRate, peers: { samlp: samlpRate, samlifyKeyObject: samlifyRate, xmldsigjs: xmldsigjsRate } };
}

serveRequests({
  run: (request) => run(Number(request.rounds ?? 3), Number(request.msPerRound ?? 1500)),
});
