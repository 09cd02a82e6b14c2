/**
 * What one schema says, for `schemas.ts` (pure): its alternatives (unions
 * flattened, `$ref`s resolved), their types, enums and properties, and what
 * changed between two in bounds, patterns, defaults and other keywords.
 */
import { sameJson, words } from "./align.js";
import {
  componentKey,
  deref,
  entriesOf,
  isRecord,
  jsonText,
  recordOf,
  type JsonObject,
  type OpenApiDocument,
} from "./document.js";
import type { RuleId } from "./rules.js";

/** A change as the rules table names it, and its detail. */
export type Found = [rule: RuleId, detail: string];

/**
 * One alternative of a schema, resolved; `raw` as written (a `$ref` keeps
 * the component's name for the next pair), `key` that component's
 * `section/name`, `types` the JSON types it allows (or "any"), `exclusive`
 * for a `oneOf` member, `label` its place in its union (`oneOf[1]`).
 */
export interface Variant {
  readonly schema: JsonObject;
  readonly raw: unknown;
  readonly key: string | undefined;
  readonly types: readonly string[];
  readonly exclusive: boolean;
  readonly label: string;
}

const ANY = "any";

/** Keywords a schema comparison reads itself; any other is compared as it is. */
export const SCHEMA_KEYS = words(
  "$ref type nullable enum const anyOf oneOf allOf properties required " +
    "additionalProperties items prefixItems default minLength maxLength " +
    "minItems maxItems minProperties maxProperties minimum maximum " +
    "exclusiveMinimum exclusiveMaximum multipleOf uniqueItems pattern",
);
/** Keywords documenting and changing nothing a caller can observe. */
const DOCUMENTATION = words(
  "description summary title example examples externalDocs tags info $comment",
);
/** Patterns that match every string: changing to them rejects nothing. */
const WIDE_PATTERNS = words(".* ^.*$ ^.* .*$ (.*) ^(.*)$");

/**
 * The alternatives a schema allows: `$ref`s resolved, `anyOf`/`oneOf` flattened,
 * `nullable: true` as `null`, a one-member `allOf` as its member (a larger one
 * stays one alternative, read through by {@link propertiesOf}).
 */
export function flatten(doc: OpenApiDocument, schema: unknown): Variant[] {
  const variants: Variant[] = [];
  const queue: [unknown, boolean, string][] = [[schema, false, ""]];
  const expanded = new Set<unknown>();
  for (const [raw, exclusive, label] of queue) {
    const { value, ref } = deref(doc, raw);
    if (value === false) continue;
    const schema = recordOf(value);
    const list = (key: string) =>
      Array.isArray(schema[key]) ? (schema[key] as unknown[]) : [];
    const [anyOf, oneOf, allOf] = [list("anyOf"), list("oneOf"), list("allOf")];
    const wrapper =
      allOf.length === 1 && !("type" in schema) && !("properties" in schema);
    if (anyOf.length + oneOf.length === 0 && !wrapper) {
      const [key, types] = [componentKey(ref), typesOfSchema(doc, schema)];
      variants.push({ schema, raw, key, types, exclusive, label });
      continue;
    }
    // A union met again (`A: anyOf [A, B]`, or `anyOf [A, A]`) adds nothing.
    if (expanded.has(value)) continue;
    expanded.add(value);
    if (anyOf.length + oneOf.length === 0)
      queue.push([allOf[0], exclusive, label]);
    anyOf.forEach((m, i) => queue.push([m, exclusive, `anyOf[${i}]`]));
    oneOf.forEach((m, i) => queue.push([m, true, `oneOf[${i}]`]));
    if (schema["nullable"] === true) queue.push([{ type: "null" }, false, ""]);
  }
  return variants;
}

/** The JSON types one schema allows (an `allOf` without its own: its first member that says). */
function typesOfSchema(doc: OpenApiDocument, schema: JsonObject): string[] {
  const { type, allOf, nullable } = schema;
  const has = (key: string) => schema[key] !== undefined;
  let types: string[] = [];
  if (typeof type === "string") types = [type];
  else if (Array.isArray(type)) types = type.map(String);
  else if (Array.isArray(allOf)) {
    for (const part of partsOf(doc, schema).slice(1)) {
      types = typesOfSchema(doc, { ...part, allOf: undefined });
      if (!types.includes(ANY)) break;
    }
  } else if (Array.isArray(schema["enum"]) || "const" in schema) {
    const values = Array.isArray(schema["enum"])
      ? schema["enum"]
      : [schema["const"]];
    types = values.map(jsonType);
  } else if (["properties", "additionalProperties", "required"].some(has))
    types = ["object"];
  else if (["items", "prefixItems"].some(has)) types = ["array"];
  types = types.filter((t) => t !== ANY);
  if (nullable === true) types.push("null");
  return types.length === 0 ? [ANY] : types;
}

