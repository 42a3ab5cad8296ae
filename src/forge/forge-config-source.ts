import type { ConfigSource } from '../core/bridge.js';
import type { KeyValueStore, SecretStore } from '../core/ports.js';
import { createStoredConfigSources, type StoredConfigOptions, type StoredConfigSources } from '../core/stored-config.js';

export interface ForgeConfigSourceOptions {
  store: KeyValueStore;
  secrets: SecretStore;
  /** The web trigger URL (`webTrigger.getUrl('bridge')`), the only base URL the bridge may use on Forge. */
  baseUrl: string;
  /** The installation's caches: the last configuration read, by revision. */
  cache?: StoredConfigOptions['cache'];
}

/**
 * The configuration the wizard stored (`stored-config.ts`), with the web trigger's URL as base
 * URL and `allowLoopbackHttp: false`. Built per invocation, so storage is read at most once per
 * invocation and a saved change applies from the next one.
 */
export function createForgeConfigSources(options: ForgeConfigSourceOptions): StoredConfigSources {
  return createStoredConfigSources({ ...options, allowLoopbackHttp: false, once: true });
}

/** The whole configuration only (see `createForgeConfigSources`). */
export function createForgeConfigSource(options: ForgeConfigSourceOptions): ConfigSource {
  return createForgeConfigSources(options).config;
}
