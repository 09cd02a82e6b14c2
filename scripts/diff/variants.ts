/**
 * Reading one schema for the comparison: its alternatives (unions flattened,
 * `$ref`s resolved), the JSON types and enum values they allow, the
 * request-side constraints and defaults, and an object's properties. Pure.
 */
import {
  canonicalJson,
  decodeRef,
  deref,
  entriesOf,
  isRecord,
  type JsonObject,
  type OpenApiDocument,
} from "../refs.js";
import type { ChangeKind } from "./change.js";

/** How deep nested `allOf`/`anyOf`/`oneOf` are followed: far past any real document, short of a stack overflow on a hostile one. */
const MAX_SCHEMA_DEPTH = 32;

/** One alternative of a schema after flattening unions: a resolved schema object, or "anything". */
export interface Variant {
  readonly schema: JsonObject;
  /** The component name when the variant came from `#/components/schemas/<name>`. */
  readonly name: string | undefined;
  /** The JSON types it allows ("integer", "null"...), or "any". */
  readonly types: readonly string[];
  /** It is a member of a `oneOf`: a value matching it and another member is rejected. */
  readonly exclusive: boolean;
}

/** The type of a variant that allows anything. */
export const ANY = "any";

/**
 * The alternatives a schema allows: `$ref`s resolved, `anyOf`/`oneOf`
 * flattened (nested ones too), `nullable: true` turned into a `null`
 * alternative, a single-member `allOf` (a common way to put a description
 * next to a `$ref`) replaced by its member. A larger `allOf` stays one
 * variant; {@link propertiesOf} and {@link requiredOf} read through it.
 */
export function flatten(
  doc: OpenApiDocument,
  schema: unknown,
  exclusive = false,
  depth = 0,
  visited: Set<unknown> = new Set(),
): Variant[] {
  const { value, ref } = deref(doc, schema);
  const name = componentName(ref);
  if (value === false) return [];
  if (!isRecord(value)) return [{ schema: {}, name, types: [ANY], exclusive }];
  const anyOf = Array.isArray(value["anyOf"]) ? value["anyOf"] : [];
  const oneOf = Array.isArray(value["oneOf"]) ? value["oneOf"] : [];
  const allOf = value["allOf"];
  const whole = (): Variant[] => [
    { schema: value, name, types: typesOfSchema(doc, value), exclusive },
  ];
  if (depth > MAX_SCHEMA_DEPTH) return whole();
  const unwrapsAllOf =
    anyOf.length + oneOf.length === 0 &&
    Array.isArray(allOf) &&
    allOf.length === 1 &&
    value["type"] === undefined &&
    value["properties"] === undefined;
  if (!unwrapsAllOf && anyOf.length + oneOf.length === 0) return whole();
  // A union met again while it is being flattened (`A: anyOf [A, B]`), or
  // twice in one (`anyOf [A, A]`), adds no alternative it does not already
  // have: skipping it ends cycles and keeps nested unions linear, where
  // following every branch to the depth limit would take 2^32 steps.
  if (visited.has(value)) return [];
  visited.add(value);
  if (unwrapsAllOf) {
    const inner = flatten(doc, allOf[0], exclusive, depth + 1, visited);
    return value["nullable"] === true ? [...inner, NULL_VARIANT] : inner;
  }
  const variants = [
    ...anyOf.flatMap((member) =>
      flatten(doc, member, exclusive, depth + 1, visited),
    ),
    ...oneOf.flatMap((member) =>
      flatten(doc, member, true, depth + 1, visited),
    ),
  ];
  if (value["nullable"] === true) variants.push(NULL_VARIANT);
  return variants;
}

const NULL_VARIANT: Variant = {
  schema: { type: "null" },
  name: undefined,
  types: ["null"],
  exclusive: false,
};

function componentName(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const segments = decodeRef(ref);
  return segments?.[0] === "components" &&
    segments[1] === "schemas" &&
    segments.length === 3
    ? segments[2]
    : undefined;
}

/** The JSON types a list of variants allows ("any" when a variant is unconstrained). */
export function typesOf(variants: readonly Variant[]): Set<string> {
  const types = new Set<string>();
  for (const variant of variants) {
    for (const type of variant.types) types.add(type);
  }
  return types;
}

