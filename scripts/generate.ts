/**
 * `npm run generate`: the shell of the generation pipeline. It reads the
 * arguments, runs the stages (load → parse → validate → prune → diff → emit →
 * write/check), prints, and chooses the exit code. The stages live in their
 * own modules and know nothing about the command line.
 *
 * Everything is relative to the current directory (npm runs scripts from the
 * package root), which also lets the tests run it in a scratch copy.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PrettierOptionsByFile } from "./emit.js";
import { PipelineError, describeError, oneLine } from "./errors.js";
import {
  DOCUMENT_FILE,
  GENERATED_DIR,
  TYPES_FILE,
  VERSION_FILE,
} from "./files.js";
import { formatBytes, loadSource } from "./load.js";
import { parseDocument } from "./parse.js";
import { isRecord, listOperations, type OpenApiDocument } from "./refs.js";

const HELP = `Usage: npm run generate -- [options]

Without options: regenerate generated/ from the committed openapi.json
(offline; the same openapi.json always gives the same bytes).

Modes:
  --pull [URL-or-FILE]  Load the upstream OpenAPI document (JSON or YAML,
                        OpenAPI 3.0 or 3.1; default: $NOTTE_OPENAPI_URL, else
                        "openapi.source" in package.json), validate it, keep
                        the operations listed in "openapi.operations" and what
                        they use, print what changed since openapi.json, then
                        write openapi.json and generated/.
  --check               Exit 1, naming each stale file, when generated/ is not
                        exactly what openapi.json produces. Writes nothing.

Options for --pull:
  --operations <a,b>    Keep these operationIds instead of the configured ones
                        (for this run only).
  --timeout <ms>        Time limit for loading the document (default 30000).
  --max-bytes <size>    Size limit for the document: bytes, or with a unit
                        such as 512kb or 50mb (default 50mb).
  --allow-breaking      Exit 0 even if the new document breaks callers.

  -h, --help            Show this help.

Exit codes:
  0  done; with --check: generated/ is up to date
  1  failure (openapi.json and generated/ left as they were),
     or with --check: generated/ is stale
  2  usage error
  3  --pull found changes that break callers and --allow-breaking was not
     given; the files ARE written, so the change can be inspected (git diff)
`;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** A mistake in the command line (exit code 2). */
class UsageError extends Error {}

interface Args {
  readonly help: boolean;
  readonly check: boolean;
  readonly pull: boolean;
  readonly source: string | undefined;
  readonly operations: readonly string[] | undefined;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowBreaking: boolean;
}

function parseCli(argv: readonly string[]): Args {
  // `--pull` takes an optional value, which parseArgs cannot express: accept
  // `--pull=X` by splitting it, and take `--pull X` as a positional.
  const args = argv.flatMap((arg) =>
    arg.startsWith("--pull=") ? ["--pull", arg.slice("--pull=".length)] : [arg],
  );
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        check: { type: "boolean" },
        pull: { type: "boolean" },
        operations: { type: "string" },
        timeout: { type: "string" },
        "max-bytes": { type: "string" },
        "allow-breaking": { type: "boolean" },
      },
    });
  } catch (error) {
    // Node's message for an unknown option is a paragraph about positionals.
    const code = (error as NodeJS.ErrnoException).code;
    const option = /'(-[^']*)'/.exec(String(error))?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
      throw new UsageError(`unknown option ${option}`);
    }
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
  const { values, positionals } = parsed;
  const pull = values.pull === true;
  if (positionals.length > 0 && !pull) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])}`,
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(`--pull takes one source, got ${positionals.length}`);
  }
  if (pull && values.check === true) {
    throw new UsageError("--pull and --check cannot be combined");
  }
  for (const option of [
    "operations",
    "timeout",
    "max-bytes",
    "allow-breaking",
  ] as const) {
    if (values[option] !== undefined && !pull) {
      throw new UsageError(`--${option} only applies with --pull`);
    }
  }
  let operations: string[] | undefined;
  if (values.operations !== undefined) {
    operations = values.operations
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== "");
    if (operations.length === 0) {
      throw new UsageError("--operations needs at least one operationId");
    }
  }
  return {
    help: values.help === true,
    check: values.check === true,
    pull,
    source: positionals[0],
    operations,
    timeoutMs:
      values.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : parsePositiveInteger(values.timeout, "--timeout"),
    maxBytes:
      values["max-bytes"] === undefined
        ? DEFAULT_MAX_BYTES
        : parseSize(values["max-bytes"]),
    allowBreaking: values["allow-breaking"] === true,
  };
}

function parsePositiveInteger(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) {
    throw new UsageError(
      `${option} needs a positive whole number, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)?$/i.exec(text.trim());
  const units: Record<string, number> = {
    b: 1,
    k: 1024,
    m: 1024 ** 2,
    g: 1024 ** 3,
  };
  const amount = Number(match?.[1]);
  const unit = units[(match?.[2] ?? "b").charAt(0).toLowerCase()];
  if (match === null || unit === undefined || !(amount > 0)) {
    throw new UsageError(
      `--max-bytes needs a size such as 1048576, 512kb or 50mb, got ${JSON.stringify(text)}`,
    );
  }
  return Math.floor(amount * unit);
}

