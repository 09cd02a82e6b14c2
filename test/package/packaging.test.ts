/**
 * The package as users get it: the packed tarball, checked by publint and
 * arethetypeswrong, installed into throwaway consumer projects (ESM, CommonJS,
 * TypeScript under node16, nodenext and bundler resolution) that then run.
 * dist/ is built by test/global-setup.ts before this runs.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotteTestServer } from "../../src/testing/index.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);

let work: string;
let tarball: string;
let consumer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "notte-pack-"));
  // dist/ is fresh from the global setup, so packing needs no second build.
  const { stdout } = await run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", work],
    {
      cwd: root,
    },
  );
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  tarball = join(work, packed!.filename);

  consumer = join(work, "consumer");
  await writeFiles(consumer, CONSUMER_FILES);
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--ignore-scripts",
      tarball,
    ],
    {
      cwd: consumer,
    },
  );
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds only what runs, and no source, tests or scripts", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n");
    expect(files).toContain("package/package.json");
    expect(files).toContain("package/dist/esm/src/index.js");
    expect(files).toContain("package/dist/cjs/src/index.js");
    expect(files).toContain("package/dist/esm/src/cli.js");
    const outside = files.filter(
      (file) =>
        !/^package\/(dist\/(esm|cjs)\/|package\.json$|README\.md$|LICENSE)/.test(
          file,
        ),
    );
    expect(outside).toEqual([]);
    expect(
      files.some((file) => file.startsWith("package/dist/cjs/src/cli.")),
    ).toBe(false);
  });

  it("passes publint in strict mode", async () => {
    const { stdout } = await run(bin("publint"), ["run", tarball, "--strict"]);
    expect(stdout).toContain("All good!");
  }, 60_000);

  it("passes arethetypeswrong for node16 (CJS and ESM) and bundler", async () => {
    // The node10 profile is left out: it has no `exports`, so no subpath resolves there.
    const { stdout } = await run(bin("attw"), [
      tarball,
      "--profile",
      "node16",
      "--format",
      "json",
    ]);
    const report = JSON.parse(stdout) as {
      problems: Record<string, { resolutionKind?: string }[]>;
    };
    const counted = Object.values(report.problems)
      .flat()
      .filter((problem) => problem.resolutionKind !== "node10");
    expect(counted).toEqual([]);
  }, 60_000);

  it("depends on openapi-fetch alone at run time", async () => {
    const manifest = JSON.parse(
      await readFile(
        join(consumer, "node_modules/notte-api-client/package.json"),
        "utf8",
      ),
    );
    expect(Object.keys(manifest.dependencies)).toEqual(["openapi-fetch"]);
    expect(manifest.sideEffects).toBe(false);
  });
});

describe("consumer projects", () => {
  it("ESM JavaScript: imports the client and the test server, stops an agent", async () => {
    const { stdout } = await run(process.execPath, ["esm/main.mjs"], {
      cwd: consumer,
    });
    expect(JSON.parse(stdout)).toEqual({
      status: "closed",
      version: expect.any(String),
      notFound: true,
    });
  });

  it("CommonJS JavaScript: requires the client and the test server, stops an agent", async () => {
    const { stdout } = await run(process.execPath, ["cjs/main.cjs"], {
      cwd: consumer,
    });
    expect(JSON.parse(stdout)).toEqual({
      status: "closed",
      apiVersion: expect.any(String),
      invalid: true,
    });
  });

  it.each(["node16", "nodenext", "bundler"])(
    "TypeScript (%s): type-checks and emits no runtime import",
    async (mode) => {
      await run(
        process.execPath,
        [
          join(root, "node_modules/@typescript/native/bin/tsc"),
          "-p",
          `ts/tsconfig.${mode}.json`,
        ],
        {
          cwd: consumer,
        },
      );
      const emittedName =
        mode === "node16" ? "types-only.cjs" : "types-only.js";
      const emitted = await readFile(
        join(consumer, "ts", `out-${mode}`, emittedName),
        "utf8",
      );
      expect(emitted).not.toMatch(/notte-api-client|require\(|import /);
    },
    60_000,
  );

  it("the bin runs: notte-agent-stop stops an agent", async () => {
    const server = await startNotteTestServer();
    try {
      server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
      const bin = join(consumer, "node_modules/.bin/notte-agent-stop");
      const { stdout } = await run(
        bin,
        ["a1", "--session-id", "s1", "--json"],
        {
          env: {
            PATH: process.env.PATH,
            NOTTE_API_KEY: server.apiKey,
            NOTTE_API_URL: server.url,
          },
        },
      );
      expect(JSON.parse(stdout)).toMatchObject({
        agent_id: "a1",
        status: "closed",
      });
      expect((await run(bin, ["--version"])).stdout).toMatch(/\d+\.\d+\.\d+/);
    } finally {
      await server.close();
    }
  });
});

describe("entry points", () => {
  it.each(["esm", "cjs"])(
    "the %s main entry never loads the test server or the CLI",
    async (flavour) => {
      const reached = await importGraph(
        join(root, `dist/${flavour}/src/index.js`),
      );
      const code = await Promise.all(
        reached.map((file) => readFile(file, "utf8")),
      );
      expect(
        code.some((text) =>
          /(class NotteClient|NotteClient = class)/.test(text),
        ),
      ).toBe(true);
      expect(code.some((text) => text.includes("startNotteTestServer"))).toBe(
        false,
      );
      expect(code.some((text) => text.includes("notte-agent-stop"))).toBe(
        false,
      );
    },
  );

  it("the types entry loads no code at all", async () => {
    for (const flavour of ["esm", "cjs"]) {
      const reached = await importGraph(
        join(root, `dist/${flavour}/src/types.js`),
      );
      expect(reached).toEqual([join(root, `dist/${flavour}/src/types.js`)]);
    }
  });
});

/** Every file reachable through relative imports or requires from `entry`. */
async function importGraph(entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, "utf8");
    for (const match of source.matchAll(
      /(?:from\s+|import\s*\(|require\()\s*["'](\.[^"']+)["']/g,
    )) {
      pending.push(join(dirname(file), match[1]!));
    }
  }
  return [...seen];
}

