/**
 * `notte-agent-stop`: the built command (dist/, built once by test/global-setup.ts)
 * run as a child process against the test server, plus direct tests of the pure
 * helpers behind it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NOTTE_API_VERSION } from "../../generated/api-version.js";
import { apiKeysIn, parseCliArgs } from "../../src/cli/args.js";
import {
  errorLine,
  exitCodeFor,
  printable,
  redact,
  summaryText,
} from "../../src/cli/report.js";
import {
  NotteAbortError,
  NotteApiError,
  NotteConfigError,
  NotteConnectionError,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteServerError,
  NotteTimeoutError,
  VERSION,
  type AgentStatusResponse,
} from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";
import { runCli, spawnCli, type Run } from "./cli-run.js";

let server: NotteTestServer;
/** `--base-url` and `--api-key` pointing at the test server. */
let target: string[];

beforeAll(async () => {
  server = await startNotteTestServer();
  target = ["--base-url", server.url, "--api-key", server.apiKey];
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
});

/** Exactly one line on stderr, no stack frame, no key anywhere in the output. */
function expectOneErrorLine(run: Run, ...secrets: string[]): string {
  const lines = run.stderr.split("\n");
  expect(lines, run.stderr).toHaveLength(2);
  expect(lines[1]).toBe("");
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stdout).toBe("");
  expectNoSecret(run, server.apiKey, ...secrets);
  return lines[0] ?? "";
}

function expectNoSecret(run: Run, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
}

/** Fields of the default summary, by label. */
function summaryFields(stdout: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of stdout.trimEnd().split("\n")) {
    const match = /^([a-z ]+):\s+(.*)$/.exec(line);
    expect(match, line).not.toBeNull();
    if (match?.[1] !== undefined && match[2] !== undefined)
      fields[match[1]] = match[2];
  }
  return fields;
}

describe("notte-agent-stop: help and version", () => {
  it("--help (and -h) prints the usage and every exit status on stdout, exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(
        /^Usage: notte-agent-stop <agent-id> --session-id <id>/,
      );
      for (const code of [0, 2, 3, 4, 5, 130, 143])
        expect(run.stdout).toMatch(new RegExp(`^ +${code} +\\S`, "m"));
      for (const option of [
        "--api-key",
        "--base-url",
        "--timeout",
        "--max-retries",
        "--allow-insecure-http",
        "--json",
        "--quiet",
      ]) {
        expect(run.stdout).toContain(option);
      }
    }
  });

  it("--version prints the package version and the API version, exit 0", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(VERSION);
    expect(run.stdout).toContain(`Notte API ${NOTTE_API_VERSION}`);
    expect(run.stdout.split("\n")).toHaveLength(2);
    expect(server.requests).toHaveLength(0);
  });
});

