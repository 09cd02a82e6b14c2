/**
 * The `notte-agent-stop` command line, as pure functions: arguments in, a
 * command (or the reason it is unusable) out. No process, no I/O here, so
 * every rule is tested directly.
 *
 * @packageDocumentation
 */
import { parseArgs } from "node:util";
import { checkNumber, type Fail } from "../options.js";

const checkTimeoutMs: Checker = (value) =>
  checkNumber(value, "timeoutMs", failWith);
const checkMaxRetries: Checker = (value) =>
  checkNumber(value, "maxRetries", failWith);
const failWith: Fail = (message) => {
  throw new Error(message);
};

/** The command's name, as installed by the package's `bin` entry. */
export const COMMAND_NAME = "notte-agent-stop";

/** What to print on success. */
export type OutputMode = "summary" | "json" | "quiet";

/** A request to stop one agent, with every option checked. */
export interface StopCommand {
  readonly kind: "stop";
  /** The positional `<agent-id>`, as given (the client checks and encodes it). */
  readonly agentId: string;
  /** `--session-id`, as given (the client refuses an empty one). */
  readonly sessionId: string;
  /** `--api-key`; undefined lets the client read `NOTTE_API_KEY`. */
  readonly apiKey: string | undefined;
  /** `--base-url`; undefined lets the client read `NOTTE_API_URL`. */
  readonly baseUrl: string | undefined;
  /** `--timeout`, in milliseconds; undefined keeps the client's default. */
  readonly timeoutMs: number | undefined;
  /** `--max-retries`; undefined keeps the client's default. */
  readonly maxRetries: number | undefined;
  /** `--json`, `--quiet`, or neither. */
  readonly output: OutputMode;
}

/** A request to stop every agent listed in a file (or stdin), with every option checked. */
export interface BatchCommand extends Omit<
  StopCommand,
  "kind" | "agentId" | "sessionId"
> {
  readonly kind: "batch";
  /** `--from`: the list's path, or `-` for stdin. */
  readonly from: string;
  /** `--concurrency`; undefined keeps `stopMany`'s default. */
  readonly concurrency: number | undefined;
}

/** What the arguments ask for. */
export type CliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "usage-error"; readonly message: string }
  | StopCommand
  | BatchCommand;

/** Most calls `--concurrency` allows in flight, as `stopMany` does. */
export const MAX_CONCURRENCY = 64;

