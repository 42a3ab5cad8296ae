import { cryptoRandom, jsonLogger, systemClock } from '../core/default-ports.js';
import type { Clock, Fetch, Ports } from '../core/ports.js';
import { forgeFetchPort } from './forge-fetch.js';
import { ForgeKeyValueStore, ForgeSecretStore } from './kvs-stores.js';

/**
 * The ports for one invocation: KVS storage, the system clock, `node:crypto` randomness, JSON
 * log lines on the console (what Forge's log viewer shows) and fetch through Forge's egress proxy.
 */
export function createForgePorts(overrides: { fetch?: Fetch; clock?: Clock } = {}): Ports {
  const clock = overrides.clock ?? systemClock;
  return {
    store: new ForgeKeyValueStore(clock),
    secrets: new ForgeSecretStore(),
    clock,
    random: cryptoRandom,
    logger: jsonLogger(),
    fetch: overrides.fetch ?? forgeFetchPort(),
  };
}
