/**
 * Stands in for the rest of the Forge platform the adapter touches, at the same seams the real
 * SDKs use, so `@forge/api` and `@forge/kvs` run unmodified:
 *
 * - `global.__forge_runtime__`: the invocation's runtime (app and installation ids, metrics),
 *   which `webTrigger.getUrl` reads.
 * - `global.__forge_fetch__` for `{ type: 'fpp', provider: 'app', remote: 'stargate' }` at
 *   `/graphql`: the `createWebTriggerUrl` mutation behind `webTrigger.getUrl`.
 * - `global.__forge_fetch__` for `{ type: 'fpp', provider: 'user', remote: 'jira' | 'confluence' }`:
 *   the product REST calls behind `asUser().requestJira/requestConfluence`.
 * - KVS through `installForgeKvsTransport`.
 */
import { manifestEntities } from '../support/manifest-entities.js';
import {
  installForgeKvsTransport,
  type ForgeFetchTarget,
  type ForgeKvsTransport,
} from '../support/forge-kvs-transport.js';

export interface ProductRequest {
  provider: string | undefined;
  remote: string | undefined;
  path: string;
  method: string;
  /** The request's Accept header, as the product received it. */
  accept: string | null;
}

export interface ForgePlatform {
  kvs: ForgeKvsTransport;
  /** Web trigger URLs by module key, as `webTrigger.getUrl` returns them. */
  webTriggerUrls: Map<string, string>;
  /** How often `createWebTriggerUrl` was asked for. */
  webTriggerUrlLookups: number;
  productRequests: ProductRequest[];
  /**
   * What the product says about the calling user. `consentRequired`: the user has not granted
   * the app consent to act as them, which the platform's proxy signals on every `asUser()` call
   * with a 401 and the header `forge-proxy-error: NEEDS_AUTHENTICATION_ERR`.
   */
  user: { jiraAdmin: boolean; confluenceAdmin: boolean; productStatus: number; consentRequired: boolean; productBody?: unknown };
  uninstall(): void;
}

type RuntimeGlobal = typeof globalThis & { __forge_runtime__?: unknown };

export const TEST_WEB_TRIGGER_URL =
  'https://6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b.webtrigger.atlassian.app/public/bridge-0123456789abcdef';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function installForgePlatform(options: { now?: () => number } = {}): ForgePlatform {
  const global = globalThis as RuntimeGlobal;
  const previousRuntime = global.__forge_runtime__;
  const noop = () => {};
  global.__forge_runtime__ = {
    appContext: {
      appId: '00000000-0000-0000-0000-000000000000',
      environmentId: '11111111-1111-1111-1111-111111111111',
      environmentType: 'DEVELOPMENT',
      installationId: '6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      invocationId: 'test-invocation',
    },
    contextAri: 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222',
    proxy: { token: 'test-proxy-token' },
    tracing: { traceId: 'trace', spanId: 'span' },
    lambdaContext: {},
    metrics: {
      counter: () => ({ incr: noop, decr: noop }),
      timing: () => ({ measure: () => ({ stop: noop }) }),
    },
  };

  const platform: ForgePlatform = {
    kvs: undefined as unknown as ForgeKvsTransport,
    webTriggerUrls: new Map([['bridge', TEST_WEB_TRIGGER_URL]]),
    webTriggerUrlLookups: 0,
    productRequests: [],
    user: { jiraAdmin: true, confluenceAdmin: true, productStatus: 200, consentRequired: false },
    uninstall() {
      platform.kvs.uninstall();
      if (previousRuntime === undefined) delete global.__forge_runtime__;
      else global.__forge_runtime__ = previousRuntime;
    },
  };

  const stargate = async (init: RequestInit | undefined): Promise<Response> => {
    const { query, variables } = JSON.parse(String(init?.body)) as {
      query: string;
      variables: { input: { triggerKey: string } };
    };
    if (!query.includes('createWebTriggerUrl')) return json(400, { errors: [{ message: 'unexpected query' }] });
    platform.webTriggerUrlLookups += 1;
    const url = platform.webTriggerUrls.get(variables.input.triggerKey);
    return url ? json(200, { data: { createWebTriggerUrl: { url } } }) : json(200, { data: null, errors: [{ message: 'no such trigger' }] });
  };

  const product = async (target: ForgeFetchTarget, path: string, init: RequestInit | undefined): Promise<Response> => {
    platform.productRequests.push({ provider: target.provider, remote: target.remote, path, method: init?.method ?? 'GET', accept: new Headers(init?.headers).get('accept') });
    if (target.provider === 'user' && platform.user.consentRequired) {
      return new Response(JSON.stringify({ message: 'Authentication required' }), {
        status: 401,
        headers: { 'content-type': 'application/json', 'forge-proxy-error': 'NEEDS_AUTHENTICATION_ERR' },
      });
    }
    if (platform.user.productStatus !== 200) return json(platform.user.productStatus, { errorMessages: ['failure'] });
    // An answer of another shape than the product's documented one (`user.productBody`).
    if ('productBody' in platform.user) return json(200, platform.user.productBody);
    if (target.remote === 'jira' && path === '/rest/api/3/mypermissions?permissions=ADMINISTER') {
      return json(200, {
        permissions: {
          ADMINISTER: { id: '0', key: 'ADMINISTER', type: 'GLOBAL', havePermission: platform.user.jiraAdmin },
        },
      });
    }
    if (target.remote === 'confluence' && path === '/wiki/rest/api/user/current?expand=operations') {
      const operations = [{ operation: 'use', targetType: 'application' }];
      if (platform.user.confluenceAdmin) operations.push({ operation: 'administer', targetType: 'application' });
      return json(200, { type: 'known', accountId: 'user-1', operations });
    }
    return json(404, { errorMessages: ['not found'] });
  };

  platform.kvs = installForgeKvsTransport({
    ...(options.now ? { now: options.now } : {}),
    // The custom entities exist as Forge creates them from the manifest at deploy.
    entities: manifestEntities(),
    other: async (target, path, init) => {
      if (target.type === 'fpp' && target.remote === 'stargate' && path === '/graphql') return stargate(init);
      if (target.type === 'fpp' && (target.remote === 'jira' || target.remote === 'confluence')) return product(target, path, init);
      throw new Error(`forge-platform: no stand-in for ${JSON.stringify(target)} ${path}`);
    },
  });
  return platform;
}
