import { webTrigger } from '@forge/api';
import { composeBridge } from '../../src/core/composition.js';
import type { Logger } from '../../src/core/ports.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createForgePorts } from '../../src/forge/forge-ports.js';
import { ForgeKeyValueStore, ForgeSecretStore } from '../../src/forge/kvs-stores.js';
import { createWebTriggerHandler, type WebTriggerEvent, type WebTriggerResponse } from '../../src/forge/web-trigger.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL, type ForgePlatform } from '../forge/forge-platform.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from './login-harness.js';
import { recordingLogger } from './memory-ports.js';
import { authnRequestXml, redirectEncode } from './refusals.js';
import { createStubProvider, type StubProvider } from './stub-provider.js';

/**
 * The bridge as it runs on Forge: the real web trigger handler, `@forge/kvs` against the KVS
 * stand-in (which can fail reads and writes on demand) and the stub provider behind the fetch
 * port (Forge's egress is https only, so the HTTP `oidc-provider` cannot stand in here).
 */

export const FORGE_ISSUER = 'https://idp.test';

export interface ForgeBridge {
  platform: ForgePlatform;
  provider: StubProvider;
  logger: ReturnType<typeof recordingLogger>;
  invoke(event: WebTriggerEvent): Promise<WebTriggerResponse>;
  /** Stores the wizard's settings (the provider, SP and domains) and the client secret. */
  storeConfig(overrides?: Record<string, unknown>): Promise<void>;
  clearConfig(): Promise<void>;
  /** A valid AuthnRequest at the SSO URL. */
  sso(relayState?: string): Promise<WebTriggerResponse>;
  /** The provider's return to the callback, with the binding cookie the SSO answer set. */
  callback(query: Record<string, string[]>, cookie?: string): Promise<WebTriggerResponse>;
  /** Keys of login transactions KVS holds that still read as live (not expired, not taken). */
  loginKeys(): string[];
  /** Serves the next invocations from a new function instance (nothing cached), as Forge may. */
  restart(): void;
  uninstall(): void;
}

export async function forgeBridge(): Promise<ForgeBridge> {
  const platform = installForgePlatform();
  const provider = await createStubProvider({
    issuer: FORGE_ISSUER,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: `${TEST_WEB_TRIGGER_URL}/oidc/callback`,
  });
  const logger = recordingLogger();
  const newHandler = () =>
    createWebTriggerHandler({
      composeBridge,
      baseUrl: () => webTrigger.getUrl('bridge'),
      ports: () => ({ ...createForgePorts({ fetch: provider.fetch }), logger: logger as Logger }),
    });
  let handler = newHandler();
  const invoke = (event: WebTriggerEvent) => handler(event, { installContext: 'ari:cloud:jira::site/security-tests' });
  const bridge: ForgeBridge = {
    platform,
    provider,
    logger,
    invoke,
    async storeConfig(overrides = {}) {
      await new ForgeKeyValueStore({ now: () => Date.now() }).set(storageKeys.config(), {
        oidc: { issuer: FORGE_ISSUER, clientId: CLIENT_ID },
        serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
        allowedEmailDomains: ['example.com'],
        ...overrides,
      });
      await new ForgeSecretStore().setSecret(storageKeys.clientSecret(), CLIENT_SECRET);
    },
    async clearConfig() {
      platform.kvs.data.delete(storageKeys.config());
      platform.kvs.data.delete(storageKeys.connections());
      platform.kvs.secrets.delete(storageKeys.clientSecret());
    },
    sso(relayState = 'relay') {
      return invoke({
        method: 'GET',
        headers: {},
        body: '',
        queryParameters: { SAMLRequest: [redirectEncode(authnRequestXml())], RelayState: [relayState] },
        userPath: '/saml/sso',
      });
    },
    callback(query, cookie) {
      return invoke({ method: 'GET', headers: cookie ? { cookie: [cookie] } : {}, body: '', queryParameters: query, userPath: '/oidc/callback' });
    },
    loginKeys() {
      const prefix = storageKeys.login('');
      return [...platform.kvs.data.entries()]
        .filter(([key, entry]) => {
          const value = entry.value as { v?: unknown; taken?: boolean; exp?: number } | undefined;
          return key.startsWith(prefix) && value !== undefined && !value.taken && 'v' in value && (value.exp === undefined || value.exp > Date.now());
        })
        .map(([key]) => key);
    },
    restart() {
      handler = newHandler();
    },
    uninstall() {
      platform.uninstall();
    },
  };
  await bridge.storeConfig();
  return bridge;
}
