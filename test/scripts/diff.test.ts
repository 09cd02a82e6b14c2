import { describe, expect, test } from "vitest";
import { diffDocuments } from "../../scripts/diff/index.js";
import { formatDiff } from "../../scripts/report/text.js";
import type { JsonObject } from "../../scripts/refs.js";

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

/** The breaking changes from `before` to `after`, as `[kind, message]`. */
function verdict(before: Doc, after: Doc): [string, string][] {
  return diffDocuments(before as JsonObject, after as JsonObject).breaking.map(
    (found) => [found.kind, found.message],
  );
}

function breaking(change: (doc: Doc) => void): readonly string[] {
  return diffDocuments(
    makeDoc() as JsonObject,
    makeDoc(change) as JsonObject,
  ).breaking.map((found) => found.message);
}

describe("diffDocuments: breaking changes", () => {
  test("the real Notte case: session_id from string | null to a required non-empty string", () => {
    expect(
      breaking((doc) => {
        Object.assign(param(doc, "session_id"), {
          required: true,
          schema: { type: "string", minLength: 1 },
        });
      }),
    ).toEqual([
      'stop: query parameter "session_id" became required',
      'stop: query parameter "session_id": no longer accepts null',
      'stop: query parameter "session_id": minLength 1 added',
    ]);
  });

  test("operation removed, or moved", () => {
    expect(
      breaking((doc) => delete doc.paths["/agents/{agent_id}/stop"]),
    ).toEqual(["operation stop (POST /agents/{agent_id}/stop) removed"]);
    expect(
      breaking((doc) => {
        doc.paths["/agents/{agent_id}/stop"] = {
          delete: op(doc),
        };
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
    ).toEqual(['stop: new required query parameter "reason"']);
    expect(
      breaking((doc) => {
        op(doc).parameters = op(doc).parameters.filter(
          (p: Doc) => p.name !== "x-origin",
        );
      }),
    ).toEqual(['stop: header parameter "x-origin" removed']);
  });

  test("a response property removed, or no longer required", () => {
    expect(
      breaking((doc) => delete schemas(doc).Status.properties.answer),
    ).toEqual([
      'stop: response 200 (application/json): property "answer" removed',
    ]);
    expect(
      breaking((doc) => (schemas(doc).Status.required = ["agent_id"])),
    ).toEqual([
      'stop: response 200 (application/json): property "status" is no longer required (may be missing)',
    ]);
  });

  test("a response property's type widened or changed", () => {
    expect(
      breaking(
        (doc) =>
          (schemas(doc).Status.properties.agent_id = {
            anyOf: [{ type: "string" }, { type: "null" }],
          }),
      ),
    ).toEqual([
      'stop: response 200 (application/json): property "agent_id": may now be null',
    ]);
    expect(
      breaking(
        (doc) => (schemas(doc).Status.properties.count = { type: "string" }),
      ),
    ).toEqual([
      'stop: response 200 (application/json): property "count": may now be string',
      'stop: response 200 (application/json): property "count": no longer returns integer',
    ]);
  });

  test("a response property's type narrowed", () => {
    expect(
      breaking(
        (doc) => (schemas(doc).Status.properties.answer = { type: "string" }),
      ),
    ).toEqual([
      'stop: response 200 (application/json): property "answer": no longer returns null',
    ]);
  });

  test("an enum value removed, in a request or a response; added, in a response", () => {
    expect(
      breaking((doc) => (param(doc, "mode").schema.enum = ["soft"])),
    ).toEqual(['stop: query parameter "mode": enum value "hard" removed']);
    expect(
      breaking((doc) => (schemas(doc).AgentStatus.enum = ["active"])),
    ).toEqual([
      'stop: response 200 (application/json): property "status": enum value "closed" removed',
    ]);
    expect(
      breaking((doc) => schemas(doc).AgentStatus.enum.push("failed")),
    ).toEqual([
      'stop: response 200 (application/json): property "status": enum value "failed" added',
    ]);
  });

  test("request body became required; a request property became required", () => {
    expect(breaking((doc) => (op(doc).requestBody.required = true))).toEqual([
      "stop: request body became required",
    ]);
    expect(
      breaking((doc) => (schemas(doc).StopRequest.required = ["reason"])),
    ).toEqual([
      'stop: request body (application/json): property "reason" became required',
    ]);
  });

  test("a request property's type narrowed, enum narrowed inside an array", () => {
    expect(
      breaking(
        (doc) => (schemas(doc).StopRequest.properties.tags.items.enum = ["a"]),
      ),
    ).toEqual([
      'stop: request body (application/json): property "tags[]": enum value "b" removed',
    ]);
  });

  test("a success response or a media type removed", () => {
    expect(breaking((doc) => delete op(doc).responses["200"])).toEqual([
      "stop: response 200 removed",
    ]);
    expect(
      breaking((doc) => {
        const content = op(doc).requestBody.content;
        content["application/x-www-form-urlencoded"] =
          content["application/json"];
        delete content["application/json"];
      }),
    ).toEqual(["stop: request body media type application/json removed"]);
  });

  test("changes inside recursive schemas are found, once", () => {
    const found = breaking(
      (doc) => delete schemas(doc).Status.properties.count,
    );
    expect(found).toEqual([
      'stop: response 200 (application/json): property "count" removed',
    ]);
  });
});

test("unions that reference themselves, or one union twice, end quickly", () => {
  // Before: each `anyOf [A, A]` / `allOf [A, A]` level was followed twice to
  // the depth limit, 2^32 steps: `--pull --dry-run` of such a document never
  // finished.
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const bomb = (doc: Doc): void => {
      schemas(doc).Bomb = {
        [key]: [
          { $ref: "#/components/schemas/Bomb" },
          { $ref: "#/components/schemas/Bomb" },
        ],
      };
      op(doc).responses["200"].content["application/json"].schema = {
        $ref: "#/components/schemas/Bomb",
      };
      op(doc).requestBody.content["application/json"].schema = {
        $ref: "#/components/schemas/Bomb",
      };
    };
    const started = performance.now();
    verdict(makeDoc(bomb), makeDoc(bomb));
    verdict(makeDoc(), makeDoc(bomb));
    verdict(makeDoc(bomb), makeDoc());
    expect(performance.now() - started).toBeLessThan(2000);
  }
});

describe("diffDocuments: request defaults and constraints where real documents put them", () => {
  const prop = (schema: unknown) => (doc: Doc) => {
    schemas(doc).StopRequest.properties.reason = schema;
    schemas(doc).Mode = { type: "string", enum: ["soft", "hard"] };
  };
  const where = 'stop: request body (application/json): property "reason"';
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
        verdict(makeDoc(prop(wrap("soft"))), makeDoc(prop(wrap("soft")))),
      ).toEqual([]);
    }
  });
  test("exclusive bounds, multipleOf, uniqueItems added are breaking", () => {
    const n = { type: "number" };
    expect(
      verdict(
        makeDoc(prop(n)),
        makeDoc(prop({ ...n, exclusiveMinimum: 0, exclusiveMaximum: 9 })),
      ),
    ).toEqual([
      ["constraint-tightened", `${where}: exclusiveMinimum 0 added`],
      ["constraint-tightened", `${where}: exclusiveMaximum 9 added`],
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
  });
  test("a request object closed with additionalProperties: false is breaking; a response one is not", () => {
    const close = (doc: Doc): void => {
      schemas(doc).StopRequest.additionalProperties = false;
      schemas(doc).Status.additionalProperties = false;
    };
    expect(breaking(close)).toEqual([
      "stop: request body (application/json): no longer accepts properties it does not declare",
    ]);
    expect(verdict(makeDoc(close), makeDoc())).toEqual([]);
  });
  test("a name newly required without being declared is breaking in a request", () => {
    expect(
      breaking((doc) => (schemas(doc).StopRequest.required = ["extra"])),
    ).toEqual([
      'stop: request body (application/json): property "extra" added as required',
    ]);
  });
});

