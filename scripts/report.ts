/**
 * What a pull found, rendered (pure): text for a terminal, Markdown for a pull
 * request (within GitHub's limit, saying what it leaves out), JSON for machines.
 */
import type { DocumentDiff } from "./diff.js";
import { printable } from "./document.js";
import type { Change, Level } from "./rules.js";
import { formatBytes } from "./source.js";
import type { WriteResult } from "./write.js";

/** Everything a report says about one pull. */
export interface PullReport {
  /** The source as shown (a URL without credentials, or a path), its size, its operations. */
  readonly source: string;
  readonly bytes: number;
  readonly operationsInDocument: number;
  /** The configured operations kept; those the previous openapi.json had and upstream dropped. */
  readonly kept: readonly string[];
  readonly removedUpstream: readonly string[];
  readonly diff: DocumentDiff;
  /** Whether openapi.json changed (or would, in a dry run); what was written, if anything. */
  readonly documentChanged: boolean;
  readonly dryRun: boolean;
  readonly files: WriteResult | undefined;
  /** One line each: what was tolerated, and hints. */
  readonly warnings: readonly string[];
}

/** The formats of the report. */
export const REPORT_FORMATS = ["text", "json", "markdown"] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The JSON report (`--report-format json`); docs/regenerating.md describes each field. */
export type JsonReport = ReturnType<typeof toJson>;

/** GitHub refuses a pull request body longer than this. */
const MARKDOWN_LIMIT = 65_536;

/** The report in `format`, ending with a line break. */
export function renderReport(report: PullReport, format: ReportFormat): string {
  if (format === "json") return `${JSON.stringify(toJson(report), null, 2)}\n`;
  return format === "markdown" ? markdown(report) : text(report);
}

function toJson(report: PullReport) {
  const { diff } = report;
  return {
    format: "notte-api-client/pull-report@2" as const,
    source: report.source,
    bytes: report.bytes,
    title: diff.current.title,
    versions: {
      previous: diff.previous?.version ?? null,
      current: diff.current.version,
    },
    operations: {
      kept: report.kept,
      removedUpstream: report.removedUpstream,
      inDocument: report.operationsInDocument,
    },
    bump: diff.bump,
    breaking: ofLevel(diff.changes, "breaking").length,
    documentChanged: report.documentChanged,
    dryRun: report.dryRun,
    changes: diff.changes.map((c) => ({
      ...c,
      breaking: c.level === "breaking",
    })),
    files: report.files ?? null,
    warnings: report.warnings,
  };
}

const SECTIONS: readonly [Level, string][] = [
  ["breaking", "Breaking changes"],
  ["non-breaking", "Other changes"],
  ["documentation", "Documentation changes"],
];

const ofLevel = (changes: readonly Change[], level: Level) =>
  changes.filter((change) => change.level === level);

/** `3 breaking, 1 other, 2 documentation`. */
function tally(changes: readonly Change[]): string {
  const count = (level: Level) => ofLevel(changes, level).length;
  return `${count("breaking")} breaking, ${count("non-breaking")} other, ${count("documentation")} documentation`;
}

/** What a change reaches: `agent_stop, agent_status` (the first `max`, then how many more), or the document. */
function reach(change: Change, show = (name: string) => name, max = 10) {
  const { operations } = change;
  return operations.length > 0 ? few(operations.map(show), max) : "document";
}

function versions(diff: DocumentDiff): string {
  const { previous, current } = diff;
  if (previous === undefined) return current.version;
  return previous.version === current.version
    ? `${current.version}, unchanged`
    : `${previous.version} → ${current.version}`;
}

function text(report: PullReport): string {
  const { diff } = report;
  const lines = [
    `Pulled ${report.source}: ${diff.current.title} ${diff.current.version}, ${formatBytes(report.bytes)}; ` +
      `kept ${report.kept.length} of ${report.operationsInDocument} operations (${few(report.kept)})`,
  ];
  if (report.removedUpstream.length > 0)
    lines.push(
      `Removed upstream: ${report.removedUpstream.join(", ")} (listed in openapi.operations)`,
    );
  for (const warning of report.warnings) lines.push(`Warning: ${warning}`);
  if (diff.previous === undefined)
    lines.push("No previous openapi.json to compare with.");
  else {
    lines.push(
      `Changes since the previous openapi.json (info.version ${versions(diff)}): ${tally(diff.changes)} (semver ${diff.bump})`,
    );
    for (const [level, title] of SECTIONS) {
      const changes = ofLevel(diff.changes, level);
      if (changes.length > 0) lines.push(`${title}:`);
      // A terminal line is kept readable; the JSON report has the message whole.
      for (const c of changes)
        lines.push(`  - ${shorten(c.message, 300)} [${reach(c)}]`);
    }
  }
  if (report.files === undefined) {
    const would = report.documentChanged ? "would change" : "would not change";
    lines.push(
      report.dryRun
        ? `dry run: nothing written; openapi.json ${would} (semver ${diff.bump})`
        : "nothing written",
    );
  } else {
    for (const path of report.files.written) lines.push(`wrote ${path}`);
    for (const path of report.files.removed) lines.push(`removed ${path}`);
    if (report.files.unchanged.length > 0)
      lines.push(`unchanged: ${report.files.unchanged.join(", ")}`);
  }
  return `${lines.map(printable).join("\n")}\n`;
}

