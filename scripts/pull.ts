/**
 * `npm run generate -- --pull`: load, prune, compare with the committed
 * openapi.json, report, and (unless a dry run or a kept operation is gone)
 * write openapi.json and generated/.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { alignWithPrevious } from "./align.js";
import { diffDocuments, type DocumentDiff } from "./diff.js";
import {
  DOCUMENT_FILE,
  GENERATED_DIR,
  PipelineError,
  describeError,
  forEachRef,
  jsonText,
  listOperations,
  operationName,
  recordOf,
  type OpenApiDocument,
} from "./document.js";
import { UsageError, type Args, type Terminal } from "./generate.js";
import { pruneDocument, unusableRefs } from "./prune.js";
import { few, renderReport, type PullReport } from "./report.js";
import { loadSource, parseDocument } from "./source.js";
import type { Formatter } from "./emit.js";
import { writeFileAtomically, writeFiles, type WriteResult } from "./write.js";

/** Exit codes: a break for callers; a dry run's change that breaks nothing. */
const [EXIT_BREAKING, EXIT_WOULD_CHANGE] = [3, 4];

/** Runs a pull in `root` (see the module comment); returns the exit code. */
export async function pull(
  root: string,
  args: Args,
  terminal: Terminal,
): Promise<number> {
  const config = await readConfig(root);
  const fromEnv = process.env["NOTTE_OPENAPI_URL"] || undefined;
  const source = args.source ?? fromEnv ?? config.source;
  if (source === undefined)
    throw new UsageError(
      'no source: give one after --pull, set NOTTE_OPENAPI_URL, or set "openapi.source" in package.json',
    );
  const operations = args.operations ?? config.operations;
  const loaded = await loadSource(source, { ...args, cwd: root });
  const previous = await readPrevious(root);
  const upstream = parseDocument(loaded.text, loaded.origin);
  // A kept operation upstream dropped is reported (exit 3), not a failure.
  const upstreamIds = idsOf(upstream);
  const previousIds = idsOf(previous.doc ?? {});
  const removedUpstream = operations.filter(
    (id) => !upstreamIds.has(id) && previousIds.has(id),
  );
  const kept = operations.filter((id) => !removedUpstream.includes(id));
  let pruned: OpenApiDocument;
  try {
    // Unknown ids that were never kept are a mistake: prune names them.
    pruned = pruneDocument(upstream, kept);
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    throw new PipelineError(`${loaded.origin}: ${error.message}`);
  }
  // Kept in the committed form where it means the same (align.ts).
  const next = previous.doc ? alignWithPrevious(previous.doc, pruned) : pruned;
  const refused = removedUpstream.length > 0;
  let formatter: Formatter | undefined;
  let formatted: Promise<Map<string, string>> | undefined;
  if (!args.dryRun && !refused) {
    // The heavy modules (the TypeScript compiler) once the cheap checks pass.
    const emit = await import("./emit.js");
    formatter = new emit.Formatter(root);
    formatted = formatter.format(await emit.emitGenerated(next));
    formatted.catch(() => undefined); // awaited below
  }
  let files: WriteResult | undefined;
  let diff: DocumentDiff;
  let documentText: string;
  const warnings: string[] = [];
  try {
    // While prettier formats: what is only reported (prune refused any
    // unusable `$ref` the kept operations reach).
    const unusable = unusableRefs(upstream, loaded.origin);
    if (unusable.length > 0) {
      const [s, more] = unusable.length === 1 ? ["", ""] : ["s", ", ..."];
      warnings.push(
        `${loaded.origin} has ${unusable.length} unusable $ref${s} (${unusable[0]}${more}), outside what the kept operations use: ignored`,
      );
    }
    warnings.push(...hints(args, config.operations, previousIds, upstreamIds));
    if (previous.note !== undefined) warnings.push(previous.note);
    for (const warning of warnings) terminal.err(`warning: ${warning}`);
    diff = diffDocuments(previous.doc, next);
    documentText = `${jsonText(next, 2)}\n`;
    if (formatted !== undefined) {
      const outputs = await formatted;
      outputs.set(DOCUMENT_FILE, documentText);
      files = await writeFiles(root, outputs, GENERATED_DIR);
    }
  } finally {
    formatter?.stop();
  }
  const report: PullReport = {
    source: loaded.origin,
    bytes: Buffer.byteLength(loaded.text),
    operationsInDocument: upstreamIds.size,
    kept,
    removedUpstream,
    diff,
    documentChanged: documentText !== previous.text,
    dryRun: args.dryRun,
    files,
    warnings,
  };
  const { reportFile: file, reportFormat: format } = args;
  const text = renderReport(report, format);
  if (file === undefined) terminal.out(text.trimEnd());
  else
    try {
      await writeFileAtomically(resolve(root, file), text);
      terminal.out(`report (${format}) written to ${file}`);
    } catch (error) {
      // Exit 1 promises nothing was written: once files are, the report goes
      // to stdout instead, and the exit code stays the pull's verdict.
      if (files === undefined) throw error;
      const why = describeError(error);
      terminal.err(`warning: ${why}; the report follows on stdout`);
      terminal.out(text.trimEnd());
    }

  const breaking = diff.changes.filter((c) => c.level === "breaking").length;
  const changes = `${breaking} breaking change${breaking === 1 ? "" : "s"} for callers`;
  let failure: string | undefined;
  if (refused) {
    const [s, them] = removedUpstream.length === 1 ? ["", "it"] : ["s", "them"];
    failure =
      `kept operation${s} ${removedUpstream.join(", ")} removed upstream (${changes}, see the report); ` +
      `nothing written: the package cannot be generated without ${them}; to accept, remove ${them} from "openapi.operations" in package.json`;
  } else if (args.dryRun) {
    if (!report.documentChanged) return 0;
    if (breaking === 0) return EXIT_WOULD_CHANGE;
    failure = `${changes} (see the report); dry run: nothing written`;
  } else if (breaking > 0 && !args.allowBreaking)
    failure = `${changes} (listed above); the files are written for inspection (git diff); pass --allow-breaking to accept`;
  if (failure === undefined) return 0;
  terminal.err(failure);
  return EXIT_BREAKING;
}

