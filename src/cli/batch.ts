/**
 * `notte-agent-stop --from FILE`: the list mode. Its list, as a pure parser (text in, the agents
 * or the first malformed line out), and the I/O shell around it: it reads the whole list first
 * (nothing is sent unless every line parses), stops the agents with `agents.stopMany`, shows
 * progress while stderr is a terminal, and at the end prints one line (or `--json` object) per
 * agent on stdout, each failure and the summary on stderr, after Ctrl-C or SIGTERM too.
 *
 * @packageDocumentation
 */
import { readFile, stat } from "node:fs/promises";
import { inspect } from "node:util";
import type { NotteClient, StopManyProgress } from "../index.js";
import { COMMAND_NAME, type BatchCommand } from "./args.js";
import {
  agentLine,
  batchExitCode,
  EXIT_CODES,
  errorLine,
  exitCodeFor,
  failureLines,
  jsonLine,
  progressLine,
  redact,
  summaryLine,
} from "./report.js";
import {
  createClient,
  interruptOnSignals,
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

  const interrupt = interruptOnSignals();
  try {
    let client: NotteClient;
    try {
      client = createClient(command, env);
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
    if (command.output !== "quiet") {
      const lineOf = command.output === "json" ? jsonLine : agentLine;
      const lines = list.agents.map((agent, index) =>
        // Safe: stopMany resolves one result per item.
        lineOf(agent, results[index]!),
      );
      if (lines.length > 0)
        process.stdout.write(redact(`${lines.join("\n")}\n`, secrets));
    }
    const signal = interrupt.received;
    const code = batchExitCode(results, signal);
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
      writeError(summaryLine(results, signal), secrets);
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

/** One agent of the list. */
export interface ListedAgent {
  /** 1-based line number in the list, for messages and `--json`. */
  readonly line: number;
  readonly agentId: string;
  readonly sessionId: string;
}

/** The parsed list, or why it is unusable (a message naming the line, never its content). */
type AgentList =
  | { readonly ok: true; readonly agents: ListedAgent[] }
  | { readonly ok: false; readonly message: string };

/**
 * Reads one agent per line: `AGENT_ID SESSION_ID` separated by whitespace, or a JSON object
 * with `agent_id`/`session_id` (or `agentId`/`sessionId`). Blank lines and lines whose first
 * non-blank character is `#` are skipped. Messages never repeat a line's text: a list may hold
 * anything, a key pasted by mistake included.
 */
export function parseAgentList(text: string): AgentList {
  const agents: ListedAgent[] = [];
  // A byte-order mark (some editors on Windows write one) is not part of the first id.
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const content = (lines[index] ?? "").trim();
    if (content === "" || content.startsWith("#")) continue;
    const line = index + 1;
    const parsed = content.startsWith("{")
      ? idsOfJson(content)
      : idsOfWords(content);
    if (typeof parsed === "string") {
      return { ok: false, message: `line ${line}: ${parsed}` };
    }
    agents.push({ line, ...parsed });
  }
  return { ok: true, agents };
}

type Ids = { agentId: string; sessionId: string };

function idsOfWords(content: string): Ids | string {
  const words = content.split(/\s+/);
  if (words.length !== 2) {
    return `expected AGENT_ID SESSION_ID (two words), found ${words.length}`;
  }
  const [agentId, sessionId] = words as [string, string];
  return { agentId, sessionId };
}

function idsOfJson(content: string): Ids | string {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return "not valid JSON";
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  const record = value as Record<string, unknown>;
  const agentId = idField(record, "agent_id", "agentId");
  if (typeof agentId !== "object") return agentId;
  const sessionId = idField(record, "session_id", "sessionId");
  if (typeof sessionId !== "object") return sessionId;
  return { agentId: agentId.id, sessionId: sessionId.id };
}

/** The id under either spelling; both given must agree; blank is as good as missing. */
function idField(
  record: Record<string, unknown>,
  snake: string,
  camel: string,
): { id: string } | string {
  const given = [record[snake], record[camel]].filter((v) => v !== undefined);
  if (given.length === 0) return `missing ${snake} (or ${camel})`;
  if (given.some((v) => typeof v !== "string")) {
    return `${snake} must be a string`;
  }
  if (given.length === 2 && given[0] !== given[1]) {
    return `${snake} and ${camel} differ`;
  }
  const id = given[0] as string;
  if (id.trim() === "") return `${snake} is empty`;
  return { id };
}
