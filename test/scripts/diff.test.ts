/**
 * The structural diff and the rules table, in process: one small fixture
 * per rule (the verdicts oasdiff's reference pairs give, and ours where we
 * are stricter for TypeScript), each change found once where it happened,
 * reordering is no change, and no size or depth ends a comparison early.
 */
import { describe, expect, test } from "vitest";
import { diffDocuments } from "../../scripts/diff.js";
import type { JsonObject } from "../../scripts/document.js";
import type { Change } from "../../scripts/rules.js";

/**
 * A small document with one operation, `stop`, shaped like Notte's: path and
 * query parameters, an optional header, a request body and a response whose
 * schema is reached through `$ref`s. `change` edits a copy of it.
 */
function makeDoc(change: (doc: Doc) => void = () => undefined): Doc {
  const doc: Doc = {
    openapi: "3.1.0",
    info: { title: "Fixture", version: "1.0.0" },
    paths: {
      "/agents/{agent_id}/stop": {
        post: {
          operationId: "stop",
          description: "Stops an agent.",
          parameters: [
            {
              name: "agent_id",
              in: "path",
              required: true,
              schema: { type: "string" },
            },
            {
              name: "session_id",
              in: "query",
              required: false,
              schema: { anyOf: [{ type: "string" }, { type: "null" }] },
            },
            {
              name: "mode",
              in: "query",
              schema: { type: "string", enum: ["soft", "hard"] },
            },
            { name: "x-origin", in: "header", schema: { type: "string" } },
          ],
          requestBody: {
            required: false,
            content: {
              "application/json": {
                schema: { $ref: "#/components/schemas/StopRequest" },
              },
            },
          },
          responses: {
            "200": {
              description: "ok",
              headers: {
                "X-RateLimit-Remaining": {
                  required: true,
                  schema: { type: "integer" },
                },
              },
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/Status" },
                },
              },
            },
            "422": { description: "invalid" },
          },
        },
      },
    },
    components: {
      schemas: {
        StopRequest: {
          type: "object",
          properties: {
            reason: { type: "string" },
            force: { type: "boolean" },
            tags: {
              type: "array",
              items: { type: "string", enum: ["a", "b"] },
            },
          },
        },
        Status: {
          type: "object",
          required: ["agent_id", "status"],
          properties: {
            agent_id: { type: "string" },
            status: { $ref: "#/components/schemas/AgentStatus" },
            answer: { anyOf: [{ type: "string" }, { type: "null" }] },
            count: { type: "integer" },
            children: {
              type: "array",
              items: { $ref: "#/components/schemas/Status" },
            },
          },
        },
        AgentStatus: { type: "string", enum: ["active", "closed"] },
      },
    },
  };
  change(doc);
  return doc;
}

// Loosely typed on purpose: the tests edit fixtures freely.
type Doc = any;
const op = (doc: Doc): Doc => doc.paths["/agents/{agent_id}/stop"].post;
const param = (doc: Doc, name: string): Doc =>
  op(doc).parameters.find((p: Doc) => p.name === name);
const schemas = (doc: Doc): Doc => doc.components.schemas;
const body = (doc: Doc): Doc => op(doc).requestBody.content["application/json"];
const response = (doc: Doc): Doc =>
  op(doc).responses["200"].content["application/json"];

function diff(before: Doc, after: Doc): readonly Change[] {
  return diffDocuments(before as JsonObject, after as JsonObject).changes;
}

/** The breaking changes from `before` to `after`, as `[rule, message]`. */
function verdict(before: Doc, after: Doc): [string, string][] {
  return diff(before, after)
    .filter((c) => c.level === "breaking")
    .map((c) => [c.rule, c.message]);
}

/** The messages of the breaking changes that `change` makes to the fixture. */
function breaking(change: (doc: Doc) => void): string[] {
  return verdict(makeDoc(), makeDoc(change)).map(([, message]) => message);
}

