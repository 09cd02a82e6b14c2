/**
 * Part `anatomy` (only when named: `npm run bench -- anatomy`): what the
 * client's cost per call over bare openapi-fetch is made of.
 *
 * Variants of the real client: copies of the built bundle
 * (dist/esm/src/index.js, the whole client in one file), each with one thing
 * taken out (the attempt timer; the attempt's AbortController and the signal
 * in fetch's init; the Idempotency-Key; the NottePromise wrapper; the three
 * default headers besides Authorization; all of them). Each copy is loaded as
 * its own module. A patch finds its place in the bundle by a pattern that
 * must occur exactly once; when the code has moved on and it does not, that
 * variant is reported as not applicable rather than guessed.
 *
 * Two harnesses, both interleaved round by round:
 *
 * - in-process: `fetch` replaced by a stand-in that builds the Request as
 *   undici's fetch does first (`new Request(input, init)`) and answers at
 *   once. No sockets, no server: only the JavaScript side of a call, which is
 *   where the variants differ, measured without the network's noise;
 * - network: the loopback server, as in the `client` part, for the few
 *   variants that matter.
 *
 * Costs are CPU time of the process per call (steadier than wall time on a
 * shared machine); wall time is kept in the JSON. Then micro-benchmarks of
 * the pieces alone.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import createClient from "openapi-fetch";
import type { paths } from "../../generated/notte-api.js";
// Not exported by the bundle: the micro-benchmark takes it from the source.
import { NottePromise } from "../../src/api-promise.js";
import {
  linkNodeModules,
  builtPackage,
  Deadline,
  DIST_ENTRY,
  fmtNumber,
  fmtRatio,
  isMain,
  runChild,
  TSX_IMPORT,
  type PartResult,
  type Row,
} from "./common.js";
import { checkVariants, makeVariants } from "./client.js";
import {
  interleavedRound,
  parseWorkerResult,
  printWorkerResult,
  startLoopbackServer,
  timeConcurrent,
  timeSequential,
  type CallFn,
  type Timing,
} from "./loopback.js";
import {
  BENCH_AGENT_ID,
  BENCH_SESSION_ID,
  realisticStopBody,
} from "./server.js";
import { rotate, summarize, type Summary } from "./stats.js";

export interface AnatomySettings {
  /** In-process rounds, and calls per variant per round (in turns of `inProcessSlice`). */
  inProcessRounds: number;
  inProcessCalls: number;
  inProcessSlice: number;
  /** Network rounds, and calls per variant per round (in turns of `networkSlice`). */
  networkRounds: number;
  networkCalls: number;
  networkSlice: number;
  /** Rounds with `inFlight` calls outstanding, for the network variants; calls per variant per round. */
  concurrentRounds: number;
  concurrentCalls: number;
  concurrentSlice: number;
  inFlight: number;
  warmupCalls: number;
  /** Iterations of each micro-benchmark per round. */
  microIterations: number;
  microRounds: number;
  budgetMs: number;
}

export const DEFAULT_ANATOMY_SETTINGS: AnatomySettings = {
  inProcessRounds: 15,
  inProcessCalls: 2_000,
  inProcessSlice: 500,
  networkRounds: 30,
  networkCalls: 600,
  networkSlice: 200,
  concurrentRounds: 8,
  concurrentCalls: 2_000,
  concurrentSlice: 500,
  inFlight: 64,
  warmupCalls: 1_000,
  microIterations: 10_000,
  microRounds: 5,
  budgetMs: 150_000,
};

/**
 * A change to the bundle: `pattern` (global, so it can be counted) must occur
 * exactly once, and is replaced by `replacement`.
 */
type Patch = [pattern: RegExp, replacement: string];

interface Ablation {
  name: string;
  label: string;
  patches: Patch[];
}

