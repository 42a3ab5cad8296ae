import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Bridge } from '../../src/core/bridge.js';
import type { BridgeComposition } from '../../src/core/composition.js';
import { ConfigError, type BridgeConfig } from '../../src/core/config.js';
import type { BridgeRequest, BridgeResponse } from '../../src/core/http-types.js';
import type { Logger, LogLevel, Ports } from '../../src/core/ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createStoredDirectorySources } from '../../src/core/connections/directory.js';
import { BridgeError } from '../../src/core/errors.js';
import { createForgePorts } from '../../src/forge/forge-ports.js';
import { bridgeTrigger } from '../../src/forge/index.js';
import { ForgeKeyValueStore, ForgeSecretStore } from '../../src/forge/kvs-stores.js';
import {
  createWebTriggerHandler,
  toBridgeRequest,
  toWebTriggerResponse,
  type WebTriggerEvent,
} from '../../src/forge/web-trigger.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL, type ForgePlatform } from './forge-platform.js';
import { webTrigger } from '@forge/api';

/** What the wizard stores: the configuration without its secret and without the base URL. */
const STORED_CONFIG = {
  oidc: { issuer: 'https://example.okta.com/oauth2/default', clientId: '0oa123' },
  serviceProvider: {
    entityId: 'https://auth.atlassian.com/saml/6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  },
  allowedEmailDomains: ['example.com'],
};

function event(overrides: WebTriggerEvent = {}): WebTriggerEvent {
  return {
    method: 'GET',
    headers: {},
    body: '',
    queryParameters: {},
    path: '/public/bridge-0123456789abcdef/healthz',
    userPath: '/healthz',
    ...overrides,
  };
}

describe('toBridgeRequest', () => {
  it('lower-cases header names and keeps every value of a repeated header', () => {
    const request = toBridgeRequest(
      event({
        headers: {
          'Content-Type': ['application/x-www-form-urlencoded'],
          Cookie: ['a=1', 'b=2'],
          cookie: ['c=3'],
          'X-Forwarded-For': ['203.0.113.7'],
        },
      }),
    );
    expect(request.headers).toEqual({
      'content-type': ['application/x-www-form-urlencoded'],
      cookie: ['a=1', 'b=2', 'c=3'],
      'x-forwarded-for': ['203.0.113.7'],
    });
  });

  it('keeps repeated query parameters and their case', () => {
    const request = toBridgeRequest(
      event({ queryParameters: { SAMLRequest: ['one', 'two'], RelayState: ['https://start.atlassian.com'] } }),
    );
    expect(request.query).toEqual({ SAMLRequest: ['one', 'two'], RelayState: ['https://start.atlassian.com'] });
  });

  it('passes a form body through byte for byte', () => {
    const body = 'SAMLRequest=PHNhbWxwOkF1dGhuUmVxdWVzdC8%2B&RelayState=a%20b%26c%3Dd';
    const request = toBridgeRequest(event({ method: 'post', body, userPath: '/saml/sso' }));
    expect(request).toMatchObject({ method: 'POST', path: '/saml/sso', body });
  });

  it('takes the path from userPath, starting with a slash and without query or fragment', () => {
    expect(toBridgeRequest(event({ userPath: 'saml/metadata' })).path).toBe('/saml/metadata');
    expect(toBridgeRequest(event({ userPath: '/oidc/callback?code=x#y' })).path).toBe('/oidc/callback');
    expect(toBridgeRequest(event({ userPath: '' })).path).toBe('/');
    const { userPath: _omitted, ...withoutUserPath } = event();
    expect(toBridgeRequest(withoutUserPath).path).toBe('/');
  });

  it('fills in what a payload lacks instead of failing', () => {
    expect(toBridgeRequest({})).toEqual({ method: '', path: '/', query: {}, headers: {}, body: '' });
    expect(toBridgeRequest({ headers: { Accept: 'text/html' } as never }).headers).toEqual({ accept: ['text/html'] });
  });

  it('keeps hostile names as plain keys without touching prototypes', () => {
    const request = toBridgeRequest(
      event({ headers: JSON.parse('{"__proto__": ["x"], "constructor": ["y"]}'), queryParameters: JSON.parse('{"__proto__": ["z"]}') }),
    );
    expect(Object.getPrototypeOf(request.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(request.headers, '__proto__')?.value).toEqual(['x']);
    expect(Object.getOwnPropertyDescriptor(request.query, '__proto__')?.value).toEqual(['z']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('toWebTriggerResponse', () => {
  it('turns each header into a one-element list and keeps status and body', () => {
    const response: BridgeResponse = {
      status: 302,
      headers: { Location: 'https://example.okta.com/oauth2/default/v1/authorize?state=s', 'Cache-Control': 'no-store' },
      body: '',
    };
    expect(toWebTriggerResponse(response)).toEqual({
      statusCode: 302,
      headers: {
        Location: ['https://example.okta.com/oauth2/default/v1/authorize?state=s'],
        'Cache-Control': ['no-store'],
      },
      body: '',
    });
  });

  it('refuses a status a web trigger cannot return', () => {
    expect(() => toWebTriggerResponse({ status: 0, headers: {}, body: '' })).toThrow(TypeError);
    expect(() => toWebTriggerResponse({ status: 200.5, headers: {}, body: '' })).toThrow(TypeError);
  });
});

describe('web trigger handler', () => {
  let platform: ForgePlatform;
  let logged: { level: LogLevel; event: string; fields: Record<string, unknown> | undefined }[];

  const recordingLogger: Logger = { log: (level, event, fields) => logged.push({ level, event, fields }) };
  const ports = (): Ports => ({ ...createForgePorts(), logger: recordingLogger });

  /** A stand-in core that records what the adapter hands it. */
  function recordingBridge(answer: (request: BridgeRequest, options: BridgeComposition) => Promise<BridgeResponse>) {
    const seen: { options: BridgeComposition[]; requests: BridgeRequest[] } = { options: [], requests: [] };
    const create = (options: BridgeComposition): Bridge => {
      seen.options.push(options);
      return {
        async handle(request) {
          seen.requests.push(request);
          return answer(request, options);
        },
        signingCredentials: () => Promise.reject(new Error('not used')),
        signingKeyRing: () => Promise.reject(new Error('not used')),
      };
    };
    return { seen, create };
  }

  const ok = async (): Promise<BridgeResponse> => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' });

  beforeEach(() => {
    platform = installForgePlatform();
    logged = [];
  });

  afterEach(() => platform.uninstall());

  it('hands the translated request to the core and translates its answer back', async () => {
    const { seen, create } = recordingBridge(async (request) => ({
      status: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Echo': request.method },
      body: `${request.path} ${request.body}`,
    }));
    const handler = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    const response = await handler(
      event({
        method: 'POST',
        userPath: '/saml/sso',
        headers: { 'Content-Type': ['application/x-www-form-urlencoded'] },
        queryParameters: { a: ['1', '2'] },
        body: 'SAMLRequest=abc%3D&RelayState=xyz',
      }),
      { installContext: 'ari:cloud:jira::site/1' },
    );
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': ['text/plain; charset=utf-8'], 'X-Echo': ['POST'] },
      body: '/saml/sso SAMLRequest=abc%3D&RelayState=xyz',
    });
    expect(seen.requests).toEqual([
      {
        method: 'POST',
        path: '/saml/sso',
        query: { a: ['1', '2'] },
        headers: { 'content-type': ['application/x-www-form-urlencoded'] },
        body: 'SAMLRequest=abc%3D&RelayState=xyz',
      },
    ]);
    expect(seen.options[0]).toMatchObject({ baseUrl: TEST_WEB_TRIGGER_URL, allowLoopbackHttp: false, readOnce: true });
  });

  it('gives the core the stored configuration with the secret merged in and the web trigger URL as base URL', async () => {
    const store = new ForgeKeyValueStore({ now: () => Date.now() });
    await store.set(storageKeys.config(), {
      ...STORED_CONFIG,
      baseUrl: 'https://attacker.example',
      oidc: { ...STORED_CONFIG.oidc, clientSecret: 'not-from-secret-storage' },
    });
    await new ForgeSecretStore().setSecret(storageKeys.clientSecret(), 'from-secret-storage');

    let config: BridgeConfig | undefined;
    const { create } = recordingBridge(async (_request, options) => {
      // What the composition root builds from what the adapter handed it.
      const stored = createStoredDirectorySources({ store: options.ports.store, secrets: options.ports.secrets, baseUrl: options.baseUrl, allowLoopbackHttp: options.allowLoopbackHttp });
      config = await (await stored.directory()).connections[0]?.providers[0]?.config();
      return ok();
    });
    const handler = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    await expect(handler(event())).resolves.toMatchObject({ statusCode: 200 });

    expect(config?.baseUrl).toBe(TEST_WEB_TRIGGER_URL);
    expect(config?.oidc.clientSecret).toBe('from-secret-storage');
    expect(config?.urls).toEqual({
      sso: `${TEST_WEB_TRIGGER_URL}/saml/sso`,
      callback: `${TEST_WEB_TRIGGER_URL}/oidc/callback`,
      metadata: `${TEST_WEB_TRIGGER_URL}/saml/metadata`,
    });
  });

  it('looks the web trigger URL up once per installation and keeps the core caches apart', async () => {
    const { seen, create } = recordingBridge(ok);
    const handler = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    await handler(event(), { installContext: 'ari:cloud:jira::site/1' });
    await handler(event(), { installContext: 'ari:cloud:jira::site/1' });
    expect(platform.webTriggerUrlLookups).toBe(1);
    await handler(event(), { installContext: 'ari:cloud:jira::site/2' });
    expect(platform.webTriggerUrlLookups).toBe(2);
    expect(seen.options[0]!.caches).toBe(seen.options[1]!.caches);
    expect(seen.options[2]!.caches).not.toBe(seen.options[0]!.caches);
    // Without an installation to key them by, nothing is kept.
    await handler(event());
    await handler(event());
    expect(platform.webTriggerUrlLookups).toBe(4);
    expect(seen.options[3]!.caches).not.toBe(seen.options[4]!.caches);
  });

  it('answers a fixed 500 page when the core throws, without the exception in page or log', async () => {
    const { create } = recordingBridge(async () => {
      throw new Error('secret detail from SAMLRequest=abc');
    });
    const handler = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    const response = await handler(event());
    expect(response.statusCode).toBe(500);
    expect(response.headers['Content-Type']).toEqual(['text/html; charset=utf-8']);
    expect(response.body).not.toContain('secret detail');
    expect(response.body).not.toContain(' at ');
    expect(logged).toEqual([{ level: 'error', event: 'forge_adapter_failure', fields: { error: 'Error' } }]);
    expect(JSON.stringify(logged)).not.toContain('secret detail');
  });

  it('answers the fixed 500 page when building the bridge fails or its answer is unusable', async () => {
    const throwing = createWebTriggerHandler({
      composeBridge: () => {
        throw new TypeError('boom');
      },
      baseUrl: () => webTrigger.getUrl('bridge'),
      ports,
    });
    await expect(throwing(event())).resolves.toMatchObject({ statusCode: 500 });

    const { create } = recordingBridge(async () => ({ status: 99, headers: {}, body: '' }));
    const unusable = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    await expect(unusable(event())).resolves.toMatchObject({ statusCode: 500 });
  });

  it('answers the fixed 500 page when the web trigger URL cannot be found', async () => {
    platform.webTriggerUrls.clear();
    const { create } = recordingBridge(ok);
    const handler = createWebTriggerHandler({ composeBridge: create, baseUrl: () => webTrigger.getUrl('bridge'), ports });
    await expect(handler(event())).resolves.toMatchObject({ statusCode: 500 });
  });
});

describe('the stored connections on Forge', () => {
  let platform: ForgePlatform;
  const clock = { now: () => Date.now() };

  beforeEach(() => {
    platform = installForgePlatform();
  });

  afterEach(() => platform.uninstall());

  /** As the web trigger builds it: KVS through the real SDK, the web trigger URL, no loopback http, storage read once. */
  const source = () =>
    createStoredDirectorySources({
      store: new ForgeKeyValueStore(clock),
      secrets: new ForgeSecretStore(),
      baseUrl: TEST_WEB_TRIGGER_URL,
      allowLoopbackHttp: false,
      once: true,
    }).directory;

  it('has no connection while nothing is stored', async () => {
    await expect(source()()).resolves.toEqual({ connections: [], unready: [] });
  });

  it('serves no login while the client secret is missing: "not set up yet", not a broken configuration', async () => {
    // The wizard saves step by step; the secret is read only when a login needs it.
    await new ForgeKeyValueStore(clock).set(storageKeys.config(), STORED_CONFIG);
    const directory = await source()();
    const error = await directory.connections[0]!.providers[0]!.config().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('config_missing');
  });

  it('reports a stored value that is wrong even while others are missing', async () => {
    await new ForgeKeyValueStore(clock).set(storageKeys.config(), { ...STORED_CONFIG, allowedEmailDomains: ['not a domain'] });
    const directory = await source()();
    expect(directory.connections).toEqual([]);
    expect(directory.unready).toEqual([
      expect.objectContaining({ id: 'default', state: 'invalid', problems: [expect.objectContaining({ path: 'providers.default.allowedEmailDomains.0' })] }),
    ]);
  });

  it('never accepts loopback http on Forge', async () => {
    await new ForgeKeyValueStore(clock).set(storageKeys.config(), {
      ...STORED_CONFIG,
      oidc: { ...STORED_CONFIG.oidc, issuer: 'http://127.0.0.1:3000' },
    });
    await new ForgeSecretStore().setSecret(storageKeys.clientSecret(), 's');
    const directory = await source()();
    expect(directory.unready.map((c) => ({ state: c.state, paths: c.problems.map((p) => p.path) }))).toEqual([{ state: 'invalid', paths: ['providers.default.oidc.issuer'] }]);
  });

  it('reports a stored record that is not an object', async () => {
    await new ForgeKeyValueStore(clock).set(storageKeys.config(), 'garbage');
    await expect(source()()).rejects.toBeInstanceOf(ConfigError);
  });

  it('reads storage once per source, and a secret once per directory', async () => {
    await new ForgeKeyValueStore(clock).set(storageKeys.config(), STORED_CONFIG);
    await new ForgeSecretStore().setSecret(storageKeys.clientSecret(), 's');
    const directory = source();
    const before = platform.kvs.requests.length;
    const [a, b] = await Promise.all([directory(), directory()]);
    expect(a).toBe(b);
    const [first, second] = await Promise.all([a.connections[0]!.providers[0]!.config(), b.connections[0]!.providers[0]!.config()]);
    expect(first).toBe(second);
    expect(first.oidc.clientSecret).toBe('s');
    // The connections document (absent), the first release's record it migrates, the secret.
    expect(platform.kvs.requests.length - before).toBe(3);
  });
});

describe('bridgeTrigger with the real core', () => {
  let platform: ForgePlatform;

  beforeEach(() => {
    platform = installForgePlatform();
  });

  afterEach(() => platform.uninstall());

  it('serves /healthz', async () => {
    const response = await bridgeTrigger(event({ userPath: '/healthz' }), { installContext: 'ari:cloud:jira::site/healthz' });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
  });

  it('answers 404 for an unknown path', async () => {
    const response = await bridgeTrigger(event({ userPath: '/nothing-here' }));
    expect(response.statusCode).toBe(404);
    for (const values of Object.values(response.headers)) expect(Array.isArray(values)).toBe(true);
  });

  it('serves metadata under the web trigger URL with a signing key kept in KVS secret storage', async () => {
    const response = await bridgeTrigger(event({ userPath: '/saml/metadata' }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`${TEST_WEB_TRIGGER_URL}/saml/sso`);
    expect(platform.kvs.secrets.has(storageKeys.signingKey())).toBe(true);
    expect(platform.kvs.data.has(storageKeys.signingKey())).toBe(false);
  });
});
