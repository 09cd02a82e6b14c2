/**
 * Every bad input, through the real shell: exit code, one line on stderr,
 * and openapi.json and generated/ exactly as they were.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  closedPort,
  expectOneLineFailure,
  fixtures,
  makeProject,
  startServer,
  type Project,
} from "./project.js";

let project: Project;
let before: Map<string, string>;
let server: Awaited<ReturnType<typeof startServer>>;
let inputs: string;
let loads = 0;
const miniJson = await readFile(join(fixtures, "notte-mini.json"), "utf8");

beforeAll(async () => {
  project = await makeProject();
  before = await project.snapshot();
  inputs = await mkdtemp(join(tmpdir(), "notte-inputs-"));
  server = await startServer((request, response) => {
    switch (request.url) {
      case "/missing.json":
        response.statusCode = 404;
        response.end('{"detail": "Not Found"}');
        return;
      case "/broken.json":
        response.statusCode = 500;
        response.end("Internal Server Error");
        return;
      case "/page.json":
        // What a captive portal or a misconfigured proxy answers with 200.
        response.setHeader("content-type", "text/html");
        response.end(
          "<!doctype html>\n<html><head><title>Sign in</title></head></html>",
        );
        return;
      case "/counted.json":
        loads += 1;
        response.end(miniJson);
        return;
      case "/hang.json":
        return; // never answers
      case "/large.json":
        response.setHeader(
          "content-length",
          String(Buffer.byteLength(miniJson)),
        );
        response.end(miniJson);
        return;
      default:
        response.statusCode = 404;
        response.end();
    }
  });
});

afterAll(async () => {
  await server.close();
  await project.remove();
  await rm(inputs, { recursive: true, force: true });
});

async function input(name: string, text: string): Promise<string> {
  const path = join(inputs, name);
  await writeFile(path, text);
  return path;
}

async function expectUnchanged(): Promise<void> {
  expect(await project.snapshot()).toEqual(before);
}

describe("a failing pull changes nothing and says why in one line", () => {
  test("unreachable URL (a closed port)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/openapi.json`;
    const result = await project.run(["--pull", url]);
    expectOneLineFailure(
      result,
      1,
      new RegExp(
        `^cannot reach ${url.replace(/\./g, "\\.")}: fetch failed: connect ECONNREFUSED`,
      ),
    );
    await expectUnchanged();
  });

  test("HTTP 404, from the NOTTE_OPENAPI_URL default", async () => {
    const result = await project.run(["--pull"], {
      NOTTE_OPENAPI_URL: `${server.base}/missing.json`,
    });
    expectOneLineFailure(
      result,
      1,
      `HTTP 404 Not Found from ${server.base}/missing.json`,
    );
    await expectUnchanged();
  });

  test("HTTP 500", async () => {
    const result = await project.run([`--pull=${server.base}/broken.json`]);
    expectOneLineFailure(
      result,
      1,
      `HTTP 500 Internal Server Error from ${server.base}/broken.json`,
    );
    await expectUnchanged();
  });

  test("an HTML page with status 200", async () => {
    const result = await project.run(["--pull", `${server.base}/page.json`]);
    expectOneLineFailure(
      result,
      1,
      new RegExp(
        `^${server.base.replace(/\./g, "\\.")}/page\\.json is an HTML page, not an OpenAPI document \\(starts with "<!doctype html>`,
      ),
    );
    await expectUnchanged();
  });

  test("a server that hangs past --timeout", async () => {
    const started = Date.now();
    const result = await project.run([
      "--pull",
      `${server.base}/hang.json`,
      "--timeout",
      "300",
    ]);
    expectOneLineFailure(
      result,
      1,
      `timed out after 300 ms loading ${server.base}/hang.json (--timeout)`,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectUnchanged();
  });

  test("a document over --max-bytes, by URL and by file", async () => {
    const size = Buffer.byteLength(miniJson);
    const byUrl = await project.run([
      "--pull",
      `${server.base}/large.json`,
      "--max-bytes",
      "1kb",
    ]);
    expectOneLineFailure(
      byUrl,
      1,
      `${server.base}/large.json is ${size} bytes, over the 1024 bytes limit (--max-bytes)`,
    );
    const file = join(fixtures, "notte-mini.json");
    const byFile = await project.run(["--pull", file, "--max-bytes", "1000"]);
    expectOneLineFailure(
      byFile,
      1,
      `${file} is ${size} bytes, over the 1000 bytes limit (--max-bytes)`,
    );
    await expectUnchanged();
  });

  test("invalid JSON", async () => {
    const file = await input(
      "invalid.json",
      '{\n  "openapi": "3.1.0",\n  "info": {,\n}',
    );
    const result = await project.run(["--pull", file]);
    expectOneLineFailure(
      result,
      1,
      new RegExp(`^invalid JSON in ${file}: .* \\(line 3, column 12\\)$`),
    );
    await expectUnchanged();
  });

  test("invalid YAML", async () => {
    const file = await input(
      "invalid.yaml",
      "openapi: 3.1.0\ninfo:\n  title: [unclosed\n  version: 1\n",
    );
    const result = await project.run(["--pull", file]);
    expectOneLineFailure(
      result,
      1,
      new RegExp(`^invalid YAML in ${file}: .* at line \\d+, column \\d+$`),
    );
    await expectUnchanged();
  });

  test("Swagger 2.0", async () => {
    const file = await input(
      "swagger.yaml",
      "swagger: '2.0'\ninfo:\n  title: Old\n  version: '1'\npaths: {}\n",
    );
    const result = await project.run(["--pull", file]);
    expectOneLineFailure(
      result,
      1,
      `${file} is Swagger 2.0, not OpenAPI 3.x: convert it to OpenAPI 3 first`,
    );
    await expectUnchanged();
  });

  test("a $ref that resolves nowhere", async () => {
    const file = await input(
      "broken-ref.json",
      miniJson.replace(
        '"#/components/schemas/ValidationError"',
        '"#/components/schemas/Missing"',
      ),
    );
    const result = await project.run(["--pull", file]);
    expectOneLineFailure(
      result,
      1,
      `${file}: $ref "#/components/schemas/Missing" at #/components/schemas/HTTPValidationError/properties/detail/items resolves nowhere`,
    );
    await expectUnchanged();
  });

  test("an unknown operationId", async () => {
    const file = join(fixtures, "notte-mini.json");
    const result = await project.run([
      "--pull",
      file,
      "--operations",
      "agent_stop,agent_stopp,nope",
    ]);
    expectOneLineFailure(
      result,
      1,
      `${file}: unknown operationIds "agent_stopp" (did you mean "agent_stop"?), "nope": not found in the document's 4 operations`,
    );
    await expectUnchanged();
  });

  test("while another live run holds the lock, a pull reads nothing: not the source, not openapi.json", async () => {
    // Before: the lock covered only the writing: two pulls at once both read
    // openapi.json, and the second wrote its files over the first's while
    // reporting "semver none".
    const lock = join(project.dir, ".generate.lock");
    await writeFile(lock, `${process.pid}\n`);
    try {
      const result = await project.run([
        "--pull",
        `${server.base}/counted.json`,
      ]);
      expectOneLineFailure(
        result,
        1,
        `another generate run (pid ${process.pid}) is writing ${project.dir}; nothing written (remove .generate.lock if it is stale)`,
      );
      expect(loads).toBe(0);
      // A dry run writes nothing: it needs no lock.
      const dry = await project.run([
        "--pull",
        `${server.base}/counted.json`,
        "--dry-run",
      ]);
      expect(dry.stderr).not.toContain("another generate run");
      expect(dry.stdout).toContain("dry run: nothing written");
      expect(loads).toBe(1);
    } finally {
      await rm(lock);
    }
    await expectUnchanged();
  });

  test("usage errors exit 2", async () => {
    expectOneLineFailure(
      await project.run(["--bogus"]),
      2,
      "unknown option --bogus (see --help)",
    );
    expectOneLineFailure(
      await project.run(["--pull", "--check"]),
      2,
      "--pull and --check cannot be combined (see --help)",
    );
    expectOneLineFailure(
      await project.run(["--pull", "x.json", "--timeout", "soon"]),
      2,
      '--timeout needs a positive whole number, got "soon" (see --help)',
    );
    await expectUnchanged();
  });
});