describe("diffDocuments: what a response may hold, however it is written", () => {
  const where = "stop: response 200 (application/json)";
  test('additionalProperties: a schema → true is "may now be any type" in a response, wider in a request', () => {
    const extra = (value: unknown) => (doc: Doc) => {
      schemas(doc).Status.additionalProperties = value;
      schemas(doc).StopRequest.additionalProperties = value;
    };
    expect(
      verdict(makeDoc(extra({ type: "string" })), makeDoc(extra(true))),
    ).toEqual([["type-added", `${where}: property "*": may now be any type`]]);
    expect(
      verdict(makeDoc(extra(true)), makeDoc(extra({ type: "string" }))),
    ).toEqual([
      [
        "type-no-longer-accepted",
        'stop: request body (application/json): property "*": no longer accepts any type',
      ],
      // † narrowed in a response, as `type-removed` is for any type.
      ["type-removed", `${where}: property "*": no longer returns any type`],
    ]);
  });
  test("an array's items dropped reads as items: {}", () => {
    const items = (value: unknown) => (doc: Doc) => {
      schemas(doc).Status.properties.children = {
        type: "array",
        ...(value === undefined ? {} : { items: value }),
      };
    };
    const expected = [
      ["type-added", `${where}: property "children[]": may now be any type`],
    ];
    expect(
      verdict(makeDoc(items({ type: "string" })), makeDoc(items({}))),
    ).toEqual(expected);
    expect(
      verdict(makeDoc(items({ type: "string" })), makeDoc(items(undefined))),
    ).toEqual(expected);
  });
});

