/**
 * Part `client`: what one agent-stop call costs through this package, through
 * bare openapi-fetch, and through plain `fetch`, against a loopback server in
 * another process.
 *
 * The variants run interleaved: every round runs each of them (in a rotated
 * order), first sequentially, then with 64 calls in flight. Ratios are taken
 * within a round and their median reported, so a slow moment of the machine
 * slows every variant of that round alike instead of skewing one of them.
 *
 * The measuring runs in a worker process (this file with `--worker`), with
 * `--expose-gc`, fresh from any other part.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import createClient from "openapi-fetch";
import type { paths } from "../../generated/notte-api.js";
import {
  Deadline,
  builtPackage,
  DIST_ENTRY,
  fmtNumber,
  fmtRatio,
  isMain,
  runChild,
  TSX_IMPORT,
  type PartResult,
  type Row,
} from "./common.js";
import {
  interleavedRound,
  parseWorkerResult,
  printWorkerResult,
  startLoopbackServer,
  timeConcurrent,
  timeSequential,
  type CallFn,
  type LoopbackServer,
  type Timing,
} from "./loopback.js";
import { BENCH_AGENT_ID, BENCH_SESSION_ID } from "./server.js";
import { ratioSummary, rotate, summarize, type Summary } from "./stats.js";

/** How much to measure. */
export interface ClientSettings {
  rounds: number;
  /** Sequential calls per variant per round. */
  sequentialCalls: number;
  /** Calls per variant per round with `inFlight` outstanding. */
  concurrentCalls: number;
  inFlight: number;
  /** Within a round, the variants take turns every this many calls. */
  sequentialSlice: number;
  concurrentSlice: number;
  /** Sequential calls per variant before the first round (and as many concurrent ones). */
  warmupCalls: number;
  /** The worker stops after the round under way once this is spent (rounds done so far are kept). */
  budgetMs: number;
}

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  rounds: 10,
  sequentialCalls: 2_000,
  concurrentCalls: 3_000,
  inFlight: 64,
  sequentialSlice: 250,
  concurrentSlice: 500,
  warmupCalls: 1_500,
  budgetMs: 80_000,
};

export const VARIANTS = ["notte", "openapiFetch", "fetch"] as const;
export type Variant = (typeof VARIANTS)[number];

/** Per variant, one value per round. */
export type PerVariant = Record<Variant, number[]>;

/** What the worker measures. */
export interface ClientRaw {
  settings: ClientSettings;
  roundsDone: number;
  /** Wall time per call, µs, sequential. */
  sequentialUsPerCall: PerVariant;
  /** This process's CPU time per call, µs, sequential: the client's own work, without the server or waiting. */
  sequentialCpuUsPerCall: PerVariant;
  /** Calls per second with `inFlight` outstanding. */
  concurrentCallsPerSecond: PerVariant;
  /** CPU time per call, µs, with `inFlight` outstanding. */
  concurrentCpuUsPerCall: PerVariant;
  /** The server's CPU time over each concurrent round, as a share of the round's wall time (all variants). */
  serverCpuShare: number[];
  /** The worker's CPU time over each concurrent round, as a share of its wall time. */
  clientCpuShare: number[];
  serverStops: number;
  serverUnauthorized: number;
  callsMade: number;
  /** os.loadavg() before and after. */
  loadBefore: number[];
  loadAfter: number[];
}

type PackageModule = typeof import("../../src/index.js");

/** The three ways to stop an agent, each reading and using the answer. */
async function makeVariants(
  server: LoopbackServer,
  entry: string,
): Promise<Record<Variant, CallFn>> {
  const { NotteClient } = (await import(
    pathToFileURL(entry).href
  )) as PackageModule;
  const notte = new NotteClient({
    apiKey: server.apiKey,
    baseUrl: server.baseUrl,
  });
  const raw = createClient<paths>({
    baseUrl: server.baseUrl,
    headers: { Authorization: `Bearer ${server.apiKey}` },
  });
  const authorization = `Bearer ${server.apiKey}`;
  const stopUrl = (agentId: string, sessionId: string): string =>
    `${server.baseUrl}/agents/${encodeURIComponent(agentId)}/stop?session_id=${encodeURIComponent(sessionId)}`;

  return {
    notte: async () => {
      const status = await notte.agents.stop({
        agentId: BENCH_AGENT_ID,
        sessionId: BENCH_SESSION_ID,
      });
      return status.status;
    },
    openapiFetch: async () => {
      const { data, error } = await raw.DELETE("/agents/{agent_id}/stop", {
        params: {
          path: { agent_id: BENCH_AGENT_ID },
          query: { session_id: BENCH_SESSION_ID },
        },
      });
      if (error !== undefined || data === undefined)
        throw new Error("openapi-fetch: no data");
      return data.status;
    },
    fetch: async () => {
      const response = await fetch(stopUrl(BENCH_AGENT_ID, BENCH_SESSION_ID), {
        method: "DELETE",
        headers: { Authorization: authorization },
      });
      if (!response.ok) throw new Error(`fetch: status ${response.status}`);
      const body = (await response.json()) as { status: string };
      return body.status;
    },
  };
}

