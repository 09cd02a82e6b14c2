/**
 * The runtime matrix: the packed tarball, installed into a throwaway consumer,
 * run on each runtime of matrix.ts against a Notte test server in this
 * process (one per row, so one row's faults never reach another), and
 * type-checked with each TypeScript version. Runtimes and compilers come from
 * the npm registry into a cache under the system temp dir (cache.ts); the
 * first run installs about 1.1 GB (93 s for the whole matrix here), later
 * runs download nothing.
 */
import { readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotteTestServer } from "../../src/testing/index.js";
import type { NotteTestServer } from "../../src/testing/index.js";
import {
  installConsumer,
  root,
  run,
  type Consumer,
} from "../package/consumer.js";
import { RUNTIME_CACHE } from "./cache.js";
import { RUNTIME_CONSUMER_FILES } from "./consumer-files.js";
import {
  RUNTIME_ROWS,
  TYPESCRIPT_MODES,
  TYPESCRIPT_ROWS,
  runtimeBinary,
  typescriptCompiler,
  type RuntimeRow,
  type TypeScriptRow,
} from "./matrix.js";
import {
  RESULTS_FILE,
  supportTableOf,
  renderSupportTable,
  type RowResult,
} from "./support-table.js";
import {
  emittedTypesOnly,
  tsconfigPath,
  typescriptConsumerFiles,
} from "./typescript-consumer.js";
import { startWorker } from "./workerd.js";

// The binaries the registry has are Linux x64 builds.
const supported = process.platform === "linux" && process.arch === "x64";
const ROW_TIMEOUT = 120_000;

let consumer: Consumer;
const results = new Map<string, RowResult>();

beforeAll(async () => {
  if (!supported) return;
  // Fetch every runtime at once (a no-op when cached) while the consumer installs.
  const [installed] = await Promise.all([
    installConsumer("notte-matrix-", {
      ...RUNTIME_CONSUMER_FILES,
      ...typescriptConsumerFiles(TYPESCRIPT_ROWS),
    }),
    ...RUNTIME_ROWS.map(runtimeBinary),
    ...TYPESCRIPT_ROWS.map(typescriptCompiler),
  ]);
  consumer = installed;
}, 600_000);

afterAll(async () => {
  if (consumer) await rm(consumer.work, { recursive: true, force: true });
});

/** Runs `check` for a row and records the outcome for the support table. */
async function recordRow(
  result: Omit<RowResult, "passed">,
  check: () => Promise<void>,
): Promise<void> {
  let passed = false;
  try {
    await check();
    passed = true;
  } finally {
    results.set(result.id, { ...result, passed });
  }
}

/**
 * Puts agents a1 and a2 of session s1 on the server, running: the scripts stop both, and a
 * closed agent's stop is a 404, so each script starts from running agents.
 */
function holdAgents(server: NotteTestServer): void {
  for (const agentId of ["a1", "a2"])
    server.addAgent({ agentId, sessionId: "s1", task: "find a dog" });
}