/** `openapi` settings of package.json. */
interface ProjectConfig {
  readonly source: string | undefined;
  readonly operations: readonly string[];
}

async function readProjectConfig(root: string): Promise<ProjectConfig> {
  let pkg: unknown;
  try {
    pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  } catch (error) {
    throw new PipelineError(
      `cannot read package.json in ${root}: ${describeError(error)}`,
    );
  }
  const config = isRecord(pkg) ? pkg["openapi"] : undefined;
  const operations = isRecord(config) ? config["operations"] : undefined;
  if (
    !Array.isArray(operations) ||
    operations.length === 0 ||
    !operations.every((id): id is string => typeof id === "string")
  ) {
    throw new PipelineError(
      'package.json needs "openapi": { "operations": ["<operationId>", ...] }',
    );
  }
  const source =
    isRecord(config) && typeof config["source"] === "string"
      ? config["source"]
      : undefined;
  return { source, operations };
}

async function prettierOptions(root: string): Promise<PrettierOptionsByFile> {
  const { resolveConfig } = await import("prettier");
  const options: Record<string, import("prettier").Options> = {};
  for (const file of [DOCUMENT_FILE, TYPES_FILE, VERSION_FILE]) {
    // editorconfig: true, as the prettier CLI does, so `prettier --check`
    // agrees with what is written here.
    options[file] =
      (await resolveConfig(join(root, file), { editorconfig: true })) ?? {};
  }
  return options;
}

