/**
 * Test helpers for running `npm run generate` as a child process in a
 * scratch copy of the project, so no test ever writes into the repository.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** The fixtures folder of these tests. */
export const fixtures = fileURLToPath(new URL("fixtures/", import.meta.url));

// What `npm run generate` runs (package.json), without npm.
const script = join(repoRoot, "scripts", "launch.mjs");

/** What a run of the shell printed, and its exit code. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A scratch copy of the project files the pipeline reads and writes. */
export interface Project {
  readonly dir: string;
  /** Runs `npm run generate -- <args>` in the copy. */
  run(
    args: readonly string[],
    env?: Record<string, string>,
  ): Promise<RunResult>;
  /** openapi.json and every file of generated/, by relative path. */
  snapshot(): Promise<Map<string, string>>;
  remove(): Promise<void>;
}

/** Copies package.json, .prettierrc.json, openapi.json and generated/ to a temporary directory. */
export async function makeProject(): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), "notte-generate-"));
  for (const name of [
    "package.json",
    ".prettierrc.json",
    "openapi.json",
    "generated",
  ]) {
    await cp(join(repoRoot, name), join(dir, name), { recursive: true });
  }
  return {
    dir,
    run: (args, env = {}) => run(dir, args, env),
    snapshot: () => snapshot(dir),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function run(
  cwd: string,
  args: readonly string[],
  extraEnv: Record<string, string>,
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  if (!("NOTTE_OPENAPI_URL" in extraEnv)) delete env["NOTTE_OPENAPI_URL"];
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the HTTP server the child talks to runs in
    // this process and must keep answering.
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout
      .setEncoding("utf8")
      .on("data", (chunk: string) => (stdout += chunk));
    child.stderr
      .setEncoding("utf8")
      .on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set("openapi.json", await readFile(join(dir, "openapi.json"), "utf8"));
  for (const name of (await readdir(join(dir, "generated"))).sort()) {
    files.set(
      `generated/${name}`,
      await readFile(join(dir, "generated", name), "utf8"),
    );
  }
  return files;
}

/**
 * Asserts the shell's failure contract: the exit code, exactly one line on
 * stderr (no stack trace) matching `message`.
 */
export function expectOneLineFailure(
  result: RunResult,
  code: number,
  message: string | RegExp,
): void {
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  expect(lines, result.stderr).toHaveLength(1);
  const line = lines[0] ?? "";
  if (typeof message === "string") expect(line).toBe(`generate: ${message}`);
  else expect(line.replace(/^generate: /, "")).toMatch(message);
  expect(result.code).toBe(code);
}

/** Starts an HTTP server on 127.0.0.1 with a random port. */
export async function startServer(
  handler: RequestListener,
): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (it was just released). */
export async function closedPort(): Promise<number> {
  const { base, close } = await startServer(() => undefined);
  await close();
  return Number(new URL(base).port);
}
