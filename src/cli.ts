#!/usr/bin/env node
/**
 * `notte-agent-stop`: stops a Notte agent, or every agent of a list, from the command line.
 *
 * This file is the I/O shell of the one-agent mode (process, streams); the list mode lives in
 * `./cli/batch.ts`, what the arguments mean in `./cli/args.ts`, what gets printed in
 * `./cli/report.ts`, and what both modes share with the process in `./cli/terminal.ts`.
 * Nothing imports it: it is reached through the package's `bin` entry, never through the
 * library.
 *
 * @packageDocumentation
 */
import { inspect } from "node:util";
import {
  apiKeysIn,
  COMMAND_NAME,
  helpText,
  parseCliArgs,
  versionText,
  type StopCommand,
} from "./cli/args.js";
import { runBatch } from "./cli/batch.js";
import {
  EXIT_CODES,
  errorLine,
  exitCodeFor,
  redact,
  summaryText,
} from "./cli/report.js";
import {
  createClient,
  interruptOnSignals,
  secretsOf,
  writeError,
  type CliEnvironment,
} from "./cli/terminal.js";
import { NotteAlreadyStoppedError, type FetchLike } from "./index.js";

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
    case "batch":
      return runBatch(command, env);
  }
}

async function stop(
  command: StopCommand,
  env: CliEnvironment,
): Promise<number> {
  const secrets = secretsOf(command, env);
  const interrupt = interruptOnSignals();

  // `--json` prints the body exactly as received; the client reads (and checks)
  // the body itself, so keep an unread copy of the latest attempt's answer.
  let lastAnswer: Response | undefined;
  const keepCopy: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    // An earlier attempt's copy is never read: cancel it so its buffer is freed.
    lastAnswer?.body?.cancel().catch(() => {
      // Nothing to do: the copy is dropped either way.
    });
    lastAnswer = response.clone();
    return response;
  };

  try {
    const client = createClient(
      command,
      env,
      command.output === "json" ? keepCopy : undefined,
    );
    const ids = { agentId: command.agentId, sessionId: command.sessionId };
    // Idempotent, as `docker stop` is: an agent already stopped is an outcome, not a failure.
    const status = await client.agents
      .stop(ids, { signal: interrupt.signal })
      .catch((error: unknown) => {
        if (!(error instanceof NotteAlreadyStoppedError)) throw error;
        if (command.output !== "quiet") {
          writeError(`agent ${command.agentId} was already stopped`, secrets);
        }
        return error.agent;
      });
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
    writeError(errorLine(error, interrupt.received), secrets);
    if (env.NOTTE_DEBUG === "1") {
      process.stderr.write(
        `${redact(inspect(error, { depth: 6 }), secrets)}\n`,
      );
    }
    return exitCodeFor(error, interrupt.received);
  } finally {
    interrupt.dispose();
  }
}

// A reader that goes away (`… | head -1`, `2>&1 | head -c10`) is not an error of this
// command: what it would have printed is lost, the exit status is still the right one.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED")
      throw error;
  });
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    // exitCode rather than exit(): let stdout drain to a slow pipe first.
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only a bug gets here; stay within the one-line rule unless debugging.
    const secrets = [process.env.NOTTE_API_KEY ?? ""];
    writeError(errorLine(error), secrets);
    if (process.env.NOTTE_DEBUG === "1") {
      process.stderr.write(`${redact(inspect(error), secrets)}\n`);
    }
    process.exitCode = EXIT_CODES.unexpected;
  },
);
