/**
 * The report as JSON, for machines (a scheduled job deciding what to do).
 * The shape is documented in the README ("Reports") and is
 * {@link JsonReport}; `format` changes if a field changes meaning.
 */
import type { Bump, ChangeKind } from "../diff/index.js";
import type { WriteResult } from "../write.js";
import type { PullReport } from "./model.js";

/** The JSON report, field by field. */
export interface JsonReport {
  /** Identifies this shape. */
  readonly format: "notte-api-client/pull-report@1";
  readonly source: string;
  readonly bytes: number;
  readonly title: string;
  /** `info.version` before (`null` without a previous openapi.json) and now. */
  readonly versions: {
    readonly previous: string | null;
    readonly current: string;
  };
  readonly operations: {
    /** The configured operations kept. */
    readonly kept: readonly string[];
    /** Configured operations that upstream no longer has: the pull is refused. */
    readonly removedUpstream: readonly string[];
    /** How many operations the upstream document has. */
    readonly inDocument: number;
  };
  /** The semver bump the changes call for. */
  readonly bump: Bump;
  /** How many changes break callers. */
  readonly breaking: number;
  /** Whether openapi.json would change (dry run) or changed. */
  readonly documentChanged: boolean;
  readonly dryRun: boolean;
  /** Every change, the breaking ones first. */
  readonly changes: readonly {
    readonly kind: ChangeKind;
    readonly location: string;
    readonly message: string;
    readonly breaking: boolean;
  }[];
  /** What was written; `null` when nothing was. */
  readonly files: WriteResult | null;
  readonly warnings: readonly string[];
}

/** The report as one JSON document (with a final line break). */
export function formatJsonReport(report: PullReport): string {
  const { diff } = report;
  const json: JsonReport = {
    format: "notte-api-client/pull-report@1",
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
    breaking: diff.breaking.length,
    documentChanged: report.documentChanged,
    dryRun: report.dryRun,
    changes: diff.changes.map(({ kind, location, message, breaking }) => ({
      kind,
      location,
      message,
      breaking,
    })),
    files: report.files ?? null,
    warnings: report.warnings,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
