import { configDefaults, defineConfig } from "vitest/config";

/**
 * What `npm run test:fast` (`vitest run --mode fast`) leaves out: the runtime
 * matrix, the packaging and README consumers, and the generation pipeline run
 * end to end as a child process. `npm test` runs everything.
 */
const SLOW = [
  "test/runtimes/**",
  "test/package/**",
  "test/readme.test.ts",
  "test/scripts/cli-*.test.ts",
];

export default defineConfig(({ mode }) => ({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...(mode === "fast" ? SLOW : [])],
    // The fast tests mostly wait (timers, loopback servers, a child CLI), so
    // two files at once on two cores; vitest's default would be one.
    ...(mode === "fast" ? { maxWorkers: 2 } : {}),
    reporters: ["default", "./test/summary-reporter.ts"],
    // Builds dist/ once: the CLI and packaging tests run the built package.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
}));