describe("notte-agent-stop: success (exit 0)", () => {
  it("stops the agent and prints a one-line-per-field summary", async () => {
    const run = await runCli(["a1", "--session-id", "s1", ...target]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const agent = server.agent("a1");
    expect(agent?.status).toBe("closed");
    expect(summaryFields(run.stdout)).toEqual({
      agent: "a1",
      session: "s1",
      status: "closed",
      "closed at": agent?.closed_at,
      success: "-",
      answer: "-",
    });
    expectNoSecret(run, server.apiKey);

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0];
    expect(request?.method).toBe("DELETE");
    expect(request?.pathname).toBe("/agents/a1/stop");
    expect(request?.query.session_id).toBe("s1");
    expect(request?.authorized).toBe(true);
    expect(request?.headers["x-notte-request-origin"]).toBe(
      "notte-api-client-cli",
    );
    expect(request?.headers["x-notte-sdk-version"]).toBe(VERSION);
  });

  it("keeps a multi-line answer (and terminal escapes from the server) on its own line", async () => {
    server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "t",
      success: true,
      answer: "two\nlines \u001b[31mred\u001b[0m",
    });
    const run = await runCli(["a1", "--session-id", "s1", ...target]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\u001b");
    const fields = summaryFields(run.stdout);
    expect(fields.success).toBe("true");
    expect(fields.answer).toBe("two\\nlines \\u001b[31mred\\u001b[0m");
  });

  it("--json prints the body exactly as received, which parses back to the server's answer", async () => {
    const run = await runCli(["a1", "--session-id", "s1", "--json", ...target]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(server.agent("a1"));
    expect(run.stdout.endsWith("}\n")).toBe(true);

    // Spacing, key order and number spelling that a re-serialisation would change.
    const body = `{
  "status": "closed", "agent_id": "a9", "session_id": "s9",
  "task": "caf\\u00e9", "created_at": "2025-01-01T00:00:00Z",
  "closed_at": null, "steps": [{"cost": 1.50}]
}`;
    server.failNext({
      status: 200,
      headers: { "content-type": "application/json" },
      body,
    });
    const exact = await runCli(["a9", "--session-id=s9", "--json", ...target]);
    expect(exact.code).toBe(0);
    expect(exact.stdout).toBe(`${body}\n`);
  });

  it("--quiet prints nothing", async () => {
    const run = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--quiet",
      ...target,
    ]);
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(server.agent("a1")?.status).toBe("closed");
  });

  it("takes --flag=value and reads NOTTE_API_KEY and NOTTE_API_URL", async () => {
    const run = await runCli(
      ["a1", "--session-id=s1", "--timeout=5000", "--max-retries=0", "--json"],
      {
        NOTTE_API_KEY: server.apiKey,
        NOTTE_API_URL: server.url,
      },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      agent_id: "a1",
      status: "closed",
    });
    expect(server.requests[0]?.authorized).toBe(true);
  });

  it("--api-key and --base-url win over the variables", async () => {
    const run = await runCli(
      ["a1", "--session-id", "s1", "--quiet", ...target],
      {
        NOTTE_API_KEY: "not-the-key",
        NOTTE_API_URL: "https://unreachable.invalid",
      },
    );
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(server.requests[0]?.authorized).toBe(true);
  });

  it("takes an agent id starting with '-' after --", async () => {
    server.addAgent({ agentId: "-a2", sessionId: "s1", task: "t" });
    const run = await runCli([
      "--session-id",
      "s1",
      "--quiet",
      ...target,
      "--",
      "-a2",
    ]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(server.agent("-a2")?.status).toBe("closed");
  });

  it("retries a 503 with --max-retries and then succeeds", async () => {
    server.failNext({ status: 503, headers: { "retry-after": "0" } });
    const run = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--max-retries",
      "1",
      "--quiet",
      ...target,
    ]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(server.requests.map((request) => request.status)).toEqual([
      503, 200,
    ]);
  });
});