describe("breaking changes, one rule at a time", () => {
  test("the real Notte case: session_id from string | null to a required non-empty string", () => {
    expect(
      breaking((doc) => {
        Object.assign(param(doc, "session_id"), {
          required: true,
          schema: { type: "string", minLength: 1 },
        });
      }),
    ).toEqual([
      "stop[query session_id]: became required",
      "stop[query session_id]: minLength 1 added",
      "stop[query session_id]: no longer accepts null",
    ]);
  });

  test("operation removed, or moved", () => {
    expect(
      breaking((doc) => delete doc.paths["/agents/{agent_id}/stop"]),
    ).toEqual(["stop: removed (POST /agents/{agent_id}/stop)"]);
    expect(
      breaking((doc) => {
        doc.paths["/agents/{agent_id}/stop"] = { delete: op(doc) };
      }),
    ).toEqual([
      "stop: moved from POST /agents/{agent_id}/stop to DELETE /agents/{agent_id}/stop",
    ]);
  });

  test("a new required parameter, or a parameter removed", () => {
    expect(
      breaking((doc) =>
        op(doc).parameters.push({
          name: "reason",
          in: "query",
          required: true,
          schema: { type: "string" },
        }),
      ),
    ).toEqual(["stop[query reason]: added, required"]);
    expect(
      breaking((doc) => {
        op(doc).parameters = op(doc).parameters.filter(
          (p: Doc) => p.name !== "x-origin",
        );
      }),
    ).toEqual(["stop[header x-origin]: removed"]);
  });

  test("a response property removed, or no longer required", () => {
    expect(
      breaking((doc) => delete schemas(doc).Status.properties.agent_id),
    ).toEqual(["Status.agent_id: removed"]);
    // Optional, it breaks TypeScript code reading it (oasdiff: a warning).
    expect(
      diff(
        makeDoc(),
        makeDoc((doc) => delete schemas(doc).Status.properties.answer),
      ),
    ).toMatchObject([
      {
        rule: "optional-property-removed",
        level: "breaking",
        message: "Status.answer: removed (it was optional)",
        typeScriptOnly: true,
      },
    ]);
    expect(
      breaking((doc) => (schemas(doc).Status.required = ["agent_id"])),
    ).toEqual(["Status.status: no longer required (may be missing)"]);
  });

  test("a response property's type widened, changed or narrowed", () => {
    expect(
      breaking(
        (doc) =>
          (schemas(doc).Status.properties.agent_id = {
            anyOf: [{ type: "string" }, { type: "null" }],
          }),
      ),
    ).toEqual(["Status.agent_id: may now be null"]);
    expect(
      breaking(
        (doc) => (schemas(doc).Status.properties.count = { type: "string" }),
      ),
    ).toEqual([
      "Status.count: may now be string",
      "Status.count: no longer returns integer",
    ]);
    expect(
      breaking(
        (doc) => (schemas(doc).Status.properties.answer = { type: "string" }),
      ),
    ).toEqual(["Status.answer: no longer returns null"]);
  });

  test("an enum value removed, in a request or a response; added, in a response", () => {
    expect(
      breaking((doc) => (param(doc, "mode").schema.enum = ["soft"])),
    ).toEqual(['stop[query mode]: value "hard" removed']);
    expect(
      breaking((doc) => (schemas(doc).AgentStatus.enum = ["active"])),
    ).toEqual(['AgentStatus: value "closed" removed']);
    expect(
      breaking((doc) => schemas(doc).AgentStatus.enum.push("failed")),
    ).toEqual(['AgentStatus: value "failed" added']);
  });

  test("request body became required; a request property became required; an enum narrowed inside an array", () => {
    expect(breaking((doc) => (op(doc).requestBody.required = true))).toEqual([
      "stop[request]: became required",
    ]);
    expect(
      breaking((doc) => (schemas(doc).StopRequest.required = ["reason"])),
    ).toEqual(["StopRequest.reason: became required"]);
    expect(
      breaking(
        (doc) => (schemas(doc).StopRequest.properties.tags.items.enum = ["a"]),
      ),
    ).toEqual(['StopRequest.tags[]: value "b" removed']);
  });

  test("a success response or a media type removed; a 4xx removed is not breaking", () => {
    expect(breaking((doc) => delete op(doc).responses["200"])).toEqual([
      "stop[response 200]: removed",
    ]);
    expect(breaking((doc) => delete op(doc).responses["422"])).toEqual([]);
    expect(
      breaking((doc) => {
        const content = op(doc).requestBody.content;
        content["application/x-www-form-urlencoded"] =
          content["application/json"];
        delete content["application/json"];
      }),
    ).toEqual(["stop[request]: media type application/json removed"]);
  });

  test("a required response header removed, or no longer required; an optional one removed is not breaking", () => {
    // Before: response headers were not compared at all.
    const headers = (doc: Doc): Doc => op(doc).responses["200"].headers;
    expect(
      breaking((doc) => delete headers(doc)["X-RateLimit-Remaining"]),
    ).toEqual([
      "stop[response 200 header x-ratelimit-remaining]: removed (it was required)",
    ]);
    expect(
      breaking(
        (doc) => (headers(doc)["X-RateLimit-Remaining"].required = false),
      ),
    ).toEqual([
      "stop[response 200 header x-ratelimit-remaining]: no longer always sent (may be missing)",
    ]);
    const optional = (doc: Doc): void => {
      headers(doc)["X-RateLimit-Remaining"].required = false;
    };
    const removed = diff(
      makeDoc(optional),
      makeDoc((doc) => delete headers(doc)["X-RateLimit-Remaining"]),
    );
    expect(removed.map((c) => [c.rule, c.level])).toEqual([
      ["optional-response-header-removed", "non-breaking"],
    ]);
  });

  test("a component removed, or renamed with the same content, breaks what imports it by name (TypeScript)", () => {
    // Before: a rename with the same structure was "not breaking", though
    // `components["schemas"]["Status"]` (and src/types.ts) stop compiling.
    const renamed = diff(
      makeDoc(),
      makeDoc((doc) => {
        schemas(doc).AgentState = schemas(doc).AgentStatus;
        delete schemas(doc).AgentStatus;
        schemas(doc).Status.properties.status.$ref =
          "#/components/schemas/AgentState";
      }),
    );
    expect(renamed.filter((c) => c.level === "breaking")).toEqual([
      {
        rule: "component-renamed",
        level: "breaking",
        location: "AgentStatus",
        message: "AgentStatus: renamed to AgentState",
        directions: [],
        operations: ["stop"],
        typeScriptOnly: true,
      },
    ]);
    const removed = diff(
      makeDoc(),
      makeDoc((doc) => {
        schemas(doc).Status.properties.status = { type: "string" };
        delete schemas(doc).AgentStatus;
      }),
    );
    expect(removed.filter((c) => c.level === "breaking")).toMatchObject([
      { rule: "component-removed", message: "AgentStatus: removed" },
      {
        rule: "enum-lifted",
        message: 'Status.status: no longer limited to "active", "closed"',
      },
    ]);
  });

  test("changes inside recursive schemas are found, once", () => {
    expect(
      breaking((doc) => delete schemas(doc).Status.properties.count),
    ).toEqual(["Status.count: removed (it was optional)"]);
  });
});

