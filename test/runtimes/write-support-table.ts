/**
 * `npm run support-table`: writes the matrix's last run (from `npm test`, or
 * `npx vitest run test/runtimes`) into the support table of docs/runtimes.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { root } from "../package/consumer.js";
import {
  RESULTS_FILE,
  renderSupportTable,
  withSupportTable,
  type RowResult,
} from "./support-table.js";

async function main(): Promise<void> {
  const results = JSON.parse(
    await readFile(RESULTS_FILE, "utf8").catch(() => {
      throw new Error(
        `no results in ${RESULTS_FILE}: run the matrix first (npx vitest run test/runtimes)`,
      );
    }),
  ) as RowResult[];
  const readmePath = join(root, "docs", "runtimes.md");
  const readme = await readFile(readmePath, "utf8");
  await writeFile(
    readmePath,
    withSupportTable(readme, renderSupportTable(results)),
  );
  process.stdout.write(
    `docs/runtimes.md: support table from ${results.length} rows\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `support-table: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
