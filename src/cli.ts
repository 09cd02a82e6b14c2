#!/usr/bin/env node
/**
 * `notte-agent-stop`: stops a Notte agent from the command line.
 *
 * This file is the I/O shell only (process, streams, signals); what the
 * arguments mean and what gets printed live in `./cli/`. Nothing imports it:
 * it is reached through the package's `bin` entry, never through the library.
 *
 * @packageDocumentation
 */
import { format, inspect } from "node:util";
import {
  apiKeysIn,
  COMMAND_NAME,
  helpText,
  parseCliArgs,
  versionText,
  type StopCommand,
} from "./cli/args.js";
import {
  EXIT_CODES,
  errorLine,
  exitCodeFor,
  redact,
  summaryText,
} from "./cli/report.js";
import { NotteClient } from "./client.js";
import type { FetchLike } from "./config.js";
import type { NotteLogger } from "./log.js";

/** Sent as `x-notte-request-origin`, so the API can tell this command from library calls. */
const REQUEST_ORIGIN = "notte-api-client-cli";

/** The variables the command itself reads: the key (only to redact it) and the debug switch. */
interface CliEnvironment {
  readonly NOTTE_API_KEY?: string | undefined;
  readonly NOTTE_DEBUG?: string | undefined;
}

/**
 * Runs the command and resolves to its exit status. Never rejects for an
 * expected failure: every error is reported here, as one line on stderr.
 */
async function main(
  args: readonly string[],
  env: CliEnvironment,
): Promise<number> {
  const command = parseCliArgs(args);
  switch (command.kind) {
    case "help":
      process.stdout.write(helpText());
      return EXIT_CODES.stopped;
    case "version":
      process.stdout.write(versionText());
      return EXIT_CODES.stopped;
    case "usage-error":
      // Messages repeat no value but a number's; still, whatever looks like a
      // key on this line (even one parseArgs refused) is redacted.
      writeError(`${command.message} (see ${COMMAND_NAME} --help)`, [
        ...apiKeysIn(args),
        env.NOTTE_API_KEY ?? "",
      ]);
      return EXIT_CODES.usage;
    case "stop":
      return stop(command, env);
  }
}

async function stop(
  command: StopCommand,
  env: CliEnvironment,
): Promise<number> {
  // Every key the client could send: whichever it uses, none may be printed.
  const secrets = [command.apiKey ?? "", env.NOTTE_API_KEY ?? ""];
  const debug = env.NOTTE_DEBUG === "1";
  const interrupt = new AbortController();
  const onSigint = (): void => {
    // A second Ctrl-C means "now", even if the abort has not settled yet.
    if (interrupt.signal.aborted) process.exit(EXIT_CODES.interrupted);
    interrupt.abort();
  };
  // Listening replaces Node's default (die at once), so the request is aborted
  // rather than left half-sent; installed before anything can be sent.
  process.on("SIGINT", onSigint);

  // `--json` prints the body exactly as received; the client reads (and checks)
  // the body itself, so keep an unread copy of the latest attempt's answer.
  let lastAnswer: Response | undefined;
  const keepCopy: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    // An earlier attempt's copy is never read: cancel it so its buffer is freed.
    lastAnswer?.body?.cancel().catch(ignore);
    lastAnswer = response.clone();
    return response;
  };

  try {
    const client = new NotteClient({
      apiKey: command.apiKey,
      baseUrl: command.baseUrl,
      timeoutMs: command.timeoutMs,
      maxRetries: command.maxRetries,
      requestOrigin: REQUEST_ORIGIN,
      ...(command.output === "json" && { fetch: keepCopy }),
      ...(debug && {
        logger: stderrLogger(secrets),
        logLevel: "debug" as const,
      }),
    });
    const status = await client.agents.stop(
      { agentId: command.agentId, sessionId: command.sessionId },
      { signal: interrupt.signal },
    );
    if (command.output === "summary") {
      process.stdout.write(redact(summaryText(status), secrets));
    } else if (command.output === "json") {
      const raw =
        lastAnswer === undefined
          ? JSON.stringify(status)
          : await lastAnswer.text();
      process.stdout.write(
        redact(raw.endsWith("\n") ? raw : `${raw}\n`, secrets),
      );
    }
    return EXIT_CODES.stopped;
  } catch (error) {
    writeError(errorLine(error), secrets);
    if (debug) {
      process.stderr.write(
        `${redact(inspect(error, { depth: 6 }), secrets)}\n`,
      );
    }
    return exitCodeFor(error);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function writeError(line: string, secrets: readonly string[]): void {
  process.stderr.write(`${redact(`${COMMAND_NAME}: ${line}`, secrets)}\n`);
}

/** The client's log lines, for `NOTTE_DEBUG=1`: on stderr, redacted like everything else. */
function stderrLogger(secrets: readonly string[]): NotteLogger {
  const line = (
    level: string,
    message: string,
    details?: Record<string, unknown>,
  ): void => {
    const text =
      details === undefined ? message : format("%s %o", message, details);
    process.stderr.write(`${redact(`${level}: ${text}`, secrets)}\n`);
  };
  const lineAt =
    (level: keyof NotteLogger) =>
    (message: string, details?: Record<string, unknown>): void =>
      line(level, message, details);
  return {
    error: lineAt("error"),
    warn: lineAt("warn"),
    info: lineAt("info"),
    debug: lineAt("debug"),
  };
}

function ignore(): void {}

// A reader that goes away (`… | head -1`) is not an error of this command.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

// Top-level await is not an option: this file is also compiled as CommonJS.
main(process.argv.slice(2), process.env).then(
  (code) => {
    // exitCode rather than exit(): let stdout drain to a slow pipe first.
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only a bug gets here; stay within the one-line rule unless debugging.
    process.stderr.write(
      `${COMMAND_NAME}: ${redact(errorLine(error), [process.env.NOTTE_API_KEY ?? ""])}\n`,
    );
    if (process.env.NOTTE_DEBUG === "1") {
      process.stderr.write(
        `${redact(inspect(error), [process.env.NOTTE_API_KEY ?? ""])}\n`,
      );
    }
    process.exitCode = EXIT_CODES.unexpected;
  },
);
