import fs from 'node:fs';
import { demoUsers } from '../dev/demo/demo-provider.js';
import { totalCalls, totalOps, type StoreCounts, type UpstreamCounts } from './counting.js';
import type { RequestWindow } from './bridge-process.js';
import { STANDALONE_CLIENT } from './fixtures.js';
import { cpuMs, startHelper, type Helper } from './ipc.js';
import { Browser, httpTransport, type LoginResult, type ServiceProviderIdentity } from './login-driver.js';
import { verifySamlResponse } from './verify.js';

/**
 * Whole logins through the standalone server (its own process) against the demo provider (the
 * provider process), driven over real HTTP from this process: first one at a time, to read the
 * server's CPU time per login and what the bridge adds to a login's time, then many in flight,
 * for throughput and peak memory, and last 20 in flight, for what the bridge adds when busy.
 */

/** Logins in flight for `bridgeAddedAt20`. */
export const IN_FLIGHT = 20;

interface BridgeStats {
  storeCounts: StoreCounts;
  upstreamCounts: UpstreamCounts;
  windows: RequestWindow[];
  cpuMs: number;
  rssMb: number;
  maxRssMb: number;
  memory: Record<string, number>;
}

export interface StandaloneReport {
  sequentialLogins: number;
  /** Server CPU ms per login, from the arrival of the SSO request to the answer of the callback. */
  cpuPerLogin: number[];
  /** Server CPU ms over the whole sequential phase, per login (includes GC and idle work). */
  cpuPerLoginMean: number;
  /** Of that, the two requests alone. */
  ssoCpuMedian: number;
  callbackCpuMedian: number;
  storeOpsPerLogin: number;
  storeCounts: StoreCounts;
  upstreamCallsPerLogin: number;
  upstreamCounts: UpstreamCounts;
  concurrency: number;
  seconds: number;
  concurrentLogins: number;
  failedLogins: number;
  loginsPerSec: number;
  /** Share of one core each process used during the concurrent phase. */
  cpuShare: { bridge: number; provider: number; driver: number };
  peakRssMb: number;
  rssAfterMb: number;
  /** The peak so far after the one-at-a-time phase and after every browser's first login. */
  peakRssBeforeMb: { sequential: number; warmUp: number };
  heapAfterMb: { total: number; used: number; external: number };
  /** Logins one at a time (the `cpuPerLogin` ones). */
  bridgeAdded: BridgeAdded;
  /** `IN_FLIGHT` logins in flight. */
  bridgeAddedAt20: BridgeAdded;
  firstResponse: { nameId: string | undefined; attributes: number };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN;
};

