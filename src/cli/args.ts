/**
 * The `notte-agent-stop` command line, as pure functions: arguments in, a command (or the
 * reason it is unusable) out, and the `--help` and `--version` texts that describe them. No
 * process, no I/O here, so every rule is tested directly.
 *
 * @packageDocumentation
 */
import { parseArgs } from "node:util";
import { NOTTE_API_VERSION, VERSION } from "../index.js";
// Not exported by the package: the client's own number rules and defaults, so the flags are
// checked and documented exactly as the client applies them.
import { checkNumber, DEFAULTS, RANGES } from "../options.js";

/** The command's name, as installed by the package's `bin` entry. */
export const COMMAND_NAME = "notte-agent-stop";

/** What to print on success. */
type OutputMode = "summary" | "json" | "quiet";

/** A request to stop one agent, with every option checked. */
export interface StopCommand {
  readonly kind: "stop";
  /** The positional `<agent-id>`, as given (the client checks and encodes it). */
  readonly agentId: string;
  /** `--session-id`, as given (the client refuses an empty one). */
  readonly sessionId: string;
  /** `--api-key`; undefined: `NOTTE_API_KEY` is used. */
  readonly apiKey: string | undefined;
  /** `--base-url`; undefined lets the client read `NOTTE_API_URL`. */
  readonly baseUrl: string | undefined;
  /** `--timeout`, in milliseconds; undefined keeps the client's default. */
  readonly timeoutMs: number | undefined;
  /** `--max-retries`; undefined keeps the client's default. */
  readonly maxRetries: number | undefined;
  /** `--allow-insecure-http`: plain `http://` to a host that is not loopback. */
  readonly allowInsecureHttp: boolean;
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
type CliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "usage-error"; readonly message: string }
  | StopCommand
  | BatchCommand;

/**
 * The client's option names as this command spells them. Messages that come from the client
 * (its number rules, its configuration errors) are told in these words: a user of the command
 * never sees an option it does not have.
 */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  apiKey: "--api-key",
  baseUrl: "--base-url",
  allowInsecureHttp: "--allow-insecure-http",
  timeoutMs: "--timeout",
  maxRetries: "--max-retries",
  concurrency: "--concurrency",
  agentId: "<agent-id>",
  sessionId: "--session-id",
};
const OPTION_NAME = new RegExp(
  `\\b(${Object.keys(FLAG_OF_OPTION).join("|")})\\b`,
  "g",
);

/**
 * The message with every client option name replaced by the command's flag; `baseUrl` by
 * `NOTTE_API_URL` when the URL came from there (no `--base-url` given).
 */
