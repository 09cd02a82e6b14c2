/**
 * `notte-test-server`: the built command (dist/, built once by test/global-setup.ts) run as a
 * child process: what it prints and where, a stop with what it printed, its agents, options and
 * usage errors, its request log, the shell pattern the README shows, and its end on Ctrl-C or
 * SIGTERM.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { NotteClient, NotteNotFoundError } from "../../src/index.js";
import { CLI, runCli, spawnCli, TEST_SERVER_CLI } from "../src/cli-run.js";

const execAsync = promisify(execFile);
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the command to its end (for what ends by itself: help, usage errors). */
function runServerCli(args: readonly string[]) {
  return runCli(args, {}, { script: TEST_SERVER_CLI });
}

interface Started {
  child: ChildProcess;
  url: string;
  apiKey: string;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the command and waits (10 s at most) for its two lines on stdout. */
async function startServerCli(args: readonly string[] = []): Promise<Started> {
  const { child, done } = spawnCli(args, {}, { script: TEST_SERVER_CLI });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.on("data", (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 10_000;
  while (!stdout.includes("NOTTE_API_KEY=")) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`notte-test-server did not start: ${stderr}`);
    await sleep(10);
  }
  const variables = Object.fromEntries(
    stdout
      .trimEnd()
      .split("\n")
      .map((line) => line.split("=", 2) as [string, string]),
  );
  return {
    child,
    url: variables.NOTTE_API_URL!,
    apiKey: variables.NOTTE_API_KEY!,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
  };
}

/** Waits (5 s at most) until stderr holds `text`. */
async function untilLogged(started: Started, text: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!started.stderr().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(`never logged ${text}: ${started.stderr()}`);
    await sleep(10);
  }
}

