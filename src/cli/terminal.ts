/**
 * The process side that both modes of `notte-agent-stop` share: the client built from the
 * command line (its configuration errors told in the command's own flags and variables),
 * error lines and debug logs on stderr (always redacted), and the signals that abort the
 * calls in flight (Ctrl-C and SIGTERM).
 *
 * @packageDocumentation
 */
import { format } from "node:util";
import {
  NotteClient,
  NotteConfigError,
  type FetchLike,
  type NotteLogger,
} from "../index.js";
import {
  COMMAND_NAME,
  inCommandTerms,
  type BatchCommand,
  type StopCommand,
} from "./args.js";
import { redact, signalExitCode, type StopSignal } from "./report.js";

/** Sent as `x-notte-request-origin`, so the API can tell this command from library calls. */
const REQUEST_ORIGIN = "notte-api-client-cli";

/** The variables the command itself reads: the key and the debug switch (the client reads `NOTTE_API_URL`). */
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

/**
 * The client for the command; `NOTTE_DEBUG=1` adds a logger on stderr.
 *
 * @throws NotteConfigError in the command's terms: no key at all is checked here (the key is
 *   the command's own input: `--api-key`, else `NOTTE_API_KEY`); every other rule is the
 *   client's, its message told with the command's flag and variable names.
 */
export function createClient(
  command: StopCommand | BatchCommand,
  env: CliEnvironment,
  fetch?: FetchLike,
): NotteClient {
  const apiKey = command.apiKey ?? env.NOTTE_API_KEY;
  if (command.apiKey === "") {
    throw new NotteConfigError(
      "--api-key is empty (an empty flag does not fall back to NOTTE_API_KEY)",
    );
  }
  if (apiKey === undefined || apiKey === "") {
    throw new NotteConfigError(
      "No API key: pass --api-key or set NOTTE_API_KEY",
    );
  }
  try {
    return new NotteClient({
      apiKey,
      baseUrl: command.baseUrl,
      allowInsecureHttp: command.allowInsecureHttp,
      timeoutMs: command.timeoutMs,
      maxRetries: command.maxRetries,
      requestOrigin: REQUEST_ORIGIN,
      ...(fetch !== undefined && { fetch }),
      ...(env.NOTTE_DEBUG === "1" && {
        logger: stderrLogger(secretsOf(command, env)),
        logLevel: "debug" as const,
      }),
    });
  } catch (error) {
    if (!(error instanceof NotteConfigError)) throw error;
    throw new NotteConfigError(
      inCommandTerms(error.message, command.baseUrl !== undefined),
      { cause: error },
    );
  }
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

/** What {@link interruptOnSignals} hands back. */
interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM: pass it to every call. */
  readonly signal: AbortSignal;
  /** Which signal aborted it, once one did. */
  readonly received: StopSignal | undefined;
  /** Restores Node's default (die at once) for both signals. */
  dispose(): void;
}

/**
 * Turns Ctrl-C (SIGINT) and SIGTERM (what `kill`, systemd, Kubernetes and CI runners send)
 * into an abort of `signal` instead of Node's default (die at once), so requests are aborted
 * rather than left half-sent and the command still reports what was done; a second signal
 * exits at once. Install it before anything is sent.
 */
export function interruptOnSignals(): Interrupt {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = (): void => {
      if (received !== undefined) process.exit(signalExitCode(name));
      received = name;
      controller.abort();
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: () => {
      for (const off of handlers) off();
    },
  };
}