/** Reads, parses and validates the committed openapi.json. */
async function readCommitted(root: string): Promise<OpenApiDocument> {
  let text: string;
  try {
    text = await readFile(join(root, DOCUMENT_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new PipelineError(
        `${DOCUMENT_FILE} not found in ${root}: run \`npm run generate -- --pull\` first`,
      );
    }
    throw new PipelineError(
      `cannot read ${DOCUMENT_FILE}: ${describeError(error)}`,
    );
  }
  const doc = parseDocument(text, DOCUMENT_FILE);
  const { validateDocument } = await import("./validate.js");
  await validateDocument(doc, DOCUMENT_FILE, text);
  return doc;
}

/** What generated/ should hold for the committed openapi.json. */
async function emitFromCommitted(root: string): Promise<Map<string, string>> {
  const doc = await readCommitted(root);
  const { emitGenerated } = await import("./emit.js");
  return emitGenerated(doc, await prettierOptions(root));
}

async function regenerate(root: string): Promise<number> {
  const files = await emitFromCommitted(root);
  const { writeFiles } = await import("./write.js");
  const result = await writeFiles(root, files, GENERATED_DIR);
  printWriteResult(result);
  return 0;
}

async function check(root: string): Promise<number> {
  const files = await emitFromCommitted(root);
  const { findStaleFiles } = await import("./write.js");
  const stale = await findStaleFiles(root, files, GENERATED_DIR);
  if (stale.length === 0) {
    out(`${GENERATED_DIR}/ is up to date with openapi.json`);
    return 0;
  }
  const list = stale.map((s) => `${s.path} (${s.reason})`).join(", ");
  err(`stale: ${list}; run \`npm run generate\``);
  return 1;
}

async function pull(root: string, args: Args): Promise<number> {
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
  const operations = args.operations ?? config.operations;

  const loaded = await loadSource(source, {
    timeoutMs: args.timeoutMs,
    maxBytes: args.maxBytes,
    cwd: root,
  });
  const upstream = parseDocument(loaded.text, loaded.origin);
  const { validateDocument } = await import("./validate.js");
  await validateDocument(upstream, loaded.origin, loaded.text);

  const { pruneDocument } = await import("./prune.js");
  const pruned = pruneDocument(upstream, { operations });
  // The heavy modules (openapi-typescript loads the TypeScript compiler) are
  // imported only once the cheap checks have passed: failing is fast.
  const { diffDocuments, formatDiff } = await import("./diff.js");
  const { alignKeyOrder } = await import("./order.js");
  const { emitGenerated, serializeDocument } = await import("./emit.js");
  const { writeFiles } = await import("./write.js");

  const previous = await readPrevious(root, DOCUMENT_FILE);
  const diff = diffDocuments(previous.doc, pruned);
  // Keep the committed key order where keys did not change, so a pull's
  // git diff shows changes rather than reordering (see order.ts).
  const next = (
    previous.doc === undefined ? pruned : alignKeyOrder(previous.doc, pruned)
  ) as OpenApiDocument;
  // The pruned document must itself pass validation, or the next plain
  // `npm run generate` would fail on it.
  await validateDocument(
    next,
    `${DOCUMENT_FILE} (pruned from ${loaded.origin})`,
  );

  const options = await prettierOptions(root);
  const files = new Map([
    [DOCUMENT_FILE, await serializeDocument(next, options)],
  ]);
  for (const [path, contents] of await emitGenerated(next, options))
    files.set(path, contents);
  const result = await writeFiles(root, files, GENERATED_DIR);

  const info = isRecord(next["info"]) ? next["info"] : {};
  const total = listOperations(upstream).length;
  out(
    `Pulled ${loaded.origin}: ${String(info["title"])} ${String(info["version"])}, ` +
      `${formatBytes(Buffer.byteLength(loaded.text))}; kept ${operations.length} of ${total} operations (${operations.join(", ")})`,
  );
  if (previous.note !== undefined) out(previous.note);
  out(formatDiff(diff));
  printWriteResult(result);

  if (diff.breaking.length > 0 && !args.allowBreaking) {
    err(
      `${diff.breaking.length} breaking change${diff.breaking.length === 1 ? "" : "s"} for callers (listed above); ` +
        "the files are written for inspection (git diff); pass --allow-breaking to accept",
    );
    return 3;
  }
  return 0;
}

async function readPrevious(
  root: string,
  file: string,
): Promise<{ doc: OpenApiDocument | undefined; note?: string }> {
  let text: string;
  try {
    text = await readFile(join(root, file), "utf8");
  } catch {
    return { doc: undefined };
  }
  try {
    return { doc: parseDocument(text, file) };
  } catch (error) {
    // A broken committed file must not block replacing it; it only means
    // there is nothing to compare with.
    return {
      doc: undefined,
      note: `The previous ${file} could not be read (${describeError(error)}); nothing to compare with.`,
    };
  }
}

function printWriteResult(result: {
  written: readonly string[];
  unchanged: readonly string[];
  removed: readonly string[];
}): void {
  for (const path of result.written) out(`wrote ${path}`);
  for (const path of result.removed) out(`removed ${path}`);
  if (result.unchanged.length > 0)
    out(`unchanged: ${result.unchanged.join(", ")}`);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The single line on stderr that every failure gets. */
function err(text: string): void {
  process.stderr.write(`generate: ${oneLine(text)}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  try {
    args = parseCli(argv);
  } catch (error) {
    err(
      `${error instanceof Error ? error.message : String(error)} (see --help)`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const root = process.cwd();
  try {
    if (args.pull) return await pull(root, args);
    if (args.check) return await check(root);
    return await regenerate(root);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message} (see --help)`);
      return 2;
    }
    if (error instanceof PipelineError) {
      err(error.message);
      return 1;
    }
    // A bug rather than a bad input; still one line, as promised.
    err(`unexpected error: ${describeError(error)}`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
// Let what was printed reach a pipe before exiting (writes to pipes can be
// asynchronous, e.g. on macOS)...
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise((resolve) => stream.write("", resolve)),
  ),
);
// ...then exit explicitly: a lingering socket or timer must not keep the
// process (or a CI job) alive once the work is done.
process.exit(exitCode);
