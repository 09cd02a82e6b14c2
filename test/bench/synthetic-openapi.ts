/**
 * A large synthetic OpenAPI 3.1 document, for the `generate` and `typecheck`
 * parts: about 2,000 operations and 3,000 schemas in the style of a FastAPI
 * service (as Notte's is), with references across resources and some cycles,
 * plus the real `agent_stop` operation and the schemas it uses, copied from
 * the committed openapi.json, so that pruning to `agent_stop` gives back a
 * document shaped like the committed one.
 *
 * Deterministic: the same options give the same bytes (a seeded generator).
 *
 * Run alone: `npx tsx test/bench/synthetic-openapi.ts [--out DIR]
 * [--resources N] [--extra-schemas N] [--ref-graph layered|random]`; writes `synthetic-openapi.json` into
 * DIR (default: a new temporary folder) and prints its path.
 */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isMain, ROOT } from "./common.js";

export interface SyntheticOptions {
  /** Resources, five operations each (list, create, get, update, delete). */
  resources: number;
  /** Schemas besides the four per resource (shared objects, enums, compositions). */
  extraSchemas: number;
  seed: number;
  /**
   * `layered` (default): references go from resources to shared objects to
   * smaller objects, with local cycles, as in most real APIs. `random`: any
   * object may reference any other (one strongly connected knot of thousands
   * of schemas), a stress case for tools that walk references recursively.
   */
  refGraph: "layered" | "random";
  /** Where to copy `agent_stop` from. */
  sourceDocument: string;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = {
  resources: 400,
  extraSchemas: 1_400,
  seed: 20_251_128,
  refGraph: "layered",
  sourceDocument: join(ROOT, "openapi.json"),
};

/** What {@link writeSyntheticOpenApi} wrote. */
export interface SyntheticDocument {
  path: string;
  bytes: number;
  /** Every operationId, `agent_stop` included. */
  operationIds: string[];
  schemaCount: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** mulberry32: a small seeded generator, enough for shapes (not for anything secret). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS = [
  "account",
  "address",
  "agent",
  "alert",
  "archive",
  "asset",
  "audit",
  "batch",
  "billing",
  "browser",
  "bucket",
  "campaign",
  "capture",
  "catalog",
  "channel",
  "checkout",
  "cluster",
  "comment",
  "contact",
  "cookie",
  "credential",
  "crawler",
  "dataset",
  "device",
  "domain",
  "download",
  "email",
  "event",
  "export",
  "extract",
  "feed",
  "file",
  "form",
  "group",
  "identity",
  "import",
  "invoice",
  "job",
  "label",
  "ledger",
  "link",
  "login",
  "member",
  "message",
  "metric",
  "monitor",
  "network",
  "note",
  "order",
  "page",
  "payment",
  "persona",
  "pipeline",
  "plan",
  "policy",
  "profile",
  "project",
  "proxy",
  "queue",
  "recording",
  "region",
  "replay",
  "report",
  "request",
  "result",
  "role",
  "route",
  "run",
  "schedule",
  "scrape",
  "screenshot",
  "script",
  "secret",
  "segment",
  "selector",
  "session",
  "signal",
  "snapshot",
  "source",
  "step",
  "storage",
  "stream",
  "subscription",
  "task",
  "team",
  "template",
  "tenant",
  "ticket",
  "token",
  "trace",
  "trigger",
  "upload",
  "usage",
  "user",
  "vault",
  "viewport",
  "webhook",
  "window",
  "workflow",
  "workspace",
] as const;

const FORMATS = ["date-time", "uuid", "email", "uri", "date"] as const;

function pascal(snake: string): string {
  return snake
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function ref(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function nullable(schema: JsonObject): JsonObject {
  return { anyOf: [schema, { type: "null" }] };
}

/** Copies `agent_stop` and everything it references out of a real document. */
async function realAgentStop(sourceDocument: string): Promise<{
  path: string;
  item: JsonObject;
  schemas: Record<string, Json>;
  securitySchemes: JsonObject;
}> {
  const doc = JSON.parse(await readFile(sourceDocument, "utf8")) as JsonObject;
  const paths = (doc.paths ?? {}) as Record<string, JsonObject>;
  for (const [path, item] of Object.entries(paths)) {
    for (const operation of Object.values(item)) {
      if (
        typeof operation === "object" &&
        operation !== null &&
        !Array.isArray(operation)
      ) {
        if (operation.operationId !== "agent_stop") continue;
        const allSchemas = ((doc.components as JsonObject | undefined)
          ?.schemas ?? {}) as Record<string, Json>;
        const schemas: Record<string, Json> = {};
        const visit = (value: Json): void => {
          if (Array.isArray(value)) value.forEach(visit);
          else if (typeof value === "object" && value !== null) {
            const target = value.$ref;
            if (
              typeof target === "string" &&
              target.startsWith("#/components/schemas/")
            ) {
              const name = target.slice("#/components/schemas/".length);
              const schema = allSchemas[name];
              if (schema !== undefined && !(name in schemas)) {
                schemas[name] = schema;
                visit(schema);
              }
            }
            Object.values(value).forEach(visit);
          }
        };
        visit(item);
        const securitySchemes = ((doc.components as JsonObject | undefined)
          ?.securitySchemes ?? {}) as JsonObject;
        return { path, item, schemas, securitySchemes };
      }
    }
  }
  throw new Error(`${sourceDocument} has no agent_stop operation to copy`);
}

/** Builds the document in memory. */
export async function buildSyntheticOpenApi(
  options: SyntheticOptions = DEFAULT_SYNTHETIC,
): Promise<{ doc: JsonObject; operationIds: string[]; schemaCount: number }> {
  const random = seeded(options.seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)] as T;
  const between = (low: number, high: number): number =>
    low + Math.floor(random() * (high - low + 1));
  const real = await realAgentStop(options.sourceDocument);

  const schemas: Record<string, Json> = { ...real.schemas };
  // FastAPI's shared error shapes: every operation answers 422 with them.
  schemas.HTTPValidationError ??= {
    properties: {
      detail: { items: ref("ValidationError"), type: "array", title: "Detail" },
    },
    type: "object",
    title: "HTTPValidationError",
  };
  schemas.ValidationError ??= {
    properties: {
      loc: {
        items: { anyOf: [{ type: "string" }, { type: "integer" }] },
        type: "array",
        title: "Location",
      },
      msg: { type: "string", title: "Message" },
      type: { type: "string", title: "Error Type" },
    },
    type: "object",
    required: ["loc", "msg", "type"],
    title: "ValidationError",
  };
  schemas.ErrorResponse = {
    properties: {
      message: { type: "string", title: "Message" },
      detail: nullable({ type: "string" }),
    },
    type: "object",
    required: ["message"],
    title: "ErrorResponse",
  };

  // Names first, so properties can point forward as well as back (cycles included).
  const resources = Array.from({ length: options.resources }, (_, index) => {
    const word = WORDS[index % WORDS.length] as string;
    const round = Math.floor(index / WORDS.length);
    return round === 0 ? word : `${word}_${pick(WORDS)}_${round}`;
  });
  const unique = new Set<string>();
  const resourceNames = resources.map((name) => {
    let candidate = name;
    for (let n = 2; unique.has(candidate); n++) candidate = `${name}_${n}`;
    unique.add(candidate);
    return candidate;
  });
  const extraNames = Array.from(
    { length: options.extraSchemas },
    (_, index) => {
      const kind = index % 10;
      const base = `${pascal(pick(WORDS))}${pascal(pick(WORDS))}`;
      const suffix =
        kind < 5
          ? "Details"
          : kind < 7
            ? "Kind"
            : kind < 9
              ? "Settings"
              : "Variant";
      return `${base}${suffix}${index}`;
    },
  );
  const enumTargets = extraNames.filter((name) => name.includes("Kind"));
  const extraObjects = extraNames.filter((name) => !name.includes("Kind"));
  const models = resourceNames.map((name) => pascal(name));
  // Layered: shared objects sit on levels 1-4 and point only to lower levels;
  // resource models sit above them and point to shared objects and to models
  // of earlier resources. Cycles are local: a schema that holds itself
  // (children, parent), as recursive models do. Random: any object may point
  // to any other, one big knot of references.
  const levelOf = new Map<string, number>();
  extraObjects.forEach((name, index) => levelOf.set(name, 1 + (index % 4)));
  models.forEach((name) => levelOf.set(name, 5));
  const byLevel = [1, 2, 3, 4].map((level) =>
    extraObjects.filter((name) => levelOf.get(name) === level),
  );
  const target = (owner: string): string | undefined => {
    if (options.refGraph === "random")
      return pick([...models, ...extraObjects]);
    const level = levelOf.get(owner) ?? 5;
    const modelIndex = models.indexOf(owner);
    if (level === 5 && modelIndex > 0 && random() < 0.15)
      return models[Math.floor(random() * modelIndex)];
    const lower = byLevel.slice(0, Math.min(level, 5) - 1).flat();
    return lower.length === 0 ? undefined : pick(lower);
  };

  const property = (owner: string): JsonObject => {
    const roll = random();
    if (roll < 0.22) return { type: "string", title: "Text" };
    if (roll < 0.32) return { type: "string", format: pick(FORMATS) };
    if (roll < 0.4) return { type: "integer", minimum: 0 };
    if (roll < 0.45) return { type: "number" };
    if (roll < 0.52) return { type: "boolean", default: false };
    if (roll < 0.6) return nullable({ type: "string" });
    const other = target(owner);
    if (roll < 0.67 || other === undefined) return ref(pick(enumTargets));
    if (roll < 0.8) return ref(other);
    if (roll < 0.9) return { items: ref(other), type: "array" };
    if (roll < 0.95)
      return { additionalProperties: ref(other), type: "object" };
    return nullable(ref(other));
  };
  const objectSchema = (
    title: string,
    min: number,
    max: number,
    owner = title,
  ): JsonObject => {
    const properties: JsonObject = {};
    const required: string[] = [];
    const count = between(min, max);
    for (let index = 0; index < count; index++) {
      const name = `${pick(WORDS)}_${pick(["id", "name", "count", "at", "url", "state", "items", "config"])}${index}`;
      properties[name] = {
        ...property(owner),
        description: `The ${name.replace(/_/g, " ")} of the ${title}.`,
      };
      if (random() < 0.4) required.push(name);
    }
    if (random() < 0.06) {
      properties.children = {
        items: ref(owner),
        type: "array",
        description: "Nested entries of the same kind.",
      };
    }
    return {
      properties,
      type: "object",
      ...(required.length > 0 && { required }),
      title,
    };
  };

  for (const name of extraNames) {
    if (name.includes("Kind")) {
      schemas[name] = {
        type: "string",
        enum: Array.from(
          { length: between(3, 8) },
          (_, index) => `${pick(WORDS)}_${index}`,
        ),
        title: name,
      };
      continue;
    }
    const first = target(name);
    const second = target(name);
    if (
      name.includes("Variant") &&
      first !== undefined &&
      second !== undefined &&
      first !== second
    ) {
      schemas[name] = { oneOf: [ref(first), ref(second)], title: name };
    } else if (
      name.includes("Settings") &&
      first !== undefined &&
      random() < 0.5
    ) {
      schemas[name] = {
        allOf: [ref(first), objectSchema(name, 2, 5)],
        title: name,
      };
    } else {
      schemas[name] = objectSchema(name, 4, 12);
    }
  }

  const paths: JsonObject = {};
  const operationIds: string[] = [];
  const common = (
    resource: string,
    verb: string,
    summary: string,
  ): JsonObject => {
    const operationId = `${resource}_${verb}`;
    operationIds.push(operationId);
    return {
      tags: [resource.split("_")[0] as string],
      summary,
      operationId,
      security: [{ OAuth2PasswordBearer: [] }],
    };
  };
  const originHeader: JsonObject = {
    name: "x-notte-request-origin",
    in: "header",
    required: false,
    schema: {
      anyOf: [{ type: "string" }, { type: "null" }],
      title: "X-Notte-Request-Origin",
    },
  };
  const answers = (schema: JsonObject): JsonObject => ({
    "200": {
      description: "Successful Response",
      content: { "application/json": { schema } },
    },
    "404": {
      description: "Not Found",
      content: { "application/json": { schema: ref("ErrorResponse") } },
    },
    "422": {
      description: "Validation Error",
      content: { "application/json": { schema: ref("HTTPValidationError") } },
    },
  });
  const body = (name: string): JsonObject => ({
    required: true,
    content: { "application/json": { schema: ref(name) } },
  });

  for (const resource of resourceNames) {
    const model = pascal(resource);
    schemas[model] = {
      ...objectSchema(model, 6, 14),
      title: model,
    };
    const fields = schemas[model] as JsonObject;
    (fields.properties as JsonObject).id = { type: "string", title: "Id" };
    (fields.properties as JsonObject).created_at = {
      type: "string",
      format: "date-time",
    };
    fields.required = [
      ...((fields.required as string[] | undefined) ?? []),
      "id",
      "created_at",
    ];
    schemas[`${model}Create`] = objectSchema(`${model}Create`, 3, 8, model);
    schemas[`${model}Update`] = objectSchema(`${model}Update`, 2, 6, model);
    schemas[`${model}Page`] = {
      properties: {
        items: { items: ref(model), type: "array", title: "Items" },
        next_cursor: nullable({ type: "string" }),
        total: { type: "integer", title: "Total" },
      },
      type: "object",
      required: ["items", "total"],
      title: `${model}Page`,
    };
    const idParam: JsonObject = {
      name: `${resource}_id`,
      in: "path",
      required: true,
      schema: { type: "string", title: `${model} Id` },
    };
    paths[`/${resource.replace(/_/g, "-")}s`] = {
      get: {
        ...common(resource, "list", `List ${model}s`),
        parameters: [
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", maximum: 100, default: 20 },
          },
          {
            name: "cursor",
            in: "query",
            required: false,
            schema: nullable({ type: "string" }),
          },
          {
            name: "kind",
            in: "query",
            required: false,
            schema: nullable(ref(pick(enumTargets))),
          },
          originHeader,
        ],
        responses: answers(ref(`${model}Page`)),
      },
      post: {
        ...common(resource, "create", `Create ${model}`),
        parameters: [originHeader],
        requestBody: body(`${model}Create`),
        responses: answers(ref(model)),
      },
    };
    paths[`/${resource.replace(/_/g, "-")}s/{${resource}_id}`] = {
      get: {
        ...common(resource, "get", `Get ${model}`),
        parameters: [idParam, originHeader],
        responses: answers(ref(model)),
      },
      patch: {
        ...common(resource, "update", `Update ${model}`),
        parameters: [idParam, originHeader],
        requestBody: body(`${model}Update`),
        responses: answers(ref(model)),
      },
      delete: {
        ...common(resource, "delete", `Delete ${model}`),
        parameters: [idParam, originHeader],
        responses: answers(ref(model)),
      },
    };
  }

  // The real operation, under its real path (merged if a synthetic path took it).
  paths[real.path] = {
    ...((paths[real.path] as JsonObject | undefined) ?? {}),
    ...real.item,
  };
  operationIds.push("agent_stop");

  const doc: JsonObject = {
    openapi: "3.1.0",
    info: {
      title: "Notte API (synthetic, for benchmarks)",
      description:
        "A large synthetic document in the shape of a FastAPI service, for benchmarking code generation.",
      version: "9.9.9",
    },
    servers: [],
    security: [],
    tags: [
      ...new Set(resourceNames.map((name) => name.split("_")[0] as string)),
    ].map((name) => ({
      name,
      description: `Operations on ${name}s`,
    })),
    paths,
    components: { schemas, securitySchemes: real.securitySchemes },
  };
  return { doc, operationIds, schemaCount: Object.keys(schemas).length };
}

/** Writes `synthetic-openapi.json` into `dir` (default: a new temporary folder). */
export async function writeSyntheticOpenApi(
  dir?: string,
  options: SyntheticOptions = DEFAULT_SYNTHETIC,
): Promise<SyntheticDocument> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), "notte-bench-openapi-")));
  await mkdir(folder, { recursive: true });
  const { doc, operationIds, schemaCount } =
    await buildSyntheticOpenApi(options);
  const text = JSON.stringify(doc);
  const path = join(folder, "synthetic-openapi.json");
  await writeFile(path, text);
  return { path, bytes: Buffer.byteLength(text), operationIds, schemaCount };
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      resources: { type: "string" },
      "extra-schemas": { type: "string" },
      "ref-graph": { type: "string" },
    },
  });
  const options: SyntheticOptions = {
    ...DEFAULT_SYNTHETIC,
    ...(values.resources !== undefined && {
      resources: Number(values.resources),
    }),
    ...(values["extra-schemas"] !== undefined && {
      extraSchemas: Number(values["extra-schemas"]),
    }),
    ...(values["ref-graph"] === "random" && { refGraph: "random" as const }),
  };
  const written = await writeSyntheticOpenApi(values.out, options);
  process.stdout.write(
    `${written.path}: ${written.operationIds.length} operations, ${written.schemaCount} schemas, ${written.bytes} bytes\n`,
  );
}