export function inCommandTerms(
  message: string,
  baseUrlFlagGiven = true,
): string {
  const baseUrl = baseUrlFlagGiven ? "--base-url" : "NOTTE_API_URL";
  return message
    .replace(/\bbaseUrl \(or NOTTE_API_URL\)/g, baseUrl)
    .replace(OPTION_NAME, (name) =>
      name === "baseUrl" ? baseUrl : (FLAG_OF_OPTION[name] ?? name),
    );
}

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
  "allow-insecure-http": { type: "boolean" },
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
  const timeout = numberOption("--timeout", values.timeout?.[0], "timeoutMs");
  if (typeof timeout === "object") return timeout;
  const maxRetries = numberOption(
    "--max-retries",
    values["max-retries"]?.[0],
    "maxRetries",
  );
  if (typeof maxRetries === "object") return maxRetries;
  const common = {
    apiKey: values["api-key"]?.[0],
    baseUrl: values["base-url"]?.[0],
    timeoutMs: timeout,
    maxRetries,
    allowInsecureHttp: values["allow-insecure-http"] === true,
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
      values.concurrency?.[0],
      "concurrency",
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

function usageError(message: string): CliCommand {
  return { kind: "usage-error", message };
}

/**
 * A whole decimal number checked by the client's rule, or the usage error.
 * Only digits are accepted: `Number()` alone would take "", " 5", "1e3" and "0x10".
 */
function numberOption(
  flag: string,
  text: string | undefined,
  option: keyof typeof RANGES,
): number | undefined | { kind: "usage-error"; message: string } {
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  try {
    return checkNumber(value, option, (message) => {
      throw new Error(message);
    });
  } catch (error) {
    // Reuse the client's wording (and limits) under the flag's name.
    const reason = inCommandTerms(
      error instanceof Error ? error.message : String(error),
    );
    const message = reason.startsWith(flag) ? reason : `${flag}: ${reason}`;
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

/** What `--version` prints: this package's version and the API document's. */
export function versionText(): string {
  return `${COMMAND_NAME} ${VERSION} (notte-api-client ${VERSION}, Notte API ${NOTTE_API_VERSION})\n`;
}

/** What `--help` prints; the defaults come from the client, so they cannot drift. */
export function helpText(): string {
  return `Usage: ${COMMAND_NAME} <agent-id> --session-id <id> [options]
       ${COMMAND_NAME} --from <file> [--concurrency <n>] [options]
       ${COMMAND_NAME} --help | --version

Stops a running Notte agent (DELETE /agents/{agent_id}/stop) and prints its
status. It does not wait for the agent to finish.

With --from, stops every agent listed in the file (- for stdin), one per line:
"AGENT_ID SESSION_ID", or JSON Lines with agent_id and session_id (or agentId
and sessionId). Blank lines and lines starting with # are skipped; a malformed
line is a usage error and nothing is sent. Progress shows on a terminal. At
the end, stdout gets one line per agent of the list, in its order:
"AGENT_ID SESSION_ID OUTCOME" (stopped, already-stopped, failed or aborted;
a failure adds its error), and stderr each failure and a summary. An id with
spaces is printed as it is: read such lists with --json.

Options (as --flag value or --flag=value):
  --session-id <id>    the session the agent runs in (required)
  --api-key <key>      API key (default: NOTTE_API_KEY; prefer the variable:
                       arguments are visible to other users in the process list)
  --base-url <url>     API base URL (default: NOTTE_API_URL, else ${DEFAULTS.baseUrl})
  --allow-insecure-http
                       allow a plain http:// base URL whose host is not loopback
                       (the key then travels unencrypted)
  --timeout <ms>       limit for each attempt, in milliseconds (default ${DEFAULTS.timeoutMs})
  --max-retries <n>    retries after the first attempt, 0 to 10 (default ${DEFAULTS.maxRetries})
  --from <file>        stop every agent listed in the file, or - for stdin
  --concurrency <n>    with --from: calls in flight at most, 1 to ${RANGES.concurrency[1]} (default 8)
  --json               print the API's answer exactly as received, as JSON;
                       with --from, one JSON object per agent, in input order
  --quiet              print nothing on success
  -h, --help           print this help
  --version            print the version of this command and of the Notte API

An <agent-id> that starts with "-" goes after --:  ${COMMAND_NAME} --session-id s -- -a1

Environment:
  NOTTE_API_KEY        API key
  NOTTE_API_URL        API base URL
  NOTTE_DEBUG=1        log each attempt and print stack traces, on stderr

Errors are printed on stderr as one line. Exit status:
  0    the agent is stopped, or already was (a second run is not an error);
       with --from, every agent
  1    unexpected internal error (a bug: please report it)
  2    usage error: unknown option, missing argument, bad number, malformed list
  3    configuration error: no API key, unusable base URL
  4    the API refused the request (401, 403, 404: a wrong key, an unknown
       agent or one of another session, 422), or the ids are unusable; with
       --from, some were refused and none failed otherwise
  5    the API or the network failed, or asked to wait (408, 409, 429, 5xx,
       connection, timeout, unusable answer, a 404 whose status check failed);
       with --from, for any agent
  130  interrupted (Ctrl-C, SIGINT); the requests in flight were aborted
  143  terminated (SIGTERM); the requests in flight were aborted
`;
}