describe("diffDocuments: the field's verdicts (oasdiff's pairs)", () => {
  test("a request parameter's default changed or removed is breaking; one added is not", () => {
    const withDefault = (value: unknown) => (doc: Doc) => {
      param(doc, "mode").schema.default = value;
    };
    const before = makeDoc(withDefault("soft"));
    expect(verdict(before, makeDoc(withDefault("hard")))).toEqual([
      [
        "default-changed",
        'stop: query parameter "mode": default changed from "soft" to "hard"',
      ],
    ]);
    expect(verdict(before, makeDoc())).toEqual([
      [
        "default-changed",
        'stop: query parameter "mode": default "soft" removed',
      ],
    ]);
    expect(breaking(withDefault("soft"))).toEqual([]);
  });

  test("a request property's default changed is breaking; a response property's is not", () => {
    const before = makeDoc((doc) => {
      schemas(doc).StopRequest.properties.force.default = false;
      schemas(doc).Status.properties.count.default = 0;
    });
    const after = makeDoc((doc) => {
      schemas(doc).StopRequest.properties.force.default = true;
      schemas(doc).Status.properties.count.default = 1;
    });
    expect(verdict(before, after).map(([, message]) => message)).toEqual([
      'stop: request body (application/json): property "force": default changed from false to true',
    ]);
  });

  test.each([".*", "^.*$"])(
    "a pattern widened to %s, or removed, is not breaking",
    (wide) => {
      const before = makeDoc((doc) => {
        param(doc, "x-origin").schema.pattern = "^[a-z]+$";
      });
      for (const after of [
        makeDoc((doc) => (param(doc, "x-origin").schema.pattern = wide)),
        makeDoc(),
      ]) {
        expect(verdict(before, after)).toEqual([]);
      }
    },
  );

  test("a pattern added, or changed to one not known to be wider, is breaking", () => {
    expect(
      breaking((doc) => (param(doc, "x-origin").schema.pattern = "^[a-z]+$")),
    ).toEqual(['stop: header parameter "x-origin": pattern ^[a-z]+$ added']);
    const before = makeDoc((doc) => {
      param(doc, "x-origin").schema.pattern = "^[a-z]+$";
    });
    const after = makeDoc((doc) => {
      param(doc, "x-origin").schema.pattern = "^[a-z0-9]+$";
    });
    expect(verdict(before, after)).toEqual([
      [
        "pattern-changed",
        'stop: header parameter "x-origin": pattern changed from ^[a-z]+$ to ^[a-z0-9]+$',
      ],
    ]);
  });

  const both = {
    type: "object",
    required: ["foo", "bar"],
    properties: { foo: { type: "string" }, bar: { type: "string" } },
  };
  const split = {
    oneOf: [
      {
        type: "object",
        required: ["foo"],
        properties: { foo: { type: "string" } },
      },
      {
        type: "object",
        required: ["bar"],
        properties: { bar: { type: "string" } },
      },
    ],
  };
  const body = (doc: Doc): Doc =>
    op(doc).requestBody.content["application/json"];
  const response = (doc: Doc): Doc =>
    op(doc).responses["200"].content["application/json"];

  test("a response object that becomes a oneOf of inline objects: each member compared with the old object", () => {
    const before = makeDoc((doc) => (response(doc).schema = both));
    const after = makeDoc((doc) => (response(doc).schema = split));
    expect(verdict(before, after)).toEqual([
      [
        "property-removed",
        'stop: response 200 (application/json): property "bar" removed',
      ],
      [
        "property-removed",
        'stop: response 200 (application/json): property "foo" removed',
      ],
    ]);
  });

  test("the same wrap in a request body: the old body now matches both members of the oneOf", () => {
    const declared = {
      oneOf: split.oneOf.map((member) => ({
        ...member,
        properties: both.properties,
      })),
    };
    const before = makeDoc((doc) => (body(doc).schema = both));
    const after = makeDoc((doc) => (body(doc).schema = declared));
    expect(verdict(before, after)).toEqual([
      [
        "union-ambiguous",
        "stop: request body (application/json): now matches 2 members of a oneOf (a value that fits more than one is rejected)",
      ],
    ]);
    // An anyOf accepts a value that fits both: nothing breaks.
    const lenient = makeDoc(
      (doc) => (body(doc).schema = { anyOf: declared.oneOf }),
    );
    expect(verdict(before, lenient)).toEqual([]);
  });

  test("a request body {a} that becomes a oneOf of members newly requiring b or c", () => {
    const a = { type: "object", properties: { a: { type: "string" } } };
    const member = (name: string): Doc => ({
      type: "object",
      required: [name],
      properties: { a: { type: "string" }, [name]: { type: "string" } },
    });
    const before = makeDoc((doc) => (body(doc).schema = a));
    const after = makeDoc(
      (doc) => (body(doc).schema = { oneOf: [member("b"), member("c")] }),
    );
    expect(verdict(before, after)).toEqual([
      [
        "property-added-required",
        'stop: request body (application/json): property "b" added as required',
      ],
    ]);
  });

  test("union members of the same count are compared by position", () => {
    const union = (extra: Doc): Doc => ({
      oneOf: [
        { type: "object", properties: { kind: { const: "a" } } },
        {
          type: "object",
          properties: { kind: { const: "b" }, ...extra },
        },
      ],
    });
    const before = makeDoc(
      (doc) => (response(doc).schema = union({ n: { type: "integer" } })),
    );
    const after = makeDoc(
      (doc) => (response(doc).schema = union({ n: { type: "string" } })),
    );
    expect(verdict(before, after).map(([, message]) => message)).toEqual([
      'stop: response 200 (application/json): property "n": may now be string',
      'stop: response 200 (application/json): property "n": no longer returns integer',
    ]);
  });

  test("a named member pairs by name; the inline ones pair among themselves, whatever their order", () => {
    const inline = (type: string): Doc => ({
      type: "object",
      properties: { n: { type } },
    });
    const before = makeDoc((doc) => {
      response(doc).schema = {
        oneOf: [{ $ref: "#/components/schemas/Status" }, inline("integer")],
      };
    });
    const after = makeDoc((doc) => {
      response(doc).schema = {
        oneOf: [inline("integer"), { $ref: "#/components/schemas/Status" }],
      };
    });
    expect(verdict(before, after)).toEqual([]);
  });

  test("kept stricter than oasdiff for TypeScript: a renamed path parameter", () => {
    expect(
      breaking((doc) => {
        param(doc, "agent_id").name = "id";
        const item = doc.paths["/agents/{agent_id}/stop"];
        delete doc.paths["/agents/{agent_id}/stop"];
        doc.paths["/agents/{id}/stop"] = item;
      }),
    ).toEqual([
      "stop: moved from POST /agents/{agent_id}/stop to POST /agents/{id}/stop",
      'stop: path parameter "agent_id" removed',
      'stop: new required path parameter "id"',
    ]);
  });

  test("kept stricter than oasdiff for TypeScript: a response union gains a named member", () => {
    const before = makeDoc((doc) => {
      schemas(doc).Other = { type: "object", properties: {} };
      response(doc).schema = {
        anyOf: [
          { $ref: "#/components/schemas/Status" },
          { $ref: "#/components/schemas/Other" },
        ],
      };
    });
    const after = makeDoc((doc) => {
      schemas(doc).Other = { type: "object", properties: {} };
      schemas(doc).Third = { type: "object", properties: {} };
      response(doc).schema = {
        anyOf: [
          { $ref: "#/components/schemas/Status" },
          { $ref: "#/components/schemas/Other" },
          { $ref: "#/components/schemas/Third" },
        ],
      };
    });
    expect(verdict(before, after)).toEqual([
      [
        "union-member-added",
        "stop: response 200 (application/json): may now be Third",
      ],
    ]);
  });
});

