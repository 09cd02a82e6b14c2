/**
 * The pull's verdicts end to end, through a child process in a scratch
 * copy: for each kind of change, the exit code of `--pull --dry-run` (0
 * unchanged, 4 changed without breaking, 3 breaking, 1 failure), the report
 * line, and that nothing is written; the three report formats, with and
 * without --report-file; a kept operation removed upstream; a broken $ref
 * outside what is kept.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JsonReport } from "../../scripts/report/json.js";
import {
  expectOneLineFailure,
  fixtures,
  makeProject,
  type Project,
} from "./project.js";

// Loosely typed on purpose: the tests edit fixtures freely.
type Doc = any;

const KEPT = ["--operations", "agent_stop,agent_start"];

let project: Project;
let inputs: string;
let base: Doc;
/** openapi.json and generated/ after the base pull: every dry run must leave them so. */
let pulled: Map<string, string>;

/** The fixture with a request default and pattern to change, as the base of every variant. */
function makeBase(mini: Doc): Doc {
  const doc = structuredClone(mini);
  const request = doc.components.schemas.AgentRunRequest;
  request.properties.mode = {
    type: "string",
    enum: ["fast", "slow"],
    default: "fast",
  };
  request.properties.session_id.pattern = "^ses_[a-z0-9]+$";
  return doc;
}

/** Writes a variant of the base document and returns its path. */
async function variant(
  name: string,
  change: (doc: Doc) => void,
): Promise<string> {
  const doc = structuredClone(base);
  change(doc);
  const path = join(inputs, `${name}.json`);
  await writeFile(path, JSON.stringify(doc));
  return path;
}

const request = (doc: Doc): Doc => doc.components.schemas.AgentRunRequest;
const stop = (doc: Doc): Doc => doc.paths["/agents/{agent_id}/stop"].delete;

beforeAll(async () => {
  project = await makeProject();
  inputs = await mkdtemp(join(tmpdir(), "notte-reports-"));
  base = makeBase(
    JSON.parse(await readFile(join(fixtures, "notte-mini.json"), "utf8")),
  );
  const first = await project.run([
    "--pull",
    await variant("base", () => undefined),
    ...KEPT,
    "--allow-breaking",
  ]);
  expect(first.stderr).toBe("");
  expect(first.code).toBe(0);
  pulled = await project.snapshot();
}, 120_000);

afterAll(async () => {
  await project.remove();
  await rm(inputs, { recursive: true, force: true });
});

async function dryRun(
  path: string,
  extra: readonly string[] = [],
): Promise<{ code: number | null; report: JsonReport; stderr: string }> {
  const result = await project.run([
    "--pull",
    path,
    ...KEPT,
    "--dry-run",
    "--report-format",
    "json",
    ...extra,
  ]);
  expect(await project.snapshot()).toEqual(pulled);
  expect(await readdir(project.dir)).not.toContain("report.json");
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as JsonReport,
    stderr: result.stderr,
  };
}

function breakingMessages(report: JsonReport): string[] {
  return report.changes
    .filter((change) => change.breaking)
    .map((change) => change.message);
}