/** The JSON type of a value (`integer` for a whole number). */
export function jsonType(value: unknown): string {
  if (value === null || Array.isArray(value)) return value ? "array" : "null";
  if (typeof value === "bigint" || Number.isInteger(value)) return "integer";
  return typeof value === "object" ? "object" : typeof value;
}

/** The JSON types the alternatives allow together. */
export const typesOf = (variants: readonly Variant[]): Set<string> =>
  new Set(variants.flatMap((v) => v.types));
/** Whether a value of JSON type `type` is allowed by `types`. */
export const accepts = (types: ReadonlySet<string>, type: string): boolean =>
  types.has(ANY) ||
  types.has(type) ||
  (type === "integer" && types.has("number"));
/** Types as messages say them: `string or null`. */
export const typeList = (types: readonly string[]): string =>
  types.map((t) => (t === ANY ? "any type" : t)).join(" or ");
/** Whether an alternative allows objects (arrays, either): one matched member by member. */
export const isObject = (variant: Variant) => variant.types.includes("object");
/** @see isObject */
export const isArray = (variant: Variant) => variant.types.includes("array");
/** @see isObject */
export const isStructured = (variant: Variant) =>
  isObject(variant) || isArray(variant);

/** The allowed values by JSON text (`null` left to the types), when every alternative is an enum, a const or null. */
export function enumOf(variants: readonly Variant[]) {
  const values = new Map<string, unknown>();
  let enumerated = false;
  for (const { schema, types } of variants) {
    const given = Array.isArray(schema["enum"])
      ? schema["enum"]
      : "const" in schema
        ? [schema["const"]]
        : [];
    enumerated ||= given.length > 0;
    if (given.length === 0 && !types.every((t) => t === "null"))
      return undefined;
    for (const v of given) if (v !== null) values.set(jsonText(v), v);
  }
  return enumerated ? values : undefined;
}

/** Enum values removed or added, or an enum imposed or lifted. */
export function enums(
  a?: Map<string, unknown>,
  b?: Map<string, unknown>,
): Found[] {
  const list = (values: Map<string, unknown>) => [...values.keys()].join(", ");
  if (a && !b) return [["enum-lifted", list(a)]];
  if (b && !a) return [["enum-imposed", list(b)]];
  if (!a || !b) return [];
  const only = (
    x: Map<string, unknown>,
    y: Map<string, unknown>,
    rule: RuleId,
  ) => [...x.keys()].filter((v) => !y.has(v)).map((v): Found => [rule, v]);
  return [
    ...only(a, b, "enum-value-removed"),
    ...only(b, a, "enum-value-added"),
  ];
}

/** The schema and, transitively, its `allOf` members (resolved), each once. */
function partsOf(doc: OpenApiDocument, schema: JsonObject): JsonObject[] {
  const parts = [schema];
  for (const part of parts) {
    const allOf = Array.isArray(part["allOf"]) ? part["allOf"] : [];
    for (const member of allOf) {
      const resolved = deref(doc, member).value;
      if (isRecord(resolved) && !parts.includes(resolved)) parts.push(resolved);
    }
  }
  return parts;
}

/** An object's properties, those its `allOf` members bring included (its own win). */
export function propertiesOf(doc: OpenApiDocument, schema: JsonObject) {
  const properties = new Map<string, unknown>();
  for (const part of partsOf(doc, schema).reverse())
    for (const [name, value] of entriesOf(part["properties"]))
      properties.set(name, value);
  return properties;
}

/** Required property names, those required through `allOf` included. */
export function requiredOf(doc: OpenApiDocument, schema: JsonObject) {
  const names = partsOf(doc, schema).flatMap((part) =>
    Array.isArray(part["required"]) ? part["required"] : [],
  );
  return new Set(names.filter((n): n is string => typeof n === "string"));
}

/** The first value of `key` in a view: the schema itself, then its alternatives. */
function first(view: readonly JsonObject[], key: string): unknown {
  return view.find((s) => s[key] !== undefined)?.[key];
}

const LIMITS = [
  ...words("minLength minItems minProperties minimum exclusiveMinimum"),
  ...words("maxLength maxItems maxProperties maximum exclusiveMaximum"),
];

/**
 * Bounds, lengths, `multipleOf`, `uniqueItems`, a closed object, a pattern:
 * tightened (breaking in a request) or loosened.
 */