// Nothing in these two blocks reaches the server, so their runs can overlap.
describe.concurrent("notte-agent-stop: usage errors (exit 2)", () => {
  const SECRET = "sk-cli-usage-secret-0123456789";
  const cases: [string, string[], RegExp][] = [
    ["no arguments", [], /missing <agent-id>/],
    ["no --session-id", ["a1"], /missing --session-id/],
    [
      "an unknown flag",
      ["a1", "--session-id", "s1", "--bogus"],
      /unknown option --bogus/,
    ],
    [
      "an unknown flag with a value",
      ["a1", "--api-key", SECRET, "--bogus=x"],
      /unknown option --bogus\b/,
    ],
    [
      "a flag without its value",
      ["a1", "--session-id"],
      /--session-id needs a value/,
    ],
    [
      "a value starting with -",
      ["a1", "--session-id", "--json"],
      /--session-id needs a value/,
    ],
    [
      "a value to a switch",
      ["a1", "--session-id", "s1", "--json=yes"],
      /--json takes no value/,
    ],
    [
      "two agent ids",
      ["a1", "a2", "--session-id", "s1"],
      /expected one <agent-id>, got 2/,
    ],
    [
      "a repeated option",
      ["a1", "--session-id", "s1", "--session-id=s2"],
      /--session-id is given 2 times/,
    ],
    [
      "--json with --quiet",
      ["a1", "--session-id", "s1", "--json", "--quiet"],
      /--json and --quiet exclude each other/,
    ],
    [
      "a timeout that is not a number",
      ["a1", "--session-id", "s1", "--timeout", "soon"],
      /--timeout .*"soon"/,
    ],
    [
      "a timeout of 0",
      ["a1", "--session-id", "s1", "--timeout=0"],
      /--timeout must be a number from 1 to 2147483647, not "0"/,
    ],
    [
      "a timeout in exponent form",
      ["a1", "--session-id", "s1", "--timeout=1e3"],
      /--timeout .*"1e3"/,
    ],
    [
      "a fractional retry count",
      ["a1", "--session-id", "s1", "--max-retries=1.5"],
      /--max-retries .*"1.5"/,
    ],
    [
      "too many retries",
      [
        "a1",
        "--session-id",
        "s1",
        `--api-key=${SECRET}`,
        "--max-retries",
        "11",
      ],
      /--max-retries .*0 to 10/,
    ],
    [
      "a key given as a number",
      ["a1", "--session-id", "s1", "--api-key", SECRET, "--timeout", SECRET],
      /--timeout .*"\[redacted\]"/,
    ],
    [
      "a negative retry count",
      ["a1", "--session-id", "s1", "--max-retries=-1"],
      /--max-retries .*"-1"/,
    ],
  ];

  it.each(cases)(
    "%s: one line on stderr, nothing sent",
    async (_name, args, message) => {
      const run = await runCli([...args, "--base-url", server.url], {
        NOTTE_API_KEY: server.apiKey,
      });
      expect(run.code).toBe(2);
      const line = expectOneErrorLine(run, SECRET);
      expect(line).toMatch(/^notte-agent-stop: /);
      expect(line).toMatch(message);
      expect(line).toContain("--help");
      expect(server.requests).toHaveLength(0);
    },
  );
});

describe.concurrent("notte-agent-stop: configuration errors (exit 3)", () => {
  const SECRET = "sk-cli-config-secret-0123456789";
  // What the client calls its options: the command has none of these, so no line names them.
  const CLIENT_OPTION_NAMES =
    /\b(apiKey|baseUrl|allowInsecureHttp|timeoutMs|maxRetries)\b/;

  it.each([
    [
      "no API key anywhere",
      [],
      {},
      "No API key: pass --api-key or set NOTTE_API_KEY",
    ],
    [
      "an empty NOTTE_API_KEY",
      [],
      { NOTTE_API_KEY: "" },
      "No API key: pass --api-key or set NOTTE_API_KEY",
    ],
    [
      "an empty --api-key, which does not fall back to the variable",
      ["--api-key="],
      { NOTTE_API_KEY: SECRET },
      "--api-key is empty (an empty flag does not fall back to NOTTE_API_KEY)",
    ],
  ] as [string, string[], Record<string, string>, string][])(
    "%s: the command's own words",
    async (_name, args, env, message) => {
      const run = await runCli(
        ["a1", "--session-id", "s1", "--base-url", server.url, ...args],
        env,
      );
      expect(run.code).toBe(3);
      expect(expectOneErrorLine(run, SECRET)).toBe(
        `notte-agent-stop: NotteConfigError: ${message}`,
      );
    },
  );

  it.each([
    [
      "a base URL that is not a URL",
      ["--api-key", SECRET, "--base-url", "not a url"],
      {},
      /: --base-url must be an absolute http\(s\) URL$/,
    ],
    [
      "plain http to a remote host",
      [`--api-key=${SECRET}`, "--base-url=http://example.com"],
      {},
      /: --base-url http:\/\/example\.com would send the key unencrypted: use https, or --allow-insecure-http$/,
    ],
    [
      "plain http to a remote host, from NOTTE_API_URL",
      [],
      { NOTTE_API_URL: "http://example.com" },
      /: NOTTE_API_URL http:\/\/example\.com would send the key unencrypted: use https, or --allow-insecure-http$/,
    ],
    [
      "a base URL holding credentials",
      ["--base-url", `https://user:${SECRET}@example.com`],
      {},
      /: --base-url must not hold credentials/,
    ],
    [
      "a bad NOTTE_API_URL",
      [],
      { NOTTE_API_URL: "ftp://example.com" },
      /: NOTTE_API_URL must be an absolute http\(s\) URL$/,
    ],
    [
      "a key with a space, given with --api-key",
      ["--api-key", `${SECRET} x`, "--base-url", "https://x.example"],
      {},
      /: The API key must be printable ASCII without spaces$/,
    ],
    [
      "a key with a newline, from NOTTE_API_KEY",
      [],
      { NOTTE_API_KEY: `${SECRET}\n`, NOTTE_API_URL: "https://x" },
      /: The API key must be printable ASCII without spaces$/,
    ],
  ] as [string, string[], Record<string, string>, RegExp][])(
    "%s: one line in the command's terms, no key, nothing sent",
    async (_name, args, env, message) => {
      const run = await runCli(["a1", "--session-id", "s1", ...args], {
        NOTTE_API_KEY: SECRET,
        ...env,
      });
      expect(run.code).toBe(3);
      const line = expectOneErrorLine(run, SECRET);
      expect(line).toMatch(/^notte-agent-stop: NotteConfigError: /);
      expect(line).toMatch(message);
      expect(line).not.toMatch(CLIENT_OPTION_NAMES);
      expect(server.requests).toHaveLength(0);
    },
  );
});

