/**
 * What `notte-agent-stop` prints and how it exits, as pure functions: the one-agent summary,
 * the one-line error, the exit status of each error, and with `--from` each agent's outcome
 * (its line on stdout, its `--json` line, its failure on stderr), the progress and summary
 * lines and the batch's exit status; then the redaction every printed line goes through.
 *
 * @packageDocumentation
 */
import {
  NotteAbortError,
  NotteApiError,
  NotteConfigError,
  NotteConnectionError,
  NotteError,
  NotteNotFoundError,
  NotteInvalidRequestError,
  type AgentStatusResponse,
  type StopManyProgress,
  type StopManyResult,
} from "../index.js";
import { Redactor } from "../errors.js";
import { inCommandTerms } from "./args.js";
import type { ListedAgent } from "./batch.js";

/** The command's exit statuses, as listed in `--help`. */
export const EXIT_CODES = {
  /** The agent is stopped. */
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
  /** SIGTERM (kill, systemd, Kubernetes, CI runners): 128 + 15. */
  terminated: 143,
} as const;

/** The signals that abort the calls in flight instead of killing the command. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** The exit status after `signal` cut the command short: 128 + its number, as shells report. */
export function signalExitCode(signal: StopSignal): number {
  return signal === "SIGTERM" ? EXIT_CODES.terminated : EXIT_CODES.interrupted;
}

/**
 * The exit status for an error thrown while stopping an agent. An abort can only come from a
 * signal; `signal` says which (Ctrl-C when unknown).
 */