function idsOf(doc: OpenApiDocument): Set<string> {
  return new Set(listOperations(doc).map(operationName));
}

/** Where the kept operations and `openapi.operations` part (a one-off `--operations`, or what an earlier one kept). */
function hints(
  args: Args,
  configured: readonly string[],
  previousIds: ReadonlySet<string>,
  upstreamIds: ReadonlySet<string>,
): string[] {
  const where = '"openapi.operations" in package.json';
  const say = (ids: string[], text: (it: string, is: string) => string) =>
    ids.length === 0
      ? []
      : [ids.length > 1 ? text("them", "are") : text("it", "is")];
  const { operations } = args;
  if (operations === undefined) {
    const ids = [...previousIds].filter(
      (id) => upstreamIds.has(id) && !configured.includes(id),
    );
    return say(
      ids,
      (it, is) =>
        `${few(ids)} ${is} in ${DOCUMENT_FILE} but not in ${where} (kept by an earlier --operations?), so this pull removes ${it}; list ${it} there to keep ${it}`,
    );
  }
  const more = operations.filter((id) => !configured.includes(id));
  const fewer = configured.filter(
    (id) => !operations.includes(id) && previousIds.has(id),
  );
  return [
    ...say(
      more,
      (it) =>
        `--operations keeps ${few(more)}, which ${where} does not list: a pull without --operations will remove ${it}; add ${it} there to keep ${it}`,
    ),
    ...say(
      fewer,
      (it) =>
        `--operations leaves out ${few(fewer)}, which ${where} lists: this pull removes ${it} from ${DOCUMENT_FILE}, and a pull without --operations will add ${it} back`,
    ),
  ];
}

/** The `openapi` settings of package.json. */
async function readConfig(root: string) {
  const text = readFile(join(root, "package.json"), "utf8");
  const pkg: unknown = await text.then(JSON.parse).catch((error: unknown) => {
    throw new PipelineError(
      `cannot read package.json in ${root}: ${describeError(error)}`,
    );
  });
  const config = recordOf(recordOf(pkg)["openapi"]);
  const { operations, source } = config;
  if (
    !Array.isArray(operations) ||
    operations.length === 0 ||
    !operations.every((id): id is string => typeof id === "string")
  )
    throw new PipelineError(
      'package.json needs "openapi": { "operations": ["<operationId>", ...] }',
    );
  const url = typeof source === "string" ? source : undefined;
  return { operations, source: url };
}

/** The committed openapi.json to compare with; a missing or unreadable one is no error. */
async function readPrevious(root: string) {
  const path = join(root, DOCUMENT_FILE);
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return { doc: undefined, text };
  try {
    const doc = parseDocument(text, DOCUMENT_FILE);
    forEachRef(doc, () => undefined); // refuses a nesting no walk could take
    return { doc, text };
  } catch (error) {
    // A broken committed file must not block replacing it.
    const note = `the previous ${DOCUMENT_FILE} could not be read (${describeError(error)}); nothing to compare with`;
    return { doc: undefined, text, note };
  }
}
