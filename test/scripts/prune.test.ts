import { describe, expect, test } from "vitest";
import { pruneDocument } from "../../scripts/prune.js";
import { PipelineError, type JsonObject } from "../../scripts/document.js";

const schema = (name: string): JsonObject => ({
  $ref: `#/components/schemas/${name}`,
});
const json = (ref: string): JsonObject => ({
  content: { "application/json": { schema: { $ref: ref } } },
});

/**
 * A document where the kept operation (`keep_me`) uses every kind of
 * reference, next to an operation that must disappear with what only it uses.
 */
function fullDocument(): JsonObject {
  return {
    openapi: "3.1.0",
    info: { title: "Fixture", version: "1.0.0" },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: [{ url: "https://api.example.test" }],
    security: [{ RootAuth: [] }],
    tags: [{ name: "kept" }, { name: "dropped" }],
    "x-root-extension": { note: "kept as is" },
    paths: {
      "/items/{id}": {
        summary: "Items",
        parameters: [{ $ref: "#/components/parameters/ItemId" }],
        get: {
          operationId: "keep_me",
          tags: ["kept"],
          parameters: [{ $ref: "#/components/parameters/Limit" }],
          requestBody: { $ref: "#/components/requestBodies/ItemBody" },
          responses: {
            "200": { $ref: "#/components/responses/ItemOk" },
            default: json("#/components/schemas/Error"),
          },
          callbacks: {
            onDone: { $ref: "#/components/callbacks/Done" },
          },
          security: [{ KeptAuth: ["read"] }],
        },
        delete: {
          operationId: "drop_me",
          tags: ["dropped"],
          responses: { "204": json("#/components/schemas/OnlyDropped") },
        },
      },
      "/other": {
        summary: "dropped with its only operation",
        post: {
          operationId: "other",
          responses: { "200": json("#/components/schemas/OnlyDropped") },
          security: [{ DroppedAuth: [] }],
        },
      },
    },
    components: {
      schemas: {
        Zebra: { type: "string" },
        Item: {
          type: "object",
          properties: {
            child: schema("Item"),
            a: schema("Shared"),
            b: schema("Shared"),
            pet: schema("Pet"),
          },
        },
        Shared: { type: "string" },
        Error: { type: "object", properties: { message: { type: "string" } } },
        OnlyDropped: { type: "string" },
        CallbackPayload: { type: "object" },
        HeaderValue: { type: "integer" },
        Pet: {
          oneOf: [schema("Cat"), schema("Dog")],
          discriminator: {
            propertyName: "kind",
            mapping: {
              cat: "#/components/schemas/Cat",
              dog: "Dog",
              bird: "Bird",
            },
          },
        },
        Cat: { type: "object", properties: { owner: schema("Person") } },
        Dog: { type: "object" },
        Bird: { type: "object" },
        Person: { type: "object", properties: { pet: schema("Pet") } },
        Unused: { type: "boolean" },
      },
      parameters: {
        ItemId: {
          name: "id",
          in: "path",
          required: true,
          schema: schema("Shared"),
        },
        Limit: { name: "limit", in: "query", schema: { type: "integer" } },
        Unused: { name: "unused", in: "query", schema: { type: "string" } },
      },
      requestBodies: {
        ItemBody: json("#/components/schemas/Item"),
        Unused: json("#/components/schemas/Unused"),
      },
      responses: {
        ItemOk: {
          description: "ok",
          headers: { "X-Rate": { $ref: "#/components/headers/Rate" } },
          links: { next: { $ref: "#/components/links/Next" } },
          content: {
            "application/json": {
              schema: schema("Item"),
              examples: { one: { $ref: "#/components/examples/OneItem" } },
            },
          },
        },
        Unused: { description: "unused" },
      },
      headers: {
        Rate: { schema: schema("HeaderValue") },
        Unused: { schema: { type: "string" } },
      },
      examples: { OneItem: { value: { id: 1 } }, Unused: { value: 2 } },
      links: { Next: { operationId: "keep_me" }, Unused: { operationId: "x" } },
      callbacks: {
        Done: {
          "{$request.body#/url}": { $ref: "#/components/pathItems/DoneHook" },
        },
      },
      pathItems: {
        DoneHook: {
          post: {
            requestBody: json("#/components/schemas/CallbackPayload"),
            responses: { "200": { description: "ok" } },
          },
        },
        Unused: { get: { responses: { "200": { description: "ok" } } } },
      },
      securitySchemes: {
        RootAuth: { type: "http", scheme: "basic" },
        KeptAuth: { type: "http", scheme: "bearer" },
        DroppedAuth: { type: "apiKey", in: "header", name: "x-key" },
      },
      "x-components-extension": { kept: true },
    },
  };
}

