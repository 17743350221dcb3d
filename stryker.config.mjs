// @ts-check
// Mutation testing (StrykerJS, mocha runner, TypeScript checker) of the runner's evaluation code and core's preprocessing:
// `npm run mutation` (not part of `npm test` or CI; a few minutes on one core). The score is reported in
// packages/core/README.md. Stryker mutates the TypeScript sources in a sandbox copy, `buildCommand` compiles them, and
// mocha runs the compiled unit tests that cover these files.

/** The package holding the evaluation code (metrics, baselines, folds) and its unit tests. */
const EVAL_PACKAGE = 'packages/runner';

const PACKAGES = [...new Set([EVAL_PACKAGE, 'packages/core'])];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/mocha-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'mocha',
  checkers: ['typescript'],
  tsconfigFile: `${EVAL_PACKAGE}/tsconfig.json`,
  mutate: [
    `${EVAL_PACKAGE}/src/eval/{metrics,baselines,folds}.ts`,
    'packages/core/src/preprocess/{normalize,windows,labels,resample}.ts',
  ],
  // Only what the build and the tests need goes into the sandbox (node_modules is linked, not copied).
  ignorePatterns: ['/*', '!/package.json', '!/tsconfig.base.json', '!/packages', '/packages/*', ...PACKAGES.flatMap((p) => [`!/${p}`, `/${p}/dist`])],
  buildCommand: `npx tsc -b ${PACKAGES.map((p) => `${p}/tsconfig.json`).join(' ')}`,
  mochaOptions: {
    'no-config': true,
    'no-package': true,
    spec: [
      ...['metrics', 'feature-baseline'].map((s) => `${EVAL_PACKAGE}/dist/test/${s}.spec.js`),
      ...['preprocess', 'normalize'].map((s) => `packages/core/dist/test/${s}.spec.js`),
    ],
  },
  coverageAnalysis: 'perTest',
  // The machine is shared: one test runner and one checker.
  concurrency: 1,
  timeoutMS: 5000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Results are kept in reports/mutation/stryker-incremental.json: a later run tests only mutants whose code or tests changed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
};