// Call.startAttempt() arms the attempt's timer.
const NO_TIMER: Patch = [/^\s*this\.timer = setTimeout\(.*\);$/gm, ""];
// send() puts the attempt's signal into fetch's init; without startAttempt()
// there is no AbortController, no timer and no signal.
const NO_SIGNAL: Patch = [/^\s*init\.signal = call\.startAttempt\(\);$/gm, ""];
// send() adds the key to the init's headers for a URL input (agents.stop's).
const NO_IDEMPOTENCY_KEY: Patch = [
  /init\.headers\[IDEMPOTENCY_KEY\] = crypto\.randomUUID\(\);/gm,
  "void 0;",
];
const PLAIN_PROMISE: Patch = [
  /return new NottePromise\(this\.#stop\(params, options\)\);/gm,
  "return this.#stop(params, options).then((result) => result.data);",
];
// resolveConfig's default headers.
const AUTH_HEADER_ONLY: Patch[] = [
  [/^\s*accept: "application\/json",$/gm, ""],
  [/^\s*"x-notte-sdk-version": VERSION,$/gm, ""],
  [/^\s*"x-notte-request-origin": checkHeaderValue\([^)]*\)$/gm, ""],
];

export const ABLATIONS: Ablation[] = [
  {
    name: "noTimer",
    label: "without the attempt timer (setTimeout/clearTimeout)",
    patches: [NO_TIMER],
  },
  {
    name: "noSignal",
    label: "without the attempt's AbortController, timer and signal in init",
    patches: [NO_SIGNAL],
  },
  {
    name: "noIdempotencyKey",
    label: "without the Idempotency-Key (randomUUID)",
    patches: [NO_IDEMPOTENCY_KEY],
  },
  {
    name: "plainPromise",
    label: "a plain promise instead of NottePromise",
    patches: [PLAIN_PROMISE],
  },
  {
    name: "authHeaderOnly",
    label: "only Authorization (no accept, sdk-version, origin)",
    patches: AUTH_HEADER_ONLY,
  },
  {
    name: "allOff",
    label: "all of the above taken out",
    patches: [
      NO_TIMER,
      NO_SIGNAL,
      NO_IDEMPOTENCY_KEY,
      PLAIN_PROMISE,
      ...AUTH_HEADER_ONLY,
    ],
  },
];

/** The variants also measured over the network (the others only in-process). */
const NETWORK_VARIANTS = ["fetch", "openapiFetch", "client", "allOff"];

/**
 * Writes one patched copy of the bundle `entry` per ablation into `into` (a
 * folder whose node_modules links to the project's, so `openapi-fetch`
 * resolves). Returns the file of each applicable ablation, and why the others
 * are not.
 */
async function prepareAblations(
  entry: string,
  into: string,
): Promise<{
  entries: Record<string, string>;
  skipped: Record<string, string>;
}> {
  const bundle = await readFile(entry, "utf8");
  const entries: Record<string, string> = {};
  const skipped: Record<string, string> = {};
  for (const ablation of ABLATIONS) {
    let text = bundle;
    for (const [pattern, replacement] of ablation.patches) {
      const found = text.match(pattern)?.length ?? 0;
      if (found !== 1) {
        skipped[ablation.name] =
          `not applicable (found ${found}×): ${String(pattern)}`;
        break;
      }
      text = text.replace(pattern, () => replacement);
    }
    if (skipped[ablation.name] !== undefined) continue;
    // .mjs: an ES module without a package.json next to it.
    const file = join(into, `${ablation.name}.mjs`);
    await writeFile(file, text);
    entries[ablation.name] = file;
  }
  return { entries, skipped };
}

// ---- micro-benchmarks: the pieces alone, no network ----

type Micro = [name: string, run: (iterations: number) => unknown];

