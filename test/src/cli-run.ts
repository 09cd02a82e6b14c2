/**
 * Runs the package's built commands (dist/, built once by test/global-setup.ts) as child
 * processes, for their end-to-end tests: `notte-agent-stop`, and `notte-test-server`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built `notte-agent-stop`. */
export const CLI = fileURLToPath(
  new URL("../../dist/esm/src/cli.js", import.meta.url),
);

/** The built `notte-test-server`. */
export const TEST_SERVER_CLI = fileURLToPath(
  new URL("../../dist/esm/src/testing/cli.js", import.meta.url),
);

/** How a run ended and what it printed. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What to feed the command: text on stdin (default: none, stdin closed), and which command. */
export interface SpawnOptions {
  input?: string;
  /** The built script to run. Default: {@link CLI}. */
  script?: string;
}

/**
 * Starts the command with only PATH and the given variables in its
 * environment, so a developer's own NOTTE_* settings cannot leak into a test.
 */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [options.script ?? CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let stdout = "";
  let stderr = "";
  child.stdout
    ?.setEncoding("utf8")
    .on("data", (chunk: string) => (stdout += chunk));
  child.stderr
    ?.setEncoding("utf8")
    .on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr }),
    );
  });
  return { child, done };
}

/** Runs the command to its end. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): Promise<Run> {
  return spawnCli(args, env, options).done;
}