describe("components of every section, the operations' text unchanged", () => {
  /**
   * An operation made of references only: to a parameter, a request body
   * and a response component, the response's header to a header component.
   */
  const referencing = (): Doc => ({
    openapi: "3.1.0",
    info: { title: "Parts", version: "1" },
    paths: {
      "/jobs/{id}": {
        post: {
          operationId: "run",
          parameters: [
            { $ref: "#/components/parameters/Id" },
            { $ref: "#/components/parameters/Limit" },
          ],
          requestBody: { $ref: "#/components/requestBodies/Job" },
          responses: { "200": { $ref: "#/components/responses/Done" } },
        },
      },
    },
    components: {
      parameters: {
        Id: {
          name: "id",
          in: "path",
          required: true,
          schema: { type: "string" },
        },
        Limit: { name: "limit", in: "query", schema: { type: "integer" } },
      },
      requestBodies: {
        Job: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: { step: { type: "string" } },
              },
            },
          },
        },
      },
      responses: {
        Done: {
          description: "done",
          headers: {
            "X-Quota": { $ref: "#/components/headers/Quota" },
            "X-Trace": { required: true, schema: { type: "string" } },
          },
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["id"],
                properties: { id: { type: "string" } },
              },
            },
          },
        },
      },
      headers: { Quota: { required: true, schema: { type: "integer" } } },
    },
  });

  /**
   * The breaking messages when `change` edits the components only: the new
   * document shares its paths with the previous one, as the document a pull
   * aligns with the committed one does (the same objects where the text is
   * the same).
   */
  const pulled = (change: (components: Doc) => void): string[] => {
    const before = referencing();
    const components = structuredClone(before.components);
    change(components);
    return verdict(before, { ...before, components }).map(([, m]) => m);
  };

  test("a change inside a parameter, request body, response or header component is reported at it", () => {
    // Before: none of these was reported ("0 breaking, semver none"): the
    // operation's text was the same object on both sides, so it was skipped.
    expect(pulled((c) => (c.parameters.Limit.required = true))).toEqual([
      "parameters.Limit: became required",
    ]);
    expect(
      pulled((c) => (c.parameters.Limit.schema = { type: "string" })),
    ).toEqual(["parameters.Limit: no longer accepts integer"]);
    expect(pulled((c) => (c.requestBodies.Job.required = true))).toEqual([
      "requestBodies.Job: became required",
    ]);
    expect(pulled((c) => delete c.responses.Done.headers["X-Trace"])).toEqual([
      "responses.Done[header x-trace]: removed (it was required)",
    ]);
    expect(
      pulled((c) => {
        const schema = c.responses.Done.content["application/json"].schema;
        schema.properties = {};
        schema.required = [];
      }),
    ).toEqual(["responses.Done[application/json].id: removed"]);
    expect(pulled((c) => (c.headers.Quota.required = false))).toEqual([
      "headers.Quota: no longer always sent (may be missing)",
    ]);
    expect(
      pulled(
        (c) =>
          (c.responses.Done.content = {
            "text/plain": { schema: { type: "string" } },
          }),
      ),
    ).toEqual(["responses.Done: media type application/json removed"]);
  });

  test("a component no comparison goes into (a header of an encoding) is compared on its own", () => {
    // Before: only schemas were; this change was lost.
    const withEncoding = (required: boolean): Doc => {
      const doc = referencing();
      doc.components.requestBodies.Job.content["application/json"].encoding = {
        step: { headers: { "X-Part": { $ref: "#/components/headers/Part" } } },
      };
      doc.components.headers.Part = { required, schema: { type: "string" } };
      return doc;
    };
    expect(
      diff(withEncoding(false), withEncoding(true)).map((c) => c.message),
    ).toEqual(["headers.Part: now always sent"]);
  });

  test("each reaches the operation using it", () => {
    const before = referencing();
    const components = structuredClone(before.components);
    components.parameters.Limit.required = true;
    expect(diff(before, { ...before, components })).toMatchObject([
      { location: "parameters.Limit", operations: ["run"] },
    ]);
  });
});

