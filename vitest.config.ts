import { configDefaults, defineConfig } from "vitest/config";

/**
 * What `npm run test:fast` (`vitest run --mode fast`) leaves out: everything
 * that runs the package in another process (the runtime matrix, the packaging
 * and README consumers, the command line, the generation pipeline run end to
 * end), so it needs no `dist/` either. `npm test` runs everything.
 */
const SLOW = [
  "test/runtimes/**",
  "test/package/**",
  "test/readme.test.ts",
  "test/scripts/cli-*.test.ts",
  "test/src/cli.test.ts",
  "test/src/cli-batch.test.ts",
  "test/testing/cli.test.ts",
];

export default defineConfig(({ mode }) => ({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...(mode === "fast" ? SLOW : [])],
    // The fast tests mostly wait (timers, loopback servers), so three files
    // at once on two cores; vitest's default would be one.
    ...(mode === "fast" ? { maxWorkers: 3 } : {}),
    reporters: ["default", "./test/summary-reporter.ts"],
    // Builds dist/ once: the CLI and packaging tests run the built package.
    globalSetup: mode === "fast" ? [] : ["test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
}));
