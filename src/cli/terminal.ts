/**
 * The process side that both modes of `notte-agent-stop` share: the client's options from the
 * command line, error lines and debug logs on stderr (always redacted), and Ctrl-C.
 *
 * @packageDocumentation
 */
import { format } from "node:util";
import type { NotteClientOptions, NotteLogger } from "../options.js";
import type { BatchCommand, StopCommand } from "./args.js";
import { COMMAND_NAME } from "./args.js";
import { EXIT_CODES, redact } from "./report.js";

/** Sent as `x-notte-request-origin`, so the API can tell this command from library calls. */
const REQUEST_ORIGIN = "notte-api-client-cli";

/** The variables the command itself reads: the key (only to redact it) and the debug switch. */
export interface CliEnvironment {
  readonly NOTTE_API_KEY?: string | undefined;
  readonly NOTTE_DEBUG?: string | undefined;
}

/** Every key the client could send: whichever it uses, none may be printed. */
export function secretsOf(
  command: StopCommand | BatchCommand,
  env: CliEnvironment,
): string[] {
  return [command.apiKey ?? "", env.NOTTE_API_KEY ?? ""];
}

/** The client's options for the command; `NOTTE_DEBUG=1` adds a logger on stderr. */
export function clientOptions(
  command: StopCommand | BatchCommand,
  env: CliEnvironment,
): NotteClientOptions {
  return {
    apiKey: command.apiKey,
    baseUrl: command.baseUrl,
    timeoutMs: command.timeoutMs,
    maxRetries: command.maxRetries,
    requestOrigin: REQUEST_ORIGIN,
    ...(env.NOTTE_DEBUG === "1" && {
      logger: stderrLogger(secretsOf(command, env)),
      logLevel: "debug" as const,
    }),
  };
}

/** One `notte-agent-stop: …` line on stderr, redacted. */
export function writeError(line: string, secrets: readonly string[]): void {
  process.stderr.write(`${redact(`${COMMAND_NAME}: ${line}`, secrets)}\n`);
}

/** The client's log lines, for `NOTTE_DEBUG=1`: on stderr, redacted like everything else. */
function stderrLogger(secrets: readonly string[]): NotteLogger {
  const lineAt =
    (level: keyof NotteLogger) =>
    (message: string, details?: Record<string, unknown>): void => {
      const text =
        details === undefined ? message : format("%s %o", message, details);
      process.stderr.write(`${redact(`${level}: ${text}`, secrets)}\n`);
    };
  return {
    error: lineAt("error"),
    warn: lineAt("warn"),
    info: lineAt("info"),
    debug: lineAt("debug"),
  };
}

/**
 * Turns Ctrl-C into an abort of `signal` instead of Node's default (die at once), so requests
 * are aborted rather than left half-sent; a second Ctrl-C exits at once. Install it before
 * anything is sent; `dispose` restores the default.
 */
export function interruptOnSigint(): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(EXIT_CODES.interrupted);
    interrupt.abort();
  };
  process.on("SIGINT", onSigint);
  return {
    signal: interrupt.signal,
    dispose: () => process.off("SIGINT", onSigint),
  };
}
