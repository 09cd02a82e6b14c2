/**
 * generated/answer-shapes.ts: for each kept operation, the fields its
 * success answer must have, derived from openapi.json, so that the client's
 * run-time check of an answer (and the test server) follow the document
 * instead of a list kept by hand. Pure.
 */
import {
  deref,
  isRecord,
  jsonText,
  listOperations,
  operationName,
  type JsonObject,
  type OpenApiDocument,
} from "./document.js";

/** A required field: its allowed values, its JSON types, or `{}` (present, any value). */
type FieldShape = { enum: unknown[] } | { types: string[] } | JsonObject;

const JSON_TYPES = [
  "array",
  "boolean",
  "integer",
  "null",
  "number",
  "object",
  "string",
];

/** The source of generated/answer-shapes.ts (before prettier), after `header`. */
export function answerShapesSource(
  doc: OpenApiDocument,
  header: string,
): string {
  const shapes: Record<string, unknown> = {};
  const operations = listOperations(doc).map(
    (l) => [operationName(l), l] as const,
  );
  for (const [name, { operation }] of operations.sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    const schema = successSchema(doc, operation["responses"]);
    const ref = isRecord(schema) ? schema["$ref"] : undefined;
    const component =
      typeof ref === "string"
        ? /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1]
        : undefined;
    const object = resolve(doc, schema);
    const properties = isRecord(object?.["properties"])
      ? object["properties"]
      : {};
    const required = Array.isArray(object?.["required"])
      ? object["required"]
      : [];
    const fields: Record<string, FieldShape> = {};
    for (const field of required
      .filter((n): n is string => typeof n === "string")
      .sort())
      fields[field] = Object.hasOwn(properties, field)
        ? fieldShape(doc, properties[field])
        : {};
    shapes[name] = {
      schema:
        component === undefined
          ? null
          : decodeURIComponent(component)
              .replace(/~1/g, "/")
              .replace(/~0/g, "~"),
      required: fields,
    };
  }
  return [
    header,
    "/**",
    " * What each kept operation's success answer (its lowest 2xx `application/json`",
    " * response) must hold, by operationId: `schema` names its component in",
    ' * `components["schemas"]` (`null` when it is not a `$ref` to one), and',
    " * `required` gives each required property either the values it may take",
    " * (`enum`, an enum or a `const`; `null` included when nullable) or the JSON",
    " * types it may have (`types`); `{}` when neither can be said (present, any value).",
    " */",
    `export const ANSWER_SHAPES = ${jsonText(shapes)} as const;`,
    "",
  ].join("\n");
}

/** The schema of the lowest 2xx response with `application/json` content. */
function successSchema(doc: OpenApiDocument, responses: unknown): unknown {
  const statuses = Object.keys(isRecord(responses) ? responses : {})
    .filter((status) => /^2(\d\d|XX)$/i.test(status))
    .sort((a, b) =>
      a.toUpperCase() === "2XX"
        ? 1
        : b.toUpperCase() === "2XX"
          ? -1
          : Number(a) - Number(b),
    );
  for (const status of statuses) {
    const response = deref(doc, (responses as JsonObject)[status]).value;
    const content = isRecord(response) ? response["content"] : undefined;
    const media = isRecord(content) ? content["application/json"] : undefined;
    if (isRecord(media)) return media["schema"];
  }
  return undefined;
}

/** A schema with `$ref`s followed and a one-member `allOf` (a description beside a `$ref`) unwrapped. */
function resolve(
  doc: OpenApiDocument,
  schema: unknown,
): JsonObject | undefined {
  let current = deref(doc, schema).value;
  for (let steps = 0; steps < 100 && isRecord(current); steps++) {
    const allOf = current["allOf"];
    if (
      !Array.isArray(allOf) ||
      allOf.length !== 1 ||
      "type" in current ||
      "properties" in current
    )
      return current;
    current = deref(doc, allOf[0]).value;
  }
  return isRecord(current) ? current : undefined;
}

function fieldShape(doc: OpenApiDocument, property: unknown): FieldShape {
  const schema = resolve(doc, property);
  if (schema === undefined) return {};
  const nullable = schema["nullable"] === true;
  const values = Array.isArray(schema["enum"])
    ? schema["enum"]
    : "const" in schema
      ? [schema["const"]]
      : undefined;
  if (values !== undefined)
    return {
      enum:
        nullable && !values.includes(null) ? [...values, null] : [...values],
    };
  const types = typesOf(doc, schema, 0);
  if (types === undefined || types.size === 0) return {};
  if (types.has("number")) types.delete("integer");
  return { types: JSON_TYPES.filter((type) => types.has(type)) };
}

/** The JSON types a schema allows, or `undefined` when it does not say (no type, several `allOf`, `{}`). */
function typesOf(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth: number,
): Set<string> | undefined {
  const types = new Set<string>();
  const { type } = schema;
  const members = [
    ...(Array.isArray(schema["anyOf"]) ? schema["anyOf"] : []),
    ...(Array.isArray(schema["oneOf"]) ? schema["oneOf"] : []),
  ];
  if (typeof type === "string" || Array.isArray(type))
    for (const t of [type].flat()) types.add(String(t));
  else if (Array.isArray(schema["enum"]) || "const" in schema) {
    for (const value of Array.isArray(schema["enum"])
      ? schema["enum"]
      : [schema["const"]])
      types.add(jsonType(value));
  } else if (members.length > 0 && depth < 10) {
    for (const member of members) {
      const resolved = resolve(doc, member);
      const inner =
        resolved === undefined ? undefined : typesOf(doc, resolved, depth + 1);
      if (inner === undefined) return undefined;
      for (const t of inner) types.add(t);
    }
  } else return undefined;
  if (schema["nullable"] === true) types.add("null");
  return [...types].every((t) => JSON_TYPES.includes(t)) ? types : undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "bigint") return "integer";
  if (typeof value === "number")
    return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
