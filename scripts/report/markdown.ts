/**
 * The report as Markdown: the body of the pull request a scheduled job
 * opens when upstream changed.
 */
import { formatBytes } from "../load.js";
import { count, type PullReport } from "./model.js";

/** The report as a pull request body. */
export function formatMarkdownReport(report: PullReport): string {
  const { diff } = report;
  const versions =
    diff.previous === undefined
      ? diff.current.version
      : diff.previous.version === diff.current.version
        ? `${diff.current.version}, unchanged`
        : `${diff.previous.version} → ${diff.current.version}`;
  const lines = [
    `## ${escape(diff.current.title)}: upstream OpenAPI changes (${escape(versions)})`,
    "",
    diff.breaking.length > 0
      ? `**Breaking: ${count(diff.breaking.length, "change")} break${diff.breaking.length === 1 ? "s" : ""} callers of the kept operations** (semver \`${diff.bump}\`).`
      : `No breaking changes (semver \`${diff.bump}\`).`,
    "",
    `Source: ${code(report.source)}, ${formatBytes(report.bytes)}; kept ${report.kept.length} of ${report.operationsInDocument} operations: ${report.kept.map(code).join(", ") || "none"}.`,
  ];
  if (report.removedUpstream.length > 0) {
    lines.push(
      "",
      `**Removed upstream:** ${report.removedUpstream.map(code).join(", ")}. Nothing was written: the package cannot be generated without ${report.removedUpstream.length === 1 ? "it" : "them"}; to accept, remove ${report.removedUpstream.length === 1 ? "it" : "them"} from \`openapi.operations\` in package.json.`,
    );
  }
  for (const warning of report.warnings)
    lines.push("", `Warning: ${escape(warning)}`);
  if (report.previousNote !== undefined)
    lines.push("", escape(report.previousNote));
  if (diff.breaking.length > 0) {
    lines.push("", "### Breaking changes", "");
    for (const change of diff.breaking)
      lines.push(`- ${escape(change.message)} (${code(change.kind)})`);
  }
  const other = diff.changes.filter((change) => !change.breaking);
  lines.push("", "### Other changes", "");
  if (other.length === 0) lines.push("None.");
  else for (const change of other) lines.push(`- ${escape(change.message)}`);
  if (report.files !== undefined && report.files.written.length > 0) {
    lines.push(
      "",
      `Files written: ${[...report.files.written, ...report.files.removed].map(code).join(", ")}.`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Text with the characters Markdown would read as markup escaped. */
function escape(text: string): string {
  return text.replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}

/** A code span that holds any text (backticks inside are fenced by longer runs). */
function code(text: string): string {
  const longest = Math.max(
    0,
    ...(text.match(/`+/g) ?? []).map((r) => r.length),
  );
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
