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
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};

export default config;