/** Runs `body` with a fresh test server holding agents a1 and a2 of session s1. */
async function withServer<T>(
  body: (server: NotteTestServer) => Promise<T>,
): Promise<T> {
  const server = await startNotteTestServer();
  holdAgents(server);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** Runs a command in the consumer and parses the one JSON line it prints. */
async function runJson(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<unknown> {
  const { stdout } = await run(command, args, {
    cwd: consumer.dir,
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

const stopped = { status: "closed", notFound: "NotteNotFoundError" };
const envOf = (server: NotteTestServer) => ({
  NOTTE_API_KEY: server.apiKey,
  NOTTE_API_URL: server.url,
});
const CLI = "node_modules/notte-api-client/dist/esm/src/cli.js";

/** The version a runtime reports: `v22.1.0`, `deno 2.9.6 (…)`, `workerd 2026-11-17` → the number. */
async function runtimeVersion(
  row: RuntimeRow,
  binary: string,
): Promise<string> {
  if (row.spec === undefined) {
    return `${process.versions.node.split(".")[0]} (the Node running the tests)`;
  }
  if (row.kind === "edge") {
    const manifest = JSON.parse(
      await readFile(join(binary, "package.json"), "utf8"),
    ) as { version: string };
    return manifest.version;
  }
  const { stdout } = await run(binary, ["--version"]);
  return stdout
    .trim()
    .split("\n")[0]!
    .replace(/^(v|deno |workerd )/, "")
    .replace(/ \(.*$/, "");
}

/** Checks that Node and Bun share: the client (ESM, CJS), the test server and the CLI in that runtime. */
async function checkNodeLike(binary: string): Promise<void> {
  await withServer(async (server) => {
    expect(
      await runJson(
        binary,
        ["main.mjs", server.url, server.apiKey],
        envOf(server),
      ),
    ).toEqual({ ...stopped, fromEnv: "closed", baseOrigin: server.url });
    holdAgents(server);
    expect(
      await runJson(binary, ["main.cjs", server.url, server.apiKey]),
    ).toEqual(stopped);
    expect(await runJson(binary, ["test-server.mjs"])).toEqual({
      ...stopped,
      // The unknown agent's 404, then that of the one status request that follows it.
      requests: [200, 404, 404],
    });
    holdAgents(server);
    expect(
      await runJson(
        binary,
        [CLI, "a1", "--session-id", "s1", "--json"],
        envOf(server),
      ),
    ).toMatchObject({ agent_id: "a1", status: "closed" });
    const missing = await run(binary, [CLI, "nobody", "--session-id", "s1"], {
      cwd: consumer.dir,
      env: { PATH: process.env.PATH ?? "", ...envOf(server) },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(missing).toMatchObject({
      code: 4,
      stderr: expect.stringContaining("NotteNotFoundError"),
    });
  });
}

const CHECKS: Record<RuntimeRow["kind"], string> = {
  node: "ESM and CJS: stop, 404, env defaults; both builds in one process; test server; CLI",
  bun: "ESM and CJS: stop, 404, env defaults; test server; CLI",
  deno: "stop, 404, env defaults, default base URL",
  workerd: "bundled module worker: stop, 404, env defaults (bindings), timeout",
  edge: "bundled script: stop, 404",
};

async function checkRuntime(row: RuntimeRow, binary: string): Promise<void> {
  switch (row.kind) {
    case "node":
      await checkNodeLike(binary);
      await withServer(async (server) => {
        expect(
          await runJson(binary, ["both-builds.mjs", server.url, server.apiKey]),
        ).toEqual({
          twoBuilds: true,
          cjsErrorIsEsmClass: true,
          esmErrorIsCjsClass: true,
          plainErrorIsNot: true,
        });
      });
      return;
    case "bun":
      return checkNodeLike(binary);
    case "deno":
      return checkDeno(row, binary);
    case "workerd":
      return checkWorkerd(binary);
    case "edge":
      return checkEdge(binary);
  }
}

async function checkDeno(row: RuntimeRow, binary: string): Promise<void> {
  await withServer(async (server) => {
    // The variables are set either way: without --allow-env, reading them is refused.
    const result = await runJson(
      binary,
      [
        "run",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        ...(row.allowEnv ? ["--allow-env"] : []),
        "main.mjs",
        server.url,
        server.apiKey,
      ],
      {
        ...envOf(server),
        DENO_DIR: join(RUNTIME_CACHE, "deno-dir"),
        DENO_NO_UPDATE_CHECK: "1",
      },
    );
    expect(result).toEqual(
      row.allowEnv
        ? { ...stopped, fromEnv: "closed", baseOrigin: server.url }
        : {
            ...stopped,
            fromEnv: "NotteConfigError",
            baseOrigin: "https://api.notte.cc",
          },
    );
  });
}

async function checkWorkerd(binary: string): Promise<void> {
  await withServer(async (server) => {
    const worker = await startWorker(binary, consumer.dir, "worker.mjs", {
      NOTTE_API_KEY: server.apiKey,
      NOTTE_API_URL: server.url,
    });
    try {
      const call = async (path: string) => {
        const response = await fetch(`${worker.url}${path}`);
        const text = await response.text();
        expect(response.status, `${path}: ${text}\n${worker.output()}`).toBe(
          200,
        );
        return JSON.parse(text) as unknown;
      };
      // At this compatibility date Workers give the text bindings as process.env.
      expect(await call("/stop")).toEqual({ ...stopped, fromEnv: "closed" });
      server.failNext({ hang: true });
      // The attempt's own timer ended it (timeoutMs: 300), not an early failure.
      const timedOut = (await call("/timeout")) as { elapsedMs: number };
      expect(timedOut).toEqual({
        timeout: "NotteTimeoutError",
        elapsedMs: expect.any(Number),
      });
      expect(timedOut.elapsedMs).toBeGreaterThanOrEqual(250);
    } finally {
      await worker.close();
    }
  });
}

async function checkEdge(vmFolder: string): Promise<void> {
  const bundle = join(consumer.dir, "edge.bundle.js");
  await build({
    absWorkingDir: consumer.dir,
    entryPoints: ["edge-entry.mjs"],
    outfile: bundle,
    bundle: true,
    format: "iife",
    platform: "neutral",
    conditions: ["edge-light", "worker", "browser"],
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "error",
  });
  await withServer(async (server) => {
    expect(
      await runJson(process.execPath, [
        "edge-host.mjs",
        vmFolder,
        bundle,
        server.url,
        server.apiKey,
      ]),
    ).toEqual({ ...stopped, fromEnv: "NotteConfigError" });
  });
}

async function checkTypeScript(row: TypeScriptRow, tsc: string): Promise<void> {
  for (const mode of TYPESCRIPT_MODES) {
    await run(process.execPath, [tsc, "-p", tsconfigPath(row, mode)], {
      cwd: consumer.dir,
    }).catch((error: { stdout: string }) => {
      throw new Error(`${row.spec}, ${mode}:\n${error.stdout}`);
    });
    const emitted = await readFile(
      join(consumer.dir, emittedTypesOnly(row, mode)),
      "utf8",
    );
    expect(emitted, `${row.spec}, ${mode}`).not.toMatch(
      /notte-api-client|require\(|import /,
    );
  }
}

describe.skipIf(!supported)("runtime matrix", () => {
  describe.concurrent("runtimes", () => {
    it.each(RUNTIME_ROWS.map((row) => [row.id, row] as const))(
      "%s",
      async (_, row) => {
        const binary = await runtimeBinary(row);
        const version = await runtimeVersion(row, binary);
        await recordRow(
          { id: row.id, name: row.name, version, checks: CHECKS[row.kind] },
          () => checkRuntime(row, binary),
        );
      },
      ROW_TIMEOUT,
    );
  });

  describe.concurrent("TypeScript consumers", () => {
    it.each(TYPESCRIPT_ROWS.map((row) => [row.id, row] as const))(
      "%s",
      async (_, row) => {
        const tsc = await typescriptCompiler(row);
        const { stdout } = await run(process.execPath, [tsc, "--version"]);
        await recordRow(
          {
            id: row.id,
            name: "TypeScript",
            version: stdout.trim().replace(/^Version /, ""),
            checks: "node16, nodenext, bundler; `skipLibCheck: false`",
          },
          () => checkTypeScript(row, tsc),
        );
      },
      ROW_TIMEOUT,
    );
  });

  it("the support table of docs/runtimes.md is this run's (npm run support-table writes it)", async () => {
    const ordered = [...RUNTIME_ROWS, ...TYPESCRIPT_ROWS].map((row) =>
      results.get(row.id)!,
    );
    expect(ordered.every(Boolean), "every row ran").toBe(true);
    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify(ordered, null, 2)}\n`);
    const page = await readFile(join(root, "docs", "runtimes.md"), "utf8");
    expect(supportTableOf(page)).toBe(renderSupportTable(ordered));
  });
});