export async function runStandalone(
  provider: Helper,
  providerUrl: string,
  serviceProvider: { entityId: string; acsUrl: string },
  options: { sequential: number; concurrency: number; seconds: number; loginsAt20: number; profile: boolean },
): Promise<StandaloneReport> {
  const bridge = await startHelper('./bridge-process.ts', { quiet: true, profile: options.profile ? 'standalone' : undefined, nodeFlags: startFlags() });
  try {
    const { baseUrl } = await bridge.request<{ baseUrl: string }>('start', {
      issuer: providerUrl,
      clientId: STANDALONE_CLIENT.id,
      clientSecret: STANDALONE_CLIENT.secret,
      serviceProvider,
    });
    await provider.request('configure', {
      scheme: 'http',
      clients: [{ client_id: STANDALONE_CLIENT.id, client_secret: STANDALONE_CLIENT.secret, redirect_uris: [`${baseUrl}/oidc/callback`] }],
    });
    const ssoUrl = `${baseUrl}/saml/sso`;
    const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;

    // The first login is checked as a service provider would check it.
    const browser = new Browser(httpTransport, alice);
    const first = await browser.login(ssoUrl, serviceProvider);
    const metadata = await (await fetch(`${baseUrl}/saml/metadata`)).text();
    const certificateBase64 = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!.replace(/\s+/g, '');
    const firstResponse = await verifySamlResponse(first.samlResponse, { certificateBase64, spEntityId: serviceProvider.entityId, acsUrl: serviceProvider.acsUrl });

    // One login at a time.
    for (let i = 0; i < 30; i++) await browser.login(ssoUrl, serviceProvider);
    await bridge.request('reset');
    const before = await bridge.request<BridgeStats>('stats');
    const sequentialLogins: LoginResult[] = [];
    for (let i = 0; i < options.sequential; i++) sequentialLogins.push(await browser.login(ssoUrl, serviceProvider));
    const sequential = await bridge.request<BridgeStats>('stats');
    const bridgeAddedSequential = bridgeAdded(sequentialLogins, await provider.request<Record<string, number>>('backChannel'));
    const sso = sequential.windows.filter((w) => w.path.endsWith('/saml/sso'));
    const callbacks = sequential.windows.filter((w) => w.path.endsWith('/oidc/callback'));
    if (sso.length !== options.sequential || callbacks.length !== options.sequential || callbacks.some((w) => w.status !== 200)) {
      throw new Error(`sequential phase: ${sso.length} SSO and ${callbacks.length} callback requests for ${options.sequential} logins`);
    }
    const cpuPerLogin = sso.map((start, i) => callbacks[i]!.cpuEnd - start.cpuStart);

    // Many logins in flight: every browser signs in at the provider once, then logs in again and again.
    const browsers = Array.from({ length: options.concurrency }, () => new Browser(httpTransport, alice));
    await Promise.all(browsers.map((b) => b.login(ssoUrl, serviceProvider)));
    await bridge.request('reset');
    const bridgeBefore = await bridge.request<BridgeStats>('stats');
    const peakRssBeforeMb = { sequential: sequential.maxRssMb, warmUp: bridgeBefore.maxRssMb };
    const providerBefore = await provider.request<{ cpuMs: number }>('usage');
    const driverBefore = cpuMs();
    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    let completed = 0;
    let failed = 0;
    await Promise.all(
      browsers.map(async (b) => {
        while (performance.now() < deadline) {
          try {
            await b.login(ssoUrl, serviceProvider);
            completed++;
          } catch (error) {
            failed++;
            if (failed <= 3) console.error(`  login failed: ${(error as Error).message.slice(0, 300)}`);
          }
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const bridgeAfter = await bridge.request<BridgeStats>('stats');
    const providerAfter = await provider.request<{ cpuMs: number }>('usage');
    const driverAfter = cpuMs();

    await provider.request('backChannel');
    const loginsAt20 = await loginsInFlight(browsers.slice(0, IN_FLIGHT), options.loginsAt20, ssoUrl, serviceProvider);
    const bridgeAddedAt20 = bridgeAdded(loginsAt20, await provider.request<Record<string, number>>('backChannel'));

    return {
      sequentialLogins: options.sequential,
      cpuPerLogin,
      cpuPerLoginMean: (sequential.cpuMs - before.cpuMs) / options.sequential,
      ssoCpuMedian: median(sso.map((w) => w.cpuEnd - w.cpuStart)),
      callbackCpuMedian: median(callbacks.map((w) => w.cpuEnd - w.cpuStart)),
      storeOpsPerLogin: totalOps(sequential.storeCounts) / options.sequential,
      storeCounts: sequential.storeCounts,
      upstreamCallsPerLogin: totalCalls(sequential.upstreamCounts) / options.sequential,
      upstreamCounts: sequential.upstreamCounts,
      concurrency: options.concurrency,
      seconds: elapsedMs / 1000,
      concurrentLogins: completed,
      failedLogins: failed,
      loginsPerSec: completed / (elapsedMs / 1000),
      cpuShare: {
        bridge: (bridgeAfter.cpuMs - bridgeBefore.cpuMs) / elapsedMs,
        provider: (providerAfter.cpuMs - providerBefore.cpuMs) / elapsedMs,
        driver: (driverAfter - driverBefore) / elapsedMs,
      },
      peakRssMb: bridgeAfter.maxRssMb,
      rssAfterMb: bridgeAfter.rssMb,
      peakRssBeforeMb,
      heapAfterMb: { total: bridgeAfter.memory.heapTotal!, used: bridgeAfter.memory.heapUsed!, external: bridgeAfter.memory.external! },
      bridgeAdded: bridgeAddedSequential,
      bridgeAddedAt20,
      firstResponse,
    };
  } finally {
    await bridge.close();
  }
}

export { median };

export interface BridgeAdded {
  perLogin: number[];
  /** Medians of the parts (and of the whole login, for scale), each on its own. */
  legsMedian: number;
  providerMedian: number;
  wallMedian: number;
}

/**
 * What the bridge adds to each login, in ms: the wall time of the login's two requests to the
 * bridge as the browser sees them (the SSO request, and the callback request up to the whole
 * auto-post page read), minus the provider's own time on the bridge's token and userinfo calls
 * during that callback (each timed in the provider process from the arrival of its headers to its
 * answer handed to the OS). Included: the bridge's CPU and store, its waits for its own event
 * loop, the loopback network and HTTP work of both legs and of its calls to the provider, and the
 * driver's own delay in reading the answers (with many in flight, also the time a call to the
 * provider waits for the provider's busy event loop before its headers are read). Excluded: the
 * browser's own requests to the provider (authorize and its redirects, the login page), which are
 * not bridge time, and the provider's handling of token and userinfo. Warm logins call neither
 * discovery nor the JWKS (both cached), so nothing else is subtracted.
 */
function bridgeAdded(logins: LoginResult[], providerMsByCode: Record<string, number>): BridgeAdded {
  const providerMs = logins.map((login) => {
    const ms = login.authorizationCode === undefined ? undefined : providerMsByCode[login.authorizationCode];
    if (ms === undefined) throw new Error('the provider did not time the token and userinfo requests of a login');
    return ms;
  });
  return {
    perLogin: logins.map((login, i) => login.bridgeLegsMs - providerMs[i]!),
    legsMedian: median(logins.map((login) => login.bridgeLegsMs)),
    providerMedian: median(providerMs),
    wallMedian: median(logins.map((login) => login.wallMs)),
  };
}

/** `total` logins by these browsers, each starting its next login when its last one ends. */
async function loginsInFlight(browsers: Browser[], total: number, ssoUrl: string, sp: ServiceProviderIdentity): Promise<LoginResult[]> {
  const logins: LoginResult[] = [];
  let started = 0;
  await Promise.all(
    browsers.map(async (browser) => {
      while (started < total) {
        started++;
        logins.push(await browser.login(ssoUrl, sp));
      }
    }),
  );
  return logins;
}

/**
 * The Node flags `npm start` runs the standalone server with (V8 heap limits), read from the
 * start script (`scripts/start.mjs`, its `SERVER_ARGS`) so that what is measured is what starts.
 */
function startFlags(): string[] {
  const script = fs.readFileSync(new URL('../scripts/start.mjs', import.meta.url), 'utf8');
  const args = /const SERVER_ARGS = \[([^\]]*)\]/.exec(script);
  if (!args || !args[1]!.includes('dist/src/standalone/main.js')) throw new Error('scripts/start.mjs: SERVER_ARGS does not run dist/src/standalone/main.js');
  return [...args[1]!.matchAll(/'(--[\w-]+(?:=[^']*)?)'/g)].map((m) => m[1]!);
}
