/**
 * The "Supported runtimes and TypeScript versions" table of docs/runtimes.md, rendered
 * from the runtime matrix's last run: the matrix records what each row ran
 * (the version it reported) and whether it passed; `npm run support-table`
 * writes the table between the page's markers, and the matrix checks that
 * the page says what the run found.
 */
import { join } from "node:path";
import { root } from "../package/consumer.js";

/** One row's outcome in a run. */
export interface RowResult {
  readonly id: string;
  /** The runtime or compiler, as the support table names it. */
  readonly name: string;
  /** The version it reported. */
  readonly version: string;
  /** What was checked there. */
  readonly checks: string;
  readonly passed: boolean;
}

/** Where the matrix writes its last run (gitignored). */
export const RESULTS_FILE = join(root, ".tmp", "runtime-matrix.json");

const START =
  "<!-- support-table:start (npm run support-table writes this) -->";
const END = "<!-- support-table:end -->";

/** The Markdown table for a run, rows in matrix order. */
export function renderSupportTable(results: readonly RowResult[]): string {
  const rows = results.map((result) => [
    result.name,
    result.version,
    result.checks,
    result.passed ? "passes" : "**fails**",
  ]);
  const header = ["runtime / compiler", "version", "checked", "last run"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
  ].join("\n");
}

/** The table currently between the page's markers. */
export function supportTableOf(page: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start === -1 || end < start) {
    throw new Error(`docs/runtimes.md has no ${START} … ${END} markers`);
  }
  return page.slice(start + START.length, end).trim();
}

/** The page with `table` between its markers. */
export function withSupportTable(page: string, table: string): string {
  supportTableOf(page); // the markers exist
  const start = page.indexOf(START) + START.length;
  return `${page.slice(0, start)}\n\n${table}\n\n${page.slice(page.indexOf(END))}`;
}