/** Checks that every variant gets the stopped agent, so none is fast by failing. */
async function checkVariants(variants: Record<string, CallFn>): Promise<void> {
  for (const [name, call] of Object.entries(variants)) {
    const status = await call();
    if (status !== "closed")
      throw new Error(
        `variant ${name} answered ${JSON.stringify(status)}, not "closed"`,
      );
  }
}

function emptyPerVariant(): PerVariant {
  return { notte: [], openapiFetch: [], fetch: [] };
}

/** The worker: measures and prints {@link ClientRaw}. */
async function worker(settings: ClientSettings, entry: string): Promise<void> {
  const deadline = new Deadline(settings.budgetMs);
  const server = await startLoopbackServer();
  try {
    const variants = await makeVariants(server, entry);
    await checkVariants(variants);
    const raw: ClientRaw = {
      settings,
      roundsDone: 0,
      sequentialUsPerCall: emptyPerVariant(),
      sequentialCpuUsPerCall: emptyPerVariant(),
      concurrentCallsPerSecond: emptyPerVariant(),
      concurrentCpuUsPerCall: emptyPerVariant(),
      serverCpuShare: [],
      clientCpuShare: [],
      serverStops: 0,
      serverUnauthorized: 0,
      callsMade: VARIANTS.length,
      loadBefore: loadavg(),
      loadAfter: [],
    };
    const sequential = (call: CallFn, calls: number): Promise<Timing> =>
      timeSequential(call, calls, deadline);
    const concurrent = (call: CallFn, calls: number): Promise<Timing> =>
      timeConcurrent(call, calls, settings.inFlight, deadline);

    // Warm-up: JIT, the connection pool (inFlight sockets), the server.
    const warmupDeadline = new Deadline(Math.max(5_000, settings.budgetMs / 5));
    for (const name of VARIANTS) {
      raw.callsMade += (
        await timeSequential(
          variants[name],
          settings.warmupCalls,
          warmupDeadline,
        )
      ).calls;
      raw.callsMade += (
        await timeConcurrent(
          variants[name],
          settings.warmupCalls,
          settings.inFlight,
          warmupDeadline,
        )
      ).calls;
    }

    for (let round = 0; round < settings.rounds; round++) {
      const order = rotate(VARIANTS, round);
      const seqRound = await interleavedRound(
        variants,
        order,
        settings.sequentialCalls,
        settings.sequentialSlice,
        sequential,
        deadline,
      );
      const serverBefore = await server.stats();
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const concRound = await interleavedRound(
        variants,
        order,
        settings.concurrentCalls,
        settings.concurrentSlice,
        concurrent,
        deadline,
      );
      const wallMs = performance.now() - wallBefore;
      const cpu = process.cpuUsage(cpuBefore);
      const serverAfter = await server.stats();
      for (const { totals } of [seqRound, concRound]) {
        for (const name of VARIANTS) raw.callsMade += totals[name].calls;
      }
      // Ratios are paired by round: a round counts only when it ran whole.
      if (!seqRound.complete || !concRound.complete) break;
      const seq = seqRound.totals;
      const conc = concRound.totals;
      for (const name of VARIANTS) {
        raw.sequentialUsPerCall[name].push(
          (seq[name].wallMs * 1000) / seq[name].calls,
        );
        raw.sequentialCpuUsPerCall[name].push(
          (seq[name].cpuMs * 1000) / seq[name].calls,
        );
        raw.concurrentCallsPerSecond[name].push(
          (conc[name].calls * 1000) / conc[name].wallMs,
        );
        raw.concurrentCpuUsPerCall[name].push(
          (conc[name].cpuMs * 1000) / conc[name].calls,
        );
      }
      const serverCpuMs =
        (serverAfter.cpuUserMicros +
          serverAfter.cpuSystemMicros -
          serverBefore.cpuUserMicros -
          serverBefore.cpuSystemMicros) /
        1000;
      raw.serverCpuShare.push(serverCpuMs / wallMs);
      raw.clientCpuShare.push((cpu.user + cpu.system) / 1000 / wallMs);
      raw.roundsDone = round + 1;
    }
    const stats = await server.stats();
    raw.serverStops = stats.stops;
    raw.serverUnauthorized = stats.unauthorized;
    raw.loadAfter = loadavg();
    printWorkerResult(raw);
  } finally {
    server.close();
  }
}

/** A measure of the three variants, summarized: values, ratios to fetch, and the budgeted ratio. */
export interface MeasureSummary {
  values: Record<Variant, Summary>;
  /** Per-round ratios to plain fetch. */
  vsFetch: Record<Variant, Summary>;
  /** Per-round ratio of this package to bare openapi-fetch. */
  notteVsOpenapiFetch: Summary;
}

export function summarizeMeasure(values: PerVariant): MeasureSummary {
  return {
    values: {
      notte: summarize(values.notte),
      openapiFetch: summarize(values.openapiFetch),
      fetch: summarize(values.fetch),
    },
    vsFetch: {
      notte: ratioSummary(values.notte, values.fetch),
      openapiFetch: ratioSummary(values.openapiFetch, values.fetch),
      fetch: ratioSummary(values.fetch, values.fetch),
    },
    notteVsOpenapiFetch: ratioSummary(values.notte, values.openapiFetch),
  };
}

