/**
 * Part `generate`: what the generation pipeline costs next to the bare
 * tools it is built on, `openapi-typescript DOC -o out.ts && prettier
 * --write out.ts` (both from node_modules/.bin).
 *
 * Cases (the issue's budget: each ≤ 1.10× the bare tools' time and ≤ 1.5×
 * their peak memory; CPU time, user + system, is shown beside wall time,
 * being steadier on a loaded machine):
 * - `npm run generate` and `npm run generate -- --check` on the committed
 *   openapi.json, against the tools on that file;
 * - a pull keeping every operation of a synthetic document shaped like
 *   Notte's (about 67 operations) and one shaped like Stripe's (about 420
 *   operations, 2 MB of JSON), every schema used as in theirs, against the
 *   tools on the same document;
 * - a pull keeping every operation of the real documents, Notte's of
 *   2026-04-15 and Stripe's spec3.json (4 MB), read from
 *   ../shared/openapi-corpus when it exists (a note says so when it does
 *   not; the tests never read it), against the tools on the same document
 *   (the issue's budget there: ≤ 1.25× the time, ≤ 1.5× the memory);
 * - a pull of a synthetic document of about 2,000 operations pruned to
 *   `agent_stop`, against the tools on the whole document (a pruned pull
 *   must cost less).
 *
 * The pipeline runs as package.json's `generate` script, without npm (npm's
 * start-up belongs to neither side). Rounds are interleaved, the order of
 * the two sides alternating, and each ratio is the median of the ratios
 * within a round. Time is wall time, the tools' time their sum; memory is
 * the peak RSS of the largest process (GNU time), the tools' the larger of
 * the two. Every run happens in a scratch copy of the project (package.json,
 * openapi.json, generated/, scripts/, prettier configuration, and a
 * node_modules link): a pull must never touch the real openapi.json.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  cp,
  mkdir,
  readFile,
  readdir,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import {
  assertSucceeded,
  Deadline,
  fmtNumber,
  fmtRatio,
  ROOT,
  runChild,
  tempDir,
  type PartResult,
  type Row,
} from "./common.js";
import { pruneDocument } from "../../scripts/prune.js";
import {
  getAt,
  isRecord,
  listOperations,
  operationName,
} from "../../scripts/document.js";
import { ratioSummary, summarize } from "./stats.js";
import {
  DEFAULT_SYNTHETIC,
  writeSyntheticOpenApi,
  type SyntheticDocument,
} from "./synthetic-openapi.js";

export interface GenerateSettings {
  /** Rounds of each case but the largest. */
  rounds: number;
  /** Rounds of the Stripe-shaped and the 2,000-operation cases. */
  largeRounds: number;
  /** No new round starts after this. */
  budgetMs: number;
  /** Limit of one run. */
  runTimeoutMs: number;
}

export const DEFAULT_GENERATE_SETTINGS: GenerateSettings = {
  rounds: 5,
  largeRounds: 3,
  budgetMs: 240_000,
  runTimeoutMs: 150_000,
};

/** The budgets, from the issues: generate, --check and the synthetic pulls; real documents kept whole. */
const TIME_BUDGET = 1.1;
const REAL_TIME_BUDGET = 1.25;
const MEMORY_BUDGET = 1.5;

/** The real documents, when this checkout sits beside ../shared. */
const CORPUS = join(ROOT, "..", "shared", "openapi-corpus");
const REAL_DOCUMENTS = [
  ["Notte 2026-04-15", "notte-openapi.2026-04-15.json"],
  ["Stripe spec3.json", "stripe__spec3.json"],
] as const;

/** A real document's path and operationIds, or `undefined` when the corpus is not there. */
async function realDocument(
  file: string,
): Promise<{ path: string; bytes: number; ids: string[] } | undefined> {
  const path = join(CORPUS, file);
  if (!existsSync(path)) return undefined;
  const text = await readFile(path, "utf8");
  const doc = JSON.parse(text) as Record<string, unknown>;
  const ids = listOperations(doc).map(operationName);
  return { path, bytes: Buffer.byteLength(text), ids };
}

/** The files copied into each scratch project. */
const PROJECT_FILES = [
  "package.json",
  "openapi.json",
  "generated",
  "scripts",
  ".prettierrc.json",
  ".prettierignore",
  ".editorconfig",
];

const BIN = join(ROOT, "node_modules", ".bin");
const GNU_TIME = "/usr/bin/time";

/** One measured process (or the two tools together). */
interface Sample {
  seconds: number;
  cpuSeconds: number;
  rssMiB: number;
}