describe("diffDocuments: the semver bump", () => {
  test.each<[string, (doc: Doc) => void, string]>([
    ["nothing", () => undefined, "none"],
    ["a description", (doc) => (op(doc).description = "Politely."), "patch"],
    [
      "a property named description, added",
      (doc) =>
        (schemas(doc).Status.properties.description = { type: "string" }),
      "minor",
    ],
    [
      "a new optional parameter",
      (doc) =>
        op(doc).parameters.push({
          name: "v",
          in: "query",
          schema: { type: "boolean" },
        }),
      "minor",
    ],
    [
      "a property removed",
      (doc) => delete schemas(doc).Status.properties.answer,
      "major",
    ],
  ])("%s: %s", (_name, change, bump) => {
    expect(
      diffDocuments(makeDoc() as JsonObject, makeDoc(change) as JsonObject)
        .bump,
    ).toBe(bump);
  });
});

describe("diffDocuments: changes that are not breaking", () => {
  test.each<[string, (doc: Doc) => void]>([
    [
      "a description",
      (doc) => (op(doc).description = "Stops an agent, politely."),
    ],
    [
      "a new optional parameter",
      (doc) =>
        op(doc).parameters.push({
          name: "verbose",
          in: "query",
          schema: { type: "boolean" },
        }),
    ],
    [
      "a new response property",
      (doc) => (schemas(doc).Status.properties.url = { type: "string" }),
    ],
    [
      "an enum value added to a request parameter",
      (doc) => param(doc, "mode").schema.enum.push("graceful"),
    ],
    [
      "null accepted by a request parameter",
      (doc) => (param(doc, "x-origin").schema = { type: ["string", "null"] }),
    ],
    [
      "a new response status",
      (doc) => (op(doc).responses["201"] = { description: "created" }),
    ],
    [
      "a response property made required",
      (doc) => schemas(doc).Status.required.push("answer"),
    ],
    [
      "a new optional request property",
      (doc) => (schemas(doc).StopRequest.properties.note = { type: "string" }),
    ],
    ["a 4xx response removed", (doc) => delete op(doc).responses["422"]],
    [
      "the same schema under another name",
      (doc) => {
        schemas(doc).Status2 = schemas(doc).Status;
        op(doc).responses["200"].content["application/json"].schema.$ref =
          "#/components/schemas/Status2";
      },
    ],
    [
      "null accepted by a request property",
      (doc) =>
        (schemas(doc).StopRequest.properties.force = {
          type: ["boolean", "null"],
        }),
    ],
  ])("%s", (_name, change) => {
    expect(breaking(change)).toEqual([]);
  });
});

