/**
 * `npm run generate`, the pipeline's shell: the command line, the modes
 * (regenerate, `--check`, `--pull` in `pull.ts`), the exit code.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DOCUMENT_FILE,
  GENERATED_DIR,
  PipelineError,
  describeError,
  oneLine,
} from "./document.js";
import { REPORT_FORMATS, type ReportFormat } from "./report.js";
import { parseDocument } from "./source.js";
import { unusableRefs } from "./prune.js";

/** `--help`. */
export const HELP = `Usage: npm run generate -- [options]   (docs/regenerating.md has more)

  (no option)           Regenerate generated/ from the committed openapi.json
                        (offline; the same openapi.json gives the same bytes).
  --check               Exit 1, naming each stale file, if generated/ is not
                        what openapi.json gives. Writes nothing.
  --pull [URL-or-FILE]  Load the upstream document (default: $NOTTE_OPENAPI_URL,
                        else "openapi.source" in package.json), keep
                        "openapi.operations" and what they use, report what
                        changed, write openapi.json and generated/.
With --pull:
  --dry-run             Report only: exit 0 no change, 4 a change, 3 a break.
  --report-format <f>   text (default), json or markdown.
  --report-file <path>  Write the report there instead of stdout.
  --operations <a,b>    Keep these operationIds (for this run only).
  --timeout <ms>        Time limit for loading the document (default 30000).
  --max-bytes <size>    Size limit: bytes, or 512kb, 50mb... (default 50mb).
  --allow-breaking      Exit 0 even if the new document breaks callers.
  -h, --help            Show this help.

Exit codes:
  0  done; --check: up to date; --dry-run: openapi.json would not change
  1  failure, openapi.json and generated/ untouched; --check: stale files
  2  usage error
  3  --pull found breaking changes: the files ARE written (git diff), unless
     --dry-run or a kept operation was removed upstream; --allow-breaking: 0
  4  --dry-run: openapi.json would change, without breaking callers
`;

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}

/** The parsed command line. */
export type Args = ReturnType<typeof parseCli>;

/** Where the shell prints: reports on stdout, one-line failures and warnings on stderr. */
export type Terminal = Record<"out" | "err", (text: string) => void>;

/** Runs `npm run generate -- <argv>` in the current directory; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const err = (text: string) =>
    process.stderr.write(`generate: ${oneLine(text)}\n`);
  const root = process.cwd();
  try {
    const args = parseCli(argv);
    if (args.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const { findStaleFiles, withLock, writeFiles } = await import("./write.js");
    // What writes holds the lock from reading openapi.json on.
    const locked = (work: () => Promise<number>) =>
      args.check || args.dryRun ? work() : withLock(root, GENERATED_DIR, work);
    if (args.pull) {
      const { pull } = await import("./pull.js");
      return await locked(() => pull(root, args, { out, err }));
    }
    const { Formatter, emitGenerated } = await import("./emit.js");
    return await locked(async () => {
      // Prettier starts loading in its own process while this one works.
      const formatter = new Formatter(root);
      const files = await readCommitted(root)
        .then(emitGenerated)
        .then((sources) => formatter.format(sources))
        .finally(() => formatter.stop());
      if (args.check) {
        const stale = await findStaleFiles(root, files, GENERATED_DIR);
        const list = stale.map((s) => `${s.path} (${s.reason})`).join(", ");
        if (stale.length > 0) err(`stale: ${list}; run \`npm run generate\``);
        else out(`${GENERATED_DIR}/ is up to date with ${DOCUMENT_FILE}`);
        return stale.length === 0 ? 0 : 1;
      }
      const result = await writeFiles(root, files, GENERATED_DIR);
      for (const path of result.written) out(`wrote ${path}`);
      for (const path of result.removed) out(`removed ${path}`);
      if (result.unchanged.length > 0)
        out(`unchanged: ${result.unchanged.join(", ")}`);
      return 0;
    });
  } catch (error) {
    if (error instanceof UsageError) err(`${error.message} (see --help)`);
    else if (error instanceof PipelineError) err(error.message);
    // A bug rather than a bad input; still one line, as promised.
    else err(`unexpected error: ${describeError(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** Reads and parses the committed openapi.json, all its references usable. */
