#!/usr/bin/env node
/**
 * `notte-test-server`: the package's test server (`notte-api-client/testing`) as a command, so
 * it can be tried from a shell and used by tests written in any language.
 *
 * It listens on 127.0.0.1, holds the agents it is given (or a few demo agents), prints
 * `NOTTE_API_URL=…` and `NOTTE_API_KEY=…` on stdout once ready (and nothing else there, so
 * `notte-test-server > notte.env &` leaves a file for `export $(cat notte.env)`), logs its
 * agents and each request on stderr, and runs until Ctrl-C or SIGTERM, then closes every
 * connection and exits 0. Like the server, it uses Node built-ins only, never the client.
 *
 * @packageDocumentation
 */
import { parseArgs } from "node:util";
import { NOTTE_API_VERSION } from "../../generated/api-version.js";
import { VERSION } from "../version.js";
import { DEFAULT_TEST_RATE_LIMIT } from "./rate-limit.js";
import { startNotteTestServer } from "./server.js";
import type {
  NotteTestRateLimit,
  NotteTestRequest,
  NotteTestServer,
} from "./types.js";

const COMMAND_NAME = "notte-test-server";

/** The agents held when none is given: ids a newcomer can type. */
const DEMO_SESSION = "ses_demo";
const DEMO_AGENTS = ["agt_demo_1", "agt_demo_2", "agt_demo_3"];

/**
 * What a key given with `--api-key` may hold: the lines on stdout are printed unquoted, so that
 * `export $(cat notte.env)`, `eval`, `.env` readers and CI variable files all take them as is.
 */
const PRINTABLE_UNQUOTED = /^[A-Za-z0-9._~+/=-]+$/;

/** An agent to hold, as given with `--agent`. */
interface HeldAgent {
  readonly agentId: string;
  readonly sessionId: string;
}

/** What the arguments ask for. */
type Command =
  | { readonly kind: "help" | "version" }
  | { readonly kind: "usage-error"; readonly message: string }
  | {
      readonly kind: "serve";
      readonly port: number;
      readonly apiKey: string | undefined;
      /** Empty: hold the demo agents. */
      readonly agents: readonly HeldAgent[];
      readonly rateLimit: NotteTestRateLimit;
    };

const OPTIONS = {
  port: { type: "string", multiple: true },
  "api-key": { type: "string", multiple: true },
  agent: { type: "string", multiple: true },
  "rate-limit": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Reads the command line; messages never repeat a value (a key may be among them). */
function parseCommand(args: readonly string[]): Command {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    // parseArgs' messages run over lines and may quote a value: say it in a few words, naming
    // the option only.
    const code = (error as { code?: unknown }).code;
    const text = error instanceof Error ? error.message : String(error);
    // "'-h, --help'" names both spellings: the long one is the one to show.
    const option = /'(?:-[a-z], )?(--?[a-z-]+)/.exec(text)?.[1] ?? "an option";
    return usageError(
      code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
        ? `unknown option ${option}`
        : code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
          ? "unexpected argument: this command takes options only"
          : /does not take/.test(text)
            ? `${option} takes no value`
            : `${option} needs a value`,
    );
  }
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  for (const name of ["port", "api-key", "rate-limit"] as const) {
    const given = values[name];
    if (given !== undefined && given.length > 1)
      return usageError(`--${name} is given ${given.length} times`);
  }

  const portText = values.port?.[0] ?? "0";
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port <= 65535)) return usageError("--port must be 0 to 65535");

  const apiKey = values["api-key"]?.[0];
  if (apiKey !== undefined && !PRINTABLE_UNQUOTED.test(apiKey)) {
    return usageError(
      "--api-key must be letters, digits and -._~+/= (it is printed unquoted)",
    );
  }

  let rateLimit: NotteTestRateLimit = DEFAULT_TEST_RATE_LIMIT;
  const rateText = values["rate-limit"]?.[0];
  if (rateText !== undefined) {
    const match = /^([0-9]{1,15})\/([0-9]{1,15})$/.exec(rateText);
    if (match === null || Number(match[2]) === 0) {
      return usageError(
        "--rate-limit must be REQUESTS/MILLISECONDS, such as 20/1000 (a window of at least 1 ms)",
      );
    }
    rateLimit = { limit: Number(match[1]), windowMs: Number(match[2]) };
  }

  const agents: HeldAgent[] = [];
  for (const text of values.agent ?? []) {
    // The session is what follows the last colon, so an agent id may hold colons.
    const colon = text.lastIndexOf(":");
    const agentId = text.slice(0, Math.max(colon, 0));
    const sessionId = text.slice(colon + 1);
    if (colon === -1 || agentId.trim() === "" || sessionId.trim() === "") {
      return usageError("--agent must be AGENT_ID:SESSION_ID, both non-empty");
    }
    if (agents.some((held) => held.agentId === agentId)) {
      return usageError("--agent gives the same agent id twice");
    }
    agents.push({ agentId, sessionId });
  }
  return { kind: "serve", port, apiKey, agents, rateLimit };
}

function usageError(message: string): Command {
  return { kind: "usage-error", message };
}