describe("diffDocuments: what changed", () => {
  test("lists operations and schemas added, removed and changed", () => {
    const after = makeDoc((doc) => {
      schemas(doc).AgentStatus.description = "now documented";
      delete schemas(doc).StopRequest.properties.force;
      schemas(doc).New = { type: "string" };
      doc.paths["/health"] = {
        get: {
          operationId: "health",
          responses: { "200": { description: "ok" } },
        },
      };
      doc.servers = [{ url: "https://example.test" }];
    });
    const diff = diffDocuments(makeDoc() as JsonObject, after as JsonObject);
    expect(diff.operations).toEqual({
      added: ["health"],
      removed: [],
      changed: ["stop"],
    });
    expect(diff.schemas).toEqual({
      added: ["New"],
      removed: [],
      changed: ["StopRequest", "AgentStatus"],
    });
    expect(diff.document).toEqual({
      added: ["servers"],
      removed: [],
      changed: [],
    });
    expect(diff.breaking.map((found) => found.message)).toEqual([
      'stop: request body (application/json): property "force" removed',
    ]);
    expect(formatDiff(diff)).toBe(
      [
        "Changes since the previous openapi.json (info.version 1.0.0, unchanged):",
        "  operations added (1): health",
        "  operations changed (1): stop",
        "  schemas added (1): New",
        "  schemas changed (2): StopRequest, AgentStatus",
        "  top-level keys added (1): servers",
        "  breaking changes for callers (1):",
        '    - stop: request body (application/json): property "force" removed',
      ].join("\n"),
    );
  });

  test("key order alone is no change", () => {
    const reversed = JSON.parse(
      JSON.stringify(makeDoc()),
      function (this: unknown, _key, value: unknown) {
        return value !== null &&
          typeof value === "object" &&
          !Array.isArray(value)
          ? Object.fromEntries(Object.entries(value).reverse())
          : value;
      },
    ) as JsonObject;
    const diff = diffDocuments(makeDoc() as JsonObject, reversed);
    expect(formatDiff(diff)).toBe(
      [
        "Changes since the previous openapi.json (info.version 1.0.0, unchanged):",
        "  no changes",
        "  no breaking changes",
      ].join("\n"),
    );
  });

  test("a first pull has nothing to compare with", () => {
    const diff = diffDocuments(undefined, makeDoc() as JsonObject);
    expect(diff.breaking).toEqual([]);
    expect(formatDiff(diff)).toBe(
      "No previous openapi.json: 1 operation and 3 schemas added.",
    );
  });

  test("a version change is shown", () => {
    const diff = diffDocuments(
      makeDoc() as JsonObject,
      makeDoc((doc) => (doc.info.version = "1.1.0")) as JsonObject,
    );
    expect(formatDiff(diff).split("\n")[0]).toBe(
      "Changes since the previous openapi.json (info.version 1.0.0 → 1.1.0):",
    );
  });
});
