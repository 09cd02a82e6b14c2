/**
 * `notte-agent-stop --from`: the built command run as a child process against the test server
 * (file, stdin, JSON Lines, malformed lines, exit statuses, `--json`, Ctrl-C, progress on a
 * terminal), the exit status when stdout or stderr is closed early, and the pure helpers.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseCliArgs } from "../../src/cli/args.js";
import { parseAgentList } from "../../src/cli/batch.js";
import {
  NotteAbortError,
  NotteError,
  NotteNotFoundError,
  NotteServerError,
  type AgentStatusResponse,
  type StopManyResult,
} from "../../src/index.js";
import { agentLine, batchExitCode, summaryLine } from "../../src/cli/report.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";
import { CLI, runCli, spawnCli } from "./cli-run.js";

let server: NotteTestServer;
let target: string[];
let folder: string;

beforeAll(async () => {
  server = await startNotteTestServer();
  target = ["--base-url", server.url, "--api-key", server.apiKey];
  folder = await mkdtemp(join(tmpdir(), "notte-cli-batch-"));
});
afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});
beforeEach(() => {
  server.reset();
});

let fileCount = 0;
async function listFile(text: string): Promise<string> {
  const path = join(folder, `list-${++fileCount}.txt`);
  await writeFile(path, text);
  return path;
}

// Async: a synchronous child would block the in-process test server it talks to.
const execAsync = promisify(execFile);

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}

describe("notte-agent-stop --from: running, already stopped and unknown agents", () => {
  it("gives three distinguishable lines, and the run again exits 0 once the unknown one is gone", async () => {
    const [running] = server.addAgents(1, "s1");
    server.addAgent({
      agentId: "done",
      sessionId: "s1",
      task: "t",
      status: "closed",
    });
    const file = await listFile(`${running} s1\ndone s1\nnobody s1\n`);
    const run = await runCli(["--from", file, ...target]);
    expect(run.code).toBe(4);
    expect(run.stdout.split("\n")).toEqual([
      `${running} s1 stopped`,
      "done s1 already-stopped",
      expect.stringMatching(/^nobody s1 failed NotteNotFoundError: 404 /),
      "",
    ]);
    expect(run.stderr).toMatch(
      /stopped 2 of 3 agents · 1 of them already stopped · 1 failed\n$/,
    );
    const json = await runCli(["--from", file, "--json", ...target]);
    const lines = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.ok, line.already_stopped])).toEqual([
      [true, true],
      [true, true],
      [false, undefined],
    ]);
    const again = await runCli([
      "--from",
      await listFile(`${running} s1\ndone s1\n`),
      ...target,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `${running} s1 already-stopped\ndone s1 already-stopped\n`,
    );
  });
});

describe("notte-agent-stop --from: success (exit 0)", () => {
  it("reads words, JSON Lines in both spellings, skips blanks and comments; a line per agent on stdout, a summary on stderr", async () => {
    const ids = server.addAgents(4, "s1");
    const file = await listFile(
      [
        "# agents to stop",
        `${ids[0]} s1`,
        "",
        `  ${ids[1]}\t s1  `,
        `{"agent_id": "${ids[2]}", "session_id": "s1"}`,
        "   # indented comment",
        `{"agentId": "${ids[3]}", "sessionId": "s1", "note": "extra fields are fine"}`,
        "",
      ].join("\r\n"),
    );
    const run = await runCli(["--from", file, ...target]);
    expect(run.stderr).toBe("notte-agent-stop: stopped 4 of 4 agents\n");
    expect(run.stdout).toBe(ids.map((id) => `${id} s1 stopped\n`).join(""));
    expect(run.code).toBe(0);
    for (const id of ids) expect(server.agent(id)?.status).toBe("closed");
  });

  it("reads the list from stdin with --from -, and --quiet prints nothing", async () => {
    const ids = server.addAgents(3, "s1");
    const input = ids.map((id) => `${id} s1\n`).join("");
    const run = await runCli(["--from", "-", ...target], {}, { input });
    expect(run).toMatchObject({
      code: 0,
      stdout: ids.map((id) => `${id} s1 stopped\n`).join(""),
      stderr: "notte-agent-stop: stopped 3 of 3 agents\n",
    });
    for (const agentId of ids)
      server.addAgent({ agentId, sessionId: "s1", task: "t" });
    const quiet = await runCli(
      ["--from", "-", "--quiet", ...target],
      {},
      { input },
    );
    expect(quiet).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("--json prints one JSON object per agent, in input order, duplicates included", async () => {
    const ids = server.addAgents(3, "s1");
    // The first answer is the slowest: the output still follows the input.
    server.failNext({ delayMs: 200 });
    const file = await listFile(
      `${ids[0]} s1\n${ids[1]} s1\n# c\n${ids[2]} s1\n${ids[0]} s1\n`,
    );
    const run = await runCli([
      "--from",
      file,
      "--json",
      "--concurrency",
      "3",
      ...target,
    ]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    const objects = lines.map(
      (line) => JSON.parse(line) as Record<string, any>,
    );
    expect(objects.map((o) => [o.line, o.agent_id, o.ok])).toEqual([
      [1, ids[0], true],
      [2, ids[1], true],
      [4, ids[2], true],
      [5, ids[0], true],
    ]);
    expect(objects[0]?.status).toMatchObject({
      agent_id: ids[0],
      session_id: "s1",
      status: "closed",
    });
    // The duplicate was sent once.
    expect(server.requests).toHaveLength(3);
  });

  it("keeps at most --concurrency calls in flight", async () => {
    const ids = server.addAgents(8, "s1");
    server.failNext({ delayMs: 80, times: 8 });
    const file = await listFile(ids.map((id) => `${id} s1`).join("\n"));
    const run = await runCli(["--from", file, "--concurrency", "2", ...target]);
    expect(run.code).toBe(0);
    expect(server.maxInFlight).toBe(2);
  });

  it("shows one progress line, updated in place, while stderr is a terminal", async (context) => {
    let hasScript = true;
    try {
      await execAsync("script", ["--version"]);
    } catch {
      hasScript = false;
    }
    if (!hasScript) context.skip();
    const ids = server.addAgents(3, "s1");
    const file = await listFile(ids.map((id) => `${id} s1`).join("\n"));
    const command = [process.execPath, CLI, "--from", file, ...target]
      .map((word) => `'${word}'`)
      .join(" ");
    // `script` gives the command a terminal on stdin, stdout and stderr.
    const { stdout: output } = await execAsync(
      "script",
      ["-qec", command, "/dev/null"],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(output).toContain("\rstopping 3/3 · 3 stopped · 0 failed\u001b[K");
    // The progress line is cleared before the agents' lines and the summary.
    expect(output).toContain(`\r\u001b[K${ids[0]} s1 stopped`);
    expect(output).toContain("notte-agent-stop: stopped 3 of 3 agents");
  });
});

describe("notte-agent-stop --from: failures", () => {
  it("exit 4 when some were refused and none failed otherwise, each failure on its own line", async () => {
    const ids = server.addAgents(2, "s1");
    const file = await listFile(`${ids[0]} s1\nnope s1\n${ids[1]} s1\n.. s1\n`);
    const run = await runCli(["--from", file, ...target]);
    expect(run.code).toBe(4);
    expect(run.stdout.split("\n")).toEqual([
      `${ids[0]} s1 stopped`,
      "nope s1 failed NotteNotFoundError: 404 Agent not found: Agent nope not found in session s1",
      `${ids[1]} s1 stopped`,
      expect.stringMatching(/^\.\. s1 failed NotteInvalidRequestError: /),
      "",
    ]);
    expect(run.stderr.split("\n")).toEqual([
      "notte-agent-stop: line 2: agent nope, session s1: NotteNotFoundError: 404 Agent not found: Agent nope not found in session s1",
      expect.stringMatching(
        /^notte-agent-stop: line 4: agent \.\., session s1: NotteInvalidRequestError: /,
      ),
      "notte-agent-stop: stopped 2 of 4 agents · 2 failed",
      "",
    ]);
    expect(server.agent(ids[1]!)?.status).toBe("closed");
  });

  it("exit 5 when any failed for the server or the network, with --json saying why", async () => {
    const ids = server.addAgents(2, "s1");
    server.failNext({ status: 503 });
    const file = await listFile(`${ids[0]} s1\nnope s1\n${ids[1]} s1\n`);
    const run = await runCli([
      "--from",
      file,
      "--json",
      "--concurrency",
      "1",
      "--max-retries",
      "0",
      ...target,
    ]);
    expect(run.code).toBe(5);
    const objects = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, any>);
    expect(objects.map((o) => o.ok)).toEqual([false, false, true]);
    expect(objects[0]?.error).toMatchObject({
      name: "NotteServerError",
      status: 503,
    });
    expect(objects[1]?.error).toMatchObject({
      name: "NotteNotFoundError",
      status: 404,
    });
    expect(run.stderr).toContain("stopped 1 of 3 agents · 2 failed\n");
  });

  it("a malformed line is a usage error naming the line, and nothing is sent", async () => {
    const secret = "sk-pasted-by-mistake-0123456789";
    const cases: [string, RegExp][] = [
      [
        `a1 s1\na2\n`,
        /line 2: expected AGENT_ID SESSION_ID \(two words\), found 1/,
      ],
      [`a1 s1 extra\n`, /line 1: expected AGENT_ID SESSION_ID/],
      [`# c\n\n{"agent_id": "a1"}\n`, /line 3: missing session_id/],
      [
        `{"agent_id": "a1", "session_id": ${JSON.stringify(secret)}\n`,
        /line 1: not valid JSON/,
      ],
      [
        `{"agent_id": 1, "session_id": "s"}\n`,
        /line 1: agent_id must be a string/,
      ],
      [`{"agent_id": " ", "session_id": "s"}\n`, /line 1: agent_id is empty/],
      [
        `["a1","s1"]\n`,
        /line 1: expected AGENT_ID SESSION_ID \(two words\), found 1/,
      ],
      [`${secret} s1 more\n`, /line 1: /],
    ];
    for (const [text, message] of cases) {
      const file = await listFile(text);
      const run = await runCli(["--from", file, ...target]);
      expect(run.code, text).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.split("\n")).toHaveLength(2);
      expect(run.stderr).not.toContain(secret);
      expect(run.stdout).toBe("");
    }
    expect(server.requests).toHaveLength(0);
  });

  it("usage errors: --from with ids, --concurrency without --from or out of range, an unreadable file", async () => {
    const file = await listFile("a1 s1\n");
    for (const [args, message] of [
      [["--from", file, "a1"], /--from excludes <agent-id> and --session-id/],
      [["--from", file, "--session-id", "s1"], /--from excludes/],
      [
        ["a1", "--session-id", "s1", "--concurrency", "2"],
        /--concurrency needs --from/,
      ],
      [
        ["--from", file, "--concurrency", "0"],
        /--concurrency must be a whole number from 1 to 64/,
      ],
      [
        ["--from", file, "--concurrency", "65"],
        /--concurrency must be a whole number from 1 to 64/,
      ],
      [
        ["--from", join(folder, "missing.txt")],
        /cannot read .*missing\.txt: ENOENT/,
      ],
      [["--from", ""], /--from is empty/],
    ] as [string[], RegExp][]) {
      const run = await runCli([...args, ...target]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s aborts the calls in flight, sends nothing more, prints every agent and the summary, exit %i",
    async (signal, code) => {
      const ids = server.addAgents(6, "s1");
      // Two answered, then every request hangs: only the signal ends this run.
      server.failNext({ delayMs: 0, times: 2 });
      server.failNext({ hang: true, times: 4 });
      const file = await listFile(ids.map((id) => `${id} s1`).join("\n"));
      const { child, done } = spawnCli([
        "--from",
        file,
        "--concurrency",
        "2",
        "--timeout",
        "60000",
        ...target,
      ]);
      try {
        await waitFor(() => server.requests.length === 4);
        const sentAt = Date.now();
        child.kill(signal);
        const run = await done;
        expect(run.code).toBe(code);
        expect(Date.now() - sentAt).toBeLessThan(3_000);
        expect(run.stderr).toBe(
          `notte-agent-stop: interrupted (${signal}): stopped 2 of 6 agents · 0 failed · 4 aborted or not sent\n`,
        );
        expect(run.stdout).toBe(
          ids
            .map((id, i) => `${id} s1 ${i < 2 ? "stopped" : "aborted"}\n`)
            .join(""),
        );
        await sleep(50);
        expect(server.requests).toHaveLength(4);
      } finally {
        child.kill("SIGKILL");
      }
    },
  );
});

describe("notte-agent-stop: stdout or stderr closed early", () => {
  /** Runs the command with its stdout and stderr closed by the reader before anything is written. */
  async function runClosed(args: string[]): Promise<number | null> {
    const { child, done } = spawnCli(args);
    child.stdout?.destroy();
    child.stderr?.destroy();
    return (await done).code;
  }

  it("keeps the exit status: 4 for an unknown agent, 0 for a success, 2 for a usage error", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    expect(await runClosed(["nope", "--session-id", "s1", ...target])).toBe(4);
    expect(await runClosed(["a1", "--session-id", "s1", ...target])).toBe(0);
    expect(await runClosed(["--bogus"])).toBe(2);
    const file = await listFile("a1 s1\nnope s1\n");
    expect(await runClosed(["--from", file, "--json", ...target])).toBe(4);
  });

  it("keeps it behind a shell pipe that reads ten bytes: `2>&1 | head -c10`", async () => {
    const script = `'${process.execPath}' '${CLI}' nope --session-id s1 ${target.map((w) => `'${w}'`).join(" ")} 2>&1 | head -c10 >/dev/null; exit \${PIPESTATUS[0]}`;
    let code = 0;
    try {
      // NOTTE_DEBUG=1 makes several writes to stderr: the ones after the first ten bytes
      // meet a closed pipe (EPIPE), which used to end the command with exit 1.
      await execAsync("bash", ["-c", script], {
        env: { PATH: process.env.PATH ?? "", NOTTE_DEBUG: "1" },
      });
    } catch (error) {
      code = (error as { code: number }).code;
    }
    expect(code).toBe(4);
  });
});

