import type { Ports } from './ports.js';

/**
 * A short id a person can read out to an admin, e.g. `R-4F7K-2M9Q`: the same form as the
 * bridge's error pages, so a resolver's log line is found the same way.
 */
export function newReference(ports: Pick<Ports, 'random'>): string {
  const raw = ports.random.token(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X');
  return `R-${raw.slice(0, 4)}-${raw.slice(4, 8)}`;
}