describe("notte-agent-stop --allow-insecure-http", () => {
  it("lets plain http reach a host that is not loopback by name, and only with the flag", async () => {
    // 0.0.0.0 is not a loopback name to the client, yet Linux delivers it to 127.0.0.1: the
    // call stays on this machine.
    const insecure = `http://0.0.0.0:${server.port}`;
    const args = ["a1", "--session-id", "s1", "--api-key", server.apiKey];
    const refused = await runCli([...args, "--base-url", insecure]);
    expect(refused.code).toBe(3);
    expect(expectOneErrorLine(refused)).toContain("--allow-insecure-http");
    expect(server.requests).toHaveLength(0);

    const allowed = await runCli([
      ...args,
      "--base-url",
      insecure,
      "--allow-insecure-http",
      "--quiet",
    ]);
    expect(allowed).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(server.agent("a1")?.status).toBe("closed");
  });
});

describe("notte-agent-stop: the API refused (exit 4)", () => {
  it("run twice, it exits 0 both times, the second saying the agent was already stopped (idempotent, as docker stop)", async () => {
    const args = ["a1", "--session-id", "s1", ...target];
    const first = await runCli(args);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^status: +closed$/m);
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      "notte-agent-stop: agent a1 was already stopped\n",
    );
    expect(again.stdout).toMatch(/^status: +closed$/m);
    expect(await runCli([...args, "--quiet"])).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "",
    });
    // The API's 404 is the same for an agent of another session: that one is not "already stopped".
    const otherSession = await runCli(["a1", "--session-id", "s2", ...target]);
    expect(otherSession.code).toBe(4);
  });

  it("an unknown agent: the class, the status and the server's message", async () => {
    const run = await runCli(["a2", "--session-id", "s1", ...target]);
    expect(run.code).toBe(4);
    expect(expectOneErrorLine(run)).toBe(
      "notte-agent-stop: NotteNotFoundError: 404 Agent not found: Agent a2 not found in session s1",
    );
  });

  it("a wrong key passed with --api-key: 401, and neither key printed", async () => {
    const wrongKey = "sk-wrong-key-given-on-the-command-line";
    const run = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--base-url",
      server.url,
      "--api-key",
      wrongKey,
    ]);
    expect(run.code).toBe(4);
    expect(expectOneErrorLine(run, wrongKey)).toMatch(
      /^notte-agent-stop: NotteAuthenticationError: 401 /,
    );
  });

  it("a server that echoes the key in its message: redacted", async () => {
    server.failNext({
      status: 401,
      body: { message: `key ${server.apiKey} is revoked` },
    });
    const run = await runCli(["a1", "--session-id", "s1", ...target]);
    expect(run.code).toBe(4);
    expect(expectOneErrorLine(run)).toBe(
      "notte-agent-stop: NotteAuthenticationError: 401 key [redacted] is revoked",
    );
  });

  it("the same, with the key from NOTTE_API_KEY", async () => {
    server.failNext({
      status: 403,
      body: { message: `forbidden for ${server.apiKey}` },
    });
    const run = await runCli(["a1", "--session-id", "s1"], {
      NOTTE_API_KEY: server.apiKey,
      NOTTE_API_URL: server.url,
    });
    expect(run.code).toBe(4);
    expect(expectOneErrorLine(run)).toContain(
      "NottePermissionDeniedError: 403 forbidden for [redacted]",
    );
  });

  it("a 422 with FastAPI's detail list", async () => {
    server.failNext({
      status: 422,
      body: {
        detail: [
          {
            loc: ["query", "session_id"],
            msg: "String should have at least 1 character",
            type: "x",
          },
        ],
      },
    });
    const run = await runCli(["a1", "--session-id", "s1", ...target]);
    expect(run.code).toBe(4);
    expect(expectOneErrorLine(run)).toContain(
      "NotteValidationError: 422 query.session_id: String should have at least 1 character",
    );
  });

  it("a 429 once the retries are spent: a failure worth another try (5), not a refusal", async () => {
    server.failNext({ status: 429, body: { message: "Rate limit exceeded" } });
    const run = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--max-retries=0",
      ...target,
    ]);
    expect(run.code).toBe(5);
    expect(expectOneErrorLine(run)).toContain(
      "NotteRateLimitError: 429 Rate limit exceeded",
    );
  });

  it.each([
    [
      "a dot-segment agent id",
      ["..", "--session-id", "s1"],
      /^notte-agent-stop: NotteInvalidRequestError: <agent-id> "\.\." is a dot segment, not an id$/,
    ],
  ] as [string, string[], RegExp][])(
    "%s: refused before sending",
    async (_name, args, message) => {
      const run = await runCli([...args, ...target]);
      expect(run.code).toBe(4);
      expect(expectOneErrorLine(run)).toMatch(message);
      expect(server.requests).toHaveLength(0);
    },
  );
});

