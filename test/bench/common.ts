/**
 * What the benchmark parts share: where things are, the shape of a part's
 * result, bounded child processes with their time and peak memory, and a few
 * formatters. Nothing here measures by itself.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

/** The repository's root folder, with a trailing separator. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** This folder. */
export const BENCH_DIR = fileURLToPath(new URL("./", import.meta.url));
/** The built ES module entry of the package in the project (the benchmark uses a copy: {@link builtPackage}). */
export const DIST_ENTRY = join(ROOT, "dist", "esm", "src", "index.js");
/** `tsx`'s loader, for running TypeScript files of this folder in a child process. */
export const TSX_IMPORT = ["--import", "tsx"] as const;

/** Whether the module at `moduleUrl` is the script Node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(moduleUrl);
}

/** One line of the printed table. Cells are already formatted. */
export interface Row {
  part: string;
  measure: string;
  /** This package. */
  pkg: string;
  /** Bare openapi-fetch. */
  openapiFetch: string;
  /** Plain fetch, or the openapi-typescript CLI alone, or a baseline. */
  baseline: string;
  /** The ratio the budget is about (or the most telling one). */
  ratio: string;
  budget: string;
  /** Whether the budget is met; undefined when there is no budget. */
  met: boolean | undefined;
}

/** What each part hands back: its table lines and its raw numbers for the JSON file. */
export interface PartResult {
  rows: Row[];
  raw: Record<string, unknown>;
  /** Things worth saying under the table (one line each). */
  notes: string[];
}

/** A point in time after which bounded loops stop (they also stop at their iteration count). */
export class Deadline {
  readonly #end: number;

  constructor(readonly budgetMs: number) {
    this.#end = performance.now() + budgetMs;
  }

  get expired(): boolean {
    return performance.now() >= this.#end;
  }

  get remainingMs(): number {
    return Math.max(0, this.#end - performance.now());
  }
}

/** What {@link runChild} measured. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number;
  /** Peak resident memory of the largest process of the tree, in MiB; undefined when unmeasured. */
  maxRssMiB: number | undefined;
  timedOut: boolean;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL, whole group) after this long. */
  timeoutMs: number;
  /** Measure peak memory (through GNU time when present). */
  measureMemory?: boolean;
}

// Children run in their own process group (to kill npm's and tsx's grandchildren
// with them); these are killed if the benchmark exits early.
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) killGroup(pid);
});

const GNU_TIME = "/usr/bin/time";
let gnuTimeWorks: boolean | undefined;

async function hasGnuTime(): Promise<boolean> {
  if (gnuTimeWorks !== undefined) return gnuTimeWorks;
  if (!existsSync(GNU_TIME)) return (gnuTimeWorks = false);
  const probe = await spawnBounded(GNU_TIME, ["-f", "%M", "true"], {
    timeoutMs: 5_000,
  });
  gnuTimeWorks = probe.code === 0 && /^\d+\s*$/m.test(probe.stderr);
  return gnuTimeWorks;
}

/**
 * Runs a command to its end (or its time limit) and measures wall time and,
 * when asked, peak memory. Peak memory comes from GNU time's `%M` (the largest
 * `ru_maxrss` in the process tree); without GNU time, from a preload that each
 * Node process of the tree runs at exit, reporting `process.resourceUsage().maxRSS`.
 */
export async function runChild(
  command: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildRun> {
  if (!options.measureMemory) return spawnBounded(command, args, options);
  const scratch = await mkdtemp(join(tmpdir(), "notte-bench-rss-"));
  try {
    const report = join(scratch, "rss.txt");
    if (await hasGnuTime()) {
      const run = await spawnBounded(
        GNU_TIME,
        ["-f", "%M", "-o", report, command, ...args],
        options,
      );
      const kib = Number.parseInt(
        (await readFile(report, "utf8").catch(() => ""))
          .trim()
          .split("\n")
          .pop() ?? "",
        10,
      );
      return {
        ...run,
        maxRssMiB: Number.isFinite(kib) ? kib / 1024 : undefined,
      };
    }
    const preload = join(scratch, "rss-preload.cjs");
    await writeFile(
      preload,
      `process.on("exit", () => require("node:fs").appendFileSync(${JSON.stringify(report)}, process.resourceUsage().maxRSS + "\\n"));\n`,
    );
    const env = options.env ?? process.env;
    const nodeOptions =
      `${env.NODE_OPTIONS ?? ""} --require ${JSON.stringify(preload)}`.trim();
    const run = await spawnBounded(command, args, {
      ...options,
      env: { ...env, NODE_OPTIONS: nodeOptions },
    });
    const lines = (await readFile(report, "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean);
    const kib =
      lines.length === 0 ? Number.NaN : Math.max(...lines.map(Number));
    return { ...run, maxRssMiB: Number.isFinite(kib) ? kib / 1024 : undefined };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Stdout and stderr kept per child: enough for any report we parse, bounded for a runaway child. */
const MAX_OUTPUT = 16 * 1024 * 1024;

function spawnBounded(
  command: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs: performance.now() - started,
        maxRssMiB: undefined,
        timedOut,
      });
    });
  });
}

