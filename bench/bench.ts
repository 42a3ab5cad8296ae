/**
 * `npm run bench`: how close the bridge comes to the cost of its RSA signatures, and to a peer
 * SAML IdP library; what a login costs the server in CPU, storage operations and provider calls;
 * how fast the Forge function starts. Prints a table and writes the same figures to
 * bench/results.json. Not a test: nothing here fails on a missed target.
 *
 * Every party runs in a process of its own (bench/ipc.ts): the OpenID provider (the demo
 * oidc-provider), the standalone server, the Forge handler on the platform stand-ins, the mint.
 * This process drives logins over HTTP and prints.
 *
 *   npm run bench                   about two minutes on a 2-core machine
 *   npm run bench -- --quick        a smaller run, to try changes
 *   npm run bench -- --profile      also writes V8 CPU profiles (bench/*.cpuprofile, not committed)
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleForge, measureColdStarts, type ColdStart } from './cold-start.js';
import { startHelper } from './ipc.js';
import { FORGE_CLIENT, SP } from './fixtures.js';
import type { MintReport, PeerRates } from './mint-process.js';
import { IN_FLIGHT, median, runStandalone, type BridgeAdded, type StandaloneReport } from './standalone-run.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const profile = args.has('--profile');
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

/** The figures of the issue, in its order; results.json holds exactly these (`peers` last). */
export interface Results {
  rsaSignPerSec: number;
  signaturesPerResponse: number;
  mintPerSec: number;
  peerMintPerSec: number;
  loginCpuMsP50: number;
  /** Wall ms the bridge adds to a login, one at a time, the provider's handling taken out. */
  bridgeAddedMsP50: number;
  /** The same with 20 logins in flight. */
  bridgeAddedMsP50At20: number;
  loginsPerSec: number;
  storeOpsPerLogin: number;
  upstreamCallsPerLogin: number;
  coldStartMs: number;
  forgeBundleBytes: number;
  peakRssMb: number;
  /** Mints per CPU second of each peer library minting the same response; null: not installed. */
  peers: PeerRates;
}

interface ForgeReport {
  checked: { nameId: string | undefined; attributes: number };
  firstEver: Snapshot;
  coldInstance: Snapshot;
  warm: Snapshot;
  logins: number;
  cpuPerLogin: number[];
}

interface Snapshot {
  ops: number;
  counts: Record<string, number>;
  kvsRequests: number;
  upstream: number;
  byPath: Record<string, number>;
}

const plan = quick
  ? { mintRounds: 2, msPerRound: 1000, sequential: 60, concurrency: 100, seconds: 8, loginsAt20: 100, forgeLogins: 20, coldStarts: 3 }
  : { mintRounds: 3, msPerRound: 2000, sequential: 300, concurrency: 100, seconds: 20, loginsAt20: 200, forgeLogins: 60, coldStarts: 7 };

const step = (text: string) => console.log(`… ${text}`);

