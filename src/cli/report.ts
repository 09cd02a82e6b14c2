/**
 * What `notte-agent-stop` prints and how it exits, as pure functions: the
 * success summary, the one-line error, the exit status of each error, and the
 * redaction every printed line goes through.
 *
 * @packageDocumentation
 */
import {
  NotteAbortError,
  NotteApiError,
  NotteConfigError,
  NotteConnectionError,
  NotteInvalidRequestError,
} from "../errors.js";
import type { AgentStatusResponse } from "../types.js";

/** The command's exit statuses, as listed in `--help`. */
export const EXIT_CODES = {
  /** The agent is stopped (or was already). */
  stopped: 0,
  /** Not one of this package's errors: a bug. */
  unexpected: 1,
  /** Unknown option, missing argument, bad number. */
  usage: 2,
  /** `NotteConfigError`: no key, unusable base URL. */
  config: 3,
  /** The API answered 4xx, or the ids were refused before sending. */
  refused: 4,
  /** 5xx, connection lost, timeout, or a 2xx whose body is unusable. */
  failed: 5,
  /** Ctrl-C: 128 + SIGINT (2), as shells report it. */
  interrupted: 130,
} as const;

/** The exit status for an error thrown while stopping the agent. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof NotteConfigError) return EXIT_CODES.config;
  if (error instanceof NotteInvalidRequestError) return EXIT_CODES.refused;
  if (error instanceof NotteAbortError) return EXIT_CODES.interrupted;
  if (error instanceof NotteApiError) {
    // The status class decides: a 4xx will not change by asking again; any
    // other answer (5xx, or a 2xx/3xx that is not an agent status) is a failure.
    return error.status >= 400 && error.status <= 499
      ? EXIT_CODES.refused
      : EXIT_CODES.failed;
  }
  if (error instanceof NotteConnectionError) return EXIT_CODES.failed;
  return EXIT_CODES.unexpected;
}

/**
 * The error as one line: `ErrorClass: message`, where an API error's message
 * starts with its status and carries the server's own words (from the client).
 * Never a stack: that is for `NOTTE_DEBUG=1`, printed apart.
 */
export function errorLine(error: unknown): string {
  if (error instanceof NotteAbortError) {
    return `${error.name}: interrupted (SIGINT), the request was aborted`;
  }
  if (!(error instanceof Error))
    return `unexpected error: ${oneLine(String(error))}`;
  let message = error.message;
  if (error instanceof NotteApiError) {
    // The client puts the status first; make sure it is there whatever the message.
    if (!message.startsWith(String(error.status)))
      message = `${error.status} ${message}`;
    if (error.errorClass !== undefined)
      message = `${message} (x-error-class: ${error.errorClass})`;
  }
  return oneLine(`${error.name}: ${message}`);
}

const SUMMARY_LABELS = [
  ["agent", "agent_id"],
  ["session", "session_id"],
  ["status", "status"],
  ["closed at", "closed_at"],
  ["success", "success"],
  ["answer", "answer"],
] as const satisfies readonly (readonly [string, keyof AgentStatusResponse])[];

const LABEL_WIDTH =
  Math.max(...SUMMARY_LABELS.map(([label]) => label.length)) + 2;

/**
 * The default output: one `label: value` line per field, values made printable
 * so a multi-line answer (or a terminal escape from the server) stays on its line.
 * A null or missing value prints as `-`.
 */
export function summaryText(status: AgentStatusResponse): string {
  let text = "";
  for (const [label, field] of SUMMARY_LABELS) {
    const value: unknown = status[field];
    const shown =
      value === null || value === undefined ? "-" : printable(String(value));
    text += `${`${label}:`.padEnd(LABEL_WIDTH)}${shown}\n`;
  }
  return text;
}

/** Whitespace runs become one space, then anything unprintable is escaped: one line. */
export function oneLine(text: string): string {
  return printable(text.replace(/\s+/g, " ").trim());
}

// C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the
// bidirectional overrides that can make a terminal show text other than what it is.
const UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/** Escapes control and direction characters (`\n`, `\u001b`, …) so server text cannot steer the terminal. */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (char) =>
      NAMED_ESCAPES[char] ??
      `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The redaction mark that replaces a secret in printed text. */
export const REDACTED = "[redacted]";

/**
 * Replaces every occurrence of each secret with {@link REDACTED}. The client
 * never puts the key in a message, but a server may echo it (`invalid key …`)
 * and a stack may carry it; this is the last gate before anything is printed.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first, so a key that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "") result = result.split(secret).join(REDACTED);
  }
  return result;
}