export function constraints(viewA: JsonObject[], viewB: JsonObject[]): Found[] {
  const found: Found[] = [];
  const tight = (d: string) => found.push(["constraint-tightened", d]);
  const loose = (d: string) => found.push(["constraint-loosened", d]);
  const numeric = (v: unknown): v is number | bigint =>
    typeof v === "number" || typeof v === "bigint";
  for (const key of LIMITS) {
    const [a, b] = [first(viewA, key), first(viewB, key)];
    const lower = key.includes("min") || key.includes("Min");
    // A lower bound of zero on a length or a count bounds nothing.
    const counts = lower && /Length|Items|Properties/.test(key);
    const bounds = (v: unknown) => numeric(v) && (!counts || v > 0);
    if (b === true && a !== true) tight(`${key} added`);
    else if (a === true && b !== true) loose(`${key} removed`);
    else if (bounds(b) && !numeric(a)) tight(`${key} ${String(b)} added`);
    else if (bounds(a) && !numeric(b)) loose(`${key} ${String(a)} removed`);
    else if (numeric(a) && numeric(b) && a !== b) {
      const how = `${b > a ? "raised" : "lowered"} from ${a} to ${b}`;
      (b > a === lower ? tight : loose)(`${key} ${how}`);
    }
  }
  const [ma, mb] = [first(viewA, "multipleOf"), first(viewB, "multipleOf")];
  const changed = `multipleOf changed from ${String(ma)} to ${String(mb)}`;
  // Every old value is still accepted when each old multiple is a new one.
  const divides =
    typeof ma === "number" && typeof mb === "number" && ma % mb === 0;
  if (numeric(mb) && !divides)
    tight(numeric(ma) ? changed : `multipleOf ${mb} added`);
  else if (numeric(ma) && ma !== mb)
    loose(numeric(mb) ? changed : `multipleOf ${ma} removed`);
  const unique = (view: JsonObject[]) => first(view, "uniqueItems") === true;
  if (unique(viewB) && !unique(viewA)) tight("uniqueItems added");
  if (unique(viewA) && !unique(viewB)) loose("uniqueItems removed");
  const closed = (view: JsonObject[]) =>
    first(view, "additionalProperties") === false &&
    (first(view, "type") === "object" ||
      first(view, "properties") !== undefined);
  const undeclared = "properties it does not declare";
  if (closed(viewB) && !closed(viewA)) tight(`no longer accepts ${undeclared}`);
  if (closed(viewA) && !closed(viewB)) loose(`now accepts ${undeclared}`);
  const [pa, pb] = [first(viewA, "pattern"), first(viewB, "pattern")];
  if (pa === pb) return found;
  const was = String(pa);
  if (typeof pb === "string" && !WIDE_PATTERNS.has(pb)) {
    const detail =
      pa === undefined
        ? `pattern ${pb} added`
        : `pattern changed from ${was} to ${pb}`;
    found.push(["pattern-changed", detail]);
  } else if (pb === undefined) loose(`pattern ${was} removed`);
  else loose(`pattern widened from ${was} to ${String(pb)}`);
  return found;
}

/** A `default` changed or removed (breaking in a request: callers leaving it out get other behaviour), or added. */
export function defaults(viewA: unknown[], viewB: unknown[]): Found[] {
  const holder = (view: unknown[]) =>
    view.find((s): s is JsonObject => isRecord(s) && "default" in s);
  const [a, b] = [holder(viewA), holder(viewB)];
  const text = (s: JsonObject) => jsonText(s["default"]);
  if (a && !b) return [["default-changed", `default ${text(a)} removed`]];
  if (!a && b) return [["default-added", `default ${text(b)} added`]];
  if (!a || !b || sameJson(a["default"], b["default"])) return [];
  return [["default-changed", `default changed from ${text(a)} to ${text(b)}`]];
}

/**
 * Every other keyword, compared as it is (documentation, or `format`,
 * `readOnly`...), from the first object of a view that has it; at the top
 * level, `servers: []` and `security: []` mean what no key means.
 */
export function keywords(
  viewA: JsonObject[],
  viewB: JsonObject[],
  handled: ReadonlySet<string>,
  topLevel = false,
): Found[] {
  const found: Found[] = [];
  const keys = new Set([...viewA, ...viewB].flatMap((o) => Object.keys(o)));
  const empty = (v: unknown) => Array.isArray(v) && v.length === 0;
  const short = (v: unknown) =>
    v !== null && typeof v !== "object" && String(v).length <= 60;
  for (const key of keys) {
    if (handled.has(key)) continue;
    const absent = (v: unknown) =>
      topLevel && empty(v) && (key === "servers" || key === "security");
    const value = (view: JsonObject[]) => {
      const v = view.find((o) => Object.hasOwn(o, key))?.[key];
      return absent(v) ? undefined : v;
    };
    const [a, b] = [value(viewA), value(viewB)];
    if (sameJson(a, b)) continue;
    let detail = `${key} changed`;
    if (a === undefined) detail = `${key} added`;
    else if (b === undefined) detail = `${key} removed`;
    else if (short(a) && short(b))
      detail = `${key} changed from ${jsonText(a)} to ${jsonText(b)}`;
    const documentation = DOCUMENTATION.has(key) || key.startsWith("x-");
    found.push([
      documentation ? "documentation-changed" : "keyword-changed",
      detail,
    ]);
  }
  return found;
}
