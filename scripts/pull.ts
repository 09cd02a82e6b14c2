/**
 * `npm run generate -- --pull`: load the upstream document, keep what the
 * configured operations use, compare with the committed openapi.json,
 * report, and (unless this is a dry run or a kept operation is gone) write
 * openapi.json and generated/. Returns the exit code.
 */
import { resolve } from "node:path";
import type { Args, ReportFormat } from "./cli-args.js";
import { UsageError } from "./cli-args.js";
import { diffDocuments, type DocumentDiff } from "./diff/index.js";
import { PipelineError } from "./errors.js";
import {
  DOCUMENT_FILE,
  GENERATED_DIR,
  TYPES_FILE,
  VERSION_FILE,
} from "./files.js";
import { serializeDocument } from "./json-text.js";
import { loadSource, type LoadedSource } from "./load.js";
import { alignKeyOrder } from "./order.js";
import { parseDocument } from "./parse.js";
import { Formatter } from "./formatter.js";
import { readPrevious, readProjectConfig } from "./project.js";
import { pruneDocument } from "./prune.js";
import { listOperations, type OpenApiDocument } from "./refs.js";
import type { PullReport } from "./report/model.js";
import { checkUpstream } from "./validate.js";
import { writeFileAtomically, type WriteResult } from "./write.js";

/** Where the shell prints: the report and progress on stdout, one-line failures and warnings on stderr. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
}

/** Exit code of a pull that would change openapi.json without breaking callers (only with `--dry-run`). */
const EXIT_WOULD_CHANGE = 4;
/** Exit code of a pull that breaks callers. */
const EXIT_BREAKING = 3;

/** Runs a pull in `root`; see the module comment. */
export async function pull(
  root: string,
  args: Args,
  terminal: Terminal,
): Promise<number> {
  const config = await readProjectConfig(root);
  const envSource = process.env["NOTTE_OPENAPI_URL"];
  const source =
    args.source ??
    (envSource !== undefined && envSource !== "" ? envSource : undefined) ??
    config.source;
  if (source === undefined) {
    throw new UsageError(
      'no source: give one after --pull, set NOTTE_OPENAPI_URL, or set "openapi.source" in package.json',
    );
  }
  // Prettier starts loading in its own process while this one works.
  const formatter = new Formatter(root, [
    DOCUMENT_FILE,
    TYPES_FILE,
    VERSION_FILE,
  ]);
  try {
    return await pullWith(
      root,
      source,
      args.operations ?? config.operations,
      args,
      terminal,
      formatter,
    );
  } finally {
    formatter.stop();
  }
}

/** The pull once the source is known, with the run's prettier child. */
async function pullWith(
  root: string,
  source: string,
  operations: readonly string[],
  args: Args,
  terminal: Terminal,
  formatter: Formatter,
): Promise<number> {
  const loaded = await loadSource(source, {
    timeoutMs: args.timeoutMs,
    maxBytes: args.maxBytes,
    cwd: root,
  });
  const previous = await readPrevious(root);
  // The upstream document lives only inside `prune`: by the time the
  // types are emitted (the step that needs the most memory), it is garbage.
  const { next, diff, kept, removedUpstream, operationsInDocument, warning } =
    prune(loaded, operations, previous.doc);
  if (warning !== undefined) terminal.err(`warning: ${warning}`);
  const bytes = Buffer.byteLength(loaded.text);

  const refused = removedUpstream.length > 0;
  const documentText = await serializeDocument(next, await formatter.options());
  let files: WriteResult | undefined;
  if (!args.dryRun && !refused) {
    // The heavy module (openapi-typescript loads the TypeScript compiler)
    // is imported only once everything cheap has passed: failing is fast.
    const { emitGenerated } = await import("./emit.js");
    const { writeFiles } = await import("./write.js");
    const outputs = new Map([[DOCUMENT_FILE, documentText]]);
    for (const [path, contents] of await emitGenerated(next, formatter))
      outputs.set(path, contents);
    files = await writeFiles(root, outputs, GENERATED_DIR);
  }

  const report: PullReport = {
    source: loaded.origin,
    bytes,
    operationsInDocument,
    kept,
    removedUpstream,
    diff,
    documentChanged: documentText !== previous.text,
    dryRun: args.dryRun,
    files,
    warnings: warning === undefined ? [] : [warning],
    previousNote: previous.note,
  };
  await printReport(root, report, args, terminal);

  const breaking = diff.breaking.length;
  const breakingText = `${breaking} breaking change${breaking === 1 ? "" : "s"} for callers`;
  if (refused) {
    const them = removedUpstream.length === 1 ? "it" : "them";
    terminal.err(
      `kept operation${removedUpstream.length === 1 ? "" : "s"} ${removedUpstream.join(", ")} removed upstream (${breakingText}, see the report); ` +
        `nothing written: the package cannot be generated without ${them}; to accept, remove ${them} from "openapi.operations" in package.json`,
    );
    return EXIT_BREAKING;
  }
  if (args.dryRun) {
    if (!report.documentChanged) return 0;
    if (breaking === 0) return EXIT_WOULD_CHANGE;
    terminal.err(`${breakingText} (see the report); dry run: nothing written`);
    return EXIT_BREAKING;
  }
  if (breaking > 0 && !args.allowBreaking) {
    terminal.err(
      `${breakingText} (listed above); the files are written for inspection (git diff); pass --allow-breaking to accept`,
    );
    return EXIT_BREAKING;
  }
  return 0;
}

