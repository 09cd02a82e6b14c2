/**
 * Part `generate`: what the generation pipeline costs, next to running the
 * openapi-typescript CLI alone on the same input.
 *
 * - `npm run generate` on the committed openapi.json;
 * - `npm run generate -- --pull <large> --operations agent_stop`: a synthetic
 *   document of ~2,000 operations and ~3,000 schemas (see
 *   synthetic-openapi.ts) pruned to the one operation;
 * - the same pull keeping every operation (`--operations` listing all ids:
 *   the pipeline has no "keep all" switch);
 * - `openapi-typescript <doc> --alphabetize` on the committed and on the large document.
 *
 * Seconds (wall, median of the rounds) and peak memory (the largest process of
 * the tree, through GNU time). Every run happens in a scratch copy of the
 * project (package.json, openapi.json, generated/, scripts/, prettier
 * configuration, and a node_modules link): the generator writes relative to
 * its working directory, and a pull must never touch the real openapi.json.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, readdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import {
  assertSucceeded,
  Deadline,
  fmtNumber,
  fmtRatio,
  ROOT,
  runChild,
  tempDir,
  type ChildRun,
  type PartResult,
  type Row,
} from "./common.js";
import { summarize, type Summary } from "./stats.js";
import {
  writeSyntheticOpenApi,
  type SyntheticDocument,
} from "./synthetic-openapi.js";
import { storeTypes } from "./typecheck.js";

export interface GenerateSettings {
  /** Rounds of the quick runs (everything but the whole pull). */
  rounds: number;
  /** Rounds of the whole (unpruned) pull, the slowest run. */
  wholeRounds: number;
  /** No new round starts after this. */
  budgetMs: number;
  /** Limit of one run. */
  runTimeoutMs: number;
}

export const DEFAULT_GENERATE_SETTINGS: GenerateSettings = {
  rounds: 3,
  wholeRounds: 1,
  budgetMs: 110_000,
  runTimeoutMs: 150_000,
};

/** The files copied into each scratch project. */
const PROJECT_FILES = [
  "package.json",
  "openapi.json",
  "generated",
  "scripts",
  ".prettierrc.json",
  ".editorconfig",
];

const CLI = join(ROOT, "node_modules", "openapi-typescript", "bin", "cli.js");

type RunName = "committed" | "committedCli" | "pruned" | "largeCli" | "whole";