describe("notte-agent-stop --help", () => {
  it("describes the list mode and its options", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--from <file> [--concurrency <n>]");
    expect(run.stdout).toMatch(
      /--concurrency <n> +with --from: calls in flight at most, 1 to 64 \(default 8\)/,
    );
    expect(run.stdout).toContain('"AGENT_ID SESSION_ID", or JSON Lines');
  });
});

describe("batch helpers", () => {
  it("parseAgentList: ids with their line numbers", () => {
    expect(
      parseAgentList('a1 s1\n\n# x\n{"agentId":"a2","session_id":"s2"}'),
    ).toEqual({
      ok: true,
      agents: [
        { line: 1, agentId: "a1", sessionId: "s1" },
        { line: 4, agentId: "a2", sessionId: "s2" },
      ],
    });
    expect(parseAgentList("")).toEqual({ ok: true, agents: [] });
    expect(parseAgentList("\uFEFFa1 s1")).toEqual({
      ok: true,
      agents: [{ line: 1, agentId: "a1", sessionId: "s1" }],
    });
    expect(
      parseAgentList('{"agent_id":"a","agentId":"b","session_id":"s"}'),
    ).toEqual({ ok: false, message: "line 1: agent_id and agentId differ" });
  });

  it("parseCliArgs: the batch command", () => {
    expect(parseCliArgs(["--from", "-", "--concurrency=16", "--json"])).toEqual(
      {
        kind: "batch",
        from: "-",
        concurrency: 16,
        apiKey: undefined,
        baseUrl: undefined,
        timeoutMs: undefined,
        maxRetries: undefined,
        allowInsecureHttp: false,
        output: "json",
      },
    );
  });

  it("agentLine: the ids as listed (made printable), the outcome, a failure's error", () => {
    const headers = new Headers();
    const agent = { line: 3, agentId: "a\u001b[2J", sessionId: "s\n1" };
    const ids = { agentId: agent.agentId, sessionId: agent.sessionId };
    expect(
      agentLine(agent, {
        ...ids,
        ok: false,
        error: new NotteNotFoundError(404, headers, { message: "gone" }),
      }),
    ).toBe("a\\u001b[2J s\\n1 failed NotteNotFoundError: 404 gone");
    expect(
      agentLine(agent, { ...ids, ok: false, error: new NotteAbortError() }),
    ).toBe("a\\u001b[2J s\\n1 aborted");
  });

  it("batchExitCode and summaryLine: by the worst outcome", () => {
    const headers = new Headers();
    const ok: StopManyResult = {
      agentId: "a",
      sessionId: "s",
      ok: true,
      status: {
        agent_id: "a",
        session_id: "s",
        task: "t",
        status: "closed",
        created_at: "2025-01-01T00:00:00Z",
        // Only what this test reads: the fields a future document requires are not its concern.
      } as AgentStatusResponse,
    };
    const fail = (error: NotteError): StopManyResult => ({
      agentId: "a",
      sessionId: "s",
      ok: false,
      error,
    });
    const refused = fail(new NotteNotFoundError(404, headers, {}));
    const failed = fail(new NotteServerError(503, headers, {}));
    const aborted = fail(new NotteAbortError());
    expect(batchExitCode([])).toBe(0);
    expect(batchExitCode([ok, ok])).toBe(0);
    expect(batchExitCode([ok, refused])).toBe(4);
    expect(batchExitCode([refused, failed, ok])).toBe(5);
    expect(batchExitCode([failed, aborted])).toBe(130);
    expect(batchExitCode([failed, aborted], "SIGTERM")).toBe(143);
    expect(batchExitCode([refused, ok], "SIGTERM")).toBe(4);
    expect(summaryLine([ok, ok])).toBe("stopped 2 of 2 agents");
    expect(summaryLine([ok, refused, aborted])).toBe(
      "interrupted (SIGINT): stopped 1 of 3 agents · 1 failed · 1 aborted or not sent",
    );
    expect(summaryLine([aborted], "SIGTERM")).toBe(
      "interrupted (SIGTERM): stopped 0 of 1 agents · 0 failed · 1 aborted or not sent",
    );
  });
});
