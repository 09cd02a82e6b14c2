/**
 * When Notte's document changes what an agent status requires, the package
 * follows (issue 16): pulling the 2026-01-10 document (which also requires
 * `replay_start_offset` and `replay_stop_offset`) into a copy of the project
 * rewrites the generated answer shapes, the whole project still type-checks
 * (as `npm test` does first), the client checks the new fields, and the test
 * server's agents carry them.
 */
import { execFile } from "node:child_process";
import { cp, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fixtures, makeProject, repoRoot, type Project } from "./project.js";

const run = promisify(execFile);
let project: Project;

beforeAll(async () => {
  project = await makeProject();
  const { dir } = project;
  // Everything `npm run typecheck` reads: the runtime, the pipeline and the tests.
  for (const name of [
    "src",
    "scripts",
    "test",
    "tsconfig.json",
    "vitest.config.ts",
  ]) {
    await cp(join(repoRoot, name), join(dir, name), { recursive: true });
  }
  await symlink(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const upstream = gunzipSync(
    await readFile(join(fixtures, "notte-2026-01-10.json.gz")),
  );
  await writeFile(join(dir, "upstream.json"), upstream);
});
afterAll(async () => {
  await project?.remove();
});

describe("a document that requires more of an agent status", () => {
  test("pulled: the answer shapes follow, the package compiles, the client checks the new fields and the test server answers them", async () => {
    const { dir } = project;
    const pulled = await project.run([
      "--pull",
      "upstream.json",
      "--allow-breaking",
    ]);
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    const shapes = await readFile(
      join(dir, "generated", "answer-shapes.ts"),
      "utf8",
    );
    expect(shapes).toContain('replay_start_offset: { types: ["integer"] }');

    // No hand-kept list to update: the project (runtime, test server, pipeline, tests) type-checks as it is.
    // `npm run typecheck`: the project's own tsc.
    const tsc = await run(
      join(repoRoot, "node_modules/.bin/tsc"),
      ["-p", "tsconfig.json"],
      { cwd: dir },
    ).then(
      () => ({ code: 0, output: "" }),
      (failed: { code: number; stdout: string; stderr: string }) => ({
        code: failed.code,
        output: `${failed.stdout}${failed.stderr}`,
      }),
    );
    expect(tsc).toEqual({ code: 0, output: "" });

    const script = `
      import { NotteClient, NotteApiError } from "./src/index.ts";
      import { startNotteTestServer } from "./src/testing/index.ts";
      const server = await startNotteTestServer();
      server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
      const notte = new NotteClient({ apiKey: server.apiKey, baseUrl: server.url });
      const stopped = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
      server.failNext({ status: 200, body: { agent_id: "a2", session_id: "s1", task: "t", status: "closed", created_at: "2026-01-10T00:00:00Z" } });
      const old = await notte.agents.status({ agentId: "a2" }).catch((error) => error);
      await server.close();
      console.log(JSON.stringify({
        offsets: [stopped.replay_start_offset, stopped.replay_stop_offset],
        old: old instanceof NotteApiError ? old.message : String(old),
      }));
    `;
    await writeFile(join(dir, "check.mts"), script);
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "check.mts"],
      { cwd: dir },
    );
    expect(JSON.parse(stdout)).toEqual({
      offsets: [0, 0],
      old: "200 answer is not an agent status: field replay_start_offset is missing",
    });
  }, 120_000);
});