describe("--pull --dry-run: one verdict per kind of change, nothing written", () => {
  test.each<[string, number, string, (doc: Doc) => void, string[]]>([
    ["nothing changed", 0, "none", () => undefined, []],
    [
      "a description",
      4,
      "patch",
      (doc) => (stop(doc).description = "Stops an agent."),
      [],
    ],
    [
      "a new optional parameter",
      4,
      "minor",
      (doc) =>
        stop(doc).parameters.push({
          name: "verbose",
          in: "query",
          schema: { type: "boolean" },
        }),
      [],
    ],
    [
      "a request property's default changed",
      3,
      "major",
      (doc) => (request(doc).properties.mode.default = "slow"),
      [
        'agent_start: request body (application/json): property "mode": default changed from "fast" to "slow"',
      ],
    ],
    [
      "a pattern widened to .*",
      4,
      "minor",
      (doc) => (request(doc).properties.session_id.pattern = ".*"),
      [],
    ],
    [
      "a pattern removed",
      4,
      "minor",
      (doc) => delete request(doc).properties.session_id.pattern,
      [],
    ],
    [
      "a pattern changed to one not known to be wider",
      3,
      "major",
      (doc) => (request(doc).properties.session_id.pattern = "^ses_"),
      [
        'agent_start: request body (application/json): property "session_id": pattern changed from ^ses_[a-z0-9]+$ to ^ses_',
      ],
    ],
    [
      "a response object split into a oneOf of inline objects",
      3,
      "major",
      (doc) => {
        const status = doc.components.schemas.AgentStatusResponse;
        const { task, ...rest } = status.properties;
        stop(doc).responses["200"].content["application/json"].schema = {
          oneOf: [
            {
              type: "object",
              required: ["agent_id", "created_at", "session_id", "status"],
              properties: rest,
            },
            { type: "object", required: ["task"], properties: { task } },
          ],
        };
      },
      [
        'agent_stop: response 200 (application/json): property "task" removed',
        'agent_stop: response 200 (application/json): property "agent_id" removed',
      ],
    ],
    [
      "a request body wrapped in a oneOf that the old body matches twice",
      3,
      "major",
      (doc) => {
        const { properties } = request(doc);
        doc.components.schemas.AgentRunRequest = {
          oneOf: [
            { type: "object", required: ["task"], properties },
            { type: "object", required: ["session_id"], properties },
          ],
        };
      },
      [
        "agent_start: request body (application/json): now matches 2 members of a oneOf (a value that fits more than one is rejected)",
      ],
    ],
    [
      "a request body turned into a oneOf newly requiring b or c",
      3,
      "major",
      (doc) => {
        const { properties } = request(doc);
        doc.components.schemas.AgentRunRequest = {
          oneOf: ["b", "c"].map((name) => ({
            type: "object",
            required: ["task", "session_id", name],
            properties: { ...properties, [name]: { type: "string" } },
          })),
        };
      },
      [
        'agent_start: request body (application/json): property "b" added as required',
      ],
    ],
  ])(
    "%s: exit %i, bump %s",
    async (name, code, bump, change, lines) => {
      const { code: exit, report } = await dryRun(
        await variant(name.replace(/\W+/g, "-"), change),
      );
      expect(exit).toBe(code);
      expect(report.bump).toBe(bump);
      expect(report.documentChanged).toBe(code !== 0);
      for (const line of lines)
        expect(breakingMessages(report)).toContain(line);
      if (lines.length === 0) expect(breakingMessages(report)).toEqual([]);
    },
    60_000,
  );

  test("a failure: exit 1, one line, nothing written", async () => {
    const result = await project.run([
      "--pull",
      join(inputs, "missing.json"),
      "--dry-run",
    ]);
    expectOneLineFailure(result, 1, /missing\.json/);
    expect(result.stdout).toBe("");
    expect(await project.snapshot()).toEqual(pulled);
  });
});