function helpText(): string {
  const { limit, windowMs } = DEFAULT_TEST_RATE_LIMIT;
  return `Usage: ${COMMAND_NAME} [--port <n>] [--api-key <key>]
                         [--agent <id>:<session>]... [--rate-limit <n>/<ms>]
       ${COMMAND_NAME} --help | --version

Starts the Notte test server of notte-api-client/testing on 127.0.0.1: the
Notte API's DELETE /agents/{agent_id}/stop and GET /agents/{agent_id}, with
its 401, 404, 422 and 429 answers. Only a running agent can be stopped: a
second stop is a 404, as Notte documents.

Once it listens, stdout gets two lines and nothing else:
  NOTTE_API_URL=http://127.0.0.1:<port>
  NOTTE_API_KEY=<key>
so this works from a shell (the lines come once it is ready; the last line
exports nothing if the server could not start):
  ${COMMAND_NAME} > notte.env &
  until [ -s notte.env ] || ! kill -0 $!; do sleep 0.1; done
  [ -s notte.env ] && export $(cat notte.env)
stderr gets the agents it holds and one line per request (method, path,
status; the key redacted).

Options (as --flag value or --flag=value):
  --port <n>           port to listen on (default: a free one)
  --api-key <key>      the key it accepts (default: a random one); letters,
                       digits and -._~+/= only
  --agent <id>:<session>
                       an active agent to hold; repeat for more (the session
                       id is what follows the last ":"). Default:
                       ${DEMO_AGENTS.join(", ")} in session ${DEMO_SESSION}
  --rate-limit <requests>/<ms>
                       requests allowed per key and window (default ${limit}/${windowMs})
  -h, --help           print this help
  --version            print the version

It runs until Ctrl-C or SIGTERM, then closes every connection and exits 0; a
second signal exits at once (130, 143). Exit status 1: it could not listen;
2: usage error.
`;
}

/** Starts the server, prints what a caller needs, and resolves once a signal closed it. */
async function serve(
  command: Extract<Command, { kind: "serve" }>,
): Promise<number> {
  let server: NotteTestServer;
  try {
    server = await startNotteTestServer({
      port: command.port,
      ...(command.apiKey !== undefined && { apiKey: command.apiKey }),
      rateLimit: command.rateLimit,
      // It may run for hours: log each request as it ends instead of keeping them all.
      recordRequests: false,
      onRequestEnd: logRequest,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    writeStatus(
      `cannot listen on 127.0.0.1:${command.port}: ${typeof code === "string" ? code : String(error)}`,
    );
    return 1;
  }
  const stopped = closeOnSignals(server);

  const demo = command.agents.length === 0;
  const agents = demo
    ? DEMO_AGENTS.map((agentId) => ({ agentId, sessionId: DEMO_SESSION }))
    : command.agents;
  writeStatus(`listening on ${server.url}; Ctrl-C or SIGTERM stops it`);
  for (const { agentId, sessionId } of agents) {
    server.addAgent({ agentId, sessionId, task: `held by ${COMMAND_NAME}` });
    writeStatus(
      `${demo ? "demo agent" : "agent"} ${agentId} in session ${sessionId}`,
    );
  }
  // Last, in one write: whoever sees the key line finds the server ready and both lines there.
  process.stdout.write(
    `NOTTE_API_URL=${server.url}\nNOTTE_API_KEY=${server.apiKey}\n`,
  );
  return stopped;
}

/**
 * Closes the server on the first SIGINT or SIGTERM and resolves to 0 once every connection is
 * closed; a second signal exits at once, with 128 + its number.
 */
function closeOnSignals(server: NotteTestServer): Promise<number> {
  return new Promise((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (closing) process.exit(signal === "SIGTERM" ? 143 : 130);
      closing = true;
      writeStatus(`${signal}: closing`);
      void server.close().then(() => resolve(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** One line per request, once it is over; `-` for a request that got no answer. */
function logRequest(request: NotteTestRequest): void {
  process.stderr.write(
    `${request.method} ${request.path} ${request.status ?? "-"}\n`,
  );
}

/** A line about the server itself, on stderr. */
function writeStatus(line: string): void {
  process.stderr.write(`${COMMAND_NAME}: ${line}\n`);
}

async function main(args: readonly string[]): Promise<number> {
  const command = parseCommand(args);
  switch (command.kind) {
    case "help":
      process.stdout.write(helpText());
      return 0;
    case "version":
      process.stdout.write(
        `${COMMAND_NAME} ${VERSION} (notte-api-client ${VERSION}, Notte API ${NOTTE_API_VERSION})\n`,
      );
      return 0;
    case "usage-error":
      writeStatus(`${command.message} (see ${COMMAND_NAME} --help)`);
      return 2;
    case "serve":
      return serve(command);
  }
}

// A reader that goes away (`… 2>&1 | head`) must not bring the server down: what it would have
// read is lost, the server keeps serving.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED")
      throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // exitCode rather than exit(): let stdout and stderr drain first.
    process.exitCode = code;
  },
  (error: unknown) => {
    writeStatus(`unexpected error: ${String(error)}`);
    process.exitCode = 1;
  },
);
