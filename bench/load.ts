import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { demoUsers } from '../dev/demo/demo-provider.js';
import { UserAgent } from '../test/support/user-agent.js';

/**
 * `npm run load [-- --logins N --concurrency C --abandoned A --json]`: whole logins over real
 * HTTP through the standalone server (its own process) against oidc-provider (another process),
 * C at a time, each in a fresh browser (cookie jar) that signs in at the provider's form. Prints
 * logins completed, errors, duplicate Response/Assertion IDs, login transactions left after
 * expiry, latency percentiles of the bridge's own two steps (timed inside the bridge process)
 * and peak memory. Exits non-zero unless errors, duplicates and leftovers are all 0.
 *
 * A logins are abandoned after the SSO step (the user never signs in at the provider): they stay
 * in the store until their expiry, when the purge must remove them.
 */

interface Options {
  logins: number;
  concurrency: number;
  abandoned: number;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { logins: 2_000, concurrency: 100, abandoned: -1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = Number(argv[++i]);
      if (!Number.isInteger(next) || next < 0) throw new Error(`${flag} needs a whole number`);
      return next;
    };
    if (flag === '--logins') options.logins = value();
    else if (flag === '--concurrency') options.concurrency = Math.max(1, value());
    else if (flag === '--abandoned') options.abandoned = value();
    else if (flag === '--json') options.json = true;
    else throw new Error(`unknown flag ${flag} (use --logins N --concurrency C --abandoned A --json)`);
  }
  if (options.abandoned < 0) options.abandoned = Math.ceil(options.logins / 40);
  return options;
}

const SP_ENTITY_ID = 'https://auth.atlassian.test/saml/10ad0000-0000-4000-8000-000000000001';
const ACS_URL = 'https://auth.atlassian.test/login/callback?connection=saml-10ad0000-0000-4000-8000-000000000001';
const CLIENT = { clientId: 'load-client', clientSecret: 'load-client-secret-0123456789abcdef' };
const BUILD_DIR = fileURLToPath(new URL('../node_modules/.cache/oidc-saml-bridge-load/', import.meta.url));

