/**
 * The command line of `npm run generate`: its help text and the parsing of
 * its arguments into {@link Args}. Pure.
 */
import { parseArgs } from "node:util";

/** `--help`. */
export const HELP = `Usage: npm run generate -- [options]

Without options: regenerate generated/ from the committed openapi.json
(offline; the same openapi.json always gives the same bytes).

Modes:
  --pull [URL-or-FILE]  Load the upstream OpenAPI document (JSON or YAML,
                        OpenAPI 3.0 or 3.1; default: $NOTTE_OPENAPI_URL, else
                        "openapi.source" in package.json), validate it, keep
                        the operations listed in "openapi.operations" and what
                        they use, report what changed since openapi.json, then
                        write openapi.json and generated/.
  --check               Exit 1, naming each stale file, when generated/ is not
                        exactly what openapi.json produces. Writes nothing.

Options for --pull:
  --dry-run             Pull, prune, compare and report; write nothing.
                        Exit 0: openapi.json would not change; 4: it would,
                        without breaking callers; 3: it would break them.
  --report-format <f>   text (default), json or markdown.
  --report-file <path>  Write the report there instead of stdout.
  --operations <a,b>    Keep these operationIds instead of the configured ones
                        (for this run only).
  --timeout <ms>        Time limit for loading the document (default 30000).
  --max-bytes <size>    Size limit for the document: bytes, or with a unit
                        such as 512kb or 50mb (default 50mb).
  --allow-breaking      Exit 0 even if the new document breaks callers.

  -h, --help            Show this help.

Exit codes:
  0  done; with --check: generated/ is up to date; with --dry-run: no change
  1  failure (openapi.json and generated/ left as they were),
     or with --check: generated/ is stale
  2  usage error
  3  --pull found changes that break callers, and --allow-breaking was not
     given: the files ARE written, so the change can be inspected (git diff);
     nothing is written with --dry-run, or when a kept operation was removed
     upstream (whatever --allow-breaking says)
  4  --dry-run: openapi.json would change, without breaking callers
`;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** The formats of the pull report. */
export const REPORT_FORMATS = ["text", "json", "markdown"] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}

/** The parsed command line. */
export interface Args {
  readonly help: boolean;
  readonly check: boolean;
  readonly pull: boolean;
  readonly source: string | undefined;
  readonly operations: readonly string[] | undefined;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowBreaking: boolean;
  readonly dryRun: boolean;
  readonly reportFormat: ReportFormat;
  readonly reportFile: string | undefined;
}

/**
 * Parses the arguments after `npm run generate --`.
 *
 * @throws UsageError with a one-line reason.
 */
export function parseCli(argv: readonly string[]): Args {
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
        "dry-run": { type: "boolean" },
        "report-format": { type: "string" },
        "report-file": { type: "string" },
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
    "dry-run",
    "report-format",
    "report-file",
  ] as const) {
    if (values[option] !== undefined && !pull) {
      throw new UsageError(`--${option} only applies with --pull`);
    }
  }
  if (values["dry-run"] === true && values["allow-breaking"] === true) {
    throw new UsageError(
      "--allow-breaking has no effect with --dry-run, which writes nothing",
    );
  }
  return {
    help: values.help === true,
    check: values.check === true,
    pull,
    source: positionals[0],
    operations: parseOperations(values.operations),
    timeoutMs:
      values.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : parsePositiveInteger(values.timeout, "--timeout"),
    maxBytes:
      values["max-bytes"] === undefined
        ? DEFAULT_MAX_BYTES
        : parseSize(values["max-bytes"]),
    allowBreaking: values["allow-breaking"] === true,
    dryRun: values["dry-run"] === true,
    reportFormat: parseReportFormat(values["report-format"]),
    reportFile: parseReportFile(values["report-file"]),
  };
}

function parseOperations(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const operations = text
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (operations.length === 0) {
    throw new UsageError("--operations needs at least one operationId");
  }
  return operations;
}

function parseReportFormat(text: string | undefined): ReportFormat {
  if (text === undefined) return "text";
  const format = REPORT_FORMATS.find((f) => f === text);
  if (format === undefined) {
    throw new UsageError(
      `--report-format must be one of ${REPORT_FORMATS.join(", ")}, got ${JSON.stringify(text)}`,
    );
  }
  return format;
}

function parseReportFile(text: string | undefined): string | undefined {
  if (text !== undefined && text.trim() === "") {
    throw new UsageError("--report-file needs a path");
  }
  return text;
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
