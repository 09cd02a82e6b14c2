/**
 * The harness of the per-call benchmarks (`client`): starts the
 * loopback server process, and times a call sequentially or with many in flight.
 *
 * These run inside a worker process that the part spawns (`node --expose-gc
 * --import tsx <part>.ts --worker …`), so each measurement starts from a fresh
 * heap and JIT state, apart from whatever else the benchmark shell did.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Deadline, TSX_IMPORT } from "./common.js";
import type { ServerStats } from "./server.js";

/** A running loopback server process. */
export interface LoopbackServer {
  readonly baseUrl: string;
  readonly apiKey: string;
  stats(): Promise<ServerStats>;
  close(): void;
}

const SERVER_SCRIPT = fileURLToPath(new URL("./server.ts", import.meta.url));

/** Starts `server.ts` in its own process and waits for its port. */
export async function startLoopbackServer(
  timeoutMs = 30_000,
): Promise<LoopbackServer> {
  const apiKey = `sk_bench_${randomBytes(12).toString("hex")}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [...TSX_IMPORT, SERVER_SCRIPT, apiKey],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const close = (): void => {
    child.stdin?.end();
    child.kill("SIGTERM");
  };
  process.once("exit", close);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      close();
      reject(new Error("the loopback server did not start in time"));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the loopback server exited with ${code}`));
    });
    if (!child.stdout) throw new Error("no stdout");
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    apiKey,
    async stats() {
      const response = await fetch(`${baseUrl}/__stats`);
      return (await response.json()) as ServerStats;
    },
    close,
  };
}

/** One call of a variant: resolves once the answer's body is read and used. */
export type CallFn = () => Promise<unknown>;

/** Forces a full collection when the worker runs with `--expose-gc`, so one variant's garbage is not collected on another's time. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/**
 * A full collection, then a pause long enough for the work it leaves behind
 * (FinalizationRegistry callbacks, e.g. undici's for every Request's signal;
 * concurrent sweeping) to run before the next timed turn, not inside it.
 */
export async function collectGarbageAndSettle(): Promise<void> {
  collectGarbage();
  for (let i = 0; i < 3; i++)
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
}

/** What one timed run of calls measured. */
export interface Timing {
  /** Calls completed. */
  calls: number;
  /** Wall time of the run, in milliseconds. */
  wallMs: number;
  /** CPU time of this process (all threads, so garbage collection included) during the run, in milliseconds. */
  cpuMs: number;
}

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Makes `calls` calls one after the other (each awaited before the next
 * starts), or fewer at the deadline.
 */
export async function timeSequential(
  call: CallFn,
  calls: number,
  deadline: Deadline,
): Promise<Timing> {
  let made = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (made < calls) {
    await call();
    made++;
    // Checking the clock every call would be part of what is measured.
    if ((made & 127) === 0 && deadline.expired) break;
  }
  const wallMs = performance.now() - started;
  return { calls: made, wallMs, cpuMs: cpuMsSince(cpuBefore) };
}

/**
 * Makes `calls` calls with `inFlight` of them always outstanding (until the
 * last ones drain), or fewer at the deadline.
 */
export async function timeConcurrent(
  call: CallFn,
  calls: number,
  inFlight: number,
  deadline: Deadline,
): Promise<Timing> {
  let started = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (started < calls && !((started & 127) === 0 && deadline.expired)) {
      started++;
      await call();
      finished++;
    }
  };
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, worker));
  const wallMs = performance.now() - begin;
  return { calls: finished, wallMs, cpuMs: cpuMsSince(cpuBefore) };
}

/** Adds timings up. */
export function addTimings(a: Timing, b: Timing): Timing {
  return {
    calls: a.calls + b.calls,
    wallMs: a.wallMs + b.wallMs,
    cpuMs: a.cpuMs + b.cpuMs,
  };
}

export const NO_TIME: Timing = { calls: 0, wallMs: 0, cpuMs: 0 };

/**
 * One round of an interleaved benchmark: every variant makes `callsPerVariant`
 * calls, in slices of `sliceCalls`, the variants taking turns slice by slice
 * (in `order`). Finely interleaved, the variants see the same machine: a
 * burst of load from elsewhere lands on all of them, not on one.
 *
 * No forced collection between turns by default: after a full collection V8
 * shrinks the young generation, so the next turn pays for many more
 * scavenges than a program in its steady state does (measured: 2–3× the CPU
 * per call), most for the variant that allocates most. Left alone, young
 * collections happen within the turn that allocated, and the rare full ones
 * spread over the variants as the order rotates.
 *
 * `complete` is false when the deadline cut the round short; such a round's
 * totals count calls made but must not be compared.
 */
export async function interleavedRound<V extends string>(
  variants: Readonly<Record<V, CallFn>>,
  order: readonly V[],
  callsPerVariant: number,
  sliceCalls: number,
  measure: (call: CallFn, calls: number) => Promise<Timing>,
  deadline: Deadline,
  collectBetweenTurns = false,
): Promise<{ totals: Record<V, Timing>; complete: boolean }> {
  const totals = Object.fromEntries(
    order.map((name) => [name, NO_TIME]),
  ) as Record<V, Timing>;
  for (let done = 0; done < callsPerVariant; done += sliceCalls) {
    const slice = Math.min(sliceCalls, callsPerVariant - done);
    for (const name of order) {
      // A round cut short is not comparable (its variants did not all run alike).
      if (deadline.expired) return { totals, complete: false };
      if (collectBetweenTurns) await collectGarbageAndSettle();
      totals[name] = addTimings(
        totals[name],
        await measure(variants[name], slice),
      );
    }
  }
  return { totals, complete: true };
}

/** The marker before the one JSON line a worker prints for its parent. */
export const RESULT_MARKER = "BENCH-RESULT ";

/** Prints a worker's result for the parent (see {@link parseWorkerResult}). */
export function printWorkerResult(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** The result a worker printed, or an error carrying its output. */
export function parseWorkerResult<T>(stdout: string, stderr: string): T {
  const line = stdout
    .split("\n")
    .find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (line === undefined) {
    throw new Error(
      `the worker printed no result:\n${`${stderr}\n${stdout}`.trim().split("\n").slice(-15).join("\n")}`,
    );
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

export { Deadline };
