/**
 * The scheduled workflow `.github/workflows/upstream.yml`: it parses, runs
 * daily, installs with `npm ci`, calls only npm scripts and generate options
 * that exist, tells the dry run's exit codes apart, and passes a workflow
 * linter (action-validator, GitHub's workflow schema).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { HELP } from "../../scripts/cli-args.js";
import { repoRoot } from "./project.js";

const run = promisify(execFile);
const workflowPath = join(repoRoot, ".github", "workflows", "upstream.yml");
const workflowText = await readFile(workflowPath, "utf8");
const pkg = JSON.parse(
  await readFile(join(repoRoot, "package.json"), "utf8"),
) as { scripts: Record<string, string> };

interface Step {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly if?: string;
}
interface Workflow {
  readonly on: { readonly schedule?: readonly { readonly cron: string }[] };
  readonly jobs: Record<string, { readonly steps: readonly Step[] }>;
}

const workflow = parse(workflowText) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = steps.flatMap((step) => (step.run ? [step.run] : []));

describe(".github/workflows/upstream.yml", () => {
  test("runs daily, installs with npm ci, then dry-runs before pulling", () => {
    const [schedule] = workflow.on.schedule ?? [];
    // minute hour * * *: once a day.
    expect(schedule?.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    const runs = scripts.join("\n");
    expect(runs.indexOf("npm ci")).toBeGreaterThanOrEqual(0);
    expect(runs.indexOf("npm ci")).toBeLessThan(runs.indexOf("--dry-run"));
    expect(runs.indexOf("--dry-run")).toBeLessThan(
      runs.indexOf("--allow-breaking"),
    );
    // Exit 3 and 4 mean "upstream changed", anything else a failed pull.
    expect(runs).toMatch(/0\|3\|4\) exit 0/);
    expect(runs).toContain("--body-file upstream-report.md");
    expect(runs).toContain("--label breaking");
  });

  test("every npm run it calls exists in package.json", () => {
    const called = [...scripts.join("\n").matchAll(/npm run ([\w:.-]+)/g)].map(
      (match) => match[1] ?? "",
    );
    expect(called.length).toBeGreaterThan(0);
    for (const name of called) expect(Object.keys(pkg.scripts)).toContain(name);
  });

  test("every option it gives npm run generate exists", () => {
    const options = scripts
      .flatMap((script) =>
        [...script.matchAll(/npm run generate [^\n]*/g)].map((m) => m[0]),
      )
      .flatMap((line) => line.split(/\s+/).filter((w) => w.startsWith("--")))
      .filter((option) => option !== "--silent" && option !== "--");
    expect(options).toContain("--dry-run");
    for (const option of options) expect(HELP).toContain(`${option} `);
  });

  test("passes the workflow linter, which does fail a broken workflow", async () => {
    const linter = join(repoRoot, "node_modules", ".bin", "action-validator");
    await expect(run(linter, [workflowPath])).resolves.toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), "notte-workflow-"));
    try {
      const broken = join(dir, "broken.yml");
      await writeFile(broken, workflowText.replace("runs-on:", "runs_on:"));
      await expect(run(linter, [broken])).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