/** Kills the process group we started (the child was spawned detached, as its own group leader). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Throws with the child's last output when it did not exit cleanly. */
export function assertSucceeded(run: ChildRun, what: string): void {
  if (run.code === 0 && !run.timedOut) return;
  const tail = `${run.stderr}\n${run.stdout}`
    .trim()
    .split("\n")
    .slice(-12)
    .join("\n");
  const how = run.timedOut
    ? "timed out"
    : `exited with ${run.code ?? run.signal}`;
  throw new Error(`${what} ${how}:\n${tail}`);
}

/** The latest modification time among the files of `dir`, recursively, in ms (0 for none). */
export async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  const entries = await readdir(dir, {
    withFileTypes: true,
    recursive: true,
  }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name)).catch(
      () => undefined,
    );
    if (info && info.mtimeMs > newest) newest = info.mtimeMs;
  }
  return newest;
}

/**
 * Builds `dist/` with `npm run build` when it is missing or older than `src/`
 * or `generated/`. Returns what it did, for the notes.
 */
export async function ensureBuilt(): Promise<string> {
  const built = await stat(DIST_ENTRY).catch(() => undefined);
  const sources = Math.max(
    await newestMtime(join(ROOT, "src")),
    await newestMtime(join(ROOT, "generated")),
  );
  if (built && built.mtimeMs >= sources) return "dist/ is up to date";
  const run = await runChild("npm", ["run", "build", "--silent"], {
    timeoutMs: 180_000,
  });
  if (run.code !== 0 || run.timedOut) {
    if (existsSync(DIST_ENTRY)) {
      return `npm run build failed, using the existing (older) dist/: ${lastLine(run.stderr || run.stdout)}`;
    }
    assertSucceeded(run, "npm run build");
  }
  return `rebuilt dist/ (${built ? "older than src/" : "missing"}) in ${(run.wallMs / 1000).toFixed(1)} s`;
}

/** The built package as the benchmark uses it: a private copy of dist/ with the package's metadata. */
export interface BuiltPackage {
  /** A package root: package.json, README, dist/. */
  root: string;
  /** Its `dist/esm/src/index.js`. */
  entry: string;
  /** What building did (for the notes). */
  note: string;
}

let snapshot: Promise<BuiltPackage> | undefined;

/**
 * Builds when needed, then copies the package (package.json, README, LICENSE,
 * dist/) into a private temporary folder that lives as long as this process.
 * Other engineers rebuild dist/ in the same tree (a build first deletes it):
 * the benchmark must not lose its files halfway. The copy resolves
 * `openapi-fetch` through a node_modules link to the project's (Node and
 * TypeScript follow it to the same files, so there is one openapi-fetch).
 * Outside the project, so the project's tsconfig never sees the copy's
 * declarations. Once per process.
 */
export function builtPackage(): Promise<BuiltPackage> {
  snapshot ??= takeSnapshot();
  return snapshot;
}

async function takeSnapshot(): Promise<BuiltPackage> {
  const root = await mkdtemp(join(tmpdir(), "notte-bench-package-"));
  process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  let note = await ensureBuilt();
  for (let attempt = 1; ; attempt++) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await linkNodeModules(root);
    try {
      for (const name of await readdir(ROOT)) {
        if (name === "package.json" || /^(readme|license|licence)/i.test(name))
          await cp(join(ROOT, name), join(root, name));
      }
      await cp(join(ROOT, "dist"), join(root, "dist"), { recursive: true });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
    const complete = [
      "esm/src/index.js",
      "esm/src/index.d.ts",
      "esm/package.json",
      "cjs/src/index.js",
    ].every((file) => existsSync(join(root, "dist", file)));
    if (complete)
      return {
        root,
        entry: join(root, "dist", "esm", "src", "index.js"),
        note,
      };
    if (attempt >= 3)
      throw new Error("dist/ stayed incomplete (someone else rebuilding it?)");
    // Someone else's build was under way: wait for it, or build.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    note = `${await ensureBuilt()} (dist/ was incomplete at first)`;
  }
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .pop() ?? ""
  );
}

/** Links `dir/node_modules` to the project's, so code copied into `dir` resolves its imports as in the project. */
export async function linkNodeModules(dir: string): Promise<void> {
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `notte-bench-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

// ---- formatting ----

/** `1234.5` → `"1,234.5"` with the given decimals. */
export function fmtNumber(value: number, decimals = 1): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** A ratio as `1.07×`. */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "n/a";
}

/** Bytes as `12,345 B`. */
export function fmtBytes(value: number): string {
  return `${fmtNumber(value, 0)} B`;
}

/** `value ± half the IQR` style cell: `"152.3 µs ±2%"`. */
export function fmtWithSpread(
  value: number,
  relIqr: number,
  unit: string,
  decimals = 1,
): string {
  return `${fmtNumber(value, decimals)} ${unit} ±${Math.round((relIqr * 100) / 2)}%`;
}
