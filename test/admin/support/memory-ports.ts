import type { AdminHost } from '../../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../../src/core/admin/admin-context.js';
import { cryptoRandom } from '../../../src/core/default-ports.js';
import type { Fetch, Json, KeyValueStore, Logger, Ports, SecretStore } from '../../../src/core/ports.js';
import { createSigningKey, toCredentials, type SigningCredentials } from '../../../src/downstream-saml/signing-key.js';
import type { LogRecord } from '../../support/login-harness.js';

/** In-memory ports with a clock a test can move: the resolvers' unit tests need nothing else. */
export class MemoryStore implements KeyValueStore, SecretStore {
  readonly data = new Map<string, { value: string; expiresAt?: number }>();
  readonly secrets = new Map<string, string>();
  constructor(private readonly now: () => number) {}

  async get<T extends Json>(key: string): Promise<T | undefined> {
    const entry = this.data.get(key);
    if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= this.now())) return undefined;
    return JSON.parse(entry.value) as T;
  }

  async set(key: string, value: Json, options: { ttlSeconds?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    if (options.ifAbsent && (await this.get(key)) !== undefined) return false;
    this.data.set(key, { value: JSON.stringify(value), ...(options.ttlSeconds ? { expiresAt: this.now() + options.ttlSeconds * 1000 } : {}) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async take<T extends Json>(key: string): Promise<T | undefined> {
    const value = await this.get<T>(key);
    this.data.delete(key);
    return value;
  }

  async getSecret<T extends Json>(key: string): Promise<T | undefined> {
    const value = this.secrets.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  async setSecret(key: string, value: Json): Promise<void> {
    this.secrets.set(key, JSON.stringify(value));
  }

  async deleteSecret(key: string): Promise<void> {
    this.secrets.delete(key);
  }
}

let sharedCredentials: Promise<SigningCredentials> | undefined;

export interface MemoryAdmin {
  ctx: AdminContext;
  store: MemoryStore;
  logs: LogRecord[];
  clock: { now: number };
}

/** An admin context on memory ports; `fetch` fails unless given. The host is the standalone
 * server when loopback http is allowed (as there), else Forge, unless given. */
export function memoryAdmin(
  options: { allowLoopbackHttp?: boolean; fetch?: Fetch; actor?: string; baseUrl?: string; host?: AdminHost } = {},
): MemoryAdmin {
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
  const store = new MemoryStore(() => clock.now);
  const logs: LogRecord[] = [];
  const logger: Logger = { log: (level, event, fields) => logs.push({ level, event, fields: { ...fields } }) };
  const ports: Ports = {
    store,
    secrets: store,
    clock: { now: () => clock.now },
    random: cryptoRandom,
    logger,
    fetch: options.fetch ?? (async () => Promise.reject(new TypeError('fetch failed'))),
  };
  sharedCredentials ??= createSigningKey({ now: () => Date.now() }, 'bridge.example.net').then(toCredentials);
  return {
    ctx: {
      ports,
      baseUrl: options.baseUrl ?? 'https://bridge.example.net',
      allowLoopbackHttp: options.allowLoopbackHttp ?? false,
      host: options.host ?? (options.allowLoopbackHttp ? 'standalone' : 'forge'),
      actor: options.actor ?? 'admin-1',
      signingCredentials: () => sharedCredentials!,
    },
    store,
    logs,
    clock,
  };
}