describe("unions: members matched by what they are, never by position", () => {
  const inline = (name: string, type = "string"): Doc => ({
    type: "object",
    required: [name],
    properties: { [name]: { type } },
  });

  test("an anyOf member removed from a request body breaks callers sending it", () => {
    // Before: the removed member was compared with the closest one left and
    // nothing was reported when it fitted there.
    const union =
      (...names: string[]) =>
      (doc: Doc) => {
        schemas(doc).Cat = {
          type: "object",
          properties: { name: { type: "string" } },
        };
        schemas(doc).Dog = {
          type: "object",
          properties: { name: { type: "string" } },
        };
        body(doc).schema = {
          anyOf: names.map((n) => ({ $ref: `#/components/schemas/${n}` })),
        };
      };
    expect(
      verdict(makeDoc(union("Cat", "Dog")), makeDoc(union("Cat"))),
    ).toEqual([
      [
        "member-removed",
        "stop[request application/json]: no longer accepts Dog",
      ],
    ]);
    const inlined =
      (...names: string[]) =>
      (doc: Doc) => {
        body(doc).schema = { anyOf: names.map((n) => inline(n)) };
      };
    expect(verdict(makeDoc(inlined("a", "b")), makeDoc(inlined("a")))).toEqual([
      [
        "member-removed",
        "stop[request application/json]: no longer accepts anyOf[1] (an object with b)",
      ],
    ]);
  });

  test("two inline oneOf members swapped, or a oneOf of $refs reordered, is no change", () => {
    // Before: members were paired by position: 5 breaking changes, exit 3.
    for (const [a, b] of [
      [
        [inline("a"), inline("b", "integer")],
        [inline("b", "integer"), inline("a")],
      ],
      [
        [
          { $ref: "#/components/schemas/Status" },
          { $ref: "#/components/schemas/StopRequest" },
        ],
        [
          { $ref: "#/components/schemas/StopRequest" },
          { $ref: "#/components/schemas/Status" },
        ],
      ],
    ]) {
      const before = makeDoc((doc) => (body(doc).schema = { oneOf: a }));
      const after = makeDoc((doc) => (body(doc).schema = { oneOf: b }));
      expect(diff(before, after)).toEqual([]);
    }
  });

  /** Two components with a property in common, `Cat {name, meow}` and `Dog {name, bark}`, and `body`/`response` set by `place`. */
  const pets =
    (place: (doc: Doc) => Doc, schema: unknown) =>
    (doc: Doc): void => {
      const pet = (own: string): Doc => ({
        type: "object",
        required: ["name", own],
        properties: { name: { type: "string" }, [own]: { type: "boolean" } },
      });
      Object.assign(schemas(doc), { Cat: pet("meow"), Dog: pet("bark") });
      place(doc).schema = schema;
    };
  const cat = { $ref: "#/components/schemas/Cat" };
  const dog = { $ref: "#/components/schemas/Dog" };

  test("a lone $ref keeps its name against a union: a response that may now be another component", () => {
    // Before: the lone Cat, read without its name, was compared with Dog
    // structure by structure: "oneOf[1].meow: removed", not the new member.
    expect(
      verdict(
        makeDoc(pets(response, cat)),
        makeDoc(pets(response, { oneOf: [cat, dog] })),
      ),
    ).toEqual([
      ["member-added", "stop[response 200 application/json]: may now be Dog"],
    ]);
    expect(
      verdict(
        makeDoc(pets(body, { oneOf: [cat, dog] })),
        makeDoc(pets(body, cat)),
      ),
    ).toEqual([
      [
        "member-removed",
        "stop[request application/json]: no longer accepts Dog",
      ],
    ]);
  });

  test("members pair one to one: a new member like an old one is still a new member", () => {
    // Before: the new member was paired with the old one it resembled (too),
    // and a response that may now be something else was "non-breaking".
    const member = (...names: string[]): Doc => ({
      type: "object",
      required: names,
      properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])),
    });
    const [a, b, c] = [
      member("kind", "a"),
      member("kind", "b"),
      member("kind", "a", "c"),
    ];
    expect(
      verdict(
        makeDoc((doc) => (response(doc).schema = { oneOf: [a, b] })),
        makeDoc((doc) => (response(doc).schema = { oneOf: [c, a, b] })),
      ),
    ).toEqual([
      [
        "member-added",
        // Its place in openapi.json as written: aligned, a new member comes last.
        "stop[response 200 application/json]: may now be oneOf[2] (an object with kind, a, c)",
      ],
    ]);
    // And an inline member removed from a request, though it shares a
    // property with the one left: not "anyOf[0].b: removed".
    const shared = (own: string): Doc => ({
      type: "object",
      properties: { s: { type: "string" }, [own]: { type: "string" } },
    });
    expect(
      verdict(
        makeDoc(
          (doc) => (body(doc).schema = { anyOf: [shared("a"), shared("b")] }),
        ),
        makeDoc((doc) => (body(doc).schema = { anyOf: [shared("a")] })),
      ),
    ).toEqual([
      [
        "member-removed",
        "stop[request application/json]: no longer accepts anyOf[1] (an object with s, b)",
      ],
    ]);
  });

  test("array members are told apart by their items: reversed, with a nested set reordered, is no change", () => {
    // Before: any two arrays were alike; 2 breaking changes, exit 3.
    const strings = { type: "array", items: { type: "string", default: "" } };
    const objects = (required: string[]) => ({
      type: "array",
      items: {
        type: "object",
        required,
        properties: { type: { type: "string" }, text: { type: "string" } },
      },
    });
    const before = makeDoc(
      (doc) =>
        (body(doc).schema = { oneOf: [strings, objects(["type", "text"])] }),
    );
    const after = makeDoc(
      (doc) =>
        (body(doc).schema = { oneOf: [objects(["text", "type"]), strings] }),
    );
    expect(diff(before, after)).toEqual([]);
  });

  test("members with the same properties are told apart by their discriminator value", () => {
    const member = (kind: string, type: string): Doc => ({
      type: "object",
      properties: { kind: { const: kind }, n: { type } },
    });
    const union =
      (...members: Doc[]) =>
      (doc: Doc) =>
        (response(doc).schema = {
          oneOf: members,
          discriminator: { propertyName: "kind" },
        });
    const before = makeDoc(
      union(member("a", "integer"), member("b", "string")),
    );
    // Both changed, so align keeps neither in place; as alike by structure
    // as by position, each is paired with its own `kind`.
    const after = makeDoc(union(member("b", "integer"), member("a", "string")));
    const at = "stop[response 200 application/json].oneOf";
    expect(diff(before, after).map((c) => c.message)).toEqual([
      `${at}[0].n: may now be integer`,
      `${at}[0].n: no longer returns string`,
      `${at}[1].n: may now be string`,
      `${at}[1].n: no longer returns integer`,
    ]);
  });

  test("a response object that becomes a oneOf of inline objects: each member compared with the old object", () => {
    const both = {
      type: "object",
      required: ["foo", "bar"],
      properties: { foo: { type: "string" }, bar: { type: "string" } },
    };
    const split = { oneOf: [inline("foo"), inline("bar")] };
    expect(
      verdict(
        makeDoc((doc) => (response(doc).schema = both)),
        makeDoc((doc) => (response(doc).schema = split)),
      ),
    ).toEqual([
      [
        "property-removed",
        "stop[response 200 application/json].oneOf[0].bar: removed",
      ],
      [
        "property-removed",
        "stop[response 200 application/json].oneOf[1].foo: removed",
      ],
    ]);
  });

  test("the same wrap in a request body: the old body now matches both members of the oneOf", () => {
    const properties = { foo: { type: "string" }, bar: { type: "string" } };
    const both = { type: "object", required: ["foo", "bar"], properties };
    const members = ["foo", "bar"].map((name) => ({
      type: "object",
      required: [name],
      properties,
    }));
    const before = makeDoc((doc) => (body(doc).schema = both));
    expect(
      verdict(
        before,
        makeDoc((doc) => (body(doc).schema = { oneOf: members })),
      ),
    ).toEqual([
      [
        "union-ambiguous",
        "stop[request application/json]: now matches 2 members of a oneOf (a value that fits more than one is rejected)",
      ],
    ]);
    // An anyOf accepts a value that fits both: nothing breaks.
    expect(
      verdict(
        before,
        makeDoc((doc) => (body(doc).schema = { anyOf: members })),
      ),
    ).toEqual([]);
  });

  test("a request body {a} that becomes a oneOf of members newly requiring b or c", () => {
    const member = (name: string): Doc => ({
      type: "object",
      required: [name],
      properties: { a: { type: "string" }, [name]: { type: "string" } },
    });
    const before = makeDoc(
      (doc) =>
        (body(doc).schema = {
          type: "object",
          properties: { a: { type: "string" } },
        }),
    );
    const after = makeDoc(
      (doc) => (body(doc).schema = { oneOf: [member("b"), member("c")] }),
    );
    expect(verdict(before, after)).toEqual([
      [
        "property-added-required",
        "stop[request application/json].oneOf[0].b: added, required",
      ],
    ]);
  });

  test("stricter than oasdiff for TypeScript: a response union gains a member", () => {
    const union =
      (...names: string[]) =>
      (doc: Doc) => {
        schemas(doc).Other = { type: "object", properties: {} };
        schemas(doc).Third = { type: "object", properties: {} };
        response(doc).schema = {
          anyOf: names.map((n) => ({ $ref: `#/components/schemas/${n}` })),
        };
      };
    const changes = diff(
      makeDoc(union("Status", "Other")),
      makeDoc(union("Status", "Other", "Third")),
    );
    expect(changes.filter((c) => c.level === "breaking")).toMatchObject([
      {
        rule: "member-added",
        message: "stop[response 200 application/json]: may now be Third",
        typeScriptOnly: true,
      },
    ]);
  });

  test("stricter than oasdiff for TypeScript: a renamed path parameter", () => {
    expect(
      breaking((doc) => {
        param(doc, "agent_id").name = "id";
        const item = doc.paths["/agents/{agent_id}/stop"];
        delete doc.paths["/agents/{agent_id}/stop"];
        doc.paths["/agents/{id}/stop"] = item;
      }),
    ).toEqual([
      "stop: moved from POST /agents/{agent_id}/stop to POST /agents/{id}/stop",
      "stop[path agent_id]: removed",
      "stop[path id]: added, required",
    ]);
  });
});