const SEQUENTIAL_BUDGET = 1.05;
const CONCURRENT_BUDGET = 0.95;

function measureRow(
  measure: string,
  summary: MeasureSummary,
  cell: (value: number) => string,
  budget: { text: string; met: (ratio: number) => boolean } | undefined,
): Row {
  const cellOf = (variant: Variant): string =>
    `${cell(summary.values[variant].median)} (${fmtRatio(summary.vsFetch[variant].median)})`;
  const ratio = summary.notteVsOpenapiFetch;
  return {
    part: "client",
    measure,
    pkg: cellOf("notte"),
    openapiFetch: cellOf("openapiFetch"),
    baseline: cellOf("fetch"),
    ratio: `${fmtRatio(ratio.median)} ±${Math.round((ratio.iqr / 2) * 100)}%`,
    budget: budget?.text ?? "",
    met: budget?.met(ratio.median),
  };
}

/** Runs the part: builds if needed, measures in a worker, and makes the table lines. */
export async function runClientPart(
  overrides: Partial<ClientSettings> = {},
): Promise<PartResult> {
  const { entry, note: buildNote } = await builtPackage();
  const settings = { ...DEFAULT_CLIENT_SETTINGS, ...overrides };
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
  const raw = parseWorkerResult<ClientRaw>(run.stdout, run.stderr);
  if (raw.roundsDone === 0)
    throw new Error(
      "the client benchmark finished no round in its time budget",
    );
  const summary = {
    sequentialUsPerCall: summarizeMeasure(raw.sequentialUsPerCall),
    concurrentCallsPerSecond: summarizeMeasure(raw.concurrentCallsPerSecond),
    sequentialCpuUsPerCall: summarizeMeasure(raw.sequentialCpuUsPerCall),
    concurrentCpuUsPerCall: summarizeMeasure(raw.concurrentCpuUsPerCall),
    serverCpuShare: summarize(raw.serverCpuShare),
    clientCpuShare: summarize(raw.clientCpuShare),
  };
  const us = (value: number): string => `${fmtNumber(value, 0)} µs`;
  const rows: Row[] = [
    measureRow("µs/call, sequential", summary.sequentialUsPerCall, us, {
      text: `≤ ${SEQUENTIAL_BUDGET.toFixed(2)}× openapi-fetch`,
      met: (ratio) => ratio <= SEQUENTIAL_BUDGET,
    }),
    measureRow(
      `calls/s, ${settings.inFlight} in flight`,
      summary.concurrentCallsPerSecond,
      (value) => `${fmtNumber(value, 0)}/s`,
      {
        text: `≥ ${CONCURRENT_BUDGET.toFixed(2)}× openapi-fetch`,
        met: (ratio) => ratio >= CONCURRENT_BUDGET,
      },
    ),
    measureRow(
      "client CPU µs/call, sequential",
      summary.sequentialCpuUsPerCall,
      us,
      undefined,
    ),
    measureRow(
      `client CPU µs/call, ${settings.inFlight} in flight`,
      summary.concurrentCpuUsPerCall,
      us,
      undefined,
    ),
  ];
  const pct = (share: number): string => `${Math.round(share * 100)}%`;
  const notes = [
    `client: ${buildNote}; ${raw.roundsDone} rounds, each ${settings.sequentialCalls} sequential calls per variant (turns of ${settings.sequentialSlice}) then ${settings.concurrentCalls} with ${settings.inFlight} in flight (turns of ${settings.concurrentSlice}); ${raw.callsMade} calls in all, the server counted ${raw.serverStops} (${raw.serverUnauthorized} unauthorized)`,
    `client: cells are medians over rounds with (× plain fetch); ratio = this package / openapi-fetch, median of per-round ratios ± half their IQR; CPU = the client process's CPU time per call (GC threads included), steadier than wall time on a busy machine`,
    `client: with ${settings.inFlight} in flight the client used ${pct(summary.clientCpuShare.median)} of a core and the server ${pct(summary.serverCpuShare.median)}; load average ${raw.loadBefore.map((load) => load.toFixed(1)).join(" ")} before, ${raw.loadAfter.map((load) => load.toFixed(1)).join(" ")} after`,
  ];
  if (raw.serverStops !== raw.callsMade || raw.serverUnauthorized !== 0) {
    notes.push(
      `client: WARNING the server counted ${raw.serverStops} stops for ${raw.callsMade} calls made`,
    );
  }
  return { rows, raw: { ...raw, summary }, notes };
}

if (isMain(import.meta.url) && process.argv[2] === "--worker") {
  const settings = {
    ...DEFAULT_CLIENT_SETTINGS,
    ...(JSON.parse(process.argv[3] ?? "{}") as Partial<ClientSettings>),
  };
  worker(settings, process.argv[4] ?? DIST_ENTRY).catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