describe("notte-agent-stop: an empty id is a usage error (exit 2)", () => {
  it.each([
    ["an empty session id", ["a1", "--session-id="], /--session-id is empty/],
    [
      "a blank session id",
      ["a1", "--session-id", "  "],
      /--session-id is empty/,
    ],
    ["an empty agent id", ["", "--session-id", "s1"], /<agent-id> is empty/],
    ["a blank agent id", [" ", "--session-id", "s1"], /<agent-id> is empty/],
  ] as [string, string[], RegExp][])("%s", async (_name, args, message) => {
    const run = await runCli([...args, ...target]);
    expect(run.code).toBe(2);
    expect(expectOneErrorLine(run)).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });
});

describe("notte-agent-stop: the API or the network failed (exit 5)", () => {
  it.each([
    [
      "a 500 with x-error-class",
      { status: 500, headers: { "x-error-class": "NotteApiExecutionError" } },
      /NotteServerError: 500 Internal Server Error \(x-error-class: NotteApiExecutionError\)$/,
    ],
    [
      "a 502 HTML page from a proxy",
      {
        status: 502,
        headers: { "content-type": "text/html" },
        body: "<html>\n<h1>Bad Gateway</h1>\n</html>",
      },
      /NotteServerError: 502 /,
    ],
    [
      "a 529 overloaded",
      { status: 529, body: { message: "Too many sessions" } },
      /NotteOverloadedError: 529 Too many sessions$/,
    ],
    [
      "a 200 that is not JSON",
      { status: 200, body: "<html>ok</html>" },
      /NotteApiError: 200 answer is not an agent status: the body is not JSON/,
    ],
    [
      "a 200 that is not an agent status",
      { status: 200, body: { agent_id: "a1" } },
      /NotteApiError: 200 answer is not an agent status/,
    ],
    [
      "a 200 with an empty body",
      { status: 200, body: "" },
      /NotteApiError: 200 answer is not an agent status: the body is empty/,
    ],
    ["a body cut off", { truncate: true }, /NotteConnectionError: /],
    [
      "a dropped connection",
      { drop: true },
      /NotteConnectionError: Connection failed/,
    ],
  ] as [string, Parameters<NotteTestServer["failNext"]>[0], RegExp][])(
    "%s",
    async (_name, fault, message) => {
      server.failNext(fault);
      const run = await runCli([
        "a1",
        "--session-id",
        "s1",
        "--max-retries",
        "0",
        ...target,
      ]);
      expect(run.code).toBe(5);
      expect(expectOneErrorLine(run)).toMatch(message);
    },
  );

  it("a timeout", async () => {
    server.failNext({ hang: true });
    const run = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--timeout",
      "200",
      "--max-retries",
      "0",
      ...target,
    ]);
    expect(run.code).toBe(5);
    expect(expectOneErrorLine(run)).toBe(
      "notte-agent-stop: NotteTimeoutError: Request timed out after 200 ms",
    );
  });

  it("nothing listening", async () => {
    const closed = await startNotteTestServer();
    await closed.close();
    const run = await runCli(
      ["a1", "--session-id", "s1", "--max-retries=0", "--base-url", closed.url],
      {
        NOTTE_API_KEY: server.apiKey,
      },
    );
    expect(run.code).toBe(5);
    expect(expectOneErrorLine(run)).toMatch(
      /^notte-agent-stop: NotteConnectionError: Connection failed: .*ECONNREFUSED/,
    );
  });
});