async function main(): Promise<void> {
  const startedAt = performance.now();
  console.log(`Benchmark on ${machine()}${quick ? ' (quick run)' : ''}`);
  const loadBefore = os.loadavg()[0]!;

  step('signing: RSA limit, core mint, peer mints (samlp, samlify, xmldsigjs)');
  const minter = await startHelper('./mint-process.ts', { profile: profile ? 'mint' : undefined });
  const mint = await minter.request<MintReport>('run', { rounds: plan.mintRounds, msPerRound: plan.msPerRound }).finally(() => minter.close());

  step('provider process (oidc-provider over http and https)');
  const provider = await startHelper('./provider-process.ts', { quiet: true });
  let standalone: StandaloneReport;
  let forge: ForgeReport;
  try {
    const urls = await provider.request<{ http: string; https: string; certificatePem: string }>('urls');

    step(`standalone server: ${plan.sequential} logins one at a time, ${plan.concurrency} in flight for ${plan.seconds} s, ${plan.loginsAt20} with ${IN_FLIGHT} in flight`);
    standalone = await runStandalone(provider, urls.http, SP, {
      sequential: plan.sequential,
      concurrency: plan.concurrency,
      seconds: plan.seconds,
      loginsAt20: plan.loginsAt20,
      profile,
    });

    step(`Forge handler on the platform stand-ins: ${plan.forgeLogins} logins`);
    const { TEST_WEB_TRIGGER_URL } = await import('../test/forge/forge-platform.js');
    await provider.request('configure', {
      scheme: 'https',
      clients: [{ client_id: FORGE_CLIENT.id, client_secret: FORGE_CLIENT.secret, redirect_uris: [`${TEST_WEB_TRIGGER_URL}/oidc/callback`] }],
    });
    const caFile = fileURLToPath(new URL('../node_modules/.cache/oidc-saml-bridge-bench/provider-ca.pem', import.meta.url));
    fs.writeFileSync(caFile, urls.certificatePem);
    const forgeHelper = await startHelper('./forge-process.ts', { quiet: true, env: { NODE_EXTRA_CA_CERTS: caFile }, profile: profile ? 'forge' : undefined });
    forge = await forgeHelper
      .request<ForgeReport>('run', { issuer: urls.https, logins: plan.forgeLogins, serviceProvider: SP })
      .finally(() => forgeHelper.close());
  } finally {
    await provider.close();
  }

  step(`Forge bundle (Forge's own bundler) and ${plan.coldStarts} cold starts on Node 22`);
  const bundle = await bundleForge();
  const settings = {
    oidc: { issuer: 'https://example.okta.com/oauth2/default', clientId: '0oa1bench', scopes: ['openid', 'email', 'profile'] },
    serviceProvider: SP,
    allowedEmailDomains: ['example.com'],
  };
  const coldStarts = await measureColdStarts(bundle, plan.coldStarts, settings, profile);
  if (coldStarts.some((c) => c.status !== 200 || !c.hasCertificate)) throw new Error('a cold start did not answer the metadata');

  const best = (pick: (round: MintReport['rounds'][number]) => number) => Math.max(...mint.rounds.map(pick));
  const results: Results = {
    rsaSignPerSec: round(best((r) => r.rsaSignPerSec)),
    signaturesPerResponse: mint.signaturesPerResponse,
    mintPerSec: round(best((r) => r.mintPerSec)),
    peerMintPerSec: round(best((r) => r.peerMintPerSec)),
    loginCpuMsP50: round(median(standalone.cpuPerLogin), 2),
    bridgeAddedMsP50: round(median(standalone.bridgeAdded.perLogin), 2),
    bridgeAddedMsP50At20: round(median(standalone.bridgeAddedAt20.perLogin), 2),
    loginsPerSec: round(standalone.loginsPerSec, 1),
    storeOpsPerLogin: round(forge.warm.ops / forge.logins, 2),
    upstreamCallsPerLogin: round(standalone.upstreamCallsPerLogin, 2),
    coldStartMs: round(median(coldStarts.map((c) => c.importMs + c.answerMs)), 1),
    forgeBundleBytes: bundle.bytes,
    peakRssMb: round(standalone.peakRssMb, 1),
    peers: {
      samlp: round(best((r) => r.peers.samlp)),
      samlifyKeyObject: round(best((r) => r.peers.samlifyKeyObject)),
      xmldsigjs: mint.rounds.every((r) => r.peers.xmldsigjs === null) ? null : round(best((r) => r.peers.xmldsigjs ?? 0)),
    },
  };
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

  console.log('');
  console.log(table(results, { mint, standalone, forge, coldStarts, bundle: bundle.byPackage }));
  // Other work on the machine slows every figure but the counts; the load average says how much there was.
  console.log(`\nLoad average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}, on ${os.availableParallelism()} cores.`);
  console.log('');
  console.log(`Written to bench/results.json in ${((performance.now() - startedAt) / 1000).toFixed(0)} s.`);
  if (profile) console.log('CPU profiles: bench/mint.cpuprofile, standalone.cpuprofile, forge.cpuprofile, cold-start.cpuprofile (Chrome DevTools or speedscope).');
}

function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Details {
  mint: MintReport;
  standalone: StandaloneReport;
  forge: ForgeReport;
  coldStarts: ColdStart[];
  bundle: [string, number][];
}

