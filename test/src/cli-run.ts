/**
 * Runs the built `notte-agent-stop` (dist/, built once by test/global-setup.ts) as a child
 * process, for the CLI's end-to-end tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built command. */
export const CLI = fileURLToPath(
  new URL("../../dist/esm/src/cli.js", import.meta.url),
);

/** How a run ended and what it printed. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What to feed the command: text on stdin (default: none, stdin closed). */
export interface SpawnOptions {
  input?: string;
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
  const child = spawn(process.execPath, [CLI, ...args], {
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
