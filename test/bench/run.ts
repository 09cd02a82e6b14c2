/**
 * `npm run bench [-- part…]`: runs the benchmark parts, prints one table and
 * writes the raw numbers to `test/bench/results/latest.json`.
 *
 * Parts: client, import, size, generate, typecheck, stop-many (all by default,
 * in that order).
 *
 * This is a benchmark, not a test: a missed budget is reported, never an exit
 * code. The exit code is non-zero only when a part could not run.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BENCH_DIR, ROOT, type PartResult, type Row } from "./common.js";

// Each part is loaded when it runs, so one that cannot load does not stop the others.
const PARTS: Record<string, () => Promise<PartResult>> = {
  client: async () => (await import("./client.js")).runClientPart(),
  import: async () => (await import("./startup.js")).runStartupPart(),
  size: async () => (await import("./size.js")).runSizePart(),
  generate: async () => (await import("./generate.js")).runGeneratePart(),
  typecheck: async () => (await import("./typecheck.js")).runTypecheckPart(),
  "stop-many": async () => (await import("./stop-many.js")).runStopManyPart(),
};
const DEFAULT_PARTS = [
  "client",
  "import",
  "size",
  "generate",
  "typecheck",
  "stop-many",
];

const RESULTS_FILE = join(BENCH_DIR, "results", "latest.json");

const HEADERS: Record<keyof Row, string> = {
  part: "part",
  measure: "measure",
  pkg: "this package",
  openapiFetch: "openapi-fetch",
  baseline: "plain fetch / CLI",
  ratio: "ratio",
  budget: "budget",
  met: "met?",
};

/** The rows as a plain-text table with aligned columns. */
export function formatTable(rows: readonly Row[]): string {
  const columns = Object.keys(HEADERS) as (keyof Row)[];
  const cell = (row: Row, column: keyof Row): string => {
    const value = row[column];
    if (column === "met")
      return value === undefined ? "" : value ? "yes" : "NO";
    return String(value);
  };
  const lines = [
    HEADERS as Record<keyof Row, string>,
    ...rows.map((row) =>
      Object.fromEntries(columns.map((c) => [c, cell(row, c)])),
    ),
  ];
  const widths = columns.map((column) =>
    Math.max(...lines.map((line) => [...String(line[column])].length)),
  );
  const render = (line: Record<string, string>): string =>
    columns
      .map((column, index) => String(line[column]).padEnd(widths[index] ?? 0))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("-|-");
  return [
    render(lines[0] as Record<string, string>),
    rule,
    ...lines.slice(1).map((line) => render(line as Record<string, string>)),
  ].join("\n");
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  let commit: string | undefined;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    commit = undefined;
  }
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuList[0]?.model ?? "unknown",
    cpuCount: cpuList.length,
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    loadAverage: loadavg(),
    commit,
  };
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((arg) => arg !== "--");
  const unknown = requested.filter((name) => !(name in PARTS));
  if (unknown.length > 0 || requested.includes("--help")) {
    process.stderr.write(
      `usage: npm run bench [-- ${Object.keys(PARTS).join("|")} …]\n` +
        (unknown.length > 0 ? `unknown part: ${unknown.join(", ")}\n` : ""),
    );
    process.exitCode = 2;
    return;
  }
  const parts = requested.length > 0 ? [...new Set(requested)] : DEFAULT_PARTS;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const seconds: Record<string, number> = {};
  let failed = false;

  for (const name of parts) {
    const run = PARTS[name];
    if (run === undefined) continue;
    const partStarted = performance.now();
    process.stderr.write(`bench: ${name}…\n`);
    try {
      const result = await run();
      rows.push(...result.rows);
      notes.push(...result.notes);
      raw[name] = result.raw;
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      rows.push({
        part: name,
        measure: "FAILED",
        pkg: "",
        openapiFetch: "",
        baseline: "",
        ratio: "",
        budget: "",
        met: undefined,
      });
      notes.push(`${name}: FAILED: ${message.split("\n").join("\n    ")}`);
      raw[name] = { error: message };
    }
    seconds[name] = Number(
      ((performance.now() - partStarted) / 1000).toFixed(1),
    );
    process.stderr.write(`bench: ${name} done in ${seconds[name]} s\n`);
  }

  const totalSeconds = Number(
    ((performance.now() - started) / 1000).toFixed(1),
  );
  const report = {
    startedAt,
    totalSeconds,
    partSeconds: seconds,
    parts,
    machine: machine(),
    table: rows,
    notes,
    results: raw,
  };
  await mkdir(join(BENCH_DIR, "results"), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);

  const info = report.machine;
  process.stdout.write(
    `\nnotte-api-client benchmark: Node ${String(info.node)}, ${String(info.cpuModel)} × ${String(info.cpuCount)}, ` +
      `${totalSeconds} s (${parts.map((name) => `${name} ${seconds[name]} s`).join(", ")})\n\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n\n`);
  for (const note of notes) process.stdout.write(`- ${note}\n`);
  process.stdout.write(`\nraw numbers: ${RESULTS_FILE}\n`);
  if (failed) process.exitCode = 1;
}

process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