describe("request defaults and constraints, where real documents put them", () => {
  const prop = (schema: unknown) => (doc: Doc) => {
    schemas(doc).StopRequest.properties.reason = schema;
    schemas(doc).Mode = { type: "string", enum: ["soft", "hard"] };
  };
  const where = "StopRequest.reason";

  test("a default beside an anyOf, a $ref (3.1) or a one-member allOf is compared", () => {
    for (const wrap of [
      (d: string) => ({
        anyOf: [{ type: "string" }, { type: "null" }],
        default: d,
      }),
      (d: string) => ({ $ref: "#/components/schemas/Mode", default: d }),
      (d: string) => ({
        allOf: [{ $ref: "#/components/schemas/Mode" }],
        default: d,
      }),
    ]) {
      expect(
        verdict(makeDoc(prop(wrap("soft"))), makeDoc(prop(wrap("hard")))),
      ).toEqual([
        ["default-changed", `${where}: default changed from "soft" to "hard"`],
      ]);
      expect(
        diff(makeDoc(prop(wrap("soft"))), makeDoc(prop(wrap("soft")))),
      ).toEqual([]);
    }
  });

  test("a request parameter's default changed or removed is breaking; one added is not; a response property's is not", () => {
    const withDefault = (value: unknown) => (doc: Doc) => {
      param(doc, "mode").schema.default = value;
      schemas(doc).Status.properties.count.default = value === "soft" ? 0 : 1;
    };
    const before = makeDoc(withDefault("soft"));
    expect(verdict(before, makeDoc(withDefault("hard")))).toEqual([
      [
        "default-changed",
        'stop[query mode]: default changed from "soft" to "hard"',
      ],
    ]);
    expect(verdict(before, makeDoc())).toEqual([
      ["default-changed", 'stop[query mode]: default "soft" removed'],
    ]);
    expect(breaking(withDefault("soft"))).toEqual([]);
  });

  test("exclusive bounds, multipleOf, uniqueItems, a closed object added are breaking", () => {
    const n = { type: "number" };
    expect(
      verdict(
        makeDoc(prop(n)),
        makeDoc(prop({ ...n, exclusiveMinimum: 0, exclusiveMaximum: 9 })),
      ),
    ).toEqual([
      ["constraint-tightened", `${where}: exclusiveMaximum 9 added`],
      ["constraint-tightened", `${where}: exclusiveMinimum 0 added`],
    ]);
    expect(
      verdict(
        makeDoc(prop({ ...n, minimum: 0 })),
        makeDoc(prop({ ...n, minimum: 0, exclusiveMinimum: true })),
      ),
    ).toEqual([["constraint-tightened", `${where}: exclusiveMinimum added`]]);
    expect(
      verdict(
        makeDoc(prop({ ...n, multipleOf: 4 })),
        makeDoc(prop({ ...n, multipleOf: 3 })),
      ),
    ).toEqual([
      ["constraint-tightened", `${where}: multipleOf changed from 4 to 3`],
    ]);
    expect(
      verdict(
        makeDoc(prop({ ...n, multipleOf: 4 })),
        makeDoc(prop({ ...n, multipleOf: 2 })),
      ),
    ).toEqual([]);
    const list = { type: "array", items: { type: "string" } };
    expect(
      verdict(
        makeDoc(prop(list)),
        makeDoc(prop({ ...list, uniqueItems: true })),
      ),
    ).toEqual([["constraint-tightened", `${where}: uniqueItems added`]]);
    const close = (doc: Doc): void => {
      schemas(doc).StopRequest.additionalProperties = false;
      schemas(doc).Status.additionalProperties = false;
    };
    expect(breaking(close)).toEqual([
      "StopRequest: no longer accepts properties it does not declare",
    ]);
    expect(verdict(makeDoc(close), makeDoc())).toEqual([]);
  });

  test.each([".*", "^.*$"])(
    "a pattern widened to %s, or removed, is not breaking",
    (wide) => {
      const pattern = (value?: string) => (doc: Doc) => {
        if (value !== undefined) param(doc, "x-origin").schema.pattern = value;
      };
      for (const after of [pattern(wide), pattern()])
        expect(verdict(makeDoc(pattern("^[a-z]+$")), makeDoc(after))).toEqual(
          [],
        );
    },
  );

  test("a pattern added, or changed to one not known to be wider, is breaking", () => {
    const pattern = (value: string) => (doc: Doc) => {
      param(doc, "x-origin").schema.pattern = value;
    };
    expect(breaking(pattern("^[a-z]+$"))).toEqual([
      "stop[header x-origin]: pattern ^[a-z]+$ added",
    ]);
    expect(
      verdict(makeDoc(pattern("^[a-z]+$")), makeDoc(pattern("^[a-z0-9]+$"))),
    ).toEqual([
      [
        "pattern-changed",
        "stop[header x-origin]: pattern changed from ^[a-z]+$ to ^[a-z0-9]+$",
      ],
    ]);
  });

  test("a name newly required without being declared is breaking in a request", () => {
    expect(
      breaking((doc) => (schemas(doc).StopRequest.required = ["extra"])),
    ).toEqual(["StopRequest.extra: added, required"]);
  });

  test("additionalProperties: a schema → true is 'may now be any type' in a response; an array's items dropped reads as items: {}", () => {
    const extra = (value: unknown) => (doc: Doc) => {
      schemas(doc).Status.additionalProperties = value;
    };
    expect(
      verdict(makeDoc(extra({ type: "string" })), makeDoc(extra(true))),
    ).toEqual([["type-added", "Status.*: may now be any type"]]);
    const items = (value: unknown) => (doc: Doc) => {
      schemas(doc).Status.properties.children = {
        type: "array",
        ...(value === undefined ? {} : { items: value }),
      };
    };
    const expected = [["type-added", "Status.children[]: may now be any type"]];
    expect(
      verdict(makeDoc(items({ type: "string" })), makeDoc(items({}))),
    ).toEqual(expected);
    expect(
      verdict(makeDoc(items({ type: "string" })), makeDoc(items(undefined))),
    ).toEqual(expected);
  });
});

