import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The CI-sized load run: `npm run load -- --logins 100 --concurrency 20` (bench/load.ts, the
 * bridge and oidc-provider each in their own process), asserting what must hold at any size:
 * every login completes, no error, no duplicate Response or Assertion ID, every response
 * verified by an independent SP, no login transaction left once expired. Timing is not asserted
 * (the full run's figures are in the README).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run load (CI size)', () => {
  it('completes 100 logins, 20 at a time, with 0 errors, 0 duplicate IDs and 0 leftovers', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bench/load.ts', '--logins', '100', '--concurrency', '20', '--json'], {
      cwd: ROOT,
      timeout: 170_000,
      maxBuffer: 10 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`load run exited ${error.code}:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      logins: 100,
      completed: 100,
      errors: 0,
      verified: 100,
      duplicateResponseIds: 0,
      duplicateAssertionIds: 0,
      transactionsAfterExpiry: 0,
    });
    expect(summary.transactionsAfterRun).toBe(summary.abandoned);
    expect(summary.transactionsPurgedAtExpiry).toBe(summary.abandoned);
  }, 180_000);
});