function makeMicros(): Micro[] {
  const url = `http://127.0.0.1:1/agents/${BENCH_AGENT_ID}/stop?session_id=${BENCH_SESSION_ID}`;
  const authorization = "Bearer sk_bench_0123456789abcdef";
  const defaultHeaders = {
    authorization,
    accept: "application/json",
    "x-notte-sdk-version": "0.1.0",
    "x-notte-request-origin": "notte-api-client",
  };
  const body = realisticStopBody(BENCH_AGENT_ID, BENCH_SESSION_ID);
  const noResponse = undefined as unknown as Response;
  const noop = (): void => {};
  let sink: unknown;
  const loop =
    (fn: () => unknown) =>
    (iterations: number): unknown => {
      for (let i = 0; i < iterations; i++) sink = fn();
      return sink;
    };
  const asyncLoop =
    (fn: () => Promise<unknown>) =>
    async (iterations: number): Promise<unknown> => {
      for (let i = 0; i < iterations; i++) sink = await fn();
      return sink;
    };
  const clientHeaders = (): Record<string, string> => ({
    ...defaultHeaders,
    "idempotency-key": randomUUID(),
  });
  return [
    [
      "new AbortController() + .signal",
      loop(() => new AbortController().signal),
    ],
    [
      "setTimeout(60 s) + clearTimeout",
      loop(() => clearTimeout(setTimeout(noop, 60_000))),
    ],
    ["crypto.randomUUID()", loop(() => randomUUID())],
    [
      "new Request(url, 1 header), new Request(it) (openapi-fetch, then fetch)",
      loop(
        () =>
          new Request(
            new Request(url, { method: "DELETE", headers: { authorization } }),
          ),
      ),
    ],
    [
      "new Request(url, 4 headers)",
      loop(
        () => new Request(url, { method: "DELETE", headers: defaultHeaders }),
      ),
    ],
    [
      "new Request(url, 4 headers + randomUUID key)",
      loop(
        () => new Request(url, { method: "DELETE", headers: clientHeaders() }),
      ),
    ],
    [
      "… + new AbortController's signal (the client's)",
      loop(
        () =>
          new Request(url, {
            method: "DELETE",
            headers: clientHeaders(),
            signal: new AbortController().signal,
          }),
      ),
    ],
    ["JSON.parse of the 1.2 kB body", loop(() => JSON.parse(body) as unknown)],
    [
      "await new NottePromise(settled)",
      asyncLoop(
        () =>
          new NottePromise(Promise.resolve({ data: 1, response: noResponse })),
      ),
    ],
    [
      "await settled.then(data) (plain promise)",
      asyncLoop(() =>
        Promise.resolve({ data: 1 }).then((result) => result.data),
      ),
    ],
  ];
}

// ---- in-process variants: fetch replaced by a stand-in ----

type PackageModule = typeof import("../../src/index.js");

/**
 * A `fetch` that does what undici's does before touching the network (build
 * a Request from its arguments, which copies headers and follows the signal)
 * and answers the realistic body at once.
 */
function standInFetch(): (
  input: Request | string,
  init?: RequestInit,
) => Promise<Response> {
  const body = realisticStopBody(BENCH_AGENT_ID, BENCH_SESSION_ID);
  const length = String(Buffer.byteLength(body));
  return async (input, init) => {
    const request = new Request(input, init);
    if (request.signal.aborted) throw new Error("aborted");
    return new Response(body, {
      status: 200,
      headers: { "content-type": "application/json", "content-length": length },
    });
  };
}

async function inProcessVariants(
  entries: Record<string, string>,
): Promise<Record<string, CallFn>> {
  const fetchStandIn = standInFetch();
  const baseUrl = "http://127.0.0.1:9";
  const apiKey = "sk_bench_in_process";
  const bare = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
    fetch: fetchStandIn,
  });
  const variants: Record<string, CallFn> = {
    openapiFetch: async () => {
      const { data, error } = await bare.DELETE("/agents/{agent_id}/stop", {
        params: {
          path: { agent_id: BENCH_AGENT_ID },
          query: { session_id: BENCH_SESSION_ID },
        },
      });
      if (error !== undefined || data === undefined)
        throw new Error("openapi-fetch: no data");
      return data.status;
    },
  };
  for (const [name, entry] of Object.entries(entries)) {
    const { NotteClient } = (await import(
      pathToFileURL(entry).href
    )) as PackageModule;
    const notte = new NotteClient({ apiKey, baseUrl, fetch: fetchStandIn });
    variants[name] = async () =>
      (
        await notte.agents.stop({
          agentId: BENCH_AGENT_ID,
          sessionId: BENCH_SESSION_ID,
        })
      ).status;
  }
  return variants;
}

