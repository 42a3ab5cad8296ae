import os from 'node:os';
import type { Config } from 'jest';

// The project is native ESM (openid-client v6, jose and oidc-provider are ESM-only), so Jest
// runs in its ESM mode (`--experimental-vm-modules`, set by `npm test`) and SWC only strips
// the TypeScript types; imports stay ES modules.
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  // Source files import siblings as `./x.js` (NodeNext resolution); map them back to `.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // A mutation run's sandboxes (`npm run test:mutation`) hold a copy of the project.
  modulePathIgnorePatterns: ['<rootDir>/\\.stryker-tmp'],
  testTimeout: 30_000,
  // Jest's default (one worker fewer than the cores) runs the suite in one worker on a 2-core
  // machine; the tests spend most of their time waiting on servers, Chromium and the Forge
  // bundle's process rather than computing, so two workers there take the run from 251 s to 174 s.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  // The secret watch: every log line of the whole run (console, stdout, stderr and the bridge's
  // logger) is checked at the end against every secret, code and token the tests saw.
  setupFilesAfterEnv: ['<rootDir>/test/support/secret-watch.ts'],
  globalSetup: '<rootDir>/test/support/secret-watch-setup.cjs',
  globalTeardown: '<rootDir>/test/support/secret-watch-teardown.cjs',
};

export default config;