/** What a pull keeps of the upstream document. */
interface Pruned {
  /** The document to write: pruned, in the committed key order. */
  readonly next: OpenApiDocument;
  readonly diff: DocumentDiff;
  readonly kept: readonly string[];
  readonly removedUpstream: readonly string[];
  readonly operationsInDocument: number;
  readonly warning: string | undefined;
}

/**
 * Parses, checks and prunes the upstream document, and compares the result
 * with the previous one. What is kept needs no second validation: pruning
 * follows every reference it keeps and refuses one that resolves nowhere,
 * and an operationId kept twice.
 */
function prune(
  loaded: LoadedSource,
  operations: readonly string[],
  previous: OpenApiDocument | undefined,
): Pruned {
  const upstream = parseDocument(loaded.text, loaded.origin);
  const warning = checkUpstream(upstream, loaded.origin);
  // A kept operation that upstream dropped is the most breaking change
  // there is: report it (exit 3) rather than fail as if the pull had.
  const upstreamIds = operationIds(upstream);
  const previousIds =
    previous === undefined ? new Set() : operationIds(previous);
  const removedUpstream = operations.filter(
    (id) => !upstreamIds.has(id) && previousIds.has(id),
  );
  const kept = operations.filter((id) => !removedUpstream.includes(id));
  // Unknown ids that were never kept are a mistake; prune names them.
  const pruned = withOrigin(loaded.origin, () =>
    pruneDocument(upstream, { operations: kept }),
  );
  return {
    // Keep the committed key order where keys did not change, so a pull's
    // git diff shows changes rather than reordering (see order.ts).
    next: (previous === undefined
      ? pruned
      : alignKeyOrder(previous, pruned)) as OpenApiDocument,
    diff: diffDocuments(previous, pruned),
    kept,
    removedUpstream,
    operationsInDocument: upstreamIds.size,
    warning,
  };
}

/** Runs `step`, naming the document in the message of what it throws. */
function withOrigin<T>(origin: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof PipelineError)
      throw new PipelineError(`${origin}: ${error.message}`, { cause: error });
    throw error;
  }
}

function operationIds(doc: OpenApiDocument): Set<unknown> {
  return new Set(
    listOperations(doc).map((location) => location.operation["operationId"]),
  );
}

async function printReport(
  root: string,
  report: PullReport,
  args: Args,
  terminal: Terminal,
): Promise<void> {
  const text = await renderReport(report, args.reportFormat);
  if (args.reportFile === undefined) {
    terminal.out(text.replace(/\n$/, ""));
    return;
  }
  const path = resolve(root, args.reportFile);
  try {
    await writeFileAtomically(path, text);
  } catch (error) {
    // Exit 1 promises that openapi.json and generated/ are untouched: once
    // they are written, the report goes to stdout rather than being lost,
    // and the exit code stays the pull's verdict.
    if (report.files === undefined) throw error;
    terminal.err(
      `warning: ${error instanceof Error ? error.message : String(error)}; the report follows on stdout`,
    );
    terminal.out(text.replace(/\n$/, ""));
    return;
  }
  terminal.out(`report (${args.reportFormat}) written to ${args.reportFile}`);
}

async function renderReport(
  report: PullReport,
  format: ReportFormat,
): Promise<string> {
  switch (format) {
    case "json":
      return (await import("./report/json.js")).formatJsonReport(report);
    case "markdown":
      return (await import("./report/markdown.js")).formatMarkdownReport(
        report,
      );
    case "text":
      return (await import("./report/text.js")).formatTextReport(report);
  }
}