/** The variants that answer "closed", and why the others are left out. */
async function workingVariants(variants: Record<string, CallFn>): Promise<{
  working: Record<string, CallFn>;
  broken: Record<string, string>;
}> {
  const working: Record<string, CallFn> = {};
  const broken: Record<string, string> = {};
  for (const [name, call] of Object.entries(variants)) {
    try {
      await checkVariants({ [name]: call });
      working[name] = call;
    } catch (error) {
      broken[name] = error instanceof Error ? error.message : String(error);
    }
  }
  return { working, broken };
}

// ---- the worker ----

/** Per harness and variant: one value per round. */
type Series = Record<string, Record<string, number[]>>;

export interface AnatomyRaw {
  settings: AnatomySettings;
  /** Variants left out, and why (pattern not found, or wrong answers). */
  skipped: Record<string, string>;
  roundsDone: Record<string, number>;
  cpuUsPerCall: Series;
  wallUsPerCall: Series;
  microNsPerOp: Record<string, number[]>;
  loadBefore: number[];
  loadAfter: number[];
}

async function measureHarness(
  harness: string,
  variants: Record<string, CallFn>,
  rounds: number,
  calls: number,
  slice: number,
  warmupCalls: number,
  deadline: Deadline,
  raw: AnatomyRaw,
  inFlight = 1,
): Promise<void> {
  const names = Object.keys(variants);
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  const measure = (call: CallFn, count: number): Promise<Timing> =>
    inFlight > 1
      ? timeConcurrent(call, count, inFlight, deadline)
      : timeSequential(call, count, deadline);
  for (const name of names) {
    cpu[name] = [];
    wall[name] = [];
    await measure(variants[name] as CallFn, warmupCalls);
  }
  raw.cpuUsPerCall[harness] = cpu;
  raw.wallUsPerCall[harness] = wall;
  raw.roundsDone[harness] = 0;
  for (let round = 0; round < rounds; round++) {
    const { totals: timings, complete } = await interleavedRound(
      variants,
      rotate(names, round),
      calls,
      slice,
      measure,
      deadline,
    );
    if (!complete) break;
    for (const name of names) {
      const timing = timings[name];
      if (timing === undefined) continue;
      cpu[name]?.push((timing.cpuMs * 1000) / timing.calls);
      wall[name]?.push((timing.wallMs * 1000) / timing.calls);
    }
    raw.roundsDone[harness] = round + 1;
  }
}

