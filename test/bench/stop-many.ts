/**
 * The `stop-many` part of `npm run bench`: 200 agents stopped against the test server with a
 * rate-limit window of 20 requests per 250 ms, by `agents.stopMany` (concurrency 16) and by
 * `Promise.all` over `agents.stop`, each with the same retries (the client's default, 2), and
 * `Promise.all` once more on a client with `rateLimit: "ignore"` (every call on its own).
 *
 * It measures wall time, the 429 answers the server sent, and the agents left active. The
 * goal (issue 11): stopMany stops all 200, gets at most one 429 per window, and takes at
 * most 1.2 × the window's own limit (200 / 20 × 250 ms = 2.5 s).
 *
 * Client and server share this process: the work is waiting on the window, not CPU. Each
 * round gives every variant a fresh server (so a window never carries over), in a rotating
 * order; every run is bounded by a signal.
 *
 * Run alone: `npx tsx test/bench/stop-many.ts`.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { startNotteTestServer } from "../../src/testing/index.js";
import {
  builtPackage,
  fmtNumber,
  isMain,
  type PartResult,
  type Row,
} from "./common.js";
import { median, rotate } from "./stats.js";

const AGENTS = 200;
const LIMIT = 20;
const WINDOW_MS = 250;
const CONCURRENCY = 16;
const ROUNDS = 3;
/** What the window itself allows: AGENTS / LIMIT windows. */
const IDEAL_MS = (AGENTS / LIMIT) * WINDOW_MS;
const WALL_BUDGET = 1.2;
/** Bounds one run, whatever the client does. */
const RUN_LIMIT_MS = 60_000;

type PackageModule = typeof import("../../src/index.js");
type Variant = "stopMany" | "promiseAll" | "promiseAllIgnore";
const VARIANTS: readonly Variant[] = [
  "stopMany",
  "promiseAll",
  "promiseAllIgnore",
];
const LABELS: Record<Variant, string> = {
  stopMany: `stopMany (concurrency ${CONCURRENCY})`,
  promiseAll: "Promise.all over stop",
  promiseAllIgnore: 'Promise.all, rateLimit: "ignore"',
};

/** What one run of one variant measured. */
interface Measured {
  wallMs: number;
  /** 429 answers the server's window sent. */
  limited: number;
  /** Requests the server received, retries included. */
  requests: number;
  /** Agents still active on the server afterwards. */
  unstopped: number;
}

async function runOnce(
  variant: Variant,
  { NotteClient }: PackageModule,
): Promise<Measured> {
  const server = await startNotteTestServer({
    // A few hundred records: the log is how requests are counted.
    rateLimit: { limit: LIMIT, windowMs: WINDOW_MS },
  });
  try {
    const ids = server.addAgents(AGENTS, "bench-session");
    const items = ids.map((agentId) => ({
      agentId,
      sessionId: "bench-session",
    }));
    const notte = new NotteClient({
      apiKey: server.apiKey,
      baseUrl: server.url,
      maxRetries: 2,
      ...(variant === "promiseAllIgnore" && { rateLimit: "ignore" as const }),
    });
    const signal = AbortSignal.timeout(RUN_LIMIT_MS);
    const started = performance.now();
    if (variant === "stopMany") {
      await notte.agents.stopMany(items, { concurrency: CONCURRENCY, signal });
    } else {
      await Promise.allSettled(
        items.map((item) => notte.agents.stop(item, { signal })),
      );
    }
    const wallMs = performance.now() - started;
    let unstopped = 0;
    for (const id of ids) {
      if (server.agent(id)?.status !== "closed") unstopped += 1;
    }
    return {
      wallMs,
      limited: server.rateLimitedCount,
      requests: server.requests.length,
      unstopped,
    };
  } finally {
    await server.close();
  }
}

