import { webTrigger } from '@forge/api';
import { composeBridge } from '../src/core/composition.js';
import { storageKeys } from '../src/core/storage-keys.js';
import { documentJson, migrateSettings } from '../src/core/connections/connections-document.js';
import type { Ports } from '../src/core/ports.js';
import { createForgePorts } from '../src/forge/forge-ports.js';
import { createWebTriggerHandler, type WebTriggerEvent } from '../src/forge/web-trigger.js';
import { demoUsers } from '../dev/demo/demo-provider.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL } from '../test/forge/forge-platform.js';
import { countingFetch, countingSecrets, countingStore, emptyStoreCounts, totalCalls, totalOps, type StoreCounts, type UpstreamCounts } from './counting.js';
import { FORGE_CLIENT } from './fixtures.js';
import { cpuMs, serveRequests } from './ipc.js';
import { Browser, httpTransport, type Transport } from './login-driver.js';
import { verifySamlResponse } from './verify.js';

/**
 * Whole logins through the Forge web trigger handler, run under Node with the stand-ins the
 * tests use for the Forge platform (KVS and its secret storage, `webTrigger.getUrl`): the real
 * adapter, Forge ports and core, with the storage ports and fetch counted. The provider is the
 * https one in the provider process (Forge refuses http issuers); this process trusts its
 * certificate through NODE_EXTRA_CA_CERTS.
 */

const platform = installForgePlatform();
const INSTALLATION = 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222';

const storeCounts: StoreCounts = emptyStoreCounts();
const upstreamCounts: UpstreamCounts = {};
const countedPorts = (): Ports => {
  const ports = createForgePorts();
  return {
    ...ports,
    store: countingStore(ports.store, storeCounts),
    secrets: countingSecrets(ports.secrets, storeCounts),
    fetch: countingFetch(ports.fetch, upstreamCounts),
  };
};
const newHandler = () => createWebTriggerHandler({ composeBridge, baseUrl: () => webTrigger.getUrl('bridge'), ports: countedPorts });

let handler = newHandler();
let invocationCpuMs = 0;

/** Requests to the web trigger URL become handler invocations; everything else goes over HTTP. */
const forgeTransport: Transport = async (request) => {
  if (!request.url.href.startsWith(`${TEST_WEB_TRIGGER_URL}/`)) return httpTransport(request);
  const queryParameters: Record<string, string[]> = {};
  for (const [name, value] of request.url.searchParams) (queryParameters[name] ??= []).push(value);
  const event: WebTriggerEvent = {
    method: request.method,
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]])),
    body: request.body ?? '',
    queryParameters,
    path: request.url.pathname,
    userPath: request.url.pathname.slice(new URL(TEST_WEB_TRIGGER_URL).pathname.length),
  };
  const started = cpuMs();
  const response = await handler(event, { installContext: INSTALLATION });
  invocationCpuMs += cpuMs() - started;
  const header = (name: string) => Object.entries(response.headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? [];
  return { status: response.statusCode, location: header('location')[0], setCookies: header('set-cookie'), body: response.body };
};

function snapshot() {
  return { ops: totalOps(storeCounts), counts: { ...storeCounts }, kvsRequests: platform.kvs.requests.length, upstream: totalCalls(upstreamCounts), byPath: { ...upstreamCounts } };
}

function reset() {
  Object.assign(storeCounts, emptyStoreCounts());
  for (const name of Object.keys(upstreamCounts)) delete upstreamCounts[name];
  platform.kvs.requests.length = 0;
  invocationCpuMs = 0;
}

serveRequests({
  async run(request) {
    const { issuer, logins, serviceProvider } = request as unknown as {
      issuer: string;
      logins: number;
      serviceProvider: { entityId: string; acsUrl: string };
    };
    // What the setup wizard stores: the connections document (the settings without the secret
    // and the base URL), and the secret apart.
    const settings = { oidc: { issuer, clientId: FORGE_CLIENT.id, scopes: ['openid', 'email', 'profile'] }, serviceProvider, allowedEmailDomains: ['example.com'] };
    platform.kvs.data.set(storageKeys.connections(), { value: { v: documentJson(migrateSettings(settings)) }, createdAt: Date.now(), updatedAt: Date.now() });
    platform.kvs.secrets.set(storageKeys.clientSecret(), { value: { v: FORGE_CLIENT.secret }, createdAt: Date.now(), updatedAt: Date.now() });

    const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
    const browser = new Browser(forgeTransport, alice);
    const ssoUrl = `${TEST_WEB_TRIGGER_URL}/saml/sso`;

    // A fresh instance: creates the signing key, discovers the provider, signs in at the provider.
    reset();
    const first = await browser.login(ssoUrl, serviceProvider);
    const firstEver = snapshot();

    // A cold instance of an installed app: the key and the configuration exist, the caches are empty.
    handler = newHandler();
    reset();
    await browser.login(ssoUrl, serviceProvider);
    const coldInstance = snapshot();

    for (let i = 0; i < 10; i++) await browser.login(ssoUrl, serviceProvider);
    reset();
    const cpuPerLogin: number[] = [];
    for (let i = 0; i < logins; i++) {
      const before = invocationCpuMs;
      await browser.login(ssoUrl, serviceProvider);
      cpuPerLogin.push(invocationCpuMs - before);
    }
    const warm = snapshot();

    // The response checked as a service provider would, with the certificate from the metadata.
    const metadata = await forgeTransport({ method: 'GET', url: new URL(`${TEST_WEB_TRIGGER_URL}/saml/metadata`), headers: {} });
    const certificateBase64 = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata.body)![1]!.replace(/\s+/g, '');
    const checked = await verifySamlResponse(first.samlResponse, { certificateBase64, spEntityId: serviceProvider.entityId, acsUrl: serviceProvider.acsUrl });
    return { checked, firstEver, coldInstance, warm, logins, cpuPerLogin };
  },
});