describe("a kept operation removed upstream", () => {
  test("is a breaking change naming it: exit 3, nothing written, even with --allow-breaking", async () => {
    const path = await variant("removed", (doc) => {
      delete doc.paths["/agents/start"];
    });
    const { code, report } = await dryRun(path);
    expect(code).toBe(3);
    expect(report.operations.removedUpstream).toEqual(["agent_start"]);
    expect(report.changes[0]).toEqual({
      kind: "operation-removed",
      location: "agent_start",
      message: "operation agent_start (POST /agents/start) removed",
      breaking: true,
    });

    const real = await project.run([
      "--pull",
      path,
      ...KEPT,
      "--allow-breaking",
    ]);
    expectOneLineFailure(
      real,
      3,
      'kept operation agent_start removed upstream (1 breaking change for callers, see the report); nothing written: the package cannot be generated without it; to accept, remove it from "openapi.operations" in package.json',
    );
    expect(real.stdout).toContain(
      "    - operation agent_start (POST /agents/start) removed\nnothing written\n",
    );
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
});

describe("a broken $ref", () => {
  test("outside what is kept: a one-line warning, and the dry run goes on", async () => {
    const path = await variant("broken-elsewhere", (doc) => {
      doc.components.schemas.SessionResponse.properties.extra = {
        $ref: "#/components/schemas/Nowhere",
      };
    });
    const { code, stderr, report } = await dryRun(path);
    expect(code).toBe(0);
    expect(stderr).toBe(
      `generate: warning: ${path} has 1 $ref resolving nowhere (Can't resolve $ref "#/components/schemas/Nowhere" at #/components/schemas/SessionResponse/properties/extra), outside what the kept operations use: ignored\n`,
    );
    expect(report.warnings).toHaveLength(1);
  }, 60_000);
});

describe("report formats", () => {
  let breakingPath: string;
  beforeAll(async () => {
    breakingPath = await variant("formats", (doc) => {
      request(doc).properties.mode.default = "slow";
      stop(doc).description = "Stops | an *agent*.";
    });
  });

  test("json: the documented shape", async () => {
    const { code, report } = await dryRun(breakingPath);
    expect(code).toBe(3);
    expect(Object.keys(report)).toEqual([
      "format",
      "source",
      "bytes",
      "title",
      "versions",
      "operations",
      "bump",
      "breaking",
      "documentChanged",
      "dryRun",
      "changes",
      "files",
      "warnings",
    ]);
    expect(report).toMatchObject({
      format: "notte-api-client/pull-report@1",
      source: breakingPath,
      title: "Notte API (test fixture)",
      versions: { previous: "9.9.9", current: "9.9.9" },
      operations: {
        kept: ["agent_stop", "agent_start"],
        removedUpstream: [],
        inDocument: 3,
      },
      bump: "major",
      breaking: 1,
      dryRun: true,
      files: null,
      warnings: [],
    });
    expect(report.changes).toContainEqual({
      kind: "operation-changed",
      location: "agent_stop",
      message: "operation agent_stop changed",
      breaking: false,
    });
  });

  test("text (the default) and markdown, on stdout and in --report-file", async () => {
    const text = await project.run([
      "--pull",
      breakingPath,
      ...KEPT,
      "--dry-run",
    ]);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(
      '  breaking changes for callers (1):\n    - agent_start: request body (application/json): property "mode": default changed from "fast" to "slow"\n' +
        "dry run: nothing written; openapi.json would change (semver major)\n",
    );
    expectOneLineFailure(
      text,
      3,
      "1 breaking change for callers (see the report); dry run: nothing written",
    );

    const markdown = await project.run([
      "--pull",
      breakingPath,
      ...KEPT,
      "--dry-run",
      "--report-format",
      "markdown",
      "--report-file",
      "report.md",
    ]);
    expect(markdown.code).toBe(3);
    expect(markdown.stdout).toBe("report (markdown) written to report.md\n");
    const body = await readFile(join(project.dir, "report.md"), "utf8");
    await rm(join(project.dir, "report.md"));
    expect(body).toMatch(
      /^## Notte API \(test fixture\): upstream OpenAPI changes \(9\.9\.9, unchanged\)\n\n\*\*Breaking: 1 change breaks callers of the kept operations\*\* \(semver `major`\)\.\n/,
    );
    expect(body).toContain(
      '### Breaking changes\n\n- agent\\_start: request body (application/json): property "mode": default changed from "fast" to "slow" (`default-changed`)\n',
    );
    expect(body).toContain("- operation agent\\_stop changed\n");
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);

  test("an unknown format is a usage error", async () => {
    expectOneLineFailure(
      await project.run(["--pull", breakingPath, "--report-format", "xml"]),
      2,
      '--report-format must be one of text, json, markdown, got "xml" (see --help)',
    );
    expectOneLineFailure(
      await project.run(["--dry-run"]),
      2,
      "--dry-run only applies with --pull (see --help)",
    );
  });
});

describe("--report-file in a directory that does not exist", () => {
  // Before: the pull wrote openapi.json and generated/, then failed to
  // write the report (ENOENT) and exited 1, which promises that nothing was
  // written, and the report was lost.
  test("a real pull creates the directory, writes the report and exits with the verdict", async () => {
    const path = await variant("documented", (doc) => {
      stop(doc).description = "Stops an agent, documented.";
    });
    const result = await project.run([
      "--pull",
      path,
      ...KEPT,
      "--report-format",
      "json",
      "--report-file",
      "reports/new/pull.json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(
      await readFile(join(project.dir, "reports/new/pull.json"), "utf8"),
    ) as JsonReport;
    expect(report.bump).toBe("patch");
    expect(report.files?.written).toContain("openapi.json");
    await rm(join(project.dir, "reports"), { recursive: true });
    // Back to the base document for whatever runs next.
    const back = await project.run([
      "--pull",
      await variant("base", () => undefined),
      ...KEPT,
    ]);
    expect(back.code).toBe(0);
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);

  test("a dry run writes the report there too, and nothing else", async () => {
    const path = await variant("documented", (doc) => {
      stop(doc).description = "Stops an agent, documented.";
    });
    const result = await project.run([
      "--pull",
      path,
      ...KEPT,
      "--dry-run",
      "--report-file",
      "out/report.txt",
    ]);
    expect(result.code).toBe(4);
    expect(
      await readFile(join(project.dir, "out/report.txt"), "utf8"),
    ).toContain("dry run: nothing written");
    await rm(join(project.dir, "out"), { recursive: true });
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
  test("a report that cannot be written after the files were goes to stdout, with the verdict's exit code", async () => {
    const path = await variant("documented", (doc) => {
      stop(doc).description = "Stops an agent, documented.";
    });
    const result = await project.run([
      "--pull",
      path,
      ...KEPT,
      "--report-file",
      "package.json/report.txt",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^generate: warning: cannot write .*report\.txt: .*; the report follows on stdout\n$/,
    );
    expect(result.stdout).toContain("wrote openapi.json");
    const back = await project.run([
      "--pull",
      await variant("base", () => undefined),
      ...KEPT,
    ]);
    expect(back.code).toBe(0);
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
});