/** Compiles a helper to plain ESM (dependencies stay in node_modules), so it runs on plain Node. */
async function compile(script: string): Promise<string> {
  const outfile = `${BUILD_DIR}${script.replace(/\.ts$/, '.mjs')}`;
  await build({
    entryPoints: [fileURLToPath(new URL(script, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

interface Helper {
  ready: Record<string, unknown>;
  request<T>(type: string): Promise<T>;
  stop(): Promise<void>;
}

async function startHelper(script: string, env: Record<string, string>): Promise<Helper> {
  const child: ChildProcess = fork(await compile(script), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready:\n${stderr}`)));
    child.on('message', (message: { type?: string; id?: number; value?: unknown }) => {
      if (message.type === 'ready') resolve(message as Record<string, unknown>);
      else if (message.id !== undefined) waiting.get(message.id)?.(message.value);
    });
  });
  return {
    ready,
    request<T>(type: string) {
      const id = nextId++;
      return new Promise<T>((resolve) => {
        waiting.set(id, resolve as (value: unknown) => void);
        child.send({ id, type });
      });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: 0, type: 'exit' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

const users = demoUsers.filter((u) => u.email_verified && u.email.endsWith('@example.com'));

interface LoginResult {
  samlResponse: string;
  relayState: string;
  ms: number;
}

/** One whole login in a fresh browser: SP → bridge → provider login form → bridge → auto-post page. */
async function login(sp: SAML, issuer: string, index: number): Promise<LoginResult> {
  const user = users[index % users.length]!;
  const agent = new UserAgent({ stopAt: (url) => url.href.startsWith('https://auth.atlassian.test/') });
  const relayState = `https://start.atlassian.test/?login=${index}`;
  const started = performance.now();
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync(relayState, undefined, {}));
  if (loginPage.status !== 200 || !loginPage.url.startsWith(issuer)) {
    throw new Error(`SSO step: ${loginPage.status} ${loginPage.headers.get('x-bridge-error') ?? ''} at ${loginPage.url}`);
  }
  const page = await agent.submit(loginPage, { fields: { email: user.email, password: user.password } });
  if (page.status !== 200) throw new Error(`callback: ${page.status} ${page.headers.get('x-bridge-error') ?? ''} at ${page.url.split('?')[0]}`);
  const form = page.form('#saml-post');
  const field = (name: string) => form.fields.find(([n]) => n === name)?.[1];
  const samlResponse = field('SAMLResponse');
  if (!samlResponse || form.action !== ACS_URL) throw new Error('no auto-post form to the ACS');
  if (field('RelayState') !== relayState) throw new Error('RelayState changed on the way');
  return { samlResponse, relayState, ms: performance.now() - started };
}

/** One login abandoned after the SSO step: the browser reaches the provider and stops. */
async function abandon(sp: SAML, issuer: string, index: number): Promise<void> {
  const agent = new UserAgent({ stopAt: (url) => url.href.startsWith(issuer) });
  const page = await agent.get(await sp.getAuthorizeUrlAsync(`abandoned-${index}`, undefined, {}));
  if (!page.stopped) throw new Error(`abandoned login ${index} did not reach the provider`);
}

async function pool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (text: string) => {
    if (!options.json) process.stderr.write(`${text}\n`);
  };
  const bridgePort = await freePort();
  const bridgeUrl = `http://127.0.0.1:${bridgePort}`;
  log('Starting oidc-provider and the bridge, each in its own process…');
  const provider = await startHelper('load-provider.ts', { LOAD_PROVIDER: JSON.stringify({ ...CLIENT, redirectUri: `${bridgeUrl}/oidc/callback` }) });
  const issuer = provider.ready.issuer as string;
  const bridge = await startHelper('load-bridge.ts', {
    LOAD_BRIDGE: JSON.stringify({ port: bridgePort, issuer, ...CLIENT, spEntityId: SP_ENTITY_ID, acsUrl: ACS_URL }),
  });
  try {
    const metadata = await (await fetch(`${bridgeUrl}/saml/metadata`)).text();
    const certificate = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!.replace(/\s+/g, '');
    const sp = new SAML({
      entryPoint: `${bridgeUrl}/saml/sso`,
      issuer: SP_ENTITY_ID,
      callbackUrl: ACS_URL,
      audience: SP_ENTITY_ID,
      idpCert: certificate,
      idpIssuer: `${bridgeUrl}/saml/metadata`,
      wantAuthnResponseSigned: true,
      wantAssertionsSigned: true,
      validateInResponseTo: ValidateInResponseTo.always,
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      acceptedClockSkewMs: 5_000,
      requestIdExpirationPeriodMs: 3_600_000,
    });
    // One login first, so the figures are of a warm bridge (provider metadata and JWKS cached,
    // signing key created): what every login after the first of a process sees.
    await login(sp, issuer, 0);
    await bridge.request('reset');

    log(`Running ${options.logins} logins, ${options.concurrency} at a time, and ${options.abandoned} abandoned after the SSO step…`);
    const results: LoginResult[] = [];
    const failures: string[] = [];
    const started = performance.now();
    await Promise.all([
      pool(options.logins, options.concurrency, async (index) => {
        try {
          results.push(await login(sp, issuer, index + 1));
        } catch (error) {
          failures.push((error as Error).message);
        }
      }),
      pool(options.abandoned, Math.max(1, Math.ceil(options.concurrency / 20)), async (index) => {
        try {
          await abandon(sp, issuer, index);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }),
    ]);
    const wallMs = performance.now() - started;

    log('Checking every response with an independent SP (node-saml), IDs, and the store after expiry…');
    const responseIds = new Map<string, number>();
    const assertionIds = new Map<string, number>();
    let verified = 0;
    for (const result of results) {
      const xml = Buffer.from(result.samlResponse, 'base64').toString('utf8');
      const responseId = /<samlp:Response\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
      const assertionId = /<saml:Assertion\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
      responseIds.set(responseId, (responseIds.get(responseId) ?? 0) + 1);
      assertionIds.set(assertionId, (assertionIds.get(assertionId) ?? 0) + 1);
      try {
        await sp.validatePostResponseAsync({ SAMLResponse: result.samlResponse, RelayState: result.relayState });
        verified += 1;
      } catch (error) {
        failures.push(`SP refused a response: ${(error as Error).message}`);
      }
    }
    const duplicates = (ids: Map<string, number>) => [...ids.entries()].reduce((sum, [id, n]) => sum + (id ? n - 1 : n), 0);
    const stats = await bridge.request<{
      sso: number[];
      callback: number[];
      callbackUpstream: number[];
      statuses: Record<string, number>;
      errors: string[];
      cpuMs: number;
      maxRssMb: number;
      peakHeapMb: number;
    }>('stats');
    const storedAfterRun = await bridge.request<number>('count');
    const afterExpiry = await bridge.request<{ purged: number; left: number }>('expire');
    const providerUsage = await provider.request<{ maxRssMb: number; cpuMs: number }>('usage');
    const own = stats.callback.map((ms, i) => ms - (stats.callbackUpstream[i] ?? 0));

    const summary = {
      logins: options.logins,
      concurrency: options.concurrency,
      abandoned: options.abandoned,
      completed: results.length,
      errors: failures.length,
      firstErrors: [...new Set(failures)].slice(0, 5),
      verified,
      duplicateResponseIds: duplicates(responseIds),
      duplicateAssertionIds: duplicates(assertionIds),
      transactionsAfterRun: storedAfterRun,
      transactionsPurgedAtExpiry: afterExpiry.purged,
      transactionsAfterExpiry: afterExpiry.left,
      wallSeconds: wallMs / 1000,
      loginsPerSecond: results.length / (wallMs / 1000),
      latencyMs: {
        sso: summarize(stats.sso),
        callback: summarize(stats.callback),
        callbackProviderWait: summarize(stats.callbackUpstream),
        callbackOwn: summarize(own),
        wholeLogin: summarize(results.map((r) => r.ms)),
      },
      bridgeCpuMsPerLogin: stats.cpuMs / Math.max(1, results.length + options.abandoned),
      peakMemoryMb: { bridgeRss: stats.maxRssMb, bridgeHeap: stats.peakHeapMb, providerRss: providerUsage.maxRssMb, driverRss: process.resourceUsage().maxRSS / 1024 },
      bridgeStatuses: stats.statuses,
      bridgeLogErrors: stats.errors.slice(0, 5),
    };
    if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(render(summary));
    const ok = summary.errors === 0 && summary.duplicateResponseIds === 0 && summary.duplicateAssertionIds === 0 && summary.transactionsAfterExpiry === 0 && summary.completed === options.logins;
    return ok ? 0 : 1;
  } finally {
    await Promise.all([bridge.stop(), provider.stop()]);
  }
}

function render(s: {
  logins: number;
  concurrency: number;
  abandoned: number;
  completed: number;
  errors: number;
  firstErrors: string[];
  verified: number;
  duplicateResponseIds: number;
  duplicateAssertionIds: number;
  transactionsAfterRun: number;
  transactionsPurgedAtExpiry: number;
  transactionsAfterExpiry: number;
  wallSeconds: number;
  loginsPerSecond: number;
  latencyMs: Record<string, ReturnType<typeof summarize>>;
  bridgeCpuMsPerLogin: number;
  peakMemoryMb: Record<string, number>;
}): string {
  const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : '—');
  const row = (label: string, value: string | number) => `  ${label.padEnd(48)} ${value}\n`;
  const lat = (label: string, l: ReturnType<typeof summarize>) =>
    `  ${label.padEnd(48)} ${ms(l.p50).padStart(10)} ${ms(l.p95).padStart(10)} ${ms(l.p99).padStart(10)} ${ms(l.max).padStart(10)}\n`;
  return (
    `\nLoad run: ${s.logins} whole logins, ${s.concurrency} at a time, plus ${s.abandoned} abandoned after the SSO step\n` +
    `(standalone bridge and oidc-provider each in their own process, over HTTP on 127.0.0.1)\n\n` +
    row('logins completed', `${s.completed} of ${s.logins}`) +
    row('errors', s.errors) +
    (s.firstErrors.length ? s.firstErrors.map((e) => row('  e.g.', e)).join('') : '') +
    row('responses verified by node-saml', s.verified) +
    row('duplicate Response IDs', s.duplicateResponseIds) +
    row('duplicate Assertion IDs', s.duplicateAssertionIds) +
    row('login transactions in the store after the run', `${s.transactionsAfterRun} (the abandoned logins)`) +
    row('login transactions left after expiry + purge', s.transactionsAfterExpiry) +
    row('wall time', `${s.wallSeconds.toFixed(1)} s (${s.loginsPerSecond.toFixed(1)} logins/s)`) +
    `\n  ${'latency'.padEnd(48)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}\n` +
    lat('SSO URL: AuthnRequest → redirect (bridge)', s.latencyMs.sso!) +
    lat('callback: code → signed response (bridge)', s.latencyMs.callback!) +
    lat('  of which waiting on the provider', s.latencyMs.callbackProviderWait!) +
    lat("  of which the bridge's own work", s.latencyMs.callbackOwn!) +
    lat('whole login as the browser sees it', s.latencyMs.wholeLogin!) +
    '\n' +
    row('bridge CPU per login', `${s.bridgeCpuMsPerLogin.toFixed(1)} ms`) +
    row('peak memory: bridge process (max RSS)', `${s.peakMemoryMb.bridgeRss!.toFixed(0)} MB (heap peak ${s.peakMemoryMb.bridgeHeap!.toFixed(0)} MB)`) +
    row('peak memory: provider process (max RSS)', `${s.peakMemoryMb.providerRss!.toFixed(0)} MB`) +
    row('peak memory: this driver (max RSS)', `${s.peakMemoryMb.driverRss!.toFixed(0)} MB`) +
    '\n'
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load run failed: ${(error as Error)?.stack ?? error}\n`);
    process.exit(2);
  },
);
