/**
 * The I/O-light stages, in process: parse, validate, load (against a real
 * HTTP server on 127.0.0.1), align, emit, write.
 */
import { createServer, type Server } from "node:http";
import {
  mkdtemp,
  readFile,
  readdir,
  rm,
  writeFile,
  mkdir,
} from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alignWithPrevious } from "../../scripts/align.js";
import { diffDocuments } from "../../scripts/diff.js";
import {
  PipelineError,
  SHAPES_FILE,
  TYPES_FILE,
  VERSION_FILE,
  jsonText,
  type OpenApiDocument,
} from "../../scripts/document.js";
import { Formatter, emitGenerated } from "../../scripts/emit.js";
import {
  loadSource,
  parseDocument,
  type LoadOptions,
} from "../../scripts/source.js";
import { unusableRefs } from "../../scripts/prune.js";
import { findStaleFiles, withLock, writeFiles } from "../../scripts/write.js";

const fixtures = fileURLToPath(new URL("fixtures/", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const miniJson = await readFile(join(fixtures, "notte-mini.json"), "utf8");

describe("parseDocument", () => {
  test("reads JSON and YAML to the same document", async () => {
    const yaml = await readFile(
      join(fixtures, "notte-mini.shuffled.yaml"),
      "utf8",
    );
    expect(parseDocument(yaml, "a.yaml")).toEqual(
      parseDocument(miniJson, "a.json"),
    );
  });

  test("keeps integers beyond 2^53 as written, in JSON and in YAML", () => {
    // Before: JSON.parse rounded Discord's 9223372036854775807 to
    // 9223372036854776000 in the written openapi.json.
    const nonce = {
      type: "integer",
      minimum: -9223372036854775808n,
      maximum: 9223372036854775807n,
      multipleOf: 18014398509481983n,
      default: 9007199254740991,
      description: "digits in a string stay a string: 12345678901234567890",
    };
    const json = `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "x-nonce": {"type": "integer", "minimum": -9223372036854775808, "maximum": 9223372036854775807, "multipleOf": 18014398509481983, "default": 9007199254740991, "description": "digits in a string stay a string: 12345678901234567890"}}`;
    const yaml = `openapi: 3.1.0\ninfo: {title: t, version: "1"}\nx-nonce:\n  type: integer\n  minimum: -9223372036854775808\n  maximum: 9223372036854775807\n  multipleOf: 18014398509481983\n  default: 9007199254740991\n  description: "digits in a string stay a string: 12345678901234567890"\n`;
    for (const text of [json, yaml]) {
      const doc = parseDocument(text, "big");
      expect(doc["x-nonce"]).toEqual(nonce);
      expect(jsonText(doc["x-nonce"])).toBe(
        '{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807,"multipleOf":18014398509481983,"default":9007199254740991,"description":"digits in a string stay a string: 12345678901234567890"}',
      );
    }
  });

  test("accepts a byte order mark", () => {
    expect(parseDocument(`\uFEFF${miniJson}`, "bom.json")["openapi"]).toBe(
      "3.1.0",
    );
  });

  test.each([
    ["", "x is empty"],
    [
      "<!DOCTYPE html><html><body>502</body></html>",
      'x is an HTML page, not an OpenAPI document (starts with "<!DOCTYPE html><html><body>502")',
    ],
    [
      "Not Found",
      'x is not an OpenAPI document (it holds text "Not Found", not an object)',
    ],
    [
      "[1, 2]",
      "x is not an OpenAPI document (it holds an array, not an object)",
    ],
    [
      '{"swagger": "2.0", "info": {}}',
      "x is Swagger 2.0, not OpenAPI 3.x: convert it to OpenAPI 3 first",
    ],
    [
      "swagger: '2.0'\n",
      "x is Swagger 2.0, not OpenAPI 3.x: convert it to OpenAPI 3 first",
    ],
    [
      '{"name": "pkg"}',
      'x is not an OpenAPI document (no "openapi" field; top-level keys: name)',
    ],
    [
      '{"openapi": "3.2.0"}',
      'x has unsupported OpenAPI version "3.2.0" (supported: 3.0.x and 3.1.x)',
    ],
    [
      "openapi: 3.0\n",
      "x has unsupported OpenAPI version 3 (supported: 3.0.x and 3.1.x)",
    ],
    [
      '{\n  "openapi": "3.1.0",\n  "info": }',
      /^invalid JSON in x: Unexpected token '\}', .* is not valid JSON \(line 3, column 11\)$/,
    ],
    ['{"openapi": "3.1.0",', /^invalid JSON in x: .* \(line 1, column 21\)$/],
    [
      "openapi: 3.1.0\ninfo: [\n",
      /^invalid YAML in x: .* at line 3, column 1$/,
    ],
    [
      "a: 1\na: 2\n",
      "invalid YAML in x: Map keys must be unique at line 2, column 1",
    ],
  ])("rejects %j", (text, message) => {
    expect(() => parseDocument(text, "x")).toThrow(PipelineError);
    expect(() => parseDocument(text, "x")).toThrow(message);
  });
});

describe("unusableRefs and what parseDocument requires", () => {
  test("a valid document has none", () => {
    expect(unusableRefs(parseDocument(miniJson, "mini"), "mini")).toEqual([]);
  });

  test("names each $ref that resolves nowhere or into another file, and where it is", () => {
    const doc = parseDocument(
      miniJson
        .replace(
          '"#/components/schemas/AgentStatus"',
          '"#/components/schemas/Missing"',
        )
        .replace(
          '"#/components/schemas/ValidationError"',
          '"./other.yaml#/ValidationError"',
        ),
      "mini",
    );
    expect(unusableRefs(doc, "mini")).toEqual([
      '$ref "#/components/schemas/Missing" at #/components/schemas/AgentStatusResponse/properties/status resolves nowhere',
      'external $ref "./other.yaml#/ValidationError" at #/components/schemas/HTTPValidationError/properties/detail/items is not supported: only references inside the document (#/...) are; bundle the document first',
    ]);
  });

  test('refuses a document nested past any real one, naming where (it overflowed the stack: "unexpected error: Maximum call stack size exceeded")', () => {
    const doc = parseDocument(miniJson, "mini") as any;
    let deep: unknown = { type: "string" };
    for (let i = 0; i < 20_000; i++) deep = { type: "array", items: deep };
    doc.components.schemas.Deep = deep;
    expect(() => unusableRefs(doc, "mini")).toThrow(
      new PipelineError(
        "mini nests more than 1000 levels deep (at #/components/schemas/Deep/items/items/items/…)",
      ),
    );
    // 500 levels (20 times Stripe's) still pass.
    let fine: unknown = { type: "string" };
    for (let i = 0; i < 250; i++) fine = { type: "array", items: fine };
    doc.components.schemas.Deep = fine;
    expect(unusableRefs(doc, "mini")).toEqual([]);
  });

  test("requires info.title and info.version", () => {
    expect(() =>
      parseDocument(
        '{"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}}',
        "bad",
      ),
    ).toThrow(
      "bad is not a valid OpenAPI document: info.version must be a string",
    );
  });
});

describe("loadSource", () => {
  let server: Server;
  let base: string;
  const hanging = new Set<import("node:http").ServerResponse>();
  const options = (overrides: Partial<LoadOptions> = {}): LoadOptions => ({
    timeoutMs: 5_000,
    maxBytes: 1024 * 1024,
    cwd: fixtures,
    ...overrides,
  });

  beforeAll(async () => {
    server = createServer((request, response) => {
      switch (request.url?.split("?")[0]) {
        case "/ok.json":
          response.setHeader("content-type", "application/json");
          response.end(miniJson);
          return;
        case "/missing":
          response.statusCode = 404;
          response.end("Not Found");
          return;
        case "/broken":
          response.statusCode = 500;
          response.end("oops");
          return;
        case "/hang":
          hanging.add(response);
          return;
        case "/stall-body":
          response.setHeader("content-type", "application/json");
          response.write('{"openapi": ');
          hanging.add(response);
          return;
        case "/big-declared":
          response.setHeader("content-length", String(10 * 1024 * 1024));
          response.write("{");
          hanging.add(response);
          return;
        case "/private.json":
          // Basic auth, as a URL with credentials asks for.
          if (
            request.headers.authorization !==
            `Basic ${Buffer.from("reader:s3cr%t pass").toString("base64")}`
          ) {
            response.statusCode = 401;
            response.end();
            return;
          }
          response.end(miniJson);
          return;
        case "/big-streamed":
          // No Content-Length: only counting the bytes can stop it.
          for (let i = 0; i < 64; i++) response.write("x".repeat(1024));
          response.end();
          return;
        default:
          response.statusCode = 404;
          response.end();
      }
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("loads a URL", async () => {
    const loaded = await loadSource(`${base}/ok.json`, options());
    expect(loaded).toEqual({ text: miniJson, origin: `${base}/ok.json` });
  });

  test("credentials in a URL are sent as Authorization, and never shown", async () => {
    // Before: fetch refused the URL, and the message printed it whole,
    // password included.
    const secret = "s3cr%25t%20pass";
    const url = `${base.replace("//", `//reader:${secret}@`)}/private.json`;
    const loaded = await loadSource(url, options());
    expect(loaded).toEqual({ text: miniJson, origin: `${base}/private.json` });
    const failure = loadSource(url.replace("private", "missing"), options());
    await expect(failure).rejects.toThrow(
      `HTTP 404 Not Found from ${base}/missing.json`,
    );
    await expect(failure).rejects.not.toThrow(/s3cr|reader/);
    const wrong = url.replace(secret, "guess");
    await expect(loadSource(wrong, options())).rejects.toThrow(
      `HTTP 401 Unauthorized from ${base}/private.json`,
    );
  });

  test("a token in the query is never shown; credentials that are not valid percent-encoding are named, not shown", async () => {
    // Before: the query was printed in errors and in the report (the pull
    // request's body), and "%zz" in a password gave "unexpected error: URI
    // malformed".
    const loaded = await loadSource(`${base}/ok.json?token=SECRET`, options());
    expect(loaded.origin).toBe(`${base}/ok.json?…`);
    await expect(
      loadSource(`${base}/missing?token=SECRET`, options()),
    ).rejects.toThrow(`HTTP 404 Not Found from ${base}/missing?… `.trim());
    const malformed = `${base.replace("//", "//reader:50%zz@")}/private.json`;
    const failure = loadSource(malformed, options());
    await expect(failure).rejects.toThrow(PipelineError);
    await expect(failure).rejects.toThrow(
      `the credentials in the source URL ${base}/private.json are not valid percent-encoding (write % as %25)`,
    );
    await expect(
      loadSource("ftp://reader:pw@example.test/a.json?token=SECRET", options()),
    ).rejects.toThrow(
      "unsupported source ftp://example.test/a.json?…: use an http(s) URL or a file path",
    );
  });

  test("loads a file relative to cwd, or by file: URL", async () => {
    expect((await loadSource("notte-mini.json", options())).text).toBe(
      miniJson,
    );
    const url = new URL("fixtures/notte-mini.json", import.meta.url).href;
    expect((await loadSource(url, options())).text).toBe(miniJson);
  });

  test.each([
    ["/missing", "HTTP 404 Not Found from {base}/missing"],
    ["/broken", "HTTP 500 Internal Server Error from {base}/broken"],
    ["/hang", "timed out after 300 ms loading {base}/hang (--timeout)"],
    [
      "/stall-body",
      "timed out after 300 ms loading {base}/stall-body (--timeout)",
    ],
  ])("fails on %s", async (path, message) => {
    await expect(
      loadSource(`${base}${path}`, options({ timeoutMs: 300 })),
    ).rejects.toThrow(new PipelineError(message.replace("{base}", base)));
  });

  test("refuses a body over the size limit, by Content-Length or by counting", async () => {
    await expect(loadSource(`${base}/big-declared`, options())).rejects.toThrow(
      `${base}/big-declared is 10485760 bytes (10 MB), over the 1048576 bytes (1 MB) limit (--max-bytes)`,
    );
    await expect(
      loadSource(`${base}/big-streamed`, options({ maxBytes: 10_000 })),
    ).rejects.toThrow(
      `${base}/big-streamed is larger than 10000 bytes (the --max-bytes limit); stopped reading`,
    );
  });

  test("refuses a file over the size limit, and a missing file", async () => {
    await expect(
      loadSource("notte-mini.json", options({ maxBytes: 100 })),
    ).rejects.toThrow(
      /^notte-mini\.json is \d+ bytes, over the 100 bytes limit \(--max-bytes\)$/,
    );
    await expect(loadSource("nope.json", options())).rejects.toThrow(
      "nope.json not found",
    );
  });

  test("fails clearly on a closed port and an unsupported scheme", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, "127.0.0.1", resolve),
    );
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      loadSource(`http://127.0.0.1:${port}/openapi.json`, options()),
    ).rejects.toThrow(
      `cannot reach http://127.0.0.1:${port}/openapi.json: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    await expect(
      loadSource("ftp://example.test/openapi.json", options()),
    ).rejects.toThrow(
      "unsupported source ftp://example.test/openapi.json: use an http(s) URL or a file path",
    );
  });
});

describe("alignWithPrevious", () => {
  test("orders keys like the previous document, new keys last, values from the new one", () => {
    const previous = {
      b: 1,
      a: { y: 1, x: 2 },
      gone: true,
      list: [{ q: 1, p: 2 }],
    };
    const next = {
      a: { x: 3, y: 4, z: 5 },
      new: 1,
      b: 2,
      list: [
        { p: 1, q: 2 },
        { s: 1, r: 2 },
      ],
    };
    const aligned = alignWithPrevious(previous, next);
    expect(JSON.stringify(aligned)).toBe(
      '{"b":2,"a":{"y":4,"x":3,"z":5},"list":[{"q":2,"p":1},{"s":1,"r":2}],"new":1}',
    );
    expect(aligned).toEqual(next);
  });

  test("keeps the committed order of required, enum, type, oneOf and anyOf when they hold the same items", () => {
    const previous = {
      required: ["b", "a"],
      enum: ["x", "y"],
      oneOf: [{ $ref: "#/B" }, { type: "string", title: "t" }],
      example: { enum: ["q", "p"] },
    };
    const next = {
      required: ["a", "b"],
      enum: ["y", "x"],
      oneOf: [{ title: "t", type: "string" }, { $ref: "#/B" }],
      example: { enum: ["p", "q"] },
    };
    // An example's array is data: its order is the new one.
    expect(JSON.stringify(alignWithPrevious(previous, next))).toBe(
      '{"required":["b","a"],"enum":["x","y"],"oneOf":[{"$ref":"#/B"},{"type":"string","title":"t"}],"example":{"enum":["p","q"]}}',
    );
    // A set that changed keeps in place what it kept; a new item goes
    // where a lost one was (a git diff of what changed, not of moves).
    const changed = { ...next, required: ["a", "c"] };
    expect(alignWithPrevious(previous, changed)["required"]).toEqual([
      "c",
      "a",
    ]);
  });

  test("sets inside sets, security alternatives, parameters, allOf and repeats: the committed form, and no change", () => {
    // Before: a oneOf whose members' own `required` were reordered was a
    // change (OpenAI's document pulled onto itself, every set reordered: 4
    // breaking changes, exit 3); so were security alternatives reordered.
    const member = (required: string[]) => ({
      type: "object",
      required,
      properties: { a: { type: "string" }, b: { type: "string" } },
    });
    const doc = (reorder: boolean) => ({
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      security: reorder
        ? [{ key: [] }, { oauth: [] }]
        : [{ oauth: [] }, { key: [] }],
      paths: {
        "/x": {
          post: {
            operationId: "x",
            parameters: [
              { name: "p", in: "query", schema: { type: "string" } },
              { name: "q", in: "query", schema: { type: "string" } },
            ][reorder ? "reverse" : "slice"](),
            requestBody: {
              content: {
                "application/json": {
                  schema: {
                    oneOf: reorder
                      ? [member(["b"]), member(["b", "a", "a"])]
                      : [member(["a", "b"]), member(["b"])],
                    allOf: [
                      { title: reorder ? "2" : "1" },
                      { title: reorder ? "1" : "2" },
                    ],
                  },
                },
              },
            },
            responses: { "204": { description: "none" } },
          },
        },
      },
    });
    const aligned = alignWithPrevious(doc(false), doc(true));
    expect(JSON.stringify(aligned)).toBe(JSON.stringify(doc(false)));
    expect(diffDocuments(doc(false), doc(true)).changes).toEqual([]);
  });

  test("a top-level servers: [] or security: [] stays as committed when upstream has none, and the reverse", () => {
    const empty = { openapi: "3.1.0", servers: [], security: [], paths: {} };
    const none = { openapi: "3.1.0", paths: {} };
    expect(JSON.stringify(alignWithPrevious(empty, none))).toBe(
      JSON.stringify(empty),
    );
    expect(JSON.stringify(alignWithPrevious(none, empty))).toBe(
      JSON.stringify(none),
    );
  });

  test("keeps a key named __proto__ as data", () => {
    const next = JSON.parse('{"__proto__": {"type": "string"}}') as Record<
      string,
      unknown
    >;
    const aligned = alignWithPrevious({ a: 1 }, next);
    expect(Object.keys(aligned)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(aligned)).toBe(Object.prototype);
  });
});

describe("emitGenerated", () => {
  const doc = parseDocument(miniJson, "mini");
  const copy = (): OpenApiDocument => structuredClone(doc);
  /** The files, formatted by a prettier child with the repository's configuration. */
  const emit = async (source: OpenApiDocument) => {
    const formatter = new Formatter(repoRoot);
    try {
      return await formatter.format(await emitGenerated(source));
    } finally {
      formatter.stop();
    }
  };

  test("leaves the document as it was, though openapi-typescript changes discriminated schemas", async () => {
    // Before: the document was changed in place (a pull now compares it
    // while prettier formats).
    const discriminated = copy() as any;
    Object.assign(discriminated.components.schemas, {
      Pet: {
        oneOf: [{ $ref: "#/components/schemas/Cat" }],
        discriminator: {
          propertyName: "kind",
          mapping: { cat: "#/components/schemas/Cat" },
        },
      },
      Cat: { type: "object", properties: { name: { type: "string" } } },
    });
    discriminated.components.schemas.AgentStatusResponse.properties.pet = {
      $ref: "#/components/schemas/Pet",
    };
    const before = structuredClone(discriminated);
    await emitGenerated(discriminated);
    expect(discriminated).toEqual(before);
  });

  test("writes the types, the version constant and the answer shapes, with a stable header", async () => {
    const files = await emit(copy());
    expect([...files.keys()]).toEqual([VERSION_FILE, TYPES_FILE, SHAPES_FILE]);
    const header = [
      "/**",
      " * Generated by `npm run generate` from openapi.json: Notte API (test fixture), version 9.9.9.",
      " * Do not edit by hand; change openapi.json (or pull a new one) and run `npm run generate`.",
      " */",
      "",
    ].join("\n");
    expect(files.get(VERSION_FILE)).toBe(
      `${header}\n/** The \`info.version\` of the Notte API (test fixture) document these types were generated from. */\nexport const NOTTE_API_VERSION = "9.9.9";\n`,
    );
    const types = files.get(TYPES_FILE) ?? "";
    expect(types.startsWith(header)).toBe(true);
    for (const name of ["paths", "components", "operations"]) {
      expect(types).toMatch(
        new RegExp(`^export (interface|type) ${name}\\b`, "m"),
      );
    }
    // A `default` does not make a response property required.
    expect(types).toContain("saved?: boolean;");
  });

  test("writes integers beyond 2^53 into the types as they came", async () => {
    const doc = copy() as any;
    doc.components.schemas.AgentStatusResponse.properties.nonce = {
      type: "integer",
      enum: [1, 9223372036854775807n],
      default: -9223372036854775808n,
    };
    const types = (await emit(doc)).get(TYPES_FILE);
    expect(types).toContain("nonce?: 1 | 9223372036854775807;");
    expect(types).toContain("@default -9223372036854775808");
  });

  test("is deterministic, whatever the key order of the source", async () => {
    const yaml = await readFile(
      join(fixtures, "notte-mini.shuffled.yaml"),
      "utf8",
    );
    const first = await emit(copy());
    const again = await emit(copy());
    const shuffled = await emit(parseDocument(yaml, "shuffled"));
    expect(again).toEqual(first);
    expect(shuffled).toEqual(first);
  });

  test("an operationId used twice is refused (by redocly, inside openapi-typescript)", async () => {
    const doc = copy() as any;
    doc.paths["/agents/start"].post.operationId = "agent_stop";
    const failure = emitGenerated(doc);
    await expect(failure).rejects.toThrow(PipelineError);
    await expect(failure).rejects.toThrow(
      /^openapi-typescript failed on openapi\.json: .*operationId/,
    );
  });

  test("escapes a comment terminator in the title", async () => {
    const files = await emit({
      ...copy(),
      info: { title: "Evil */ API", version: '1"2' },
    } as OpenApiDocument);
    expect(files.get(VERSION_FILE)).toContain("Evil *\\/ API");
    expect(files.get(VERSION_FILE)).toContain(
      "export const NOTTE_API_VERSION = '1\"2';",
    );
  });
});

describe("Formatter (prettier in a child process)", () => {
  test("formats each file with the options prettier's CLI would use for it", async () => {
    const formatted = await new Formatter(repoRoot).format(
      new Map([
        ["a.ts", "export const a = {b:1}"],
        ["b.json", '{"a":[1,2]}'],
      ]),
    );
    expect([...formatted]).toEqual([
      ["a.ts", "export const a = { b: 1 };\n"],
      ["b.json", '{ "a": [1, 2] }\n'],
    ]);
  });

  test("text of any size and script comes back whole (a character split between two chunks)", async () => {
    const euros = "€".repeat(100_000); // 3 bytes each: chunk boundaries fall inside one
    const source = `// ${euros}\nexport const a = 1;\n`;
    const formatted = await new Formatter(repoRoot).format(
      new Map([["a.ts", source]]),
    );
    expect(formatted.get("a.ts")).toBe(source);
  });

  test("a source prettier cannot parse is a one-line PipelineError saying why and where", async () => {
    // Before: only the first line of the child's stderr, a stack location
    // ("prettier failed: file:///…/prettier/index.mjs:16902").
    const failure = new Formatter(repoRoot).format(
      new Map([["generated/a.ts", "export const = ;"]]),
    );
    await expect(failure).rejects.toThrow(PipelineError);
    await expect(failure).rejects.toThrow(
      /^prettier failed on generated\/a\.ts: .*expected.* \(1:14\)$/,
    );
  });

  test("a broken prettier configuration is named with its reason; a child that dies silently says so", async () => {
    // Before: "JSON Error in …/.prettierrc.json:" (the reason was on the
    // next line, dropped), and "prettier exited with code 7: undefined".
    const dir = await mkdtemp(join(tmpdir(), "notte-prettierrc-"));
    try {
      const source = new Map([["generated/a.ts", "export const a = 1"]]);
      await writeFile(join(dir, ".prettierrc.json"), '{"semi": fals}');
      await expect(new Formatter(dir).format(source)).rejects.toThrow(
        /^prettier failed on generated\/a\.ts: JSON Error in ".*\.prettierrc\.json": .*is not valid JSON$/,
      );
      await rm(join(dir, ".prettierrc.json"));
      await writeFile(join(dir, ".prettierrc.mjs"), "process.exit(7);\n");
      await expect(new Formatter(dir).format(source)).rejects.toThrow(
        "prettier exited with code 7 and printed nothing",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("writeFiles and findStaleFiles", () => {
  test("a run that finds another live run holding the lock does nothing; a stale lock is taken over", async () => {
    // Before: no lock, so two runs at once could leave openapi.json from one
    // and generated/ from the other.
    const root = await mkdtemp(join(tmpdir(), "notte-lock-"));
    try {
      const files = new Map([
        ["openapi.json", "{}\n"],
        ["generated/a.ts", "a"],
      ]);
      const write = () => writeFiles(root, files, "generated");
      await writeFile(join(root, ".generate.lock"), `${process.pid}\n`);
      let ran = false;
      const work = async () => ((ran = true), write());
      await expect(withLock(root, "generated", work)).rejects.toThrow(
        `another generate run (pid ${process.pid}) is writing`,
      );
      expect(ran).toBe(false);
      expect((await readdir(root)).sort()).toEqual([".generate.lock"]);
      // A pid no process has (above the kernel's pid_max).
      await writeFile(join(root, ".generate.lock"), "99999999\n");
      expect((await withLock(root, "generated", write)).written).toEqual([
        "generated/a.ts",
        "openapi.json",
      ]);
      expect((await readdir(root)).sort()).toEqual([
        "generated",
        "openapi.json",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("the temporary files of a run killed between its renames are removed by the next, a live run's kept", async () => {
    // Before: .openapi.json.<pid>.<hex>.tmp stayed in the project for good.
    const root = await mkdtemp(join(tmpdir(), "notte-leftovers-"));
    try {
      await mkdir(join(root, "generated"));
      const dead = [
        ".openapi.json.99999999.0a1b2c3d.tmp",
        "generated/.a.ts.99999999.00ff00ff.tmp",
      ];
      const live = `.openapi.json.${process.pid}.12345678.tmp`;
      for (const name of [...dead, live, "notes.tmp"])
        await writeFile(join(root, name), "partial");
      await withLock(root, "generated", async () => undefined);
      expect((await readdir(root)).sort()).toEqual([
        live,
        "generated",
        "notes.tmp",
      ]);
      expect(await readdir(join(root, "generated"))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("write atomically, skip unchanged files, remove extra ones; check compares", async () => {
    const root = await mkdtemp(join(tmpdir(), "notte-write-"));
    try {
      await mkdir(join(root, "generated"));
      await writeFile(join(root, "generated", "old.ts"), "stale");
      await writeFile(join(root, "generated", "same.ts"), "same");
      const files = new Map([
        ["openapi.json", "{}\n"],
        ["generated/same.ts", "same"],
        ["generated/new.ts", "new"],
      ]);
      expect(await findStaleFiles(root, files, "generated")).toEqual([
        { path: "openapi.json", reason: "missing" },
        { path: "generated/new.ts", reason: "missing" },
        { path: "generated/old.ts", reason: "extra" },
      ]);
      expect(await writeFiles(root, files, "generated")).toEqual({
        // The outputs first, the document they come from last.
        written: ["generated/new.ts", "openapi.json"],
        unchanged: ["generated/same.ts"],
        removed: ["generated/old.ts"],
      });
      expect((await readdir(join(root, "generated"))).sort()).toEqual([
        "new.ts",
        "same.ts",
      ]);
      expect((await readdir(root)).sort()).toEqual([
        "generated",
        "openapi.json",
      ]);
      expect(await findStaleFiles(root, files, "generated")).toEqual([]);
      await writeFile(join(root, "generated", "new.ts"), "edited by hand");
      expect(await findStaleFiles(root, files, "generated")).toEqual([
        { path: "generated/new.ts", reason: "differs" },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
