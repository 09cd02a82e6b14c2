/**
 * Prettier in a child process, as the bare tools run it (openapi-typescript,
 * then the prettier CLI): the TypeScript compiler and openapi-typescript's
 * syntax tree stay in this process, prettier and its syntax tree of the
 * output in the other, so neither holds both (for a large API, the
 * difference between the tools' peak memory and nearly twice it). Started
 * first, it loads prettier and resolves the options while this process
 * parses, prunes and generates.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PipelineError } from "./errors.js";
import type { PrettierOptionsByFile } from "./json-text.js";

/**
 * What the child runs: prettier (its entry in argv[1]) resolves the options
 * of each file of argv[3] (JSON) under argv[2] as its CLI would
 * (editorconfig included), writes them as one JSON line, then formats each
 * `[file, source]` read as JSON from stdin and writes the results as JSON.
 */
const CHILD = `
const { pathToFileURL } = await import("node:url");
const { join } = await import("node:path");
const loaded = await import(pathToFileURL(process.argv[1]).href);
const prettier = loaded.format ? loaded : loaded.default;
const root = process.argv[2];
const options = {};
for (const file of JSON.parse(process.argv[3])) {
  options[file] = (await prettier.resolveConfig(join(root, file), { editorconfig: true })) ?? {};
}
process.stdout.write(JSON.stringify(options) + "\\n");
let input = "";
for await (const chunk of process.stdin) input += chunk;
const output = [];
for (const [file, source] of JSON.parse(input)) {
  output.push([file, await prettier.format(source, { ...options[file], filepath: file })]);
}
process.stdout.write(JSON.stringify(output));
`;

/** A prettier child process for the files of one run. */
export class Formatter {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exit: Promise<number | null>;
  private readonly resolved: Promise<PrettierOptionsByFile>;
  private stdout = "";
  private stderr = "";

  /**
   * Starts the child.
   *
   * @param root - The project directory, where prettier's configuration is looked up.
   * @param files - The files (relative to `root`) it will resolve options for and may format.
   */
  constructor(root: string, files: readonly string[]) {
    const prettier = createRequire(import.meta.url).resolve("prettier");
    this.child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "--eval",
        CHILD,
        prettier,
        join(root),
        JSON.stringify(files),
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => (this.stderr += chunk));
    this.exit = new Promise((resolve) => {
      this.child.on("error", () => resolve(null));
      this.child.on("close", resolve);
    });
    this.resolved = new Promise((resolve, reject) => {
      const onData = (chunk: string): void => {
        this.stdout += chunk;
        const end = this.stdout.indexOf("\n");
        if (end < 0) return;
        this.child.stdout.off("data", onData);
        this.child.stdout.on("data", (more: string) => (this.stdout += more));
        const line = this.stdout.slice(0, end);
        this.stdout = this.stdout.slice(end + 1);
        resolve(JSON.parse(line) as PrettierOptionsByFile);
      };
      this.child.stdout.on("data", onData);
      void this.exit.then((code) => reject(this.failure(code)));
    });
    // Whoever asks later gets the failure; nobody asking is no crash.
    this.resolved.catch(() => undefined);
  }

  /** The options prettier's CLI would use for each file. */
  options(): Promise<PrettierOptionsByFile> {
    return this.resolved;
  }

  /**
   * Formats each source (by file path: the extension picks the parser) and
   * ends the child.
   */
  async format(
    sources: ReadonlyMap<string, string>,
  ): Promise<Map<string, string>> {
    await this.resolved;
    this.child.stdin.end(JSON.stringify([...sources]));
    const code = await this.exit;
    if (code !== 0) throw this.failure(code);
    return new Map(JSON.parse(this.stdout) as [string, string][]);
  }

  /** Ends the child without formatting (a dry run, a refused pull, a failure). */
  stop(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private failure(code: number | null): PipelineError {
    const reason = this.stderr
      .split("\n")
      .find((line) => /error/i.test(line) || line.trim() !== "");
    return new PipelineError(
      `prettier failed: ${reason?.trim() ?? `exit code ${String(code)}`}`,
    );
  }
}