describe("changes that are not breaking", () => {
  test.each<[string, string, (doc: Doc) => void]>([
    ["a description", "patch", (doc) => (op(doc).description = "Politely.")],
    [
      "a new optional parameter",
      "minor",
      (doc) =>
        op(doc).parameters.push({
          name: "v",
          in: "query",
          schema: { type: "boolean" },
        }),
    ],
    [
      "a new response property",
      "minor",
      (doc) => (schemas(doc).Status.properties.url = { type: "string" }),
    ],
    [
      "an enum value added to a request parameter",
      "minor",
      (doc) => param(doc, "mode").schema.enum.push("graceful"),
    ],
    [
      "null accepted by a request parameter",
      "minor",
      (doc) => (param(doc, "x-origin").schema = { type: ["string", "null"] }),
    ],
    [
      "a new response status",
      "minor",
      (doc) => (op(doc).responses["201"] = { description: "created" }),
    ],
    [
      "a response property made required",
      "minor",
      (doc) => schemas(doc).Status.required.push("answer"),
    ],
    [
      "a new optional request property",
      "minor",
      (doc) => (schemas(doc).StopRequest.properties.note = { type: "string" }),
    ],
    [
      "a 4xx response removed",
      "minor",
      (doc) => delete op(doc).responses["422"],
    ],
    [
      "a property named description, added",
      "minor",
      (doc) =>
        (schemas(doc).Status.properties.description = { type: "string" }),
    ],
    [
      "a format",
      "minor",
      (doc) => (schemas(doc).Status.properties.agent_id.format = "uuid"),
    ],
  ])("%s (semver %s)", (_name, bump, change) => {
    expect(breaking(change)).toEqual([]);
    expect(diffDocuments(makeDoc(), makeDoc(change)).bump).toBe(bump);
  });

  test("an operation or a component added, each once (semver minor)", () => {
    const after = makeDoc((doc) => {
      doc.paths["/agents"] = {
        get: { operationId: "list", responses: { "204": { description: "" } } },
      };
      schemas(doc).Extra = { type: "string" };
    });
    expect(diff(makeDoc(), after).map((c) => [c.rule, c.message])).toEqual([
      ["component-added", "Extra: added"],
      ["operation-added", "list: added (GET /agents)"],
    ]);
    expect(diffDocuments(makeDoc(), after).bump).toBe("minor");
  });

  test("reordering required, enum, type or oneOf members is no change at all", () => {
    // Before: each was a change (semver minor, exit 4) though nothing changed for anyone.
    const before = makeDoc((doc) => {
      body(doc).schema = {
        oneOf: [
          { $ref: "#/components/schemas/StopRequest" },
          { type: ["string", "null"] },
        ],
      };
    });
    const after = makeDoc((doc) => {
      schemas(doc).Status.required.reverse();
      schemas(doc).AgentStatus.enum.reverse();
      body(doc).schema = {
        oneOf: [
          { type: ["null", "string"] },
          { $ref: "#/components/schemas/StopRequest" },
        ],
      };
    });
    expect(diffDocuments(before, after)).toMatchObject({
      changes: [],
      bump: "none",
    });
  });

  test("a top-level servers: [] or security: [] is the same as none", () => {
    // Before: "top-level keys removed: servers, security" (exit 4) against
    // Notte's documents, which have neither: a pull request for nothing.
    const empty = makeDoc((doc) =>
      Object.assign(doc, { servers: [], security: [] }),
    );
    expect(diff(empty, makeDoc())).toEqual([]);
    expect(diff(makeDoc(), empty)).toEqual([]);
    const server = makeDoc(
      (doc) => (doc.servers = [{ url: "https://x.test" }]),
    );
    expect(diff(empty, server).map((c) => [c.rule, c.message])).toEqual([
      ["keyword-changed", "document: servers added"],
    ]);
  });

  test("a first pull has nothing to compare with", () => {
    expect(diffDocuments(undefined, makeDoc())).toMatchObject({
      changes: [],
      bump: "minor",
    });
  });
});

