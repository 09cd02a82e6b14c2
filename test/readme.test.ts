/**
 * The README's examples are code: every `ts` block is type-checked and run,
 * and every `console` session of `notte-agent-stop` is run, both against a
 * test server that holds the agents the examples name. Packages are imported
 * by name ("notte-api-client"), which resolves to this package's own built
 * `dist/` through its `exports` (Node and TypeScript both allow a package to
 * import itself by name).
 */
import { execFile } from "node:child_process";
import {
  access,
  mkdir,
  readdir,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../src/testing/index.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
// Inside the package folder, so that "notte-api-client" resolves to this package.
const work = join(root, ".tmp", `readme-${process.pid}`);

const readme = await readFile(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```(\w+)[^\n]*\n([\s\S]*?)^```$/gm)].map(
  (match, index) => ({
    index,
    language: match[1]!,
    code: match[2]!,
  }),
);
const tsBlocks = blocks.filter((block) => block.language === "ts");
const consoleBlocks = blocks.filter((block) => block.language === "console");

let server: NotteTestServer;
let env: NodeJS.ProcessEnv;

/**
 * Puts the agents the examples name on the server, running: each block starts from them, as a
 * reader would (a stopped agent's stop is a 404, so a block run after another would fail).
 */
function holdExampleAgents(): void {
  for (const [agentId, sessionId] of [
    ["agent_123", "session_456"],
    ["agt_123", "ses_456"],
    ["agt_124", "ses_456"],
    ["agt_demo_1", "ses_demo"],
    ["agt_demo_2", "ses_demo"],
    ["agt_demo_3", "ses_demo"],
  ] as const) {
    server.addAgent({ agentId, sessionId, task: "find a cute dog" });
  }
}

beforeAll(async () => {
  server = await startNotteTestServer();
  env = {
    PATH: process.env.PATH,
    NOTTE_API_KEY: server.apiKey,
    NOTTE_API_URL: server.url,
  };
  await mkdir(work, { recursive: true });
  for (const block of tsBlocks)
    await writeFile(join(work, `block-${block.index}.ts`), block.code);
});

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe("README and docs/", () => {
  it("the README is for users: at most 400 lines, its first screen a working stop", () => {
    const lines = readme.split("\n");
    expect(lines.length).toBeLessThanOrEqual(400);
    const firstScreen = lines.slice(0, 40).join("\n");
    expect(firstScreen).toContain("notte-test-server");
    expect(firstScreen).toContain("notte.agents.stop(");
  });

  it("every relative link of the README and docs/ resolves", async () => {
    const pages = [
      "README.md",
      ...(await readdir(join(root, "docs"))).map((name) => `docs/${name}`),
    ];
    const broken: string[] = [];
    for (const page of pages.filter((name) => name.endsWith(".md"))) {
      const text = await readFile(join(root, page), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const exists = await access(join(root, dirname(page), target!)).then(
          () => true,
          () => false,
        );
        if (!exists) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("README", () => {
  it("has TypeScript and command-line examples", () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(6);
    expect(consoleBlocks.length).toBeGreaterThanOrEqual(1);
  });

  it("every ts block type-checks against the built package", () => {
    const program = ts.createProgram(
      tsBlocks.map((block) => join(work, `block-${block.index}.ts`)),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file
        ? `${diagnostic.file.fileName.slice(work.length + 1)}: `
        : "";
      return (
        where + ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
      );
    });
    expect(problems).toEqual([]);
  }, 60_000);

  it.each(tsBlocks.map((block) => [block.index, block] as const))(
    "ts block %i runs against the test server",
    async (index) => {
      holdExampleAgents();
      const { stderr } = await run(
        process.execPath,
        ["--import", "tsx", `block-${index}.ts`],
        {
          cwd: work,
          env,
        },
      );
      expect(stderr).toBe("");
    },
  );

  it.each(consoleBlocks.map((block) => [block.index, block] as const))(
    "console block %i prints what it shows",
    async (_, block) => {
      holdExampleAgents();
      for (const session of commandSessions(block.code)) {
        const { stdout } = await run(
          process.execPath,
          [join(root, "dist/esm/src/cli.js"), ...session.args],
          { cwd: root, env },
        );
        expect(stdout.trimEnd()).toMatch(outputPattern(session.output));
      }
    },
  );
});

/** `$ notte-agent-stop …` lines and the output shown under each; other commands are skipped. */
function commandSessions(code: string): { args: string[]; output: string[] }[] {
  const sessions: { args: string[]; output: string[] }[] = [];
  let current: { args: string[]; output: string[] } | undefined;
  for (const line of code.trimEnd().split("\n")) {
    if (line.startsWith("$ ")) {
      current = undefined;
      const words = line.slice(2).trim().split(/\s+/);
      if (words[0] === "notte-agent-stop") {
        current = { args: words.slice(1), output: [] };
        sessions.push(current);
      }
    } else if (current) {
      current.output.push(line);
    }
  }
  return sessions;
}

/** The shown output as a pattern in which a shown time stands for any time. */
function outputPattern(lines: string[]): RegExp {
  const isoTime =
    /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;
  const escaped = lines.map((line) =>
    line
      .split(isoTime)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("\\S+"),
  );
  return new RegExp(`^${escaped.join("\n")}$`);
}
