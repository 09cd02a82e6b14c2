/**
 * `notte-agent-stop --from FILE`: the I/O shell of the list mode. It reads the whole list
 * first (nothing is sent unless every line parses), stops the agents with
 * `agents.stopMany`, shows progress while stderr is a terminal, and prints `--json` lines,
 * failures and the summary at the end, Ctrl-C included.
 *
 * @packageDocumentation
 */
import { readFile, stat } from "node:fs/promises";
import { inspect } from "node:util";
import { NotteClient } from "../client.js";
import type { StopManyProgress } from "../client.js";
import { parseAgentList } from "./agent-list.js";
import { COMMAND_NAME, type BatchCommand } from "./args.js";
import {
  batchExitCode,
  failureLines,
  jsonLine,
  progressLine,
  summaryLine,
} from "./batch-report.js";
import { EXIT_CODES, errorLine, exitCodeFor, redact } from "./report.js";
import {
  clientOptions,
  interruptOnSigint,
  secretsOf,
  writeError,
  type CliEnvironment,
} from "./terminal.js";

/** A list larger than this is refused: it is a list of ids, not a data set. */
const MAX_LIST_BYTES = 64 * 1024 * 1024;
/** The progress line is redrawn at most this often. */
const PROGRESS_INTERVAL_MS = 100;

/** Runs the list mode and resolves to the exit status. */
export async function runBatch(
  command: BatchCommand,
  env: CliEnvironment,
): Promise<number> {
  const secrets = secretsOf(command, env);
  const usage = (message: string): number => {
    writeError(`${message} (see ${COMMAND_NAME} --help)`, secrets);
    return EXIT_CODES.usage;
  };
  const source = command.from === "-" ? "stdin" : command.from;
  let text: string;
  try {
    text = await readList(command.from);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return usage(
      `cannot read ${source}: ${typeof code === "string" ? code : errorLine(error)}`,
    );
  }
  const list = parseAgentList(text);
  if (!list.ok) return usage(`${source}, ${list.message}`);

  const interrupt = interruptOnSigint();
  try {
    let client: NotteClient;
    try {
      client = new NotteClient(clientOptions(command, env));
    } catch (error) {
      writeError(errorLine(error), secrets);
      return exitCodeFor(error);
    }
    const progress = progressDisplay();
    const results = await client.agents.stopMany(list.agents, {
      signal: interrupt.signal,
      concurrency: command.concurrency,
      onProgress: progress.update,
    });
    progress.clear();
    if (command.output === "json") {
      const lines = list.agents.map((agent, index) =>
        // Safe: stopMany resolves one result per item.
        jsonLine(agent, results[index]!),
      );
      if (lines.length > 0)
        process.stdout.write(redact(`${lines.join("\n")}\n`, secrets));
    }
    const code = batchExitCode(results);
    for (const line of failureLines(list.agents, results))
      writeError(line, secrets);
    if (env.NOTTE_DEBUG === "1") {
      for (const result of results) {
        if (!result.ok)
          process.stderr.write(
            `${redact(inspect(result.error, { depth: 6 }), secrets)}\n`,
          );
      }
    }
    if (command.output !== "quiet" || code !== EXIT_CODES.stopped) {
      writeError(summaryLine(results), secrets);
    }
    return code;
  } finally {
    interrupt.dispose();
  }
}

/** The list's text, from the file or stdin, refused past {@link MAX_LIST_BYTES}. */
async function readList(from: string): Promise<string> {
  if (from !== "-") {
    if ((await stat(from)).size > MAX_LIST_BYTES)
      throw new Error("the list is too large");
    return readFile(from, "utf8");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LIST_BYTES) throw new Error("the list is too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The one progress line on a terminal: redrawn in place, throttled; nothing elsewhere. */
function progressDisplay(): {
  update: (progress: StopManyProgress) => void;
  clear: () => void;
} {
  const stderr = process.stderr;
  if (stderr.isTTY !== true) return { update: ignore, clear: ignore };
  let shown = false;
  let lastDrawn = 0;
  return {
    update: (progress) => {
      const now = Date.now();
      if (
        now - lastDrawn < PROGRESS_INTERVAL_MS &&
        progress.done < progress.total
      )
        return;
      lastDrawn = now;
      shown = true;
      // \r back to the start of the line, \x1b[K clears what a longer line left.
      stderr.write(`\r${progressLine(progress)}\x1b[K`);
    },
    clear: () => {
      if (shown) stderr.write("\r\x1b[K");
    },
  };
}

function ignore(): void {}
