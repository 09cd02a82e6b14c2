/**
 * The package as users get it: the packed tarball, checked by publint and
 * arethetypeswrong, installed into a throwaway consumer project (ESM and
 * CommonJS) that then runs on this Node. dist/ is built by
 * test/global-setup.ts before this runs. Other runtimes and TypeScript
 * versions: test/runtimes/.
 */
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotteTestServer } from "../../src/testing/index.js";
import { installConsumer, root, run } from "./consumer.js";

const bin = (name: string) => join(root, "node_modules", ".bin", name);

let work: string;
let tarball: string;
let consumer: string;

beforeAll(async () => {
  ({
    work,
    tarball,
    dir: consumer,
  } = await installConsumer("notte-pack-", CONSUMER_FILES));
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
    expect(files).toContain("package/dist/esm/src/testing/cli.js");
    const outside = files.filter(
      (file) =>
        !/^package\/(dist\/(esm|cjs)\/|package\.json$|README\.md$|LICENSE)/.test(
          file,
        ),
    );
    expect(outside).toEqual([]);
    for (const command of ["src/cli.", "src/testing/cli."]) {
      expect(
        files.some((file) => file.startsWith(`package/dist/cjs/${command}`)),
      ).toBe(false);
    }
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

  it("says where it comes from and under which licence, with the licence's text", async () => {
    const installed = join(consumer, "node_modules/notte-api-client");
    const manifest = JSON.parse(
      await readFile(join(installed, "package.json"), "utf8"),
    );
    expect(manifest).toMatchObject({
      license: "MIT",
      repository: {
        type: "git",
        url: expect.stringMatching(/^git\+https:\/\//),
      },
      homepage: expect.stringMatching(/^https:\/\//),
      bugs: { url: expect.stringMatching(/^https:\/\//) },
      engines: { node: ">=20.19" },
    });
    expect(manifest.keywords).toContain("notte");
    const licence = await readFile(join(installed, "LICENSE"), "utf8");
    expect(licence).toMatch(/^MIT License\n/);
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

  it("the bin runs: notte-test-server prints its variables, serves, and ends on SIGTERM", async () => {
    const bin = join(consumer, "node_modules/.bin/notte-test-server");
    const child = spawn(bin, [], {
      env: { PATH: process.env.PATH },
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
      });
      const deadline = Date.now() + 10_000;
      while (!stdout.includes("NOTTE_API_KEY=") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const [, url, key] =
        /NOTTE_API_URL=(\S+)\nNOTTE_API_KEY=(\S+)\n/.exec(stdout) ?? [];
      const answer = await fetch(`${url}/agents/agt_demo_1`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(answer.status).toBe(200);
      const exited = new Promise((resolve) =>
        child.once("exit", (code) => resolve(code)),
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("type-only consumers", () => {
  it("import type from notte-api-client/testing and /types needs no @types/node nor DOM (ESM and CommonJS)", () => {
    // `types: []`, no DOM, and no @types/node anywhere above the consumer (it lives in the
    // system's temporary folder): a declaration that reaches for `node:http` fails here.
    const program = ts.createProgram(
      [
        "types/testing.mts",
        "types/testing.cts",
        "types/types.mts",
        "types/types.cts",
      ].map((file) => join(consumer, file)),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        lib: ["lib.es2022.d.ts"],
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (diagnostic) =>
          `${diagnostic.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`,
      );
    expect(problems).toEqual([]);
    // Both flavours' declarations were read, not skipped.
    const read = program.getSourceFiles().map((file) => file.fileName);
    for (const flavour of ["esm", "cjs"]) {
      for (const file of ["testing/server.d.ts", "types.d.ts"]) {
        expect(read).toContain(
          join(
            consumer,
            `node_modules/notte-api-client/dist/${flavour}/src/${file}`,
          ),
        );
      }
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
          /class NotteClient|NotteClient\s*=\s*class/.test(text),
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

  it("notte-test-server, like the test server, loads none of the client", async () => {
    const reached = await importGraph(
      join(root, "dist/esm/src/testing/cli.js"),
    );
    const code = await Promise.all(
      reached.map((file) => readFile(file, "utf8")),
    );
    expect(code.some((text) => text.includes("startNotteTestServer"))).toBe(
      true,
    );
    expect(
      code.some((text) =>
        /class NotteClient|NotteClient\s*=\s*class/.test(text),
      ),
    ).toBe(false);
    expect(code.some((text) => text.includes("openapi-fetch"))).toBe(false);
  });

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
      /(?:from\s*|import\s*\(|require\()\s*["'](\.[^"']+)["']/g,
    )) {
      pending.push(join(dirname(file), match[1]!));
    }
  }
  return [...seen];
}

/** Every public name of the testing entry, used as a type only. */
const TYPES_OF_TESTING = `import type * as testing from "notte-api-client/testing";
import type { NotteTestAgent, NotteTestFault, NotteTestRateLimit, NotteTestRequest, NotteTestServer, NotteTestServerOptions } from "notte-api-client/testing";
export type Start = typeof testing.startNotteTestServer;
export type DefaultLimit = typeof testing.DEFAULT_TEST_RATE_LIMIT;
export type Shapes = [NotteTestAgent, NotteTestFault, NotteTestRateLimit, NotteTestRequest, NotteTestServerOptions];
export const statusOf = (server: NotteTestServer): number | undefined => server.requests[0]?.status;
`;

const TYPES_ONLY = `import type { AgentStatus, AgentStatusResponse, LegacyAgentStatusResponse, components, operations, paths } from "notte-api-client/types";
export type Shapes = [AgentStatus, AgentStatusResponse, LegacyAgentStatusResponse, components, operations, keyof paths];
export const closed: AgentStatus = "closed";
`;

const CONSUMER_FILES: Record<string, string> = {
  "package.json": JSON.stringify({
    name: "consumer",
    private: true,
    version: "0.0.0",
  }),
  "types/testing.mts": TYPES_OF_TESTING,
  "types/testing.cts": TYPES_OF_TESTING,
  "types/types.mts": TYPES_ONLY,
  "types/types.cts": TYPES_ONLY,
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
};
