/**
 * The report as text: what `npm run generate -- --pull` prints by default,
 * a few lines, lists shortened past a screenful.
 */
import type { DocumentDiff } from "../diff/index.js";
import { formatBytes } from "../load.js";
import { count, type PullReport } from "./model.js";

/** The whole report: the pull, the changes, the files. */
export function formatTextReport(report: PullReport): string {
  const { diff } = report;
  const lines = [
    `Pulled ${report.source}: ${diff.current.title} ${diff.current.version}, ` +
      `${formatBytes(report.bytes)}; kept ${report.kept.length} of ${report.operationsInDocument} operations (${report.kept.join(", ")})`,
  ];
  if (report.removedUpstream.length > 0) {
    lines.push(
      `Removed upstream: ${report.removedUpstream.join(", ")} (listed in openapi.operations)`,
    );
  }
  if (report.previousNote !== undefined) lines.push(report.previousNote);
  lines.push(formatDiff(diff));
  if (report.files === undefined) {
    lines.push(
      report.dryRun
        ? `dry run: nothing written; openapi.json ${report.documentChanged ? "would change" : "would not change"} (semver ${diff.bump})`
        : "nothing written",
    );
  } else {
    for (const path of report.files.written) lines.push(`wrote ${path}`);
    for (const path of report.files.removed) lines.push(`removed ${path}`);
    if (report.files.unchanged.length > 0)
      lines.push(`unchanged: ${report.files.unchanged.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The changes since the previous openapi.json, as lines. */
export function formatDiff(diff: DocumentDiff): string {
  if (diff.previous === undefined) {
    return `No previous openapi.json: ${count(diff.operations.added.length, "operation")} and ${count(diff.schemas.added.length, "schema")} added.`;
  }
  const { previous, current } = diff;
  const versions =
    previous.version === current.version
      ? `info.version ${current.version}, unchanged`
      : `info.version ${previous.version} → ${current.version}`;
  const lines = [`Changes since the previous openapi.json (${versions}):`];
  const sections: [string, readonly string[]][] = [
    ["operations added", diff.operations.added],
    ["operations removed", diff.operations.removed],
    ["operations changed", diff.operations.changed],
    ["schemas added", diff.schemas.added],
    ["schemas removed", diff.schemas.removed],
    ["schemas changed", diff.schemas.changed],
    ["other components added", diff.otherComponents.added],
    ["other components removed", diff.otherComponents.removed],
    ["other components changed", diff.otherComponents.changed],
    ["top-level keys added", diff.document.added],
    ["top-level keys removed", diff.document.removed],
    ["top-level keys changed", diff.document.changed],
  ];
  let any = false;
  for (const [label, names] of sections) {
    if (names.length === 0) continue;
    any = true;
    lines.push(
      `  ${label} (${names.length}): ${shorten(names, 12).join(", ")}`,
    );
  }
  if (!any) lines.push("  no changes");
  if (diff.breaking.length === 0) {
    lines.push("  no breaking changes");
  } else {
    lines.push(`  breaking changes for callers (${diff.breaking.length}):`);
    const messages = diff.breaking.map((change) => change.message);
    for (const line of shorten(messages, 40)) lines.push(`    - ${line}`);
  }
  return lines.join("\n");
}

function shorten(items: readonly string[], max: number): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `... and ${items.length - max} more`];
}