function typesOfSchema(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth = 0,
  visited: Set<unknown> = new Set([schema]),
): string[] {
  const types: string[] = [];
  const declared = schema["type"];
  if (typeof declared === "string") types.push(declared);
  else if (Array.isArray(declared)) {
    for (const t of declared) if (typeof t === "string") types.push(t);
  } else if (Array.isArray(schema["allOf"]) && depth < MAX_SCHEMA_DEPTH) {
    // An allOf without its own type: the first member that says what it is.
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      // Each allOf member once: `A: allOf [A, A]` must not branch to the depth limit.
      if (!isRecord(resolved) || visited.has(resolved)) continue;
      visited.add(resolved);
      const inner = typesOfSchema(doc, resolved, depth + 1, visited);
      if (!inner.includes(ANY)) {
        types.push(...inner);
        break;
      }
    }
  } else if (schema["enum"] !== undefined || schema["const"] !== undefined) {
    const values = Array.isArray(schema["enum"])
      ? schema["enum"]
      : [schema["const"]];
    for (const v of values) types.push(jsonType(v));
  } else if (
    schema["properties"] !== undefined ||
    schema["additionalProperties"] !== undefined ||
    schema["required"] !== undefined
  ) {
    types.push("object");
  } else if (
    schema["items"] !== undefined ||
    schema["prefixItems"] !== undefined
  ) {
    types.push("array");
  }
  if (schema["nullable"] === true) types.push("null");
  if (types.length === 0) types.push(ANY);
  return types;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number")
    return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** Whether a value of JSON type `type` is allowed by `types`. */
export function accepts(types: ReadonlySet<string>, type: string): boolean {
  return (
    types.has(ANY) ||
    types.has(type) ||
    (type === "integer" && types.has("number"))
  );
}

/** A type as the report names it. */
export function typeLabel(type: string): string {
  return type === ANY ? "any type" : type;
}

/** The allowed values (as JSON text) if every variant is an enum, const or null; else `undefined`. */
export function enumOf(variants: readonly Variant[]): Set<string> | undefined {
  if (variants.length === 0) return undefined;
  const values = new Set<string>();
  let enumerated = false;
  for (const variant of variants) {
    const { schema } = variant;
    if (Array.isArray(schema["enum"])) {
      enumerated = true;
      for (const v of schema["enum"]) values.add(JSON.stringify(v));
      if (schema["nullable"] === true) values.add("null");
    } else if (Object.hasOwn(schema, "const")) {
      enumerated = true;
      values.add(JSON.stringify(schema["const"]));
    } else if (variant.types.every((t) => t === "null")) {
      values.add("null");
    } else {
      return undefined;
    }
  }
  return enumerated ? values : undefined;
}

const LOWER_BOUNDS = [
  "minLength",
  "minItems",
  "minProperties",
  "minimum",
] as const;
const UPPER_BOUNDS = [
  "maxLength",
  "maxItems",
  "maxProperties",
  "maximum",
] as const;

/**
 * Patterns that match every string, so that changing to them (or removing
 * the pattern) rejects nothing: `.*` finds an empty match in any string.
 * (`^.*$` rejects strings holding a line break; it is listed as wide all the
 * same, as oasdiff does.) Any other change cannot be shown to be wider here,
 * so it counts as breaking.
 */
const WIDE_PATTERNS = new Set([".*", "^.*$", "^.*", ".*$", "(.*)", "^(.*)$"]);

/** A request-side change found by {@link tightenedConstraints}. */
interface Tightened {
  readonly kind: ChangeKind;
  readonly text: string;
}

/**
 * Request-side constraints that now reject values they used to accept. Each
 * keyword is read from the first of `schemas` that has it: the schema itself
 * (a union or an `allOf` wrapper may carry it), then its alternatives.
 */
export function tightenedConstraints(
  oldVariants: readonly JsonObject[],
  newVariants: readonly JsonObject[],
): Tightened[] {
  const found: Tightened[] = [];
  const tightened = (text: string): void => {
    found.push({ kind: "constraint-tightened", text });
  };
  const first = (schemas: readonly JsonObject[], key: string): unknown =>
    schemas.find((schema) => schema[key] !== undefined)?.[key];
  for (const key of LOWER_BOUNDS) {
    const before = first(oldVariants, key);
    const after = first(newVariants, key);
    if (typeof after !== "number") continue;
    if (before === undefined && (key === "minimum" || after > 0))
      tightened(`${key} ${after} added`);
    else if (typeof before === "number" && after > before)
      tightened(`${key} raised from ${before} to ${after}`);
  }
  for (const key of UPPER_BOUNDS) {
    const before = first(oldVariants, key);
    const after = first(newVariants, key);
    if (typeof after !== "number") continue;
    if (before === undefined) tightened(`${key} ${after} added`);
    else if (typeof before === "number" && after < before)
      tightened(`${key} lowered from ${before} to ${after}`);
  }
  // 3.1 gives exclusive bounds as numbers, 3.0 as booleans beside minimum/maximum.
  for (const [key, raise] of [
    ["exclusiveMinimum", true],
    ["exclusiveMaximum", false],
  ] as const) {
    const before = first(oldVariants, key);
    const after = first(newVariants, key);
    if (after === true && before !== true) tightened(`${key} added`);
    else if (typeof after === "number") {
      if (typeof before !== "number") tightened(`${key} ${after} added`);
      else if (raise ? after > before : after < before)
        tightened(
          `${key} ${raise ? "raised" : "lowered"} from ${before} to ${after}`,
        );
    }
  }
  const oldMultiple = first(oldVariants, "multipleOf");
  const newMultiple = first(newVariants, "multipleOf");
  // Still accepts every old value when each old multiple is a new one.
  if (
    typeof newMultiple === "number" &&
    !(typeof oldMultiple === "number" && oldMultiple % newMultiple === 0)
  ) {
    tightened(
      typeof oldMultiple === "number"
        ? `multipleOf changed from ${oldMultiple} to ${newMultiple}`
        : `multipleOf ${newMultiple} added`,
    );
  }
  if (
    first(newVariants, "uniqueItems") === true &&
    first(oldVariants, "uniqueItems") !== true
  )
    tightened("uniqueItems added");
  if (
    first(newVariants, "additionalProperties") === false &&
    first(oldVariants, "additionalProperties") !== false &&
    (first(newVariants, "type") === "object" ||
      first(newVariants, "properties") !== undefined)
  )
    tightened("no longer accepts properties it does not declare");
  const oldPattern = first(oldVariants, "pattern");
  const newPattern = first(newVariants, "pattern");
  if (
    typeof newPattern === "string" &&
    newPattern !== oldPattern &&
    !WIDE_PATTERNS.has(newPattern)
  ) {
    found.push({
      kind: "pattern-changed",
      text:
        oldPattern === undefined
          ? `pattern ${newPattern} added`
          : `pattern changed from ${String(oldPattern)} to ${newPattern}`,
    });
  }
  return found;
}

