/**
 * The shell's three modes, through a child process in a scratch copy:
 * regenerate (deterministic), --check (stale files named), --pull (URL and
 * file, JSON and YAML, breaking changes).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  expectOneLineFailure,
  fixtures,
  makeProject,
  repoRoot,
  startServer,
  type Project,
} from "./project.js";

let server: Awaited<ReturnType<typeof startServer>>;
const projects: Project[] = [];

beforeAll(async () => {
  const json = await readFile(join(fixtures, "notte-mini.json"), "utf8");
  const yaml = await readFile(
    join(fixtures, "notte-mini.shuffled.yaml"),
    "utf8",
  );
  server = await startServer((request, response) => {
    if (request.url === "/openapi.json") {
      response.setHeader("content-type", "application/json");
      response.end(json);
    } else if (request.url === "/openapi.yaml") {
      response.setHeader("content-type", "application/yaml");
      response.end(yaml);
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
});

afterAll(async () => {
  await server.close();
  await Promise.all(projects.map((p) => p.remove()));
});

async function project(): Promise<Project> {
  const created = await makeProject();
  projects.push(created);
  return created;
}

// Spawning the generator costs a couple of seconds (it loads the TypeScript
// compiler), so each test walks through several steps in one scratch copy,
// with a timeout to match.

describe("npm run generate and --check", () => {
  test("regenerate: byte-identical twice; --check passes, then names each stale file; regenerating repairs", async () => {
    const p = await project();
    const committed = await p.snapshot();
    const first = await p.run([]);
    expect(first).toEqual({
      code: 0,
      stdout:
        "unchanged: generated/api-version.ts, generated/notte-api.ts, generated/answer-shapes.ts\n",
      stderr: "",
    });
    expect(await p.snapshot()).toEqual(committed);
    expect(await p.run([])).toEqual(first);
    expect(await p.snapshot()).toEqual(committed);
    expect(await p.run(["--check"])).toEqual({
      code: 0,
      stdout: "generated/ is up to date with openapi.json\n",
      stderr: "",
    });

    // A hand edit, an extra file, a missing file: all named, nothing written.
    const types = join(p.dir, "generated", "notte-api.ts");
    await writeFile(types, `${await readFile(types, "utf8")}// edited\n`);
    await writeFile(join(p.dir, "generated", "extra.ts"), "export {};\n");
    await rm(join(p.dir, "generated", "api-version.ts"));
    const edited = await p.snapshot();
    expectOneLineFailure(
      await p.run(["--check"]),
      1,
      "stale: generated/api-version.ts (missing), generated/notte-api.ts (differs), generated/extra.ts (extra); run `npm run generate`",
    );
    expect(await p.snapshot()).toEqual(edited);
    expect((await p.run([])).stdout).toBe(
      "wrote generated/api-version.ts\nwrote generated/notte-api.ts\nremoved generated/extra.ts\nunchanged: generated/answer-shapes.ts\n",
    );
    expect(await p.snapshot()).toEqual(committed);

    // A change to openapi.json makes the committed generated/ stale.
    const path = join(p.dir, "openapi.json");
    const doc = JSON.parse(await readFile(path, "utf8")) as {
      info: { version: string };
    };
    doc.info.version = "0.0.1-test";
    await writeFile(path, JSON.stringify(doc, null, 2));
    expectOneLineFailure(
      await p.run(["--check"]),
      1,
      "stale: generated/api-version.ts (differs), generated/notte-api.ts (differs), generated/answer-shapes.ts (differs); run `npm run generate`",
    );
  }, 120_000);

  test("--help documents the modes and exit codes", async () => {
    const p = await project();
    const result = await p.run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--pull [URL-or-FILE]");
    expect(result.stdout).toContain("--check ");
    expect(result.stdout).toMatch(
      /^Exit codes:\n {2}0 {2}.*\n {2}1 {2}.*\n(?: {5}.*\n)* {2}2 {2}usage error\n {2}3 {2}/m,
    );
  });

  test("fails in one line without openapi.json", async () => {
    const p = await project();
    await rm(join(p.dir, "openapi.json"));
    expectOneLineFailure(
      await p.run(["--check"]),
      1,
      `openapi.json not found in ${p.dir}: run \`npm run generate -- --pull\` first`,
    );
    expect(await p.snapshot().catch(() => undefined)).toBeUndefined();
  });
});

describe("npm run generate -- --pull", () => {
  test("from a URL (JSON), then the same document as YAML with every key reordered, then a breaking change", async () => {
    const p = await project();
    const first = await p.run([
      "--pull",
      `${server.base}/openapi.json`,
      "--allow-breaking",
    ]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `Pulled ${server.base}/openapi.json: Notte API (test fixture) 9.9.9, 8129 bytes; kept 2 of 4 operations (agent_stop, agent_status)\n`,
    );
    expect(first.stdout).toMatch(
      /^Changes since the previous openapi\.json \(info\.version .* → 9\.9\.9\): \d+ breaking, \d+ other, \d+ documentation \(semver major\)$/m,
    );
    const pulled = await p.snapshot();
    expect(pulled.get("generated/api-version.ts")).toContain(
      'export const NOTTE_API_VERSION = "9.9.9";',
    );
    const doc = JSON.parse(pulled.get("openapi.json") ?? "") as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(doc["paths"] ?? {})).toEqual([
      "/agents/{agent_id}/stop",
      "/agents/{agent_id}",
    ]);
    expect(Object.keys(doc["components"]?.["securitySchemes"] ?? {})).toEqual([
      "OAuth2PasswordBearer",
    ]);

    // The same document, YAML, every object's keys in reverse order: same bytes.
    const again = await p.run(["--pull", `${server.base}/openapi.yaml`]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "(info.version 9.9.9, unchanged): 0 breaking, 0 other, 0 documentation (semver none)\n",
    );
    expect(again.stdout).toContain(
      "unchanged: generated/api-version.ts, generated/notte-api.ts, generated/answer-shapes.ts, openapi.json\n",
    );
    expect(await p.snapshot()).toEqual(pulled);

    // A breaking change: exit 3, files written for inspection.
    const breaking = await p.run([
      "--pull",
      join(fixtures, "notte-mini-breaking.json"),
    ]);
    expectOneLineFailure(
      breaking,
      3,
      "2 breaking changes for callers (listed above); the files are written for inspection (git diff); pass --allow-breaking to accept",
    );
    expect(breaking.stdout).toContain(
      "Breaking changes:\n" +
        '  - AgentStatus: value "closed" removed [agent_status, agent_stop]\n' +
        "  - AgentStatusResponse.answer: removed (it was optional) [agent_status, agent_stop]\n" +
        "Documentation changes:\n" +
        '  - info: version changed from "9.9.9" to "9.9.10" [document]\n',
    );
    const after = await p.snapshot();
    expect(after.get("generated/api-version.ts")).toContain('"9.9.10"');
    expect(after.get("generated/notte-api.ts")).not.toContain('"closed"');
    expect((await p.run(["--check"])).code).toBe(0);
  }, 120_000);

  test("--operations overrides the configured list for one run", async () => {
    const p = await project();
    const result = await p.run([
      "--pull",
      join(fixtures, "notte-mini.json"),
      "--operations",
      "agent_stop,session_list",
      "--allow-breaking",
    ]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(
      await readFile(join(p.dir, "openapi.json"), "utf8"),
    ) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc["paths"] ?? {})).toEqual([
      "/agents/{agent_id}/stop",
      "/sessions",
    ]);
    expect(
      Object.keys(doc["components"]?.["securitySchemes"] ?? {}).sort(),
    ).toEqual(["ApiKeyHeader", "OAuth2PasswordBearer"]);
    // package.json is not touched.
    expect(await readFile(join(p.dir, "package.json"), "utf8")).toBe(
      await readFile(join(repoRoot, "package.json"), "utf8"),
    );
  });
});