/** One case: the pipeline's arguments and the document the bare tools get. */
interface Case {
  readonly label: string;
  readonly args: readonly string[];
  /** Relative to the scratch project, or absolute. */
  readonly document: string;
  readonly rounds: number;
  /** The budget row for this case. */
  readonly budget: string;
  readonly met: (time: number, memory: number) => boolean;
}

/** The command package.json runs for `npm run generate`, as argv. */
async function generateCommand(): Promise<string[]> {
  const pkg = JSON.parse(
    await readFile(join(ROOT, "package.json"), "utf8"),
  ) as {
    scripts?: Record<string, string>;
  };
  const script = pkg.scripts?.["generate"];
  if (script === undefined)
    throw new Error("package.json has no generate script");
  const [command = "", ...rest] = script.split(/\s+/);
  // npm puts node_modules/.bin first on PATH; `node` is this Node.
  const resolved =
    command === "node"
      ? process.execPath
      : existsSync(join(BIN, command))
        ? join(BIN, command)
        : command;
  return [resolved, ...rest];
}

/** A hash of openapi.json and generated/ of the real project, to show they were left alone. */
async function projectFingerprint(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(
    await readFile(join(ROOT, "openapi.json")).catch(() => Buffer.alloc(0)),
  );
  const generated = join(ROOT, "generated");
  for (const name of (await readdir(generated).catch(() => [])).sort()) {
    hash.update(name);
    hash.update(
      await readFile(join(generated, name)).catch(() => Buffer.alloc(0)),
    );
  }
  return hash.digest("hex");
}

/** Copies the project's generation inputs into `target`. */
async function copyProject(from: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const file of PROJECT_FILES) {
    if (existsSync(join(from, file)))
      await cp(join(from, file), join(target, file), { recursive: true });
  }
  if (!existsSync(join(target, "node_modules"))) {
    await symlink(
      join(ROOT, "node_modules"),
      join(target, "node_modules"),
      "dir",
    );
  }
}

/**
 * Rewrites a synthetic document without the schemas no operation uses, as
 * in Notte's and Stripe's documents (every schema is reachable there): a
 * pull keeping every operation then formats as much as the bare tools do.
 */
async function everySchemaUsed(
  written: SyntheticDocument,
): Promise<SyntheticDocument> {
  const doc = JSON.parse(await readFile(written.path, "utf8")) as Record<
    string,
    unknown
  >;
  const pruned = pruneDocument(doc, written.operationIds);
  const text = JSON.stringify(pruned);
  await writeFile(written.path, text);
  const schemas = getAt(pruned, ["components", "schemas"]);
  return {
    ...written,
    bytes: Buffer.byteLength(text),
    schemaCount: isRecord(schemas) ? Object.keys(schemas).length : 0,
  };
}