/** The table: each figure, its target, whether it is met, and what it is. */
export function table(r: Results, d: Details): string {
  const limit = r.rsaSignPerSec / r.signaturesPerResponse;
  const rows: [string, string, string, string, string][] = [];
  const row = (name: string, value: string, target: string, met: boolean | undefined, note: string) =>
    rows.push([name, value, target, met === undefined ? '—' : met ? 'met' : 'MISSED', note]);
  const perLogin = (counts: Record<string, number>, logins: number) =>
    Object.entries(counts)
      .filter(([, n]) => n)
      .map(([name, n]) => `${name} ${fmt(n / logins, n % logins ? 2 : 0)}`)
      .join(', ');

  row('rsaSignPerSec', fmt(r.rsaSignPerSec), '(the limit)', undefined, `Node RSA-SHA256, ${d.mint.keyBits}-bit key, KeyObject; per CPU second, as the mints`);
  row('signaturesPerResponse', String(r.signaturesPerResponse), '2', r.signaturesPerResponse === 2, 'Assertion and Response');
  const peerRates = Object.entries(r.peers).filter((entry): entry is [string, number] => entry[1] !== null);
  const bestPeer = Math.max(...peerRates.map(([, n]) => n));
  row(
    'mintPerSec',
    fmt(r.mintPerSec),
    `≥ ${fmt(0.6 * limit)} and ≥ ${fmt(4 * bestPeer)}`,
    r.mintPerSec >= 0.6 * limit && r.mintPerSec >= 4 * bestPeer,
    `${fmt((100 * r.mintPerSec) / limit)}% of the limit ${fmt(limit)}/s (target 60%); ${fmt(r.mintPerSec / bestPeer, 2)}× the best peer (target 4×); ${fmt(d.mint.responseBytes)} B`,
  );
  row('peerMintPerSec', fmt(r.peerMintPerSec), '—', undefined, `samlp 8 (saml 4, xml-crypto 2), same key and attributes; ${d.mint.peerSignaturesPerResponse} signatures`);
  for (const [name, rate] of Object.entries(r.peers)) {
    row(
      `peers.${name}`,
      rate === null ? 'null' : fmt(rate),
      '—',
      undefined,
      rate === null
        ? 'not installed (npm i -D xmldsigjs to measure it)'
        : `${fmt((100 * rate) / limit)}% of the limit; ours is ${fmt(r.mintPerSec / rate, 2)}× this${rate === bestPeer ? ' (best peer)' : ''}`,
    );
  }
  row(
    'loginCpuMsP50',
    fmt(r.loginCpuMsP50, 2),
    '≤ 7',
    r.loginCpuMsP50 <= 7,
    `standalone: SSO ${fmt(d.standalone.ssoCpuMedian, 2)} + callback ${fmt(d.standalone.callbackCpuMedian, 2)} ms, mean with GC ${fmt(d.standalone.cpuPerLoginMean, 2)}; Forge handler ${fmt(median(d.forge.cpuPerLogin), 2)}`,
  );
  const parts = (b: BridgeAdded, inFlight: string) =>
    `${inFlight}, median of ${b.perLogin.length}: SSO + callback ${fmt(b.legsMedian, 2)} ms at the browser − provider's token + userinfo ${fmt(b.providerMedian, 2)}; whole login ${fmt(b.wallMedian, 2)}`;
  row('bridgeAddedMsP50', fmt(r.bridgeAddedMsP50, 2), '≤ 10', r.bridgeAddedMsP50 <= 10, parts(d.standalone.bridgeAdded, 'standalone, one at a time'));
  row('bridgeAddedMsP50At20', fmt(r.bridgeAddedMsP50At20, 2), '—', undefined, parts(d.standalone.bridgeAddedAt20, `${IN_FLIGHT} in flight`));
  row(
    'loginsPerSec',
    fmt(r.loginsPerSec, 1),
    '—',
    undefined,
    `${d.standalone.concurrency} in flight, ${d.standalone.failedLogins} failed; CPU: server ${fmt(100 * d.standalone.cpuShare.bridge)}%, provider ${fmt(100 * d.standalone.cpuShare.provider)}%, driver ${fmt(100 * d.standalone.cpuShare.driver)}% of a core`,
  );
  row(
    'storeOpsPerLogin',
    fmt(r.storeOpsPerLogin, 2),
    '≤ 3',
    r.storeOpsPerLogin <= 3,
    `Forge, warm: ${perLogin(d.forge.warm.counts, d.forge.logins)} (${fmt(d.forge.warm.kvsRequests / d.forge.logins, 1)} KVS requests); cold instance ${d.forge.coldInstance.ops}; standalone ${fmt(d.standalone.storeOpsPerLogin, 2)}`,
  );
  row(
    'upstreamCallsPerLogin',
    fmt(r.upstreamCallsPerLogin, 2),
    '≤ 2',
    r.upstreamCallsPerLogin <= 2,
    `${perLogin(d.standalone.upstreamCounts, d.standalone.sequentialLogins)}; Forge ${fmt(d.forge.warm.upstream / d.forge.logins, 2)}, cold instance ${d.forge.coldInstance.upstream}`,
  );
  const coldWall = median(d.coldStarts.map((c) => c.wallMs));
  row(
    'coldStartMs',
    fmt(r.coldStartMs, 1),
    '≤ 300',
    r.coldStartMs <= 300,
    `median of ${d.coldStarts.length}: import ${fmt(median(d.coldStarts.map((c) => c.importMs)), 1)} + answer ${fmt(median(d.coldStarts.map((c) => c.answerMs)), 1)} ms (CPU ${fmt(median(d.coldStarts.map((c) => c.cpuMs)), 1)} ms); spawn to exit ${fmt(coldWall)} ms`,
  );
  row(
    'forgeBundleBytes',
    fmt(r.forgeBundleBytes),
    'reported',
    undefined,
    `@forge/bundler (webpack, not minified); source bytes in: ${d.bundle
      .slice(0, 5)
      .map(([name, bytes]) => `${name} ${fmt(bytes / 1024)} KB`)
      .join(', ')}`,
  );
  const s = d.standalone;
  row(
    'peakRssMb',
    fmt(r.peakRssMb, 1),
    '≤ 150',
    r.peakRssMb <= 150,
    `standalone server, ${s.concurrency} in flight; peak ${fmt(s.peakRssBeforeMb.sequential)} MB before, ${fmt(s.peakRssBeforeMb.warmUp)} after warm-up; at the end RSS ${fmt(s.rssAfterMb)}, V8 heap ${fmt(s.heapAfterMb.used)}/${fmt(s.heapAfterMb.total)}, external ${fmt(s.heapAfterMb.external)} MB`,
  );

  const header: [string, string, string, string, string] = ['figure', 'value', 'target', '', 'what'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 1 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n');
}

await main();
