/**
 * The pull's verdicts end to end, through a child process in a scratch
 * copy: for each kind of change, the exit code of `--pull --dry-run` (0
 * unchanged, 4 changed without breaking, 3 breaking, 1 failure), the report
 * line, and that nothing is written; the three report formats (Markdown
 * within GitHub's limit); what is tolerated outside the kept operations;
 * the hints about `openapi.operations`; what a real pull writes.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JsonReport } from "../../scripts/report.js";
import {
  expectOneLineFailure,
  fixtures,
  makeProject,
  type Project,
} from "./project.js";

// Loosely typed on purpose: the tests edit fixtures freely.
type Doc = any;

const KEPT = ["agent_stop", "agent_status", "agent_start"];

let project: Project;
let inputs: string;
let base: Doc;
/** openapi.json and generated/ after the base pull: every dry run must leave them so. */
let pulled: Map<string, string>;

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
const status = (doc: Doc): Doc => doc.components.schemas.AgentStatusResponse;
const stop = (doc: Doc): Doc => doc.paths["/agents/{agent_id}/stop"].delete;

/** The project's package.json with `operations` as "openapi.operations". */
async function configure(operations: readonly string[]): Promise<void> {
  const path = join(project.dir, "package.json");
  const pkg = JSON.parse(await readFile(path, "utf8"));
  pkg.openapi.operations = operations;
  await writeFile(path, `${JSON.stringify(pkg, null, 2)}\n`);
}

