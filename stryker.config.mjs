// @ts-check
/**
 * Mutation testing over the modules that decide who signs in (issue 10 item 6): every check
 * that refuses a login must have a test that fails when the check is changed. Run with
 * `npm run test:mutation`; the HTML and JSON reports go to reports/mutation/ (gitignored).
 * Mutants that survive and are harmless are listed, with the reason, in SECURITY.md.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
/**
 * The fast, in-process tests that decide the score: pure functions, or the core over memory
 * ports with the stub provider and the Forge platform stand-in, and the in-process login flows
 * below. No child processes or Chromium, so one mutant costs seconds. Run them alone with
 * `node --experimental-vm-modules node_modules/jest/bin/jest.js <these files>`.
 */
export const MUTATION_TESTS = [
  'test/unit/upstream-oidc/**/*.test.ts',
  'test/unit/downstream-saml/authn-request.test.ts',
  'test/unit/core/login/**/*.test.ts',
  'test/unit/core/audit/login-attempts.test.ts',
  'test/admin/config-resolvers.test.ts',
  'test/admin/secret-rebinding.test.ts',
  'test/admin/owners.test.ts',
  'test/admin/saved-config.test.ts',
  // config-save's draft path and the landing-page check (both in-process).
  'test/admin/draft-apply.test.ts',
  'test/admin/idp-initiated-settings.test.ts',
  'test/forge/admin-resolver.test.ts',
];

/**
 * A run over part of the modules (`--mutate`) can keep its own reports and sandbox, so two parts
 * can run side by side: `STRYKER_PART=login npx stryker run --mutate ...`.
 */
const part = process.env.STRYKER_PART ? `-${process.env.STRYKER_PART}` : '';

const config = {
  testRunner: 'jest',
  // The project's Jest is native ESM (`--experimental-vm-modules`, as `npm test` runs it).
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.ts',
    // The project's Jest configuration, narrowed to the fast tests. The whole-suite secret watch
    // (global setup, teardown and per-file hooks) stays with `npm test`: it guards log lines,
    // which these mutants do not write differently, and it would slow every run.
    config: {
      testMatch: MUTATION_TESTS.map((glob) => `<rootDir>/${glob}`),
      // Jest crawls its roots on every run; node_modules is not one (imports still resolve there).
      roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/dev'],
      reporters: ['default'],
      setupFilesAfterEnv: [],
      globalSetup: undefined,
      globalTeardown: undefined,
      maxWorkers: 1,
    },
    enableFindRelatedTests: false,
  },
  checkers: ['typescript'],
  plugins: ['@stryker-mutator/*', './scripts/stryker-log-detail-ignorer.mjs'],
  ignorers: ['log-detail'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/upstream-oidc/user-from-claims.ts',
    'src/upstream-oidc/access-rule.ts',
    'src/downstream-saml/authn-request.ts',
    'src/core/login/steps/*.ts',
    'src/core/login/transaction.ts',
    'src/core/login/sp-login.ts',
    'src/core/login/idp-login.ts',
    'src/core/admin/config-save.ts',
    'src/forge/require-admin.ts',
  ],
  ignorePatterns: ['dist', 'static/admin/build', 'reports', 'test-artifacts', '.data', 'coverage', 'docs', 'bench'],
  // Two cores, shared with everything else: two test runners (and as many checkers).
  concurrency: 2,
  // A rerun tests only the mutants whose code or covering tests changed since the last run.
  incremental: true,
  incrementalFile: `reports/mutation/stryker-incremental${part}.json`,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/index${part}.html` },
  jsonReporter: { fileName: `reports/mutation/mutation${part}.json` },
  tempDirName: `.stryker-tmp${part}`,
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 90, break: 90 },
};

export default config;