/** Runs the part: {@link ROUNDS} rounds of every variant, medians per variant. */
export async function runStopManyPart(): Promise<PartResult> {
  const { entry, note } = await builtPackage();
  const pkg = (await import(pathToFileURL(entry).href)) as PackageModule;
  const runs: Record<Variant, Measured[]> = {
    stopMany: [],
    promiseAll: [],
    promiseAllIgnore: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of rotate(VARIANTS, round)) {
      runs[variant].push(await runOnce(variant, pkg));
    }
  }
  const summary = (variant: Variant) => {
    const list = runs[variant];
    const wallMs = median(list.map((r) => r.wallMs));
    return {
      wallMs,
      limited: median(list.map((r) => r.limited)),
      unstopped: Math.max(...list.map((r) => r.unstopped)),
      // The windows the run spanned, the first one included.
      windows: Math.ceil(wallMs / WINDOW_MS),
    };
  };
  const many = summary("stopMany");
  const all = summary("promiseAll");
  const ignore = summary("promiseAllIgnore");
  const others = (pick: (s: typeof many) => string): string =>
    `Promise.all ${pick(all)}; with rateLimit "ignore" ${pick(ignore)}`;
  const seconds = (ms: number): string => `${fmtNumber(ms / 1000, 2)} s`;
  const worstLimitedPerWindow = Math.max(
    ...runs.stopMany.map((r) => r.limited / Math.ceil(r.wallMs / WINDOW_MS)),
  );
  const rows: Row[] = [
    {
      part: "stop-many",
      measure: `wall time, ${AGENTS} agents, ${LIMIT} req / ${WINDOW_MS} ms`,
      pkg: seconds(many.wallMs),
      openapiFetch: "",
      baseline: others((s) => seconds(s.wallMs)),
      ratio: `${fmtNumber(many.wallMs / IDEAL_MS, 2)}× of ${seconds(IDEAL_MS)}`,
      budget: `≤ ${WALL_BUDGET}× ${seconds(IDEAL_MS)}`,
      met: many.wallMs <= WALL_BUDGET * IDEAL_MS,
    },
    {
      part: "stop-many",
      measure: "429 answers received (per window)",
      pkg: `${many.limited} (${fmtNumber(many.limited / many.windows, 2)})`,
      openapiFetch: "",
      baseline: others(
        (s) => `${s.limited} (${fmtNumber(s.limited / s.windows, 2)})`,
      ),
      ratio: "",
      budget: "≤ 1 per window",
      met: worstLimitedPerWindow <= 1,
    },
    {
      part: "stop-many",
      measure: "agents left unstopped (worst run)",
      pkg: String(many.unstopped),
      openapiFetch: "",
      baseline: others((s) => String(s.unstopped)),
      ratio: "",
      budget: "0",
      met: many.unstopped === 0,
    },
  ];
  return {
    rows,
    raw: { settings: { AGENTS, LIMIT, WINDOW_MS, CONCURRENCY, ROUNDS }, runs },
    notes: [
      `stop-many: ${ROUNDS} rounds, medians; each run on a fresh test server (client and server in one process); retries 2 for every variant. ${note}.`,
      ...VARIANTS.map(
        (variant) =>
          `stop-many: ${LABELS[variant]}: wall ${runs[variant].map((r) => seconds(r.wallMs)).join(", ")}; 429s ${runs[variant].map((r) => r.limited).join(", ")}; requests ${runs[variant].map((r) => r.requests).join(", ")}; unstopped ${runs[variant].map((r) => r.unstopped).join(", ")}`,
      ),
    ],
  };
}

if (isMain(import.meta.url)) {
  const result = await runStopManyPart();
  for (const row of result.rows)
    process.stdout.write(
      `${row.measure}: ${row.pkg} | ${row.baseline} | ${row.ratio} | ${row.budget} | ${row.met === true ? "met" : "NOT met"}\n`,
    );
  for (const line of result.notes) process.stdout.write(`- ${line}\n`);
}
