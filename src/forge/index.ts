/**
 * The Forge entry points named in manifest.yml (`forge/index.bridgeTrigger`,
 * `forge/index.adminResolver`). They translate and delegate; the core decides.
 */
import { webTrigger } from '@forge/api';
import { makeResolver } from '@forge/resolver';
import { createBridge } from '../core/bridge.js';
import { systemClock } from '../core/default-ports.js';
import { storageKeys } from '../core/storage-keys.js';
import { ForgeKeyValueStore, ForgeSecretStore } from './kvs-stores.js';
import { requireAdmin, type ResolverContext } from './require-admin.js';
import { createWebTriggerHandler } from './web-trigger.js';

/** The web trigger module's key; its URL is the bridge's base URL. */
export const BRIDGE_TRIGGER_KEY = 'bridge';

export const bridgeTrigger = createWebTriggerHandler({
  createBridge,
  // The URL of the installation being called; the handler keeps it per installation while the
  // instance is warm.
  baseUrl: () => webTrigger.getUrl(BRIDGE_TRIGGER_KEY),
});

interface ResolverRequest {
  payload: unknown;
  context: ResolverContext;
}

export const adminResolver = makeResolver({
  /** Whether the wizard has stored a configuration and the client secret. */
  'config/status': async ({ context }: ResolverRequest): Promise<{ configured: boolean }> => {
    await requireAdmin(context);
    const [config, clientSecret] = await Promise.all([
      new ForgeKeyValueStore(systemClock).get(storageKeys.config()),
      new ForgeSecretStore().getSecret(storageKeys.clientSecret()),
    ]);
    return { configured: config !== undefined && clientSecret !== undefined };
  },
});