export async function runGeneratePart(
  overrides: Partial<GenerateSettings> = {},
): Promise<PartResult> {
  const settings = { ...DEFAULT_GENERATE_SETTINGS, ...overrides };
  const deadline = new Deadline(settings.budgetMs);
  const scratch = await tempDir("generate");
  const notes: string[] = [];
  const fingerprintBefore = await projectFingerprint();
  try {
    const snapshot = join(scratch.path, "snapshot");
    await copyProject(ROOT, snapshot);
    const generate = await generateCommand();
    const [command = "", ...prefix] = generate;

    const documents = join(scratch.path, "documents");
    const notteShaped = await everySchemaUsed(
      await writeSyntheticOpenApi(join(documents, "notte"), {
        ...DEFAULT_SYNTHETIC,
        resources: 13,
        extraSchemas: 80,
      }),
    );
    const stripeShaped = await everySchemaUsed(
      await writeSyntheticOpenApi(join(documents, "stripe"), {
        ...DEFAULT_SYNTHETIC,
        resources: 84,
        extraSchemas: 4_000,
      }),
    );
    const large = await writeSyntheticOpenApi(join(documents, "large"));

    const withinBudget = (time: number, memory: number): boolean =>
      time <= TIME_BUDGET && memory <= MEMORY_BUDGET;
    const reals: Case[] = [];
    for (const [name, file] of REAL_DOCUMENTS) {
      const real = await realDocument(file);
      if (real === undefined) {
        notes.push(
          `generate: ${join(CORPUS, file)} not found: the pull of ${name} kept whole is not measured`,
        );
        continue;
      }
      reals.push({
        label: `pull, all ${real.ids.length} ops kept (real ${name}, ${fmtNumber(real.bytes / 1e6, 1)} MB)`,
        args: [
          "--pull",
          real.path,
          "--operations",
          real.ids.join(","),
          "--allow-breaking",
        ],
        document: real.path,
        rounds: settings.largeRounds,
        budget: `≤ ${REAL_TIME_BUDGET.toFixed(2)}× time, ≤ ${MEMORY_BUDGET.toFixed(1)}× RSS`,
        met: (time, memory) =>
          time <= REAL_TIME_BUDGET && memory <= MEMORY_BUDGET,
      });
    }
    const budget = `≤ ${TIME_BUDGET.toFixed(2)}× time, ≤ ${MEMORY_BUDGET.toFixed(1)}× RSS`;
    const whole = (doc: SyntheticDocument): string[] => [
      "--pull",
      doc.path,
      "--operations",
      doc.operationIds.join(","),
      "--allow-breaking",
    ];
    const cases: Case[] = [
      {
        label: "npm run generate (committed openapi.json)",
        args: [],
        document: "openapi.json",
        rounds: settings.rounds,
        budget,
        met: withinBudget,
      },
      {
        label: "npm run generate -- --check",
        args: ["--check"],
        document: "openapi.json",
        rounds: settings.rounds,
        budget,
        met: withinBudget,
      },
      {
        label: `pull, all ${notteShaped.operationIds.length} ops kept (Notte-shaped, ${fmtNumber(notteShaped.bytes / 1024, 0)} KiB)`,
        args: whole(notteShaped),
        document: notteShaped.path,
        rounds: settings.rounds,
        budget,
        met: withinBudget,
      },
      {
        label: `pull, all ${stripeShaped.operationIds.length} ops kept (Stripe-shaped, ${fmtNumber(stripeShaped.bytes / 1e6, 1)} MB)`,
        args: whole(stripeShaped),
        document: stripeShaped.path,
        rounds: settings.largeRounds,
        budget,
        met: withinBudget,
      },
      ...reals,
      {
        label: `pull of ${large.operationIds.length} ops, pruned to agent_stop`,
        args: [
          "--pull",
          large.path,
          "--operations",
          "agent_stop",
          "--allow-breaking",
        ],
        document: large.path,
        rounds: settings.largeRounds,
        budget: "< 1.00× (the tools on the whole document)",
        met: (time) => time < 1,
      },
    ];

    // Runs one side in a fresh copy of the committed project.
    const project = async (name: string): Promise<string> => {
      const dir = join(scratch.path, `run-${name}`);
      await rm(dir, { recursive: true, force: true });
      await copyProject(snapshot, dir);
      return dir;
    };
    const measure = async (
      what: string,
      cwd: string,
      file: string,
      args: readonly string[],
    ): Promise<Sample> => {
      // GNU time directly, for CPU time as well as wall time and peak RSS:
      // on a loaded machine, CPU time is the steadier of the two.
      const report = join(scratch.path, "time.txt");
      const timed = existsSync(GNU_TIME);
      const run = timed
        ? await runChild(
            GNU_TIME,
            ["-f", "%e %U %S %M", "-o", report, file, ...args],
            { cwd, timeoutMs: settings.runTimeoutMs },
          )
        : await runChild(file, args, {
            cwd,
            timeoutMs: settings.runTimeoutMs,
            measureMemory: true,
          });
      assertSucceeded(run, what);
      if (!timed) {
        return {
          seconds: run.wallMs / 1000,
          cpuSeconds: Number.NaN,
          rssMiB: run.maxRssMiB ?? Number.NaN,
        };
      }
      const line = (await readFile(report, "utf8")).trim().split("\n").at(-1);
      const [wall, user, system, rssKiB] = (line ?? "").split(" ").map(Number);
      return {
        seconds: wall ?? Number.NaN,
        cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN),
        rssMiB: (rssKiB ?? Number.NaN) / 1024,
      };
    };
    const pipeline = async (spec: Case): Promise<Sample> =>
      measure(spec.label, await project("pipeline"), command, [
        ...prefix,
        ...spec.args,
      ]);
    const bareTools = async (spec: Case): Promise<Sample> => {
      const cwd = await project("tools");
      const out = join(cwd, "out.ts");
      const types = await measure(
        `openapi-typescript for "${spec.label}"`,
        cwd,
        join(BIN, "openapi-typescript"),
        [spec.document, "-o", out],
      );
      const formatted = await measure(
        `prettier for "${spec.label}"`,
        cwd,
        join(BIN, "prettier"),
        ["--write", out],
      );
      return {
        seconds: types.seconds + formatted.seconds,
        cpuSeconds: types.cpuSeconds + formatted.cpuSeconds,
        rssMiB: Math.max(types.rssMiB, formatted.rssMiB),
      };
    };

    // The first run after scripts/ changed bundles them (see launch.mjs):
    // not what is measured.
    await pipeline(cases[1] as Case);

    const samples = cases.map(() => ({
      pipeline: [] as Sample[],
      tools: [] as Sample[],
    }));
    const maxRounds = Math.max(...cases.map((spec) => spec.rounds));
    for (let round = 0; round < maxRounds; round++) {
      if (round > 0 && deadline.expired) {
        notes.push(
          `generate: stopped after ${round} round(s): time budget of ${settings.budgetMs / 1000} s spent`,
        );
        break;
      }
      for (const [index, spec] of cases.entries()) {
        if (round >= spec.rounds) continue;
        const into = samples[index];
        if (into === undefined) continue;
        // Alternate which side goes first, so neither always runs warm.
        if (round % 2 === 0) {
          into.pipeline.push(await pipeline(spec));
          into.tools.push(await bareTools(spec));
        } else {
          into.tools.push(await bareTools(spec));
          into.pipeline.push(await pipeline(spec));
        }
      }
    }

    const rows: Row[] = [];
    const raw: Record<string, unknown> = {};
    for (const [index, spec] of cases.entries()) {
      const { pipeline: ours, tools } = samples[index] ?? {
        pipeline: [],
        tools: [],
      };
      const seconds = (list: Sample[]): number[] => list.map((s) => s.seconds);
      const cpu = (list: Sample[]): number[] => list.map((s) => s.cpuSeconds);
      const rss = (list: Sample[]): number[] => list.map((s) => s.rssMiB);
      const time = ratioSummary(seconds(ours), seconds(tools));
      const cpuTime = ratioSummary(cpu(ours), cpu(tools));
      const memory = ratioSummary(rss(ours), rss(tools));
      const cell = (list: Sample[]): string =>
        `${fmtNumber(summarize(seconds(list)).median, 2)} s (CPU ${fmtNumber(summarize(cpu(list)).median, 2)} s), ${fmtNumber(summarize(rss(list)).median, 0)} MiB`;
      rows.push({
        part: "generate",
        measure: spec.label,
        pkg: cell(ours),
        openapiFetch: "",
        baseline: cell(tools),
        ratio: `${fmtRatio(time.median)} time (CPU ${fmtRatio(cpuTime.median)}), ${fmtRatio(memory.median)} RSS`,
        budget: spec.budget,
        met: spec.met(time.median, memory.median),
      });
      raw[spec.label] = {
        args: spec.args.map((arg) =>
          arg.length > 200 ? `${arg.slice(0, 200)}…` : arg,
        ),
        pipeline: ours,
        tools,
        timeRatio: time,
        cpuRatio: cpuTime,
        memoryRatio: memory,
      };
    }
    notes.push(
      `generate: the pipeline runs as package.json's generate script (${generate.slice(1).join(" ")}) without npm; the tools are node_modules/.bin/openapi-typescript DOC -o out.ts, then node_modules/.bin/prettier --write out.ts (time: the sum, memory: the larger); ratios are medians of per-round ratios, ${samples[0]?.pipeline.length ?? 0} rounds (${samples[3]?.pipeline.length ?? 0} for the Stripe-shaped, real and large cases)`,
      `generate: synthetic documents (synthetic-openapi.ts): Notte-shaped ${notteShaped.operationIds.length} operations, ${notteShaped.schemaCount} schemas, ${fmtNumber(notteShaped.bytes / 1e6, 2)} MB; Stripe-shaped ${stripeShaped.operationIds.length} operations, ${stripeShaped.schemaCount} schemas, ${fmtNumber(stripeShaped.bytes / 1e6, 1)} MB; large ${large.operationIds.length} operations, ${large.schemaCount} schemas, ${fmtNumber(large.bytes / 1e6, 1)} MB`,
    );
    const fingerprintAfter = await projectFingerprint();
    if (fingerprintAfter !== fingerprintBefore) {
      notes.push(
        "generate: WARNING the repository's openapi.json or generated/ changed during this part (the benchmark writes only to scratch copies: someone else changed them?)",
      );
    }
    return {
      rows,
      raw: {
        settings,
        cases: raw,
        repositoryUntouched: fingerprintAfter === fingerprintBefore,
      },
      notes,
    };
  } finally {
    await scratch.remove();
  }
}