describe("each change once, where it happened; nothing capped or lost at any size", () => {
  test("a schema used by several operations, in a request and a response, is one change reaching them all", () => {
    // Before: one line per path to the change (a value added to Stripe's
    // file.purpose appeared 171 times).
    const withSecond = (change: (doc: Doc) => void) =>
      makeDoc((doc) => {
        doc.paths["/agents"] = {
          get: {
            operationId: "list",
            parameters: [
              {
                name: "status",
                in: "query",
                schema: { $ref: "#/components/schemas/AgentStatus" },
              },
            ],
            responses: {
              "200": {
                description: "ok",
                content: {
                  "application/json": {
                    schema: {
                      type: "array",
                      items: { $ref: "#/components/schemas/Status" },
                    },
                  },
                },
              },
            },
          },
        };
        change(doc);
      });
    const changes = diff(
      withSecond(() => undefined),
      withSecond((doc) => schemas(doc).AgentStatus.enum.push("paused")),
    );
    expect(changes).toEqual([
      {
        rule: "enum-value-added",
        level: "breaking",
        location: "AgentStatus",
        message: 'AgentStatus: value "paused" added',
        directions: ["request", "response"],
        operations: ["list", "stop"],
        typeScriptOnly: false,
      },
    ]);
  });

  test("60 required properties removed are 60 changes, and 20 enum values do not hide a removal", () => {
    // Before: 20 findings per schema pair, silently.
    const wide = (count: number, values: number) => (doc: Doc) => {
      const status = schemas(doc).Status;
      for (let i = 0; i < count; i++) {
        status.properties[`p${i}`] = { type: "string" };
        status.required.push(`p${i}`);
      }
      for (let i = 0; i < values; i++)
        schemas(doc).AgentStatus.enum.push(`v${i}`);
    };
    const removed = diff(makeDoc(wide(60, 0)), makeDoc(wide(0, 20)));
    expect(removed.filter((c) => c.rule === "property-removed")).toHaveLength(
      60,
    );
    expect(removed.filter((c) => c.rule === "enum-value-added")).toHaveLength(
      20,
    );
    expect(new Set(removed.map((c) => c.message)).size).toBe(removed.length);
  });

  test("every message is one line, whatever a name or a pattern holds", () => {
    const changes = diff(
      makeDoc((doc) => (schemas(doc)["Two\nLines"] = { type: "string" })),
      makeDoc((doc) => (param(doc, "x-origin").schema.pattern = "^a\nb$")),
    );
    expect(changes.map((c) => c.message)).toEqual([
      "Two\\nLines: removed",
      "stop[header x-origin]: pattern ^a\\nb$ added",
    ]);
  });

  test("a chain of 20 000 $refs is compared to its end without overflowing the stack", () => {
    // Before: "Maximum call stack size exceeded" once nothing capped the walk.
    const chain = (last: string) => (doc: Doc) => {
      for (let i = 0; i < 20_000; i++)
        schemas(doc)[`L${i}`] = {
          type: "object",
          properties: { next: { $ref: `#/components/schemas/L${i + 1}` } },
        };
      schemas(doc)["L20000"] = { type: last };
      response(doc).schema = { $ref: "#/components/schemas/L0" };
    };
    const started = performance.now();
    expect(
      verdict(makeDoc(chain("string")), makeDoc(chain("integer"))),
    ).toEqual([
      ["type-added", "L20000: may now be integer"],
      ["type-removed", "L20000: no longer returns string"],
    ]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  test("a chain of 20 000 $refs shared with the previous document (as a pull aligns it), changed at its end: seconds, not minutes", () => {
    // Before: 93 s (each of the 20 000 components changed by the one at the
    // end was compared on its own, and looked up its operations from scratch).
    const count = 20_000;
    const before = makeDoc((doc) => {
      for (let i = 0; i < count; i++)
        schemas(doc)[`L${i}`] = {
          type: "object",
          properties: {
            v: { type: "string" },
            next: { $ref: `#/components/schemas/L${i + 1}` },
          },
        };
      schemas(doc)[`L${count}`] = { type: "string" };
      response(doc).schema = { $ref: "#/components/schemas/L0" };
      body(doc).schema = { $ref: "#/components/schemas/L0" };
    });
    const components = {
      schemas: { ...schemas(before), [`L${count}`]: { type: "integer" } },
    };
    const started = performance.now();
    const changes = diff(before, { ...before, components });
    expect(changes.map((c) => [c.message, c.level, c.operations])).toEqual([
      ["L20000: may now be integer", "breaking", ["stop"]],
      ["L20000: no longer returns string", "breaking", ["stop"]],
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("unions that reference themselves, or one union twice, end quickly", () => {
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const bomb = (doc: Doc): void => {
        const self = { $ref: "#/components/schemas/Bomb" };
        schemas(doc).Bomb = { [key]: [self, self] };
        response(doc).schema = self;
        body(doc).schema = self;
      };
      const started = performance.now();
      diff(makeDoc(bomb), makeDoc(bomb));
      diff(makeDoc(), makeDoc(bomb));
      diff(makeDoc(bomb), makeDoc());
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});
