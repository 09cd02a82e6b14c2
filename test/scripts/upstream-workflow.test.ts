/**
 * The scheduled workflow `.github/workflows/upstream.yml`: it parses, runs
 * daily, installs with `npm ci`, calls only npm scripts and generate options
 * that exist, tells the dry run's exit codes apart, passes a workflow linter
 * (action-validator, GitHub's workflow schema), and keeps one pull request:
 * its last step, run by bash against stand-ins for `git` and `gh` that
 * record what they are asked, opens one only when there is none, updates
 * the open one otherwise, and opens nothing when nothing changed.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { HELP } from "../../scripts/generate.js";
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
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string>;
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

describe("one pull request for upstream changes", () => {
  // Before: a branch per run (upstream-openapi/<run id>) and `gh pr create`
  // every day while the pull request stayed unmerged.
  const step = steps.find((s) => s.name === "Update the pull request");
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "notte-pr-step-"));
    // Each stand-in appends its arguments to calls.log; `gh pr list` answers
    // with the open pull request's number, if the test says there is one.
    // `git diff --quiet` tells whether the branch already holds this pull
    // (SAME_TREE set) or not.
    for (const [name, answer] of [
      ["git", 'if [ "$1" = "diff" ] && [ -z "$SAME_TREE" ]; then exit 1; fi'],
      [
        "gh",
        'if [ "$1 $2" = "pr list" ] && [ -n "$OPEN_PR" ]; then echo "$OPEN_PR"; fi',
      ],
    ] as const) {
      const path = join(dir, name);
      await writeFile(
        path,
        `#!/usr/bin/env bash\necho "${name} $*" >> "$CALLS"\n${answer}\n`,
      );
      await chmod(path, 0o755);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /**
   * Runs the step's script for a dry run's exit code, with or without an
   * open pull request, the branch already holding this pull or not, the
   * types compiling or not; returns the calls made.
   */
  async function runStep(
    code: number,
    openPr = "",
    { sameTree = false, typecheck = "" } = {},
  ): Promise<string[]> {
    const calls = join(dir, `calls-${code}-${openPr}.log`);
    await writeFile(calls, "");
    await writeFile(join(dir, "upstream-report.md"), "## The report\n");
    await writeFile(
      join(dir, "typecheck.log"),
      "error TS2339: no such field\n",
    );
    await run("bash", ["-c", step?.run ?? "exit 1"], {
      cwd: dir,
      env: {
        PATH: `${dir}:${process.env["PATH"] ?? ""}`,
        CALLS: calls,
        OPEN_PR: openPr,
        CODE: String(code),
        TYPECHECK: typecheck,
        SAME_TREE: sameTree ? "1" : "",
        BASE: "main",
        GH_TOKEN: "token",
      },
    });
    return (await readFile(calls, "utf8")).trim().split("\n").filter(Boolean);
  }

  test("the step's environment is the dry run's code, the types' check, a token and the default branch", () => {
    // A token of its own when one is stored: GITHUB_TOKEN's pushes start no CI.
    const token = "${{ secrets.UPSTREAM_TOKEN || github.token }}";
    expect(step?.env).toEqual({
      GH_TOKEN: token,
      CODE: "${{ steps.dry-run.outputs.code }}",
      TYPECHECK: "${{ steps.typecheck.outputs.code }}",
      BASE: "${{ github.event.repository.default_branch }}",
    });
    expect(step?.if).toBeUndefined();
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkout?.with).toEqual({ token });
  });

  test("a branch that already holds this pull is not pushed again; the pull request is still updated", async () => {
    // Before: each run force-pushed an identical new commit (the pull
    // request churned, approvals could be dismissed).
    const calls = await runStep(4, "12", { sameTree: true });
    expect(calls).toContain("git fetch origin upstream-openapi");
    expect(calls).toContain("git diff --quiet origin/upstream-openapi HEAD");
    expect(calls.some((c) => c.startsWith("git push"))).toBe(false);
    expect(calls).toContain(
      "gh pr edit 12 --title Upstream OpenAPI document changed --body-file upstream-report.md --remove-label breaking",
    );
  });

  test("types that do not compile: the pull request is opened all the same, saying so, then the job fails", async () => {
    // Before: the types were checked first and a failure stopped the job
    // before any pull request said what upstream had changed.
    const check = steps.find((s) => s.name === "Check the generated types");
    expect(steps.indexOf(check as Step)).toBeLessThan(
      steps.indexOf(step as Step),
    );
    expect(check?.run).toContain("set +e");
    const calls = await runStep(3, "", { typecheck: "2" });
    expect(calls).toContain(
      "gh pr create --base main --head upstream-openapi --title BREAKING: Upstream OpenAPI document changed --body-file pull-request-body.md --label breaking",
    );
    const body = await readFile(join(dir, "pull-request-body.md"), "utf8");
    expect(body).toBe(
      "**The generated types do not compile** (`npm run typecheck` exited 2):\n\n```\nerror TS2339: no such field\n```\n\n## The report\n",
    );
    const last = steps.at(-1);
    expect(last?.if).toBe(
      "steps.typecheck.outputs.code != '' && steps.typecheck.outputs.code != '0'",
    );
    expect(last?.run).toContain("exit 1");
  });

  test("upstream changed and no pull request is open: one branch, force-pushed, and one pull request opened", async () => {
    const calls = await runStep(4);
    expect(calls).toContain("git switch --force-create upstream-openapi");
    expect(calls).toContain("git push --force origin upstream-openapi");
    expect(calls.filter((c) => c.startsWith("gh pr create"))).toEqual([
      "gh pr create --base main --head upstream-openapi --title Upstream OpenAPI document changed --body-file upstream-report.md",
    ]);
    expect(calls.some((c) => c.startsWith("gh pr edit"))).toBe(false);
  });

  test("upstream changed again while it is open: the same branch force-pushed, its body and labels updated, nothing opened", async () => {
    const calls = await runStep(3, "12");
    expect(calls).toContain("git push --force origin upstream-openapi");
    expect(calls.some((c) => c.startsWith("gh pr create"))).toBe(false);
    expect(calls).toContain(
      "gh pr edit 12 --title BREAKING: Upstream OpenAPI document changed --body-file upstream-report.md --add-label breaking",
    );
    const calm = await runStep(4, "12");
    expect(calm).toContain(
      "gh pr edit 12 --title Upstream OpenAPI document changed --body-file upstream-report.md --remove-label breaking",
    );
  });

  test("a breaking change opens the pull request labelled breaking", async () => {
    const calls = await runStep(3);
    expect(calls.filter((c) => c.startsWith("gh pr create"))).toEqual([
      "gh pr create --base main --head upstream-openapi --title BREAKING: Upstream OpenAPI document changed --body-file upstream-report.md --label breaking",
    ]);
  });

  test("nothing changed: nothing pushed or opened; an open pull request that upstream caught up with is closed", async () => {
    expect(await runStep(0)).toEqual([
      "gh pr list --head upstream-openapi --base main --state open --json number --jq .[].number",
    ]);
    const calls = await runStep(0, "12");
    expect(calls.some((c) => c.startsWith("git "))).toBe(false);
    expect(calls.filter((c) => !c.startsWith("gh pr list"))).toEqual([
      "gh pr close 12 --delete-branch --comment Upstream matches main again: nothing left to pull.",
    ]);
  });
});
