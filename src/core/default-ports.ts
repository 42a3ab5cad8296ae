import { randomBytes } from 'node:crypto';
import type { Clock, Logger, RandomSource } from './ports.js';

/** Ports that are the same on every host. */

export const systemClock: Clock = { now: () => Date.now() };

export const cryptoRandom: RandomSource = {
  token: (bytes = 32) => randomBytes(bytes).toString('base64url'),
};

/** One JSON object per line on stdout/stderr: what Forge's log viewer and most log shippers read. */
export function jsonLogger(write: (line: string, level: string) => void = defaultWrite): Logger {
  return {
    log(level, event, fields) {
      write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }), level);
    },
  };
}

function defaultWrite(line: string, level: string): void {
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}