// String options take `multiple` only so that a repeated one can be refused:
// with the default, parseArgs silently keeps the last, hiding a typo such as
// two different session ids.
const OPTIONS = {
  "session-id": { type: "string", multiple: true },
  "api-key": { type: "string", multiple: true },
  "base-url": { type: "string", multiple: true },
  timeout: { type: "string", multiple: true },
  "max-retries": { type: "string", multiple: true },
  from: { type: "string", multiple: true },
  concurrency: { type: "string", multiple: true },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

const STRING_OPTIONS = [
  "session-id",
  "api-key",
  "base-url",
  "timeout",
  "max-retries",
  "from",
  "concurrency",
] as const;

/**
 * Reads the command line (without the `node` and script paths).
 *
 * `--help` and `--version` win over everything else once the line parses.
 * Numbers are checked with the client's own rules, so a value the client
 * would refuse is a usage error here, reported before anything is sent.
 * Messages never repeat an option's value except for the numeric ones.
 */
export function parseCliArgs(args: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usageError(describeParseError(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };

  for (const name of STRING_OPTIONS) {
    const given = values[name];
    if (given !== undefined && given.length > 1) {
      return usageError(`--${name} is given ${given.length} times`);
    }
  }

  if (values.json === true && values.quiet === true) {
    return usageError("--json and --quiet exclude each other");
  }
  const timeout = numberOption(
    "--timeout",
    "timeoutMs",
    values.timeout?.[0],
    checkTimeoutMs,
  );
  if (typeof timeout === "object") return timeout;
  const maxRetries = numberOption(
    "--max-retries",
    "maxRetries",
    values["max-retries"]?.[0],
    checkMaxRetries,
  );
  if (typeof maxRetries === "object") return maxRetries;
  const common = {
    apiKey: values["api-key"]?.[0],
    baseUrl: values["base-url"]?.[0],
    timeoutMs: timeout,
    maxRetries,
    output:
      values.json === true
        ? ("json" as const)
        : values.quiet === true
          ? ("quiet" as const)
          : ("summary" as const),
  };

  const from = values.from?.[0];
  if (from !== undefined) {
    if (positionals.length > 0 || values["session-id"] !== undefined) {
      return usageError(
        "--from excludes <agent-id> and --session-id: the ids are in the list",
      );
    }
    if (from === "") return usageError("--from is empty (use - for stdin)");
    const concurrency = numberOption(
      "--concurrency",
      "concurrency",
      values.concurrency?.[0],
      checkConcurrency,
    );
    if (typeof concurrency === "object") return concurrency;
    return { kind: "batch", from, concurrency, ...common };
  }
  if (values.concurrency !== undefined) {
    return usageError("--concurrency needs --from");
  }

  if (positionals.length === 0) return usageError("missing <agent-id>");
  if (positionals.length > 1) {
    return usageError(
      `expected one <agent-id>, got ${positionals.length} arguments`,
    );
  }
  // An empty or blank id is a missing argument (exit 2), not a request the API refused.
  if (positionals[0]?.trim() === "") return usageError("<agent-id> is empty");
  const sessionId = values["session-id"]?.[0];
  if (sessionId === undefined) return usageError("missing --session-id <id>");
  if (sessionId.trim() === "") return usageError("--session-id is empty");

  return {
    kind: "stop",
    // Safe: the length was checked above; noUncheckedIndexedAccess cannot see it.
    agentId: positionals[0] as string,
    sessionId,
    ...common,
  };
}

/** `--concurrency`: stopMany's own bounds, checked here so the message names the flag. */
function checkConcurrency(
  value: unknown,
  ErrorType: new (message: string) => Error,
): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_CONCURRENCY
  ) {
    throw new ErrorType(
      `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`,
    );
  }
  return value;
}

function usageError(message: string): CliCommand {
  return { kind: "usage-error", message };
}

type Checker = (
  value: unknown,
  ErrorType: new (message: string) => Error,
) => number;

/**
 * A whole decimal number checked by the client's rule, or the usage error.
 * Only digits are accepted: `Number()` alone would take "", " 5", "1e3" and "0x10".
 */
function numberOption(
  flag: string,
  clientName: string,
  text: string | undefined,
  check: Checker,
): number | undefined | { kind: "usage-error"; message: string } {
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  try {
    return check(value, Error);
  } catch (error) {
    // Reuse the client's wording (and limits) under the flag's name.
    const reason = error instanceof Error ? error.message : String(error);
    const message = reason.startsWith(clientName)
      ? `${flag}${reason.slice(clientName.length)}`
      : `${flag}: ${reason}`;
    return {
      kind: "usage-error",
      message: `${message}, not ${JSON.stringify(text.slice(0, 40))}`,
    };
  }
}

/**
 * parseArgs' messages span several sentences or lines: say the same in a few
 * words, naming the option (never its value).
 */
function describeParseError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const firstLine = error.message.split("\n")[0] ?? error.message;
  const name = /'(-[^' ]*)/.exec(firstLine)?.[1] ?? "an option";
  if ((error as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `unknown option ${name}`;
  }
  if (/ambiguous/.test(firstLine)) {
    return `${name} needs a value (one starting with "-" is written ${name}=-value)`;
  }
  if (/argument missing/.test(firstLine)) return `${name} needs a value`;
  if (/does not take an argument/.test(firstLine)) {
    return `${name} takes no value`;
  }
  const sentence = firstLine.replace(/\.$/, "");
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

/**
 * Every value given to `--api-key` on a raw command line, parseable or not,
 * so that even a usage error can redact them.
 */
export function apiKeysIn(args: readonly string[]): string[] {
  const keys: string[] = [];
  args.forEach((arg, index) => {
    if (arg === "--api-key") {
      const next = args[index + 1];
      // parseArgs takes no spaced value starting with "-" (it is the next option).
      if (next !== undefined && !next.startsWith("-")) keys.push(next);
    } else if (arg.startsWith("--api-key=")) {
      keys.push(arg.slice("--api-key=".length));
    }
  });
  return keys;
}