describe("notte-agent-stop: stack traces", () => {
  it("prints none by default, and one (without the key) with NOTTE_DEBUG=1", async () => {
    server.failNext({
      status: 500,
      body: { message: `boom ${server.apiKey}` },
      times: 2,
    });
    const quiet = await runCli([
      "a1",
      "--session-id",
      "s1",
      "--max-retries=0",
      ...target,
    ]);
    expect(quiet.code).toBe(5);
    expectOneErrorLine(quiet);

    const debug = await runCli(
      ["a1", "--session-id", "s1", "--max-retries=0", ...target],
      { NOTTE_DEBUG: "1" },
    );
    expect(debug.code).toBe(5);
    expect(debug.stderr).toContain(
      "notte-agent-stop: NotteServerError: 500 boom [redacted]",
    );
    expect(debug.stderr).toMatch(/^\s+at /m);
    expect(debug.stderr).toMatch(
      /DELETE http:\/\/127\.0\.0\.1:\d+\/agents\/a1\/stop/,
    );
    expectNoSecret(debug, server.apiKey);
  });
});

describe("notte-agent-stop: Ctrl-C and SIGTERM (exit 130, 143)", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s aborts a hanging request and exits %i at once",
    async (signal, code) => {
      server.failNext({ hang: true });
      // Long timeout and retries: only the signal can end this run quickly.
      const { child, done } = spawnCli([
        "a1",
        "--session-id",
        "s1",
        "--timeout",
        "60000",
        ...target,
      ]);
      try {
        const deadline = Date.now() + 10_000;
        while (server.requests.length === 0) {
          if (Date.now() > deadline)
            throw new Error("the command never reached the server");
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const sentAt = Date.now();
        child.kill(signal);
        const run = await done;
        expect(run).toMatchObject({ code, signal: null });
        expect(Date.now() - sentAt).toBeLessThan(2_000);
        expect(expectOneErrorLine(run)).toBe(
          `notte-agent-stop: NotteAbortError: interrupted (${signal}), the request was aborted`,
        );
        // Aborted, not retried.
        expect(server.requests).toHaveLength(1);
      } finally {
        child.kill("SIGKILL");
      }
    },
  );
});

