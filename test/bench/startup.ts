/**
 * Part `import`: how long a fresh Node process takes to import the built
 * package (`dist/esm/src/index.js`), against importing `openapi-fetch` alone.
 *
 * Each sample is a new `node` process that times its own dynamic `import()`
 * with `performance.now()` (so Node's own start-up, the same for both, does
 * not dilute the ratio) and reports it on stdout; the process's wall time is
 * kept too. The variants alternate run by run, after a few unrecorded runs
 * that warm the file cache.
 */
import { pathToFileURL } from "node:url";
import {
  builtPackage,
  Deadline,
  fmtNumber,
  fmtRatio,
  runChild,
  type PartResult,
  type Row,
} from "./common.js";
import { pairedRatios, rotate, summarize } from "./stats.js";

export interface StartupSettings {
  runs: number;
  warmupRuns: number;
  budgetMs: number;
}

export const DEFAULT_STARTUP_SETTINGS: StartupSettings = {
  runs: 25,
  warmupRuns: 3,
  budgetMs: 45_000,
};

const BUDGET = 1.3;

type Target = "notte" | "openapiFetch" | "nothing";

/** The module each variant imports; `nothing` imports a built-in already loaded, as a floor. */
function specifiers(entry: string): Record<Target, string> {
  return {
    notte: pathToFileURL(entry).href,
    openapiFetch: "openapi-fetch",
    nothing: "node:path",
  };
}

function script(specifier: string): string {
  return [
    "const started = performance.now();",
    `await import(${JSON.stringify(specifier)});`,
    "const importMs = performance.now() - started;",
    "process.stdout.write(JSON.stringify({ importMs, readyMs: performance.now() }));",
  ].join("\n");
}

async function sample(
  specifier: string,
): Promise<{ importMs: number; readyMs: number; processMs: number }> {
  const run = await runChild(
    process.execPath,
    ["--input-type=module", "-e", script(specifier)],
    {
      timeoutMs: 30_000,
    },
  );
  if (run.code !== 0)
    throw new Error(`importing ${specifier} failed: ${run.stderr.trim()}`);
  const { importMs, readyMs } = JSON.parse(run.stdout) as {
    importMs: number;
    readyMs: number;
  };
  return { importMs, readyMs, processMs: run.wallMs };
}

export async function runStartupPart(
  overrides: Partial<StartupSettings> = {},
): Promise<PartResult> {
  const settings = { ...DEFAULT_STARTUP_SETTINGS, ...overrides };
  const { entry, note: buildNote } = await builtPackage();
  return measure(settings, specifiers(entry), buildNote);
}

async function measure(
  settings: StartupSettings,
  specifier: Record<Target, string>,
  buildNote: string,
): Promise<PartResult> {
  const targets: Target[] = ["notte", "openapiFetch", "nothing"];
  for (let index = 0; index < settings.warmupRuns; index++) {
    for (const target of targets) await sample(specifier[target]);
  }
  const deadline = new Deadline(settings.budgetMs);
  const importMs: Record<Target, number[]> = {
    notte: [],
    openapiFetch: [],
    nothing: [],
  };
  const processMs: Record<Target, number[]> = {
    notte: [],
    openapiFetch: [],
    nothing: [],
  };
  for (
    let run = 0;
    run < settings.runs && !(run >= 5 && deadline.expired);
    run++
  ) {
    for (const target of rotate(targets, run)) {
      const result = await sample(specifier[target]);
      importMs[target].push(result.importMs);
      processMs[target].push(result.processMs);
    }
  }
  const imports = {
    notte: summarize(importMs.notte),
    openapiFetch: summarize(importMs.openapiFetch),
    nothing: summarize(importMs.nothing),
  };
  const processes = {
    notte: summarize(processMs.notte),
    openapiFetch: summarize(processMs.openapiFetch),
    nothing: summarize(processMs.nothing),
  };
  // Runs of one round are next to each other in time: pair them.
  const importRatio = summarize(
    pairedRatios(importMs.notte, importMs.openapiFetch),
  );
  const processRatio = summarize(
    pairedRatios(processMs.notte, processMs.openapiFetch),
  );
  const ms = (value: number, relIqr: number): string =>
    `${fmtNumber(value, 2)} ms ±${Math.round((relIqr * 100) / 2)}%`;
  const rows: Row[] = [
    {
      part: "import",
      measure: "import() in a fresh process",
      pkg: ms(imports.notte.median, imports.notte.relIqr),
      openapiFetch: ms(
        imports.openapiFetch.median,
        imports.openapiFetch.relIqr,
      ),
      baseline: `${fmtNumber(imports.nothing.median, 2)} ms (built-in)`,
      ratio: `${fmtRatio(importRatio.median)} (${fmtRatio(imports.notte.median / imports.openapiFetch.median)} of medians)`,
      budget: `≤ ${BUDGET.toFixed(2)}× openapi-fetch`,
      met: importRatio.median <= BUDGET,
    },
    {
      part: "import",
      measure: "whole process (start, import, exit)",
      pkg: ms(processes.notte.median, processes.notte.relIqr),
      openapiFetch: ms(
        processes.openapiFetch.median,
        processes.openapiFetch.relIqr,
      ),
      baseline: `${fmtNumber(processes.nothing.median, 1)} ms (built-in)`,
      ratio: fmtRatio(processRatio.median),
      budget: "",
      met: undefined,
    },
  ];
  const notes = [
    `import: ${buildNote}; ${importMs.notte.length} runs per variant, alternating; ratio = median of per-run-pair ratios; the package's import includes openapi-fetch's (it depends on it): the extra ${fmtNumber(imports.notte.median - imports.openapiFetch.median, 2)} ms is the package's own modules`,
  ];
  return {
    rows,
    raw: {
      settings,
      importMs,
      processMs,
      summary: { imports, processes, importRatio, processRatio },
    },
    notes,
  };
}
