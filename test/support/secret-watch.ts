import { afterAll, expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { installSecretWatch } from './secret-watch-core.js';

/**
 * The whole-suite secret watch, as a Jest `setupFilesAfterEnv` file: in every test file it
 * records every log line and every secret seen on the wire (see secret-watch-core.ts) and, after
 * the file, writes them to the directory test/support/secret-watch-setup.cjs created. The
 * globalTeardown (secret-watch-teardown.cjs) checks all of them together and fails the run on
 * a leak. Without BRIDGE_SECRET_WATCH_DIR (no globalSetup) it does nothing.
 */
const dir = process.env.BRIDGE_SECRET_WATCH_DIR;
if (dir) {
  const watch = installSecretWatch();
  afterAll(async () => {
    await watch.settle();
    watch.uninstall();
    const file = path.join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify({ testPath: expect.getState().testPath, lines: watch.lines, secrets: watch.secrets }));
  });
}