/** The body of the pull request the scheduled workflow keeps, within {@link MARKDOWN_LIMIT}. */
function markdown(report: PullReport): string {
  const { diff } = report;
  const breaking = ofLevel(diff.changes, "breaking");
  const head = [
    `## ${escape(diff.current.title)}: upstream OpenAPI changes (${escape(versions(diff))})`,
    "",
    breaking.length > 0
      ? `**Breaking: ${breaking.length} change${breaking.length === 1 ? " breaks" : "s break"} callers of the kept operations** (semver \`${diff.bump}\`).`
      : `No breaking changes (semver \`${diff.bump}\`).`,
    "",
    `Source: ${code(report.source)}, ${formatBytes(report.bytes)}; kept ${report.kept.length} of ${report.operationsInDocument} operations: ${few(report.kept.map(code)) || "none"}. Changes: ${tally(diff.changes)}.`,
  ];
  if (report.removedUpstream.length > 0)
    head.push(
      "",
      `**Removed upstream:** ${report.removedUpstream.map(code).join(", ")}. Nothing was written: to accept, remove them from \`openapi.operations\` in package.json.`,
    );
  for (const warning of report.warnings)
    head.push("", `Warning: ${escape(warning)}`);
  const tail: string[] = [];
  if (report.files !== undefined && report.files.written.length > 0)
    tail.push(
      "",
      `Files written: ${[...report.files.written, ...report.files.removed].map(code).join(", ")}.`,
    );
  // Room for the line saying what was left out, should anything be.
  let room = MARKDOWN_LIMIT - length(head) - length(tail) - 400;
  // Within 1,000 characters, naming up to `names` of the operations reached.
  const line = (change: Change, names: number) => {
    const { rule, typeScriptOnly, operations: ops } = change;
    const many = names === 0 && ops.length > 1;
    const reached = many
      ? `${ops.length} operations`
      : reach(change, code, names || 1);
    const after = ` (\`${rule}\`${typeScriptOnly ? ", TypeScript" : ""}; ${reached})`;
    const message = escape(shorten(change.message, 998 - after.length));
    return shorten(`- ${message}${after}`, 1000);
  };
  const fits = (names: number) =>
    length(breaking.map((c) => line(c, names))) < room - 100;
  const names = [10, 3, 1].find(fits) ?? 0;
  const body: string[] = [];
  const shown = new Set<Change>();
  for (const [level, title] of SECTIONS) {
    const changes = ofLevel(diff.changes, level);
    if (changes.length === 0) continue;
    const heading = ["", `### ${title} (${changes.length})`, ""];
    room -= length(heading);
    if (room < 0) break;
    body.push(...heading);
    for (const change of changes) {
      const text = line(change, names);
      room -= text.length + 1;
      if (room < 0) break;
      body.push(text);
      shown.add(change);
    }
  }
  const left = diff.changes.filter((c) => !shown.has(c));
  if (left.length > 0)
    body.push(
      "",
      `…and ${left.length} more (${tally(left)}) not shown, to stay within GitHub's ${MARKDOWN_LIMIT} characters: \`--report-format json\` lists every change.`,
    );
  if (diff.changes.length === 0) body.push("", "No changes.");
  return `${[...head, ...body, ...tail].map(printable).join("\n")}\n`;
}

/** A list as printed: its first ten, then how many more (the JSON report has them all). */
export function few(items: readonly string[], max = 10): string {
  const more = items.length - max;
  return more > 0
    ? `${items.slice(0, max).join(", ")} and ${more} more`
    : items.join(", ");
}

function length(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Text with the characters Markdown would read as markup escaped, and no `@name` mentioning anyone. */
function escape(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`)
    .replace(/@(?=\w)/g, "@\u200b");
}

/** A code span that holds any text (backticks inside are fenced by a longer run). */
function code(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