describe("notte-test-server: what it prints", () => {
  it("two lines on stdout, the demo agents on stderr; a stop with them works, a second is a 404, a wrong key a 401", async () => {
    const started = await startServerCli();
    expect(started.stdout()).toMatch(
      /^NOTTE_API_URL=http:\/\/127\.0\.0\.1:\d+\nNOTTE_API_KEY=notte-test-[0-9a-f]{32}\n$/,
    );
    expect(started.stderr()).toContain(
      `notte-test-server: listening on ${started.url}`,
    );
    for (const id of ["agt_demo_1", "agt_demo_2", "agt_demo_3"])
      expect(started.stderr()).toContain(
        `demo agent ${id} in session ses_demo`,
      );

    const notte = new NotteClient({
      apiKey: started.apiKey,
      baseUrl: started.url,
    });
    const agent = { agentId: "agt_demo_1", sessionId: "ses_demo" };
    expect((await notte.agents.stop(agent)).status).toBe("closed");
    // A second stop is the server's 404; the client's status request then says "already stopped".
    await expect(notte.agents.stop(agent)).rejects.toBeInstanceOf(
      NotteNotFoundError,
    );
    const wrongKey = await fetch(`${started.url}/agents/agt_demo_2`, {
      headers: { authorization: "Bearer a-wrong-key-0123456789" },
    });
    expect(wrongKey.status).toBe(401);
    const status = await fetch(`${started.url}/agents/agt_demo_1`, {
      headers: { authorization: `Bearer ${started.apiKey}` },
    });
    expect(await status.json()).toMatchObject({ status: "closed" });
    // The key in a URL is redacted from the log too.
    await fetch(`${started.url}/nowhere?key=${started.apiKey}`);

    await untilLogged(started, "GET /nowhere?key=[redacted] 404");
    const log = started
      .stderr()
      .split("\n")
      .filter((line) => !line.startsWith("notte-test-server:"));
    expect(log).toEqual([
      "DELETE /agents/agt_demo_1/stop?session_id=ses_demo 200",
      "DELETE /agents/agt_demo_1/stop?session_id=ses_demo 404",
      "GET /agents/agt_demo_1 200",
      "GET /agents/agt_demo_2 401",
      "GET /agents/agt_demo_1 200",
      "GET /nowhere?key=[redacted] 404",
      "",
    ]);
    expect(started.stderr()).not.toContain(started.apiKey);
    // Nothing more on stdout than the two lines.
    expect(started.stdout().split("\n")).toHaveLength(3);
  });

  it("holds the agents given instead of the demo ones, with its port, key and rate limit", async () => {
    const port = await freePort();
    const started = await startServerCli([
      "--agent",
      "a:1:s1",
      "--agent=b:s2",
      `--port=${port}`,
      "--api-key",
      "fixed-key_0.1",
      "--rate-limit",
      "2/60000",
    ]);
    expect(started.url).toBe(`http://127.0.0.1:${port}`);
    expect(started.apiKey).toBe("fixed-key_0.1");
    expect(started.stderr()).toContain("agent a:1 in session s1");
    expect(started.stderr()).toContain("agent b in session s2");
    expect(started.stderr()).not.toContain("agt_demo");
    const headers = { authorization: `Bearer ${started.apiKey}` };
    const statuses = [];
    for (const path of [
      "/agents/a%3A1/stop?session_id=s1",
      "/agents/b",
      "/agents/agt_demo_1",
    ]) {
      statuses.push(
        (
          await fetch(`${started.url}${path}`, {
            method: path.endsWith("s1") ? "DELETE" : "GET",
            headers,
          })
        ).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("--help and --version on stdout, exit 0", async () => {
    const help = await runServerCli(["--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: notte-test-server /);
    for (const option of ["--port", "--api-key", "--agent", "--rate-limit"])
      expect(help.stdout).toContain(option);
    const version = await runServerCli(["--version"]);
    expect(version).toMatchObject({ code: 0, stderr: "" });
    expect(version.stdout).toMatch(
      /^notte-test-server \d+\.\d+\.\d+ \(notte-api-client \S+, Notte API \S+\)\n$/,
    );
  });
});

describe.concurrent("notte-test-server: usage errors (exit 2)", () => {
  it.each([
    ["an unknown option", ["--bogus=x"], /unknown option --bogus /],
    ["an argument", ["extra"], /takes options only/],
    ["an option without its value", ["--port"], /--port needs a value/],
    ["a value to a switch", ["--help=yes"], /--help takes no value/],
    [
      "a port that is not a number",
      ["--port", "http"],
      /--port must be 0 to 65535/,
    ],
    ["a port too high", ["--port=70000"], /--port must be 0 to 65535/],
    ["a repeated port", ["--port=1", "--port=2"], /--port is given 2 times/],
    [
      "an agent without a session",
      ["--agent", "a1"],
      /--agent must be AGENT_ID:SESSION_ID/,
    ],
    ["an agent with an empty id", ["--agent", ":s1"], /--agent must be/],
    [
      "the same agent twice",
      ["--agent=a:s", "--agent=a:t"],
      /same agent id twice/,
    ],
    [
      "a rate limit without a window",
      ["--rate-limit", "5"],
      /--rate-limit must be REQUESTS\/MILLISECONDS/,
    ],
    ["a window of 0 ms", ["--rate-limit", "5/0"], /--rate-limit must be/],
    [
      "a key the shell would split",
      ["--api-key", "my key$"],
      /--api-key must be letters/,
    ],
  ] as [string, string[], RegExp][])("%s", async (_name, args, message) => {
    const run = await runServerCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^notte-test-server: .*\(see notte-test-server --help\)$/,
    );
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toContain("my key$");
  });

  it("a port in use: exit 1, saying why", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const run = await runServerCli(["--port", String(port)]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `notte-test-server: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe("notte-test-server: its end", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s closes every connection, a half-sent request's included, and exits 0 at once",
    async (signal) => {
      const started = await startServerCli();
      const port = Number(new URL(started.url).port);
      // A connection holding a request that never ends: close() must not wait for it.
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {
        // Destroyed by the server on shutdown: expected.
      });
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      socket.write("DELETE /agents/agt_demo_1/stop HTTP/1.1\r\nHost: x\r\n");
      const closed = new Promise<void>((resolve) =>
        socket.once("close", resolve),
      );
      await sleep(50);
      const sentAt = Date.now();
      started.child.kill(signal);
      expect(await started.done).toMatchObject({ code: 0, signal: null });
      expect(Date.now() - sentAt).toBeLessThan(2_000);
      await closed;
      expect(started.stderr()).toContain(
        `notte-test-server: ${signal}: closing`,
      );
    },
  );

  it("keeps serving when the readers of its stdout and stderr go away", async () => {
    const started = await startServerCli();
    started.child.stdout?.destroy();
    started.child.stderr?.destroy();
    const headers = { authorization: `Bearer ${started.apiKey}` };
    // Each answer makes it write a log line to a closed pipe.
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${started.url}/agents/agt_demo_2`, {
        headers,
      });
      expect(answer.status).toBe(200);
    }
    started.child.kill("SIGTERM");
    expect((await started.done).code).toBe(0);
  });

  it("the README's shell pattern runs as written: background it, wait for its lines, export them, stop an agent, kill it", async () => {
    const readme = await readFile(
      new URL("../../README.md", import.meta.url),
      "utf8",
    );
    const block = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
      .map((match) => match[1]!)
      .find((code) => code.includes("notte-test-server > notte.env &"));
    expect(
      block,
      "the README shows how to start notte-test-server",
    ).toBeDefined();
    // A project where the package is installed: its two commands in node_modules/.bin, as npm links them.
    const script = `
      dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; cd "$dir"
      mkdir -p node_modules/.bin
      ln -s '${TEST_SERVER_CLI}' node_modules/.bin/notte-test-server
      ln -s '${CLI}' node_modules/.bin/notte-agent-stop
      chmod +x '${TEST_SERVER_CLI}' '${CLI}'
      ${block}
      echo "server pid: $!"
      wait $!
      echo "server: $?"
    `;
    const { stdout, stderr } = await execAsync("bash", ["-c", script], {
      env: { PATH: process.env.PATH ?? "" },
      timeout: 30_000,
    });
    expect(stdout).toMatch(
      /^agent: +agt_demo_1\nsession: +ses_demo\nstatus: +closed\n[\s\S]*\nserver pid: \d+\nserver: 0\n$/,
    );
    // `kill $!` ended the server itself, not a wrapper that left it running.
    const pid = Number(/server pid: (\d+)/.exec(stdout)?.[1]);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(stderr).toContain(
      "DELETE /agents/agt_demo_1/stop?session_id=ses_demo 200",
    );
  });
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