export function exitCodeFor(
  error: unknown,
  signal: StopSignal = "SIGINT",
): number {
  if (error instanceof NotteConfigError) return EXIT_CODES.config;
  if (error instanceof NotteInvalidRequestError) return EXIT_CODES.refused;
  if (error instanceof NotteAbortError) return signalExitCode(signal);
  // A 404 whose status request failed: whether the agent was already stopped is not known.
  if (error instanceof NotteNotFoundError && error.cause instanceof NotteError)
    return EXIT_CODES.failed;
  if (error instanceof NotteApiError) {
    // The status class decides: a 4xx will not change by asking again; any
    // other answer (5xx, or a 2xx/3xx that is not an agent status) is a failure.
    // 408, 409 and 429 are worth another try later: failures, not refusals.
    const transient = [408, 409, 429].includes(error.status);
    return error.status >= 400 && error.status <= 499 && !transient
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
export function errorLine(
  error: unknown,
  signal: StopSignal = "SIGINT",
): string {
  if (error instanceof NotteAbortError) {
    return `${error.name}: interrupted (${signal}), the request was aborted`;
  }
  if (!(error instanceof Error))
    return `unexpected error: ${oneLine(String(error))}`;
  // The client's messages name its options; the command speaks of its flags.
  let message = inCommandTerms(error.message);
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

/**
 * What became of one agent of a list: the one place a result is classified, so the stdout
 * line, the summary, the failure lines and the exit status agree. A new outcome is one more
 * member here and one more word in {@link OUTCOME_WORDS}.
 */
type Outcome = "stopped" | "already-stopped" | "failed" | "aborted";

/** How each outcome reads in an agent's stdout line (one word, for `awk '$3 == …'`). */
const OUTCOME_WORDS: Readonly<Record<Outcome, string>> = {
  stopped: "stopped",
  "already-stopped": "already-stopped",
  failed: "failed",
  aborted: "aborted",
};

function outcomeOf(result: StopManyResult): Outcome {
  if (result.ok) return result.alreadyStopped ? "already-stopped" : "stopped";
  return result.error instanceof NotteAbortError ? "aborted" : "failed";
}

/** The line shown (and rewritten in place) on a terminal while the batch runs. */
export function progressLine(progress: StopManyProgress): string {
  return `stopping ${progress.done}/${progress.total} · ${progress.stopped} stopped · ${progress.failed} failed`;
}

/**
 * An agent's line on stdout: `AGENT_ID SESSION_ID OUTCOME`, and for a failure its error
 * (`a7 s1 failed NotteNotFoundError: 404 …`). The ids come first, as in the list, so that
 * `awk '$3 != "stopped" {print $1, $2}'` makes a list of what is left to stop.
 */
export function agentLine(agent: ListedAgent, result: StopManyResult): string {
  const outcome = outcomeOf(result);
  const line = `${printable(agent.agentId)} ${printable(agent.sessionId)} ${OUTCOME_WORDS[outcome]}`;
  return outcome === "failed" && !result.ok
    ? `${line} ${errorLine(result.error)}`
    : line;
}

/** The `--json` line of one agent: its list line, ids, and status or error. */
export function jsonLine(agent: ListedAgent, result: StopManyResult): string {
  const ids = {
    line: agent.line,
    agent_id: agent.agentId,
    session_id: agent.sessionId,
  };
  if (result.ok) {
    const already = result.alreadyStopped && { already_stopped: true };
    return JSON.stringify({
      ...ids,
      ok: true,
      ...already,
      status: result.status,
    });
  }
  const { error } = result;
  return JSON.stringify({
    ...ids,
    ok: false,
    error: {
      name: error.name,
      message: error.message,
      ...("status" in error && { status: error.status }),
    },
  });
}

/**
 * One line per failed agent, in input order: `line 7: agent a7, session s1: NotteNotFoundError:
 * 404 Agent not found`. Agents that a signal cut short are counted in the summary instead.
 */
export function failureLines(
  agents: readonly ListedAgent[],
  results: readonly StopManyResult[],
): string[] {
  const lines: string[] = [];
  results.forEach((result, index) => {
    const agent = agents[index];
    if (result.ok || outcomeOf(result) !== "failed") return;
    const where =
      agent === undefined
        ? ""
        : `line ${agent.line}: agent ${printable(agent.agentId)}, session ${printable(agent.sessionId)}: `;
    lines.push(`${where}${errorLine(result.error)}`);
  });
  return lines;
}

/**
 * The last line on stderr: `stopped 118 of 120 agents · 2 failed`, and after Ctrl-C
 * `interrupted (SIGINT): stopped 3 of 10 agents · 1 failed · 6 aborted or not sent`.
 */
export function summaryLine(
  results: readonly StopManyResult[],
  signal: StopSignal = "SIGINT",
): string {
  const count: Record<Outcome, number> = {
    stopped: 0,
    "already-stopped": 0,
    failed: 0,
    aborted: 0,
  };
  for (const result of results) count[outcomeOf(result)] += 1;
  const already = count["already-stopped"];
  const stopped = count.stopped + already;
  const parts = [`stopped ${stopped} of ${results.length} agents`];
  if (already > 0) parts.push(`${already} of them already stopped`);
  if (count.failed > 0 || count.aborted > 0)
    parts.push(`${count.failed} failed`);
  if (count.aborted > 0) parts.push(`${count.aborted} aborted or not sent`);
  const prefix = count.aborted > 0 ? `interrupted (${signal}): ` : "";
  return `${prefix}${parts.join(" · ")}`;
}

/**
 * 130 (143 for SIGTERM) when a signal cut the batch short; else 5 when any agent failed for
 * the network or the server; else 4 when any was refused; else 0.
 */
export function batchExitCode(
  results: readonly StopManyResult[],
  signal: StopSignal = "SIGINT",
): number {
  let code: number = EXIT_CODES.stopped;
  for (const result of results) {
    if (result.ok) continue;
    const own = exitCodeFor(result.error, signal);
    if (own === signalExitCode(signal)) return own;
    if (own === EXIT_CODES.refused) {
      if (code === EXIT_CODES.stopped) code = own;
    } else {
      // A failure of the network or the server, or anything unexpected: the batch failed.
      code = EXIT_CODES.failed;
    }
  }
  return code;
}

/** Whitespace runs become one space, then anything unprintable is escaped: one line. */
function oneLine(text: string): string {
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

/**
 * The text with each secret redacted as the client redacts its key (its
 * JSON-escaped and percent-encoded forms too; a short one where it stands
 * alone). The client never puts the key in a message, but a server may echo
 * it and a stack may carry it: this is the last gate before anything is printed.
 */
export function redact(text: string, secrets: readonly string[]): string {
  // Longest first, so a key that contains another is replaced whole.
  const keys = [...new Set(secrets)]
    .filter((secret) => secret !== "")
    .sort((a, b) => b.length - a.length);
  return keys.reduce((result, key) => new Redactor(key).text(result), text);
}