/** A value's `default`, wrapped so that `default: null` is told from none. */
export interface Default {
  readonly value: unknown;
}

/**
 * The `default` a schema declares: on the schema itself or beside its `$ref`
 * (3.1 allows siblings; pydantic puts `default` there), else on what the
 * `$ref` resolves to, else on the first `allOf`/`anyOf`/`oneOf` member that
 * has one (`anyOf [string, null]` with the default beside it is how FastAPI
 * writes an optional field).
 */
export function defaultOf(
  doc: OpenApiDocument,
  schema: unknown,
  depth = 0,
  visited: Set<unknown> = new Set(),
): Default | undefined {
  let current = schema;
  const seen = new Set<string>();
  while (isRecord(current)) {
    if (visited.has(current)) return undefined;
    visited.add(current);
    if (Object.hasOwn(current, "default")) return { value: current["default"] };
    const ref = current["$ref"];
    if (typeof ref !== "string") break;
    if (seen.has(ref)) return undefined;
    seen.add(ref);
    current = deref(doc, { $ref: ref }).value;
  }
  if (!isRecord(current) || depth >= MAX_SCHEMA_DEPTH) return undefined;
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const members = current[key];
    if (!Array.isArray(members)) continue;
    for (const member of members) {
      const found = defaultOf(doc, member, depth + 1, visited);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * A caller that leaves the value out gets the server's default: a new
 * default changes what that call does, with nothing in the types to show.
 * (A default added where there was none only documents what was assumed.)
 */
export function defaultChange(
  before: Default | undefined,
  after: Default | undefined,
): Tightened | undefined {
  if (before === undefined) return undefined;
  const old = canonicalJson(before.value);
  if (after === undefined)
    return { kind: "default-changed", text: `default ${old} removed` };
  const now = canonicalJson(after.value);
  return now === old
    ? undefined
    : {
        kind: "default-changed",
        text: `default changed from ${old} to ${now}`,
      };
}

/** Whether a variant allows objects. */
export function isObjectVariant(variant: Variant): boolean {
  return variant.types.includes("object");
}

/** Properties of an object schema, including those brought in through `allOf` (resolved). */
export function propertiesOf(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth = 0,
  visited: Set<unknown> = new Set([schema]),
): Map<string, unknown> {
  const props = new Map<string, unknown>();
  if (Array.isArray(schema["allOf"]) && depth < MAX_SCHEMA_DEPTH) {
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      // Each allOf member once (a diamond or a cycle adds nothing new).
      if (!isRecord(resolved) || visited.has(resolved)) continue;
      visited.add(resolved);
      for (const [name, value] of propertiesOf(
        doc,
        resolved,
        depth + 1,
        visited,
      ))
        props.set(name, value);
    }
  }
  for (const [name, value] of entriesOf(schema["properties"]))
    props.set(name, value);
  return props;
}

/** Required property names, including those required through `allOf`. */
export function requiredOf(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth = 0,
  visited: Set<unknown> = new Set([schema]),
): Set<string> {
  const required = new Set<string>();
  if (Array.isArray(schema["allOf"]) && depth < MAX_SCHEMA_DEPTH) {
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      if (!isRecord(resolved) || visited.has(resolved)) continue;
      visited.add(resolved);
      for (const name of requiredOf(doc, resolved, depth + 1, visited))
        required.add(name);
    }
  }
  if (Array.isArray(schema["required"])) {
    for (const name of schema["required"])
      if (typeof name === "string") required.add(name);
  }
  return required;
}
