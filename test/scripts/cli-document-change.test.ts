/**
 * When Notte's document changes what an agent status requires, the package
 * follows (issue 16): pulling the 2026-01-10 document (which also requires
 * `replay_start_offset` and `replay_stop_offset`) into a copy of the project
 * rewrites the generated answer shapes, the package still compiles, the
 * client checks the new fields, and the test server's agents carry them.
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
  await cp(join(repoRoot, "src"), join(dir, "src"), { recursive: true });
  await symlink(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const tsconfig = JSON.parse(
    await readFile(join(repoRoot, "tsconfig.json"), "utf8"),
  ) as Record<string, unknown>;
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({ ...tsconfig, include: ["src", "generated"] }),
  );
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

    // No hand-kept list to update: the whole runtime, the test server included, compiles as it is.
    const tsc = await run(
      process.execPath,
      [
        join(repoRoot, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.json",
      ],
      {
        cwd: dir,
      },
    ).then(
      () => "",
      (failed: { stdout: string }) => failed.stdout,
    );
    expect(tsc).toBe("");

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