async function writeFiles(
  folder: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(folder, name)), { recursive: true });
    await writeFile(join(folder, name), content);
  }
}

const tsconfig = (module: string, moduleResolution: string, mode: string) =>
  JSON.stringify({
    compilerOptions: {
      module,
      moduleResolution,
      target: "ES2022",
      lib: ["ES2022", "DOM"],
      strict: true,
      types: [],
      outDir: `out-${mode}`,
      verbatimModuleSyntax: mode !== "node16",
    },
    files:
      mode === "node16"
        ? ["types-only.cts", "client.cts"]
        : ["types-only.ts", "client.ts"],
  });

const TYPES_ONLY = `import type { AgentStatusResponse, components, operations, paths } from "notte-api-client/types";
type Status = components["schemas"]["AgentStatus"];
type StopQuery = operations["agent_stop"]["parameters"]["query"];
type StopPath = keyof paths;
const closed: Status = "closed";
const status: AgentStatusResponse = { agent_id: "a", session_id: "s", created_at: "", task: "t", status: closed };
const query: StopQuery = { session_id: "s" };
const path: StopPath = "/agents/{agent_id}/stop";
// @ts-expect-error not a status the API knows
const wrong: Status = "paused";
export const shapes = [status, query, path, wrong];
`;

const CLIENT_TYPES = `import type { NotteClient, NotteApiError, StopAgentParams } from "notte-api-client";
export async function stopAll(notte: NotteClient, params: StopAgentParams[]): Promise<string[]> {
  const statuses = await Promise.all(params.map((p) => notte.agents.stop(p, { timeoutMs: 1000 })));
  return statuses.map((s) => s.status);
}
export function statusOf(error: NotteApiError): number {
  return error.status;
}
`;

const CONSUMER_FILES: Record<string, string> = {
  "package.json": JSON.stringify({
    name: "consumer",
    private: true,
    version: "0.0.0",
  }),
  "esm/package.json": JSON.stringify({ type: "module" }),
  "esm/main.mjs": `import { NotteClient, NotteNotFoundError, VERSION } from "notte-api-client";
import { startNotteTestServer } from "notte-api-client/testing";
const server = await startNotteTestServer();
server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
const notte = new NotteClient({ apiKey: server.apiKey, baseUrl: server.url });
const { status } = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
const notFound = await notte.agents.stop({ agentId: "nobody", sessionId: "s1" }).catch((e) => e instanceof NotteNotFoundError);
await server.close();
console.log(JSON.stringify({ status, version: VERSION, notFound }));
`,
  "cjs/package.json": JSON.stringify({ type: "commonjs" }),
  "cjs/main.cjs": `const { NotteClient, NotteInvalidRequestError, NOTTE_API_VERSION } = require("notte-api-client");
const { startNotteTestServer } = require("notte-api-client/testing");
(async () => {
  const server = await startNotteTestServer();
  server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
  const notte = new NotteClient({ apiKey: server.apiKey, baseUrl: server.url });
  const { status } = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
  const invalid = await notte.agents.stop({ agentId: "..", sessionId: "s1" }).catch((e) => e instanceof NotteInvalidRequestError);
  await server.close();
  console.log(JSON.stringify({ status, apiVersion: NOTTE_API_VERSION, invalid }));
})();
`,
  "ts/package.json": JSON.stringify({ type: "module" }),
  "ts/types-only.ts": TYPES_ONLY,
  "ts/client.ts": CLIENT_TYPES,
  "ts/types-only.cts": TYPES_ONLY,
  "ts/client.cts": CLIENT_TYPES,
  "ts/tsconfig.node16.json": tsconfig("node16", "node16", "node16"),
  "ts/tsconfig.nodenext.json": tsconfig("nodenext", "nodenext", "nodenext"),
  "ts/tsconfig.bundler.json": tsconfig("esnext", "bundler", "bundler"),
};