describe("cli helpers", () => {
  it("parseCliArgs: a full command, in both flag forms", () => {
    expect(
      parseCliArgs([
        "a1",
        "--session-id",
        "s1",
        "--api-key=k",
        "--base-url",
        "https://x",
        "--timeout=10",
        "--max-retries",
        "0",
        "--json",
      ]),
    ).toEqual({
      kind: "stop",
      agentId: "a1",
      sessionId: "s1",
      apiKey: "k",
      baseUrl: "https://x",
      timeoutMs: 10,
      maxRetries: 0,
      allowInsecureHttp: false,
      output: "json",
    });
    expect(
      parseCliArgs(["a1", "--session-id", "s1", "--allow-insecure-http"]),
    ).toMatchObject({ allowInsecureHttp: true });
    expect(parseCliArgs(["a1", "--session-id", "s1"])).toMatchObject({
      apiKey: undefined,
      baseUrl: undefined,
      timeoutMs: undefined,
      maxRetries: undefined,
      output: "summary",
    });
    expect(parseCliArgs(["--quiet", "--session-id", "s1", "a1"])).toMatchObject(
      { output: "quiet" },
    );
  });

  it("parseCliArgs: --help and --version win once the line parses", () => {
    expect(parseCliArgs(["a1", "--help"])).toEqual({ kind: "help" });
    expect(parseCliArgs(["--version", "--timeout=x"])).toEqual({
      kind: "version",
    });
    expect(parseCliArgs(["--help", "--nope"])).toMatchObject({
      kind: "usage-error",
    });
  });

  it("apiKeysIn: both forms, not the next option", () => {
    expect(
      apiKeysIn(["--api-key", "k1", "--api-key=k2", "--api-key", "--json"]),
    ).toEqual(["k1", "k2"]);
  });

  it("parseCliArgs: an unknown option's value is never repeated", () => {
    const result = parseCliArgs(["a1", "--apikey=hunter2"]);
    expect(result).toEqual({
      kind: "usage-error",
      message: "unknown option --apikey",
    });
  });

  it("exitCodeFor: by error class and status", () => {
    const headers = new Headers();
    expect(exitCodeFor(new NotteConfigError("x"))).toBe(3);
    expect(exitCodeFor(new NotteInvalidRequestError("x"))).toBe(4);
    expect(exitCodeFor(new NotteNotFoundError(404, headers, ""))).toBe(4);
    expect(exitCodeFor(new NotteApiError(418, headers, ""))).toBe(4);
    expect(exitCodeFor(new NotteServerError(503, headers, ""))).toBe(5);
    expect(
      exitCodeFor(new NotteApiError(200, headers, "", "200 not JSON")),
    ).toBe(5);
    expect(exitCodeFor(new NotteApiError(304, headers, ""))).toBe(5);
    expect(exitCodeFor(new NotteConnectionError("x"))).toBe(5);
    expect(exitCodeFor(new NotteTimeoutError(5))).toBe(5);
    expect(exitCodeFor(new NotteAbortError())).toBe(130);
    expect(exitCodeFor(new TypeError("bug"))).toBe(1);
    expect(exitCodeFor("thrown string")).toBe(1);
  });

  it("errorLine: one line, whatever the message holds", () => {
    expect(errorLine(new NotteConnectionError("a\n  b\u001b[2J"))).toBe(
      "NotteConnectionError: a b\\u001b[2J",
    );
    expect(errorLine(new NotteApiError(500, new Headers(), "", "custom"))).toBe(
      "NotteApiError: 500 custom",
    );
    expect(errorLine(42)).toBe("unexpected error: 42");
  });

  it("printable and redact", () => {
    expect(printable("a\tb\r\n\u0000\u009b\u202e\u2028é")).toBe(
      "a\\tb\\r\\n\\u0000\\u009b\\u202e\\u2028é",
    );
    expect(redact("k1 and k1-long and k2", ["k1", "k1-long", ""])).toBe(
      "[redacted] and [redacted] and k2",
    );
  });

  it("summaryText: '-' for null and missing fields", () => {
    const text = summaryText({
      agent_id: "a",
      session_id: "s",
      task: "t",
      status: "active",
      created_at: "2025-01-01T00:00:00Z",
      closed_at: null,
      saved: false,
      success: false,
    } as AgentStatusResponse);
    expect(text).toBe(
      "agent:     a\nsession:   s\nstatus:    active\nclosed at: -\nsuccess:   false\nanswer:    -\n",
    );
  });
});