describe("pruneDocument", () => {
  const pruned = pruneDocument(fullDocument(), ["keep_me"]);
  const components = pruned["components"] as Record<string, JsonObject>;

  test("keeps the listed operation with its path item's other keys, drops other methods and paths", () => {
    const paths = pruned["paths"] as Record<string, JsonObject>;
    expect(Object.keys(paths)).toEqual(["/items/{id}"]);
    expect(Object.keys(paths["/items/{id}"] ?? {})).toEqual([
      "summary",
      "parameters",
      "get",
    ]);
  });

  test("follows references into every components section, transitively", () => {
    expect(Object.keys(components["parameters"] ?? {})).toEqual([
      "ItemId",
      "Limit",
    ]);
    expect(Object.keys(components["requestBodies"] ?? {})).toEqual([
      "ItemBody",
    ]);
    expect(Object.keys(components["responses"] ?? {})).toEqual(["ItemOk"]);
    expect(Object.keys(components["headers"] ?? {})).toEqual(["Rate"]);
    expect(Object.keys(components["examples"] ?? {})).toEqual(["OneItem"]);
    expect(Object.keys(components["links"] ?? {})).toEqual(["Next"]);
    expect(Object.keys(components["callbacks"] ?? {})).toEqual(["Done"]);
    expect(Object.keys(components["pathItems"] ?? {})).toEqual(["DoneHook"]);
  });

  test("keeps schemas reached through cycles, twice, by discriminator mappings, in source order", () => {
    expect(Object.keys(components["schemas"] ?? {})).toEqual([
      "Item", // reaches itself through `child`
      "Shared", // reached twice from Item, and from the path-level parameter
      "Error",
      "CallbackPayload", // callback → pathItems → request body
      "HeaderValue", // response → header → schema
      "Pet",
      "Cat", // mapping as a reference; Cat → Person → Pet closes a cycle
      "Dog", // mapping as a bare name
      "Bird", // only named by the mapping
      "Person",
    ]);
  });

  test("keeps security schemes named by the operation and by the root security", () => {
    expect(Object.keys(components["securitySchemes"] ?? {})).toEqual([
      "RootAuth",
      "KeptAuth",
    ]);
  });

  test("keeps other root keys and component extensions, in the source's key order", () => {
    expect(Object.keys(pruned)).toEqual([
      "openapi",
      "info",
      "jsonSchemaDialect",
      "servers",
      "security",
      "tags",
      "x-root-extension",
      "paths",
      "components",
    ]);
    expect(components["x-components-extension"]).toEqual({ kept: true });
    expect(Object.keys(components)).toEqual([
      "schemas",
      "parameters",
      "requestBodies",
      "responses",
      "headers",
      "examples",
      "links",
      "callbacks",
      "pathItems",
      "securitySchemes",
      "x-components-extension",
    ]);
  });

  test("keeps a root key named __proto__ as data", () => {
    // Before: read as Object.prototype, an empty object, and dropped.
    const doc = JSON.parse('{"__proto__": {"note": 1}}') as JsonObject;
    const kept = pruneDocument({ ...fullDocument(), ...doc }, ["keep_me"]);
    expect(Object.hasOwn(kept, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(kept, "__proto__")?.value).toEqual({
      note: 1,
    });
  });

  test("keeps only the tags a kept operation names", () => {
    expect(pruned["tags"]).toEqual([{ name: "kept" }]);
  });

  test("does not modify its input, and shares what it keeps whole instead of copying it", () => {
    const input = fullDocument();
    const before = JSON.stringify(input);
    const result = pruneDocument(input, ["keep_me"]);
    expect(JSON.stringify(input)).toBe(before);
    expect(result["info"]).toBe(input["info"]);
    // The objects that lose keys are new.
    expect(result["paths"]).not.toBe(input["paths"]);
    expect(result["components"]).not.toBe(input["components"]);
  });

  test("an operation without security falls back on the root security", () => {
    const doc = fullDocument();
    const get = (doc["paths"] as Record<string, Record<string, JsonObject>>)[
      "/items/{id}"
    ]?.["get"];
    delete get?.["security"];
    const result = pruneDocument(doc, ["keep_me"]);
    expect(
      Object.keys(
        (result["components"] as Record<string, JsonObject>)[
          "securitySchemes"
        ] ?? {},
      ),
    ).toEqual(["RootAuth"]);
  });

  test("keeps several operations, and drops sections nothing uses", () => {
    const result = pruneDocument(fullDocument(), ["other", "drop_me"]);
    expect(Object.keys(result["paths"] as JsonObject)).toEqual([
      "/items/{id}",
      "/other",
    ]);
    const kept = result["components"] as Record<string, JsonObject>;
    // The path-level parameter of /items/{id} stays with its path item.
    expect(Object.keys(kept)).toEqual([
      "schemas",
      "parameters",
      "securitySchemes",
      "x-components-extension",
    ]);
    expect(Object.keys(kept["schemas"] ?? {})).toEqual([
      "Shared",
      "OnlyDropped",
    ]);
    expect(Object.keys(kept["securitySchemes"] ?? {})).toEqual([
      "RootAuth",
      "DroppedAuth",
    ]);
  });
});

describe("pruneDocument, special cases", () => {
  test("decodes ~1, ~0 and percent-encoding in references", () => {
    const doc = {
      openapi: "3.0.3",
      info: { title: "t", version: "1" },
      paths: {
        "/a": {
          get: {
            operationId: "a",
            responses: {
              "200": json("#/components/schemas/a~1b~0c"),
              "201": json("#/components/schemas/with%20space"),
            },
          },
        },
      },
      components: {
        schemas: {
          "a/b~c": { type: "string" },
          "with space": { type: "string" },
          other: { type: "string" },
        },
      },
    };
    const result = pruneDocument(doc, ["a"]);
    expect(
      Object.keys(
        (result["components"] as Record<string, JsonObject>)["schemas"] ?? {},
      ),
    ).toEqual(["a/b~c", "with space"]);
  });

  test("drops webhooks unless one of their operations is listed", () => {
    const doc = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: {
        "/a": {
          get: {
            operationId: "a",
            responses: { "200": { description: "ok" } },
          },
        },
      },
      webhooks: {
        created: {
          post: {
            operationId: "on_created",
            requestBody: json("#/components/schemas/Event"),
            responses: { "200": { description: "ok" } },
          },
        },
        deleted: { post: { responses: { "200": { description: "ok" } } } },
      },
      components: { schemas: { Event: { type: "object" } } },
    };
    const without = pruneDocument(doc, ["a"]);
    expect(without["webhooks"]).toBeUndefined();
    expect(without["components"]).toBeUndefined();
    const withHook = pruneDocument(doc, ["a", "on_created"]);
    expect(Object.keys(withHook["webhooks"] as JsonObject)).toEqual([
      "created",
    ]);
    expect(withHook["components"]).toEqual({
      schemas: { Event: { type: "object" } },
    });
  });

  test("keeps a path item given as a reference to components/pathItems", () => {
    const doc = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: {
        "/a": { $ref: "#/components/pathItems/A" },
        "/b": { $ref: "#/components/pathItems/B" },
      },
      components: {
        pathItems: {
          A: {
            get: {
              operationId: "a",
              responses: { "200": { description: "ok" } },
            },
          },
          B: {
            get: {
              operationId: "b",
              responses: { "200": { description: "ok" } },
            },
          },
        },
      },
    };
    const result = pruneDocument(doc, ["a"]);
    expect(result["paths"]).toEqual({
      "/a": { $ref: "#/components/pathItems/A" },
    });
    expect(
      Object.keys(
        (result["components"] as Record<string, JsonObject>)["pathItems"] ?? {},
      ),
    ).toEqual(["A"]);
  });

  test("an unknown operationId is an error naming it, with a suggestion", () => {
    expect(() =>
      pruneDocument(fullDocument(), ["keep_me", "keep_mee", "nothing_like_it"]),
    ).toThrow(
      new PipelineError(
        'unknown operationIds "keep_mee" (did you mean "keep_me"?), "nothing_like_it": not found in the document\'s 3 operations',
      ),
    );
  });

  test("a reference that resolves nowhere is an error naming it and where it is", () => {
    const doc = fullDocument();
    const schemas =
      (doc["components"] as Record<string, JsonObject>)["schemas"] ?? {};
    delete schemas["Shared"];
    expect(() => pruneDocument(doc, ["keep_me"])).toThrow(
      /^\$ref "#\/components\/schemas\/Shared" at #\/components\/\S+ resolves nowhere$/,
    );
  });

  test("a reference into a dropped operation is an error", () => {
    const doc = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: {
        "/a": {
          get: {
            operationId: "a",
            parameters: [{ $ref: "#/paths/~1b/get/parameters/0" }],
            responses: { "200": { description: "ok" } },
          },
        },
        "/b": {
          get: {
            operationId: "b",
            parameters: [
              { name: "q", in: "query", schema: { type: "string" } },
            ],
            responses: { "200": { description: "ok" } },
          },
        },
      },
    };
    expect(() => pruneDocument(doc, ["a"])).toThrow(
      /points into paths that are not kept/,
    );
    expect(
      Object.keys(pruneDocument(doc, ["a", "b"])["paths"] as JsonObject),
    ).toEqual(["/a", "/b"]);
  });

  test("no operations at all keeps the root keys and no paths", () => {
    const pruned = pruneDocument(fullDocument(), []);
    expect(pruned["paths"]).toEqual({});
    expect(pruned["info"]).toEqual(fullDocument()["info"]);
  });
});