async function readCommitted(root: string) {
  const path = join(root, DOCUMENT_FILE);
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    throw new PipelineError(
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? `${DOCUMENT_FILE} not found in ${root}: run \`npm run generate -- --pull\` first`
        : `cannot read ${DOCUMENT_FILE}: ${describeError(error)}`,
    );
  });
  const doc = parseDocument(text, DOCUMENT_FILE);
  // Redocly, inside openapi-typescript, checks the rest (operationIds used twice...).
  const [first, ...more] = unusableRefs(doc, DOCUMENT_FILE);
  if (first === undefined) return doc;
  const others = more.length > 0 ? ` (and ${more.length} more)` : "";
  throw new PipelineError(
    `${DOCUMENT_FILE} is not a valid OpenAPI document: ${first}${others}`,
  );
}

/** The arguments after `npm run generate --`; a UsageError says in one line what is wrong. */
function parseCli(argv: readonly string[]) {
  // parseArgs has no optional value: `--pull=X` is split, `--pull X` a positional.
  const args = argv.flatMap((arg) =>
    arg.startsWith("--pull=") ? ["--pull", arg.slice(7)] : [arg],
  );
  const flag = { type: "boolean" } as const;
  const text = { type: "string" } as const;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { ...flag, short: "h" },
        check: flag,
        pull: flag,
        operations: text,
        timeout: text,
        "max-bytes": text,
        "allow-breaking": flag,
        "dry-run": flag,
        "report-format": text,
        "report-file": text,
      },
    });
  } catch (error) {
    // Node's message for an unknown option is a paragraph about positionals.
    const option = /'(-[^']*)'/.exec(String(error))?.[1];
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined)
      throw new UsageError(`unknown option ${option}`);
    throw new UsageError(describeError(error));
  }
  const { values, positionals } = parsed;
  const pull = values.pull === true;
  if (positionals.length > 0 && !pull)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])}`,
    );
  if (positionals.length > 1)
    throw new UsageError(`--pull takes one source, got ${positionals.length}`);
  if (pull && values.check === true)
    throw new UsageError("--pull and --check cannot be combined");
  for (const option of Object.keys(values))
    if (!pull && !/^(help|check|pull)$/.test(option))
      throw new UsageError(`--${option} only applies with --pull`);
  if (values["dry-run"] === true && values["allow-breaking"] === true)
    throw new UsageError(
      "--allow-breaking has no effect with --dry-run, which writes nothing",
    );
  const operations = values.operations
    ?.split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (operations?.length === 0)
    throw new UsageError("--operations needs at least one operationId");
  const format = values["report-format"] ?? "text";
  if (!(REPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(
      `--report-format must be one of ${REPORT_FORMATS.join(", ")}, got ${JSON.stringify(format)}`,
    );
  if (values["report-file"]?.trim() === "")
    throw new UsageError("--report-file needs a path");
  return {
    help: values.help === true,
    check: values.check === true,
    pull,
    source: positionals[0],
    operations,
    timeoutMs: timeout(values.timeout ?? "30000"),
    maxBytes: size(values["max-bytes"] ?? "50mb"),
    allowBreaking: values["allow-breaking"] === true,
    dryRun: values["dry-run"] === true,
    reportFormat: format as ReportFormat,
    reportFile: values["report-file"],
  };
}

function timeout(text: string): number {
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
  throw new UsageError(
    `--timeout needs a positive whole number, got ${JSON.stringify(text)}`,
  );
}

function size(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)?$/i.exec(text.trim());
  const unit = "bkmg".indexOf((match?.[2] ?? "b").charAt(0).toLowerCase());
  const amount = Number(match?.[1]);
  if (match !== null && amount > 0) return Math.floor(amount * 1024 ** unit);
  throw new UsageError(
    `--max-bytes needs a size such as 1048576, 512kb or 50mb, got ${JSON.stringify(text)}`,
  );
}
