import type { ConfigSource } from '../core/bridge.js';
import { parseConfig } from '../core/config.js';
import type { KeyValueStore, SecretStore } from '../core/ports.js';
import { storageKeys } from '../core/storage-keys.js';

export interface ForgeConfigSourceOptions {
  store: KeyValueStore;
  secrets: SecretStore;
  /** The web trigger URL (`webTrigger.getUrl('bridge')`), the only base URL the bridge may use on Forge. */
  baseUrl: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The configuration the wizard stored: the record at `storageKeys.config()` with the client
 * secret from secret storage merged in and the base URL forced to the web trigger's URL, parsed
 * with `allowLoopbackHttp: false`. Undefined while nothing is stored; a stored record that does
 * not parse throws `ConfigError` for the core to report. Read once per source (one invocation).
 */
export function createForgeConfigSource(options: ForgeConfigSourceOptions): ConfigSource {
  let loaded: ReturnType<ConfigSource> | undefined;
  return () => (loaded ??= load(options));
}

async function load({ store, secrets, baseUrl }: ForgeConfigSourceOptions) {
  const raw = await store.get(storageKeys.config());
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) return parseConfig(raw, { allowLoopbackHttp: false });
  const clientSecret = await secrets.getSecret(storageKeys.clientSecret());
  // The secret only ever comes from secret storage: a clientSecret that slipped into the plain
  // record is overwritten, and a non-object `oidc` is left for the parser to report.
  const oidc = raw.oidc === undefined ? {} : raw.oidc;
  const merged = {
    ...raw,
    baseUrl,
    oidc: isRecord(oidc) ? { ...oidc, clientSecret } : oidc,
  };
  return parseConfig(merged, { allowLoopbackHttp: false });
}