async function worker(settings: AnatomySettings, entry: string): Promise<void> {
  const deadline = new Deadline(settings.budgetMs);
  // For the patched copies; its node_modules links to the project's.
  const scratch = await mkdtemp(join(tmpdir(), "notte-bench-anatomy-"));
  await linkNodeModules(scratch);
  const raw: AnatomyRaw = {
    settings,
    skipped: {},
    roundsDone: {},
    cpuUsPerCall: {},
    wallUsPerCall: {},
    microNsPerOp: {},
    loadBefore: loadavg(),
    loadAfter: [],
  };
  try {
    const micros = makeMicros();
    for (const [name] of micros) raw.microNsPerOp[name] = [];
    const microDeadline = new Deadline(settings.budgetMs / 6);
    for (
      let round = 0;
      round < settings.microRounds && !microDeadline.expired;
      round++
    ) {
      for (const [name, run] of rotate(micros, round)) {
        if (round === 0) await run(Math.ceil(settings.microIterations / 10)); // warm-up
        const started = performance.now();
        await run(settings.microIterations);
        raw.microNsPerOp[name]?.push(
          ((performance.now() - started) * 1e6) / settings.microIterations,
        );
      }
    }

    const { entries, skipped } = await prepareAblations(entry, scratch);
    Object.assign(raw.skipped, skipped);
    const allEntries = { client: entry, ...entries };

    const inProcess = await workingVariants(
      await inProcessVariants(allEntries),
    );
    Object.assign(raw.skipped, inProcess.broken);
    await measureHarness(
      "inProcess",
      inProcess.working,
      settings.inProcessRounds,
      settings.inProcessCalls,
      settings.inProcessSlice,
      settings.warmupCalls,
      new Deadline(Math.min(deadline.remainingMs, settings.budgetMs / 3)),
      raw,
    );

    const server = await startLoopbackServer();
    try {
      const base = await makeVariants(server, entry);
      const candidates: Record<string, CallFn> = {
        fetch: base.fetch,
        openapiFetch: base.openapiFetch,
        client: base.notte,
      };
      for (const name of NETWORK_VARIANTS) {
        const ablationEntry = entries[name];
        if (ablationEntry !== undefined)
          candidates[name] = (await makeVariants(server, ablationEntry)).notte;
      }
      const network = await workingVariants(candidates);
      Object.assign(raw.skipped, network.broken);
      await measureHarness(
        "network",
        network.working,
        settings.networkRounds,
        settings.networkCalls,
        settings.networkSlice,
        settings.warmupCalls,
        deadline,
        raw,
      );
      await measureHarness(
        "networkConcurrent",
        network.working,
        settings.concurrentRounds,
        settings.concurrentCalls,
        settings.concurrentSlice,
        settings.warmupCalls,
        deadline,
        raw,
        settings.inFlight,
      );
    } finally {
      server.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  raw.loadAfter = loadavg();
  printWorkerResult(raw);
}

export async function runAnatomyPart(
  overrides: Partial<AnatomySettings> = {},
): Promise<PartResult> {
  const { entry, note: buildNote } = await builtPackage();
  const settings = { ...DEFAULT_ANATOMY_SETTINGS, ...overrides };
  const run = await runChild(
    process.execPath,
    [
      "--expose-gc",
      ...TSX_IMPORT,
      fileURLToPath(import.meta.url),
      "--worker",
      JSON.stringify(settings),
      entry,
    ],
    { timeoutMs: settings.budgetMs + 90_000 },
  );
  const raw = parseWorkerResult<AnatomyRaw>(run.stdout, run.stderr);
  const signed = (value: number): string =>
    `${value >= 0 ? "+" : "−"}${fmtNumber(Math.abs(value), 1)}`;
  const rows: Row[] = [];
  const perVariant: Record<string, Record<string, unknown>> = {};
  const labels: Record<string, string> = {
    fetch: "plain fetch",
    openapiFetch: "bare openapi-fetch",
    client: "notte.agents.stop() as built",
    ...Object.fromEntries(
      ABLATIONS.map((ablation) => [ablation.name, `client ${ablation.label}`]),
    ),
  };
  const notes: string[] = [];

  for (const harness of ["inProcess", "network"]) {
    const cpu = raw.cpuUsPerCall[harness] ?? {};
    const wall = raw.wallUsPerCall[harness] ?? {};
    const series = (name: string): number[] => cpu[name] ?? [];
    const paired = (a: string, b: string): Summary =>
      summarize(
        series(a).map(
          (value, index) => value - (series(b)[index] ?? Number.NaN),
        ),
      );
    const openapiFetch = summarize(series("openapiFetch"));
    const prefix = harness === "inProcess" ? "in-process" : "network";
    perVariant[harness] = {};
    for (const name of [
      "fetch",
      "openapiFetch",
      "client",
      ...ABLATIONS.map((ablation) => ablation.name),
    ]) {
      const label = `${prefix}: ${labels[name] ?? name}`;
      if (cpu[name] === undefined) {
        const reason = raw.skipped[name];
        if (
          reason !== undefined &&
          (harness === "inProcess" || NETWORK_VARIANTS.includes(name))
        ) {
          rows.push({
            part: "anatomy",
            measure: label,
            pkg: "n/a",
            openapiFetch: "",
            baseline: reason.slice(0, 60),
            ratio: "",
            budget: "",
            met: undefined,
          });
        }
        continue;
      }
      const values = summarize(series(name));
      const over = paired(name, "openapiFetch");
      const isClientVariant =
        name !== "fetch" && name !== "openapiFetch" && name !== "client";
      const saving = isClientVariant ? paired("client", name) : undefined;
      (perVariant[harness] as Record<string, unknown>)[name] = {
        label,
        cpu: values,
        wall: summarize(wall[name] ?? []),
        overOpenapiFetch: over,
        ...(saving && { savingVsClient: saving }),
      };
      rows.push({
        part: "anatomy",
        measure: label,
        pkg: `${fmtNumber(values.median, 1)} µs`,
        openapiFetch: `${signed(over.median)} µs (IQR ${signed(over.q1)}…${signed(over.q3)})`,
        baseline: saving
          ? `saves ${signed(saving.median)} µs (IQR ${signed(saving.q1)}…${signed(saving.q3)})`
          : "",
        ratio: fmtRatio(values.median / openapiFetch.median),
        budget: "",
        met: undefined,
      });
    }
    notes.push(
      `anatomy: ${prefix}: ${raw.roundsDone[harness] ?? 0} rounds of ${harness === "inProcess" ? settings.inProcessCalls : settings.networkCalls} sequential calls per variant`,
    );
  }
  // With many calls in flight, what counts is throughput: calls per second, as a ratio to openapi-fetch's.
  const concurrentWall = raw.wallUsPerCall.networkConcurrent ?? {};
  const throughput = (name: string): number[] =>
    (concurrentWall[name] ?? []).map((us) => 1e6 / us);
  perVariant.networkConcurrent = {};
  for (const name of NETWORK_VARIANTS) {
    if (concurrentWall[name] === undefined) continue;
    const values = summarize(throughput(name));
    const ratio = summarize(
      throughput(name).map(
        (value, index) =>
          value / (throughput("openapiFetch")[index] ?? Number.NaN),
      ),
    );
    const cpu = summarize(raw.cpuUsPerCall.networkConcurrent?.[name] ?? []);
    (perVariant.networkConcurrent as Record<string, unknown>)[name] = {
      callsPerSecond: values,
      vsOpenapiFetch: ratio,
      cpu,
    };
    rows.push({
      part: "anatomy",
      measure: `${settings.inFlight} in flight: ${labels[name] ?? name}`,
      pkg: `${fmtNumber(values.median, 0)} calls/s`,
      openapiFetch: `${fmtRatio(ratio.median)} (IQR ${fmtRatio(ratio.q1)}…${fmtRatio(ratio.q3)})`,
      baseline: `${fmtNumber(cpu.median, 1)} µs CPU/call`,
      ratio: fmtRatio(ratio.median),
      budget: "",
      met: undefined,
    });
  }
  notes.push(
    `anatomy: ${settings.inFlight} in flight: ${raw.roundsDone.networkConcurrent ?? 0} rounds of ${settings.concurrentCalls} calls per variant; "openapi-fetch" column = throughput / openapi-fetch's, paired by round`,
  );

  const micro: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(raw.microNsPerOp)) {
    const summary = summarize(values);
    micro[name] = summary;
    rows.push({
      part: "anatomy",
      measure: `micro: ${name}`,
      pkg: `${fmtNumber(summary.median / 1000, 2)} µs/op`,
      openapiFetch: "",
      baseline: "",
      ratio: "",
      budget: "",
      met: undefined,
    });
  }
  notes.unshift(
    `anatomy: ${buildNote}; "this package" = CPU µs per call of the process; "openapi-fetch" = the same minus bare openapi-fetch's, paired by round (median, IQR); "plain fetch / CLI" = what taking the piece out saves against the client as built; ratio = CPU / bare openapi-fetch's; load average ${raw.loadBefore.map((load) => load.toFixed(1)).join(" ")} before, ${raw.loadAfter.map((load) => load.toFixed(1)).join(" ")} after`,
  );
  return { rows, raw: { raw, perVariant, micro }, notes };
}

if (isMain(import.meta.url) && process.argv[2] === "--worker") {
  const settings = {
    ...DEFAULT_ANATOMY_SETTINGS,
    ...(JSON.parse(process.argv[3] ?? "{}") as Partial<AnatomySettings>),
  };
  worker(settings, process.argv[4] ?? DIST_ENTRY).catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