interface Measured {
  seconds: number[];
  maxRssMiB: number[];
  exitCodes: (number | null)[];
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

/** Copies the project's generation inputs into `target` (a snapshot: later runs start from it). */
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

/** The generator's `--help`, or why it cannot be run. */
async function generatorHelp(
  cwd: string,
): Promise<{ ok: boolean; text: string; seconds: number }> {
  if (!existsSync(join(ROOT, "scripts", "generate.ts"))) {
    return {
      ok: false,
      text: "scripts/generate.ts is missing",
      seconds: Number.NaN,
    };
  }
  const run = await runChild(
    "npm",
    ["run", "generate", "--silent", "--", "--help"],
    { cwd, timeoutMs: 60_000 },
  );
  return {
    ok: run.code === 0,
    text: run.stdout + run.stderr,
    seconds: run.wallMs / 1000,
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
    const help = await generatorHelp(snapshot);
    if (!help.ok)
      throw new Error(
        `the generator cannot run: ${help.text.trim().split("\n").slice(-3).join(" ")}`,
      );
    // Decided from --help rather than assumed: how to pull a file and choose operations.
    if (!help.text.includes("--pull") || !help.text.includes("--operations")) {
      throw new Error(
        "the generator's --help offers no --pull/--operations: cannot benchmark a pull",
      );
    }
    const keepAllSwitch = /--all-operations|--operations\s+\*|--no-prune/.exec(
      help.text,
    )?.[0];

    const large: SyntheticDocument = await writeSyntheticOpenApi(scratch.path);
    const allIds = large.operationIds.join(",");

    const runs: Record<
      RunName,
      { label: string; command: string; args: string[]; rounds: number }
    > = {
      committed: {
        label: "npm run generate (committed openapi.json)",
        command: "npm",
        args: ["run", "generate", "--silent"],
        rounds: settings.rounds,
      },
      committedCli: {
        label: "openapi-typescript CLI on openapi.json",
        command: process.execPath,
        args: [
          CLI,
          "openapi.json",
          "--alphabetize",
          "-o",
          join(scratch.path, "cli-committed.ts"),
        ],
        rounds: settings.rounds,
      },
      pruned: {
        label: "pull large doc, prune to agent_stop",
        command: "npm",
        args: pullArgs(large.path, "agent_stop"),
        rounds: settings.rounds,
      },
      largeCli: {
        label: "openapi-typescript CLI on the large doc",
        command: process.execPath,
        args: [
          CLI,
          large.path,
          "--alphabetize",
          "-o",
          join(scratch.path, "cli-large.ts"),
        ],
        rounds: settings.rounds,
      },
      whole: {
        label: "pull large doc, keep all operations",
        command: "npm",
        args: pullArgs(large.path, allIds),
        rounds: settings.wholeRounds,
      },
    };
    const names = Object.keys(runs) as RunName[];
    const fresh = (): Measured => ({
      seconds: [],
      maxRssMiB: [],
      exitCodes: [],
    });
    const measured: Record<RunName, Measured> = {
      committed: fresh(),
      committedCli: fresh(),
      pruned: fresh(),
      largeCli: fresh(),
      whole: fresh(),
    };

    const maxRounds = Math.max(...names.map((name) => runs[name].rounds));
    for (let round = 0; round < maxRounds; round++) {
      if (round > 0 && deadline.expired) {
        notes.push(
          `generate: stopped after ${round} round(s): time budget of ${settings.budgetMs / 1000} s spent`,
        );
        break;
      }
      for (const name of names) {
        const spec = runs[name];
        if (round >= spec.rounds) continue;
        // Each run starts from the committed files: a pull rewrites them.
        const project = join(scratch.path, `run-${name}`);
        await rm(project, { recursive: true, force: true });
        await copyProject(snapshot, project);
        const run: ChildRun = await runChild(spec.command, spec.args, {
          cwd: project,
          timeoutMs: settings.runTimeoutMs,
          measureMemory: true,
        });
        // 3 = a pull that found breaking changes: the files are written all the same.
        if (run.code !== 3) assertSucceeded(run, spec.label);
        measured[name].seconds.push(run.wallMs / 1000);
        measured[name].maxRssMiB.push(run.maxRssMiB ?? Number.NaN);
        measured[name].exitCodes.push(run.code);
        if (run.code === 3)
          notes.push(
            `generate: "${spec.label}" exited 3 (breaking changes reported; files written)`,
          );
        await rm(project, { recursive: true, force: true });
      }
    }

    const summaries = Object.fromEntries(
      names.map((name) => [
        name,
        {
          seconds: summarize(measured[name].seconds),
          maxRssMiB: summarize(measured[name].maxRssMiB),
        },
      ]),
    ) as Record<RunName, { seconds: Summary; maxRssMiB: Summary }>;
    const s = (name: RunName): number => summaries[name].seconds.median;
    const m = (name: RunName): number => summaries[name].maxRssMiB.median;
    const cell = (name: RunName): string =>
      `${fmtNumber(s(name), 2)} s, ${fmtNumber(m(name), 0)} MiB`;

    const rows: Row[] = [
      {
        part: "generate",
        measure: "committed openapi.json (s, peak RSS)",
        pkg: cell("committed"),
        openapiFetch: "",
        baseline: cell("committedCli"),
        ratio: fmtRatio(s("committed") / s("committedCli")),
        budget: "",
        met: undefined,
      },
      {
        part: "generate",
        measure: `large doc (${large.operationIds.length} ops), pruned to agent_stop`,
        pkg: cell("pruned"),
        openapiFetch: "",
        baseline: cell("largeCli"),
        ratio: fmtRatio(s("pruned") / s("largeCli")),
        budget: "pruned < whole (pipeline and CLI)",
        met: s("pruned") < s("whole") && s("pruned") < s("largeCli"),
      },
      {
        part: "generate",
        measure: `large doc, all ${large.operationIds.length} ops kept`,
        pkg: cell("whole"),
        openapiFetch: "",
        baseline: cell("largeCli"),
        ratio: fmtRatio(s("whole") / s("largeCli")),
        budget: "",
        met: undefined,
      },
    ];
    notes.push(
      `generate: large doc = ${large.operationIds.length} operations, ${large.schemaCount} schemas, ${fmtNumber(large.bytes / 1e6, 1)} MB (synthetic-openapi.ts); pruned/whole pull = ${fmtRatio(s("pruned") / s("whole"))}; ratio column = pipeline / CLI; seconds include npm and tsx start-up; rounds: ${measured.committed.seconds.length} (whole pull: ${measured.whole.seconds.length}); \`npm run generate -- --help\` alone takes ${fmtNumber(help.seconds, 2)} s`,
      keepAllSwitch
        ? `generate: the pipeline offers ${keepAllSwitch} to keep everything; this run listed every id with --operations`
        : `generate: the pipeline has no "keep all operations" switch; the whole pull lists all ${large.operationIds.length} ids in --operations (${fmtNumber(allIds.length / 1024, 0)} KiB of argument)`,
    );
    // The typecheck part needs the same types: leave them in its cache.
    const cliLarge = join(scratch.path, "cli-large.ts");
    if (existsSync(cliLarge))
      await storeTypes(await readFile(large.path, "utf8"), cliLarge);
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
        largeDocument: {
          operations: large.operationIds.length,
          schemas: large.schemaCount,
          bytes: large.bytes,
        },
        runs: Object.fromEntries(
          names.map((name) => [
            name,
            {
              label: runs[name].label,
              ...measured[name],
              summary: summaries[name],
            },
          ]),
        ),
        repositoryUntouched: fingerprintAfter === fingerprintBefore,
      },
      notes,
    };
  } finally {
    await scratch.remove();
  }
}

/** `npm run generate` pulling `source`, keeping the listed operations. */
function pullArgs(source: string, operations: string): string[] {
  return [
    "run",
    "generate",
    "--silent",
    "--",
    "--pull",
    source,
    "--operations",
    operations,
  ];
}