beforeAll(async () => {
  project = await makeProject();
  await configure(KEPT);
  inputs = await mkdtemp(join(tmpdir(), "notte-reports-"));
  base = JSON.parse(await readFile(join(fixtures, "notte-mini.json"), "utf8"));
  request(base).properties.mode = {
    type: "string",
    enum: ["fast", "slow"],
    default: "fast",
  };
  request(base).properties.session_id.pattern = "^ses_[a-z0-9]+$";
  const first = await project.run([
    "--pull",
    await variant("base", () => undefined),
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

async function dryRun(path: string, extra: readonly string[] = []) {
  const result = await project.run([
    "--pull",
    path,
    "--dry-run",
    "--report-format",
    "json",
    ...extra,
  ]);
  expect(await project.snapshot()).toEqual(pulled);
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as JsonReport,
    stderr: result.stderr,
  };
}

const messages = (report: JsonReport, level = "breaking") =>
  report.changes.filter((c) => c.level === level).map((c) => c.message);

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
      ['AgentRunRequest.mode: default changed from "fast" to "slow"'],
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
        "AgentRunRequest.session_id: pattern changed from ^ses_[a-z0-9]+$ to ^ses_",
      ],
    ],
    [
      "a response object split into a oneOf of inline objects",
      3,
      "major",
      (doc) => {
        const { task, ...rest } = status(doc).properties;
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
        "agent_stop[response 200 application/json].oneOf[0].task: removed",
        ...[
          ["agent_id", ""],
          ["answer", " (it was optional)"],
          ["closed_at", " (it was optional)"],
          ["created_at", ""],
          ["saved", " (it was optional)"],
          ["session_id", ""],
          ["status", ""],
        ].map(
          ([name, optional]) =>
            `agent_stop[response 200 application/json].oneOf[1].${name}: removed${optional}`,
        ),
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
        "AgentRunRequest: now matches 2 members of a oneOf (a value that fits more than one is rejected)",
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
      ["AgentRunRequest.oneOf[0].b: added, required"],
    ],
    [
      "required, enum and a oneOf's members reordered, servers: [] and security: [] added",
      0,
      "none",
      (doc) => {
        status(doc).required.reverse();
        doc.components.schemas.AgentStatus.enum.reverse();
        Object.assign(doc, { servers: [], security: [] });
      },
      [],
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
      expect(messages(report)).toEqual(lines);
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
    const path = await variant(
      "removed",
      (doc) => delete doc.paths["/agents/start"],
    );
    const { code, report } = await dryRun(path);
    expect(code).toBe(3);
    expect(report.operations.removedUpstream).toEqual(["agent_start"]);
    expect(report.changes).toContainEqual(
      expect.objectContaining({
        rule: "operation-removed",
        level: "breaking",
        breaking: true,
        location: "agent_start",
        message: "agent_start: removed (POST /agents/start)",
        operations: ["agent_start"],
      }),
    );
    const real = await project.run(["--pull", path, "--allow-breaking"]);
    expectOneLineFailure(
      real,
      3,
      /^kept operation agent_start removed upstream \(\d+ breaking changes for callers, see the report\); nothing written: the package cannot be generated without it; to accept, remove it from "openapi.operations" in package.json$/,
    );
    expect(real.stdout).toContain(
      "  - agent_start: removed (POST /agents/start) [agent_start]\n",
    );
    expect(real.stdout).toContain("\nnothing written\n");
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
});

describe("what is validated is what is kept", () => {
  test("a broken or external $ref outside the kept operations is a one-line warning, and the pull goes on", async () => {
    // Before: an external $ref anywhere refused the whole pull.
    const path = await variant("broken-elsewhere", (doc) => {
      doc.components.schemas.SessionResponse.properties.extra = {
        $ref: "#/components/schemas/Nowhere",
      };
      doc.components.schemas.SessionResponse.properties.other = {
        $ref: "./other.yaml#/Thing",
      };
    });
    const { code, stderr, report } = await dryRun(path);
    expect(code).toBe(0);
    expect(stderr).toBe(
      `generate: warning: ${path} has 2 unusable $refs ($ref "#/components/schemas/Nowhere" at #/components/schemas/SessionResponse/properties/extra resolves nowhere, ...), outside what the kept operations use: ignored\n`,
    );
    expect(report.warnings).toHaveLength(1);
  }, 60_000);

  test("an external $ref inside what is kept is refused, naming it", async () => {
    const path = await variant("external-kept", (doc) => {
      status(doc).properties.other = {
        $ref: "https://example.test/thing.json",
      };
    });
    const result = await project.run(["--pull", path, "--dry-run"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'external $ref "https://example.test/thing.json" at #/components/schemas/AgentStatusResponse/properties/other is not supported',
    );
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

  test("json: the documented shape, every change whole", async () => {
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
      format: "notte-api-client/pull-report@2",
      source: breakingPath,
      title: "Notte API (test fixture)",
      versions: { previous: "9.9.9", current: "9.9.9" },
      operations: { kept: KEPT, removedUpstream: [], inDocument: 4 },
      bump: "major",
      breaking: 1,
      dryRun: true,
      files: null,
      warnings: [],
    });
    expect(report.changes).toEqual([
      {
        rule: "default-changed",
        level: "breaking",
        location: "AgentRunRequest.mode",
        message: 'AgentRunRequest.mode: default changed from "fast" to "slow"',
        directions: ["request"],
        operations: ["agent_start"],
        typeScriptOnly: false,
        breaking: true,
      },
      {
        rule: "documentation-changed",
        level: "documentation",
        location: "agent_stop",
        message: "agent_stop: description added",
        directions: [],
        operations: ["agent_stop"],
        typeScriptOnly: false,
        breaking: false,
      },
    ]);
  });

  test("text (the default) and markdown, on stdout and in --report-file", async () => {
    const text = await project.run(["--pull", breakingPath, "--dry-run"]);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(
      "(info.version 9.9.9, unchanged): 1 breaking, 0 other, 1 documentation (semver major)\n" +
        "Breaking changes:\n" +
        '  - AgentRunRequest.mode: default changed from "fast" to "slow" [agent_start]\n' +
        "Documentation changes:\n" +
        "  - agent_stop: description added [agent_stop]\n" +
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
      '### Breaking changes (1)\n\n- AgentRunRequest.mode: default changed from "fast" to "slow" (`default-changed`; `agent_start`)\n',
    );
    expect(body).toContain(
      "- agent\\_stop: description added (`documentation-changed`; `agent_stop`)\n",
    );
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);

  test("markdown stays within GitHub's 65,536 characters and says what it left out; json keeps every change", async () => {
    // Before: no bound (GitHub refuses a longer pull request body).
    const path = await variant("huge", (doc) => {
      const values = Array.from(
        { length: 3000 },
        (_, i) => `status_value_number_${i}_${"x".repeat(20)}`,
      );
      doc.components.schemas.AgentStatus.enum.push(...values);
    });
    const { report } = await dryRun(path);
    expect(messages(report)).toHaveLength(3000);
    const result = await project.run([
      "--pull",
      path,
      "--dry-run",
      "--report-format",
      "markdown",
    ]);
    expect(result.stdout.length).toBeLessThanOrEqual(65_536);
    const shown = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("- AgentStatus: value")).length;
    expect(shown).toBeGreaterThan(400);
    expect(result.stdout).toContain(
      `…and ${3000 - shown} more (${3000 - shown} breaking, 0 other, 0 documentation) not shown, to stay within GitHub's 65536 characters: \`--report-format json\` lists every change.`,
    );
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

describe("where the kept operations and openapi.operations part", () => {
  test("a one-off --operations says the next plain pull will drop what it added; that pull names openapi.operations", async () => {
    // Before: the plain pull reported the extra operation removed (breaking,
    // exit 3) with no word of openapi.operations.
    const path = await variant("plain", () => undefined);
    await configure(["agent_stop", "agent_status"]);
    try {
      const once = await project.run([
        "--pull",
        path,
        "--operations",
        KEPT.join(","),
        "--dry-run",
      ]);
      expect(once.code).toBe(0);
      expect(once.stderr).toBe(
        'generate: warning: --operations keeps agent_start, which "openapi.operations" in package.json does not list: a pull without --operations will remove it; add it there to keep it\n',
      );
      const plain = await project.run(["--pull", path, "--dry-run"]);
      expect(plain.code).toBe(3);
      expect(plain.stderr).toContain(
        'generate: warning: agent_start is in openapi.json but not in "openapi.operations" in package.json (kept by an earlier --operations?), so this pull removes it; list it there to keep it\n',
      );
      expect(plain.stdout).toContain(
        "  - agent_start: removed (POST /agents/start) [agent_start]\n",
      );
    } finally {
      await configure(KEPT);
    }
  }, 60_000);

  test("a one-off --operations that keeps fewer than openapi.operations says so", async () => {
    // Before: agent_status was reported removed (breaking, exit 3) without
    // a word of openapi.operations.
    const path = await variant("plain", () => undefined);
    const narrower = await project.run([
      "--pull",
      path,
      "--operations",
      "agent_stop,agent_start",
      "--dry-run",
    ]);
    expect(narrower.code).toBe(3);
    expect(narrower.stderr).toContain(
      'generate: warning: --operations leaves out agent_status, which "openapi.operations" in package.json lists: this pull removes it from openapi.json, and a pull without --operations will add it back\n',
    );
  }, 60_000);
});

describe("what a real pull writes", () => {
  test("integers beyond 2^53 as they came, and answer-shapes.ts with the new required fields", async () => {
    // Before: 9223372036854775807 became 9223372036854776000 in openapi.json.
    const path = await variant("replay", (doc) => {
      Object.assign(status(doc).properties, {
        replay_start_offset: { type: "integer", title: "Replay Start Offset" },
        replay_stop_offset: { type: "integer", maximum: "2^63 - 1" },
      });
      status(doc).required.push("replay_start_offset", "replay_stop_offset");
    });
    const text = (await readFile(path, "utf8")).replace(
      '"maximum":"2^63 - 1"',
      '"maximum":9223372036854775807',
    );
    await writeFile(path, text);
    const result = await project.run(["--pull", path, "--allow-breaking"]);
    expect(result.code).toBe(0);
    const files = await project.snapshot();
    expect(files.get("openapi.json")).toContain(
      '"maximum": 9223372036854775807\n',
    );
    const shapes = files.get("generated/answer-shapes.ts") ?? "";
    for (const id of ["agent_start", "agent_status", "agent_stop"])
      expect(shapes).toMatch(
        new RegExp(
          `  ${id}: \\{\\n    schema: "AgentStatusResponse",\\n    required: \\{\\n(.*\\n)*?      replay_start_offset: \\{ types: \\["integer"\\] \\},\\n      replay_stop_offset: \\{ types: \\["integer"\\] \\},\\n`,
        ),
      );
    expect((await project.run(["--check"])).code).toBe(0);
    // Back to the base document for whatever runs next.
    expect(
      (
        await project.run([
          "--pull",
          await variant("base", () => undefined),
          "--allow-breaking",
        ])
      ).code,
    ).toBe(0);
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
});

describe("--report-file in a directory that does not exist", () => {
  test("a real pull creates the directory, writes the report and exits with the verdict", async () => {
    const path = await variant(
      "documented",
      (doc) => (stop(doc).description = "Stops an agent, documented."),
    );
    const result = await project.run([
      "--pull",
      path,
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
    expect(
      (await project.run(["--pull", await variant("base", () => undefined)]))
        .code,
    ).toBe(0);
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);

  test("a dry run writes the report there too, and nothing else", async () => {
    const path = await variant(
      "documented",
      (doc) => (stop(doc).description = "Stops an agent, documented."),
    );
    const result = await project.run([
      "--pull",
      path,
      "--dry-run",
      "--report-file",
      "out/report.txt",
    ]);
    expect(result.code).toBe(4);
    expect(
      await readFile(join(project.dir, "out/report.txt"), "utf8"),
    ).toContain("dry run: nothing written");
    await rm(join(project.dir, "out"), { recursive: true });
    expect(await readdir(project.dir)).not.toContain("out");
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);

  test("a report that cannot be written after the files were goes to stdout, with the verdict's exit code", async () => {
    const path = await variant(
      "documented",
      (doc) => (stop(doc).description = "Stops an agent, documented."),
    );
    const result = await project.run([
      "--pull",
      path,
      "--report-file",
      "package.json/report.txt",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^generate: warning: cannot write .*report\.txt: .*; the report follows on stdout\n$/,
    );
    expect(result.stdout).toContain("wrote openapi.json");
    expect(
      (await project.run(["--pull", await variant("base", () => undefined)]))
        .code,
    ).toBe(0);
    expect(await project.snapshot()).toEqual(pulled);
  }, 60_000);
});
