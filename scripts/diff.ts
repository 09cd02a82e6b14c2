/**
 * Stage 5, diff: what a pull changes, compared with the previous (pruned)
 * openapi.json, and which of those changes break callers of the kept
 * operations. Pure.
 *
 * "Breaking" is judged from the caller's side, with `$ref`s resolved and
 * `anyOf`/`oneOf`/`allOf`/`nullable`/type arrays flattened:
 *
 * - Requests (parameters, request body: values the caller sends): breaking
 *   when the API now accepts less than before. An operation removed or moved
 *   to another path or method; a parameter removed, or required (new, or
 *   formerly optional); a request body removed, or required; a media type
 *   removed; a type no longer accepted (e.g. `string | null` → `string`); an
 *   enum value removed (or an enum imposed); a constraint tightened
 *   (`minLength` added or raised, `maxLength` lowered, `pattern` added or
 *   changed...); an object property removed, or required (new, or formerly
 *   optional).
 * - Responses (values the caller receives): breaking when the caller may get
 *   something its code does not expect, or loses something it relies on. A
 *   success (2xx) response or one of its media types removed; a property
 *   removed, or no longer required (it may now be missing); a type widened,
 *   changed or narrowed (the response may now be `null`; it no longer returns
 *   `null`, as the issue lists: code and fixtures typed against the old shape,
 *   `answer: null` in a test object say, stop compiling); an enum value added (code handling every known value misses
 *   it) or removed (the issue lists it, and TypeScript rejects comparisons
 *   with a literal that is no longer in the type, so callers' code stops
 *   compiling).
 *
 * Not breaking: descriptions, titles, examples, formats; new operations,
 * optional parameters, optional request properties, response properties;
 * request types widened (an enum value added to a request parameter, `null`
 * now accepted); constraints loosened.
 */
import {
  canonicalJson,
  decodeRef,
  deref,
  entriesOf,
  forEachRef,
  getAt,
  isRecord,
  listOperations,
  operationName,
  setKey,
  type JsonObject,
  type OpenApiDocument,
  type OperationLocation,
} from "./refs.js";

/** Names added, removed and changed between two documents. */
export interface ChangeSet {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** The result of {@link diffDocuments}. */
export interface DocumentDiff {
  /** `info` of the previous document, or `undefined` when there was none. */
  readonly previous:
    { readonly title: string; readonly version: string } | undefined;
  /** `info` of the new document. */
  readonly current: { readonly title: string; readonly version: string };
  /** Operations by operationId (or `METHOD /path` without one). Changed: anything in the operation or what it references. */
  readonly operations: ChangeSet;
  /** Entries of `components.schemas`. */
  readonly schemas: ChangeSet;
  /** Entries of the other `components` sections, as `section/name` (e.g. `securitySchemes/OAuth2`). */
  readonly otherComponents: ChangeSet;
  /** Top-level keys other than `paths`, `webhooks` and `components` (`info`, `servers`, `security`, `tags`...). */
  readonly document: ChangeSet;
  /** One readable line per breaking change, see the module comment for the rules. */
  readonly breaking: readonly string[];
}

/**
 * Compares the previous document with the new one.
 *
 * @param previous - The committed openapi.json, or `undefined` on a first pull.
 * @param current - The new (pruned) document.
 */
export function diffDocuments(
  previous: OpenApiDocument | undefined,
  current: OpenApiDocument,
): DocumentDiff {
  const newOps = indexOperations(current);
  if (previous === undefined) {
    return {
      previous: undefined,
      current: infoOf(current),
      operations: { added: [...newOps.keys()], removed: [], changed: [] },
      schemas: {
        added: Object.keys(schemasOf(current)),
        removed: [],
        changed: [],
      },
      otherComponents: compareMaps({}, otherComponentsOf(current)),
      document: compareMaps({}, documentKeysOf(current)),
      breaking: [],
    };
  }
  const oldOps = indexOperations(previous);
  const breaking = new Set<string>();
  const comparer = new SchemaComparer(previous, current);
  const oldFingerprints = new Fingerprints(previous);
  const newFingerprints = new Fingerprints(current);

  const operations = {
    added: [...newOps.keys()].filter((name) => !oldOps.has(name)),
    removed: [] as string[],
    changed: [] as string[],
  };
  for (const [name, oldOp] of oldOps) {
    const newOp = newOps.get(name);
    if (newOp === undefined) {
      operations.removed.push(name);
      breaking.add(`operation ${name} (${describe(oldOp)}) removed`);
      continue;
    }
    if (oldFingerprints.of(oldOp) !== newFingerprints.of(newOp)) {
      operations.changed.push(name);
    }
    for (const line of compareOperations(
      name,
      oldOp,
      newOp,
      previous,
      current,
      comparer,
    )) {
      breaking.add(line);
    }
  }

  return {
    previous: infoOf(previous),
    current: infoOf(current),
    operations,
    schemas: compareMaps(schemasOf(previous), schemasOf(current)),
    otherComponents: compareMaps(
      otherComponentsOf(previous),
      otherComponentsOf(current),
    ),
    document: compareMaps(documentKeysOf(previous), documentKeysOf(current)),
    breaking: [...breaking],
  };
}

/**
 * The report printed after a pull: a few lines, lists shortened past a
 * screenful.
 */
export function formatDiff(diff: DocumentDiff): string {
  const lines: string[] = [];
  if (diff.previous === undefined) {
    lines.push(
      `No previous openapi.json: ${count(diff.operations.added.length, "operation")} and ${count(diff.schemas.added.length, "schema")} added.`,
    );
    return lines.join("\n");
  }
  const { previous, current } = diff;
  const versions =
    previous.version === current.version
      ? `info.version ${current.version}, unchanged`
      : `info.version ${previous.version} → ${current.version}`;
  lines.push(`Changes since the previous openapi.json (${versions}):`);
  const sections: [string, readonly string[]][] = [
    ["operations added", diff.operations.added],
    ["operations removed", diff.operations.removed],
    ["operations changed", diff.operations.changed],
    ["schemas added", diff.schemas.added],
    ["schemas removed", diff.schemas.removed],
    ["schemas changed", diff.schemas.changed],
    ["other components added", diff.otherComponents.added],
    ["other components removed", diff.otherComponents.removed],
    ["other components changed", diff.otherComponents.changed],
    ["top-level keys added", diff.document.added],
    ["top-level keys removed", diff.document.removed],
    ["top-level keys changed", diff.document.changed],
  ];
  let any = false;
  for (const [label, names] of sections) {
    if (names.length === 0) continue;
    any = true;
    lines.push(
      `  ${label} (${names.length}): ${shorten(names, 12).join(", ")}`,
    );
  }
  if (!any) lines.push("  no changes");
  if (diff.breaking.length === 0) {
    lines.push("  no breaking changes");
  } else {
    lines.push(`  breaking changes for callers (${diff.breaking.length}):`);
    for (const line of shorten(diff.breaking, 40)) lines.push(`    - ${line}`);
  }
  return lines.join("\n");
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function shorten(items: readonly string[], max: number): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `... and ${items.length - max} more`];
}

function infoOf(doc: OpenApiDocument): { title: string; version: string } {
  const info = isRecord(doc["info"]) ? doc["info"] : {};
  return {
    title: String(info["title"] ?? "untitled"),
    version: String(info["version"] ?? "unknown"),
  };
}

function schemasOf(doc: OpenApiDocument): JsonObject {
  const schemas = getAt(doc, ["components", "schemas"]);
  return isRecord(schemas) ? schemas : {};
}

function otherComponentsOf(doc: OpenApiDocument): JsonObject {
  const result: JsonObject = {};
  for (const [section, entries] of entriesOf(doc["components"])) {
    if (section === "schemas" || section.startsWith("x-")) continue;
    for (const [name, value] of entriesOf(entries)) {
      setKey(result, `${section}/${name}`, value);
    }
  }
  return result;
}

function documentKeysOf(doc: OpenApiDocument): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "paths" || key === "webhooks" || key === "components") continue;
    setKey(result, key, value);
  }
  return result;
}

function compareMaps(before: JsonObject, after: JsonObject): ChangeSet {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, name)) added.push(name);
    else if (canonicalJson(before[name]) !== canonicalJson(value))
      changed.push(name);
  }
  for (const name of Object.keys(before)) {
    if (!Object.hasOwn(after, name)) removed.push(name);
  }
  return { added, removed, changed };
}

function indexOperations(doc: OpenApiDocument): Map<string, OperationLocation> {
  const index = new Map<string, OperationLocation>();
  for (const location of listOperations(doc)) {
    index.set(operationName(location), location);
  }
  return index;
}

function describe(location: OperationLocation): string {
  return `${location.method.toUpperCase()} ${location.key}`;
}

/**
 * A text that changes whenever an operation or anything it references
 * changes (canonical JSON, so key order does not count). Component texts are
 * cached: many operations share the same schemas.
 */
class Fingerprints {
  private readonly components = new Map<string, string>();

  constructor(private readonly doc: OpenApiDocument) {}

  of(location: OperationLocation): string {
    const own = canonicalJson({
      at: describe(location),
      parameters: location.pathItem["parameters"] ?? null,
      operation: location.operation,
    });
    const parts = [own];
    for (const ref of [...this.reachable(location)].sort()) {
      parts.push(ref, this.component(ref));
    }
    return parts.join("\n");
  }

  private component(ref: string): string {
    let text = this.components.get(ref);
    if (text === undefined) {
      const segments = decodeRef(ref);
      text = canonicalJson(
        segments === undefined ? null : getAt(this.doc, segments),
      );
      this.components.set(ref, text);
    }
    return text;
  }

  private reachable(location: OperationLocation): Set<string> {
    const seen = new Set<string>();
    const queue: unknown[] = [
      location.operation,
      location.pathItem["parameters"],
    ];
    while (queue.length > 0) {
      forEachRef(queue.pop(), (ref) => {
        if (seen.has(ref)) return;
        seen.add(ref);
        const segments = decodeRef(ref);
        if (segments !== undefined) queue.push(getAt(this.doc, segments));
      });
    }
    return seen;
  }
}

interface Parameter {
  readonly label: string;
  readonly required: boolean;
  readonly schema: unknown;
}

function parametersOf(
  doc: OpenApiDocument,
  location: OperationLocation,
): Map<string, Parameter> {
  const result = new Map<string, Parameter>();
  // Path-level parameters first; an operation-level one with the same name
  // and location overrides it (OpenAPI's rule).
  for (const list of [
    location.pathItem["parameters"],
    location.operation["parameters"],
  ]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const parameter = deref(doc, item).value;
      if (!isRecord(parameter)) continue;
      const name = String(parameter["name"]);
      const where = String(parameter["in"]);
      // Header names are case-insensitive.
      const key = `${where}:${where === "header" ? name.toLowerCase() : name}`;
      let schema = parameter["schema"];
      if (schema === undefined) {
        const [first] = entriesOf(parameter["content"]);
        schema = isRecord(first?.[1]) ? first[1]["schema"] : undefined;
      }
      result.set(key, {
        label: `${where} parameter "${name}"`,
        required: where === "path" || parameter["required"] === true,
        schema,
      });
    }
  }
  return result;
}

function compareOperations(
  name: string,
  oldOp: OperationLocation,
  newOp: OperationLocation,
  oldDoc: OpenApiDocument,
  newDoc: OpenApiDocument,
  comparer: SchemaComparer,
): string[] {
  const out: string[] = [];
  if (describe(oldOp) !== describe(newOp)) {
    out.push(`${name}: moved from ${describe(oldOp)} to ${describe(newOp)}`);
  }

  const oldParams = parametersOf(oldDoc, oldOp);
  const newParams = parametersOf(newDoc, newOp);
  for (const [key, before] of oldParams) {
    const after = newParams.get(key);
    if (after === undefined) {
      out.push(`${name}: ${before.label} removed`);
      continue;
    }
    if (!before.required && after.required) {
      out.push(`${name}: ${before.label} became required`);
    }
    comparer.compare(
      before.schema,
      after.schema,
      "request",
      `${name}: ${before.label}`,
      out,
    );
  }
  for (const [key, after] of newParams) {
    if (!oldParams.has(key) && after.required) {
      out.push(`${name}: new required ${after.label}`);
    }
  }

  const oldBody = deref(oldDoc, oldOp.operation["requestBody"]).value;
  const newBody = deref(newDoc, newOp.operation["requestBody"]).value;
  if (isRecord(oldBody) && !isRecord(newBody)) {
    out.push(`${name}: request body removed`);
  } else if (!isRecord(oldBody) && isRecord(newBody)) {
    if (newBody["required"] === true)
      out.push(`${name}: new required request body`);
  } else if (isRecord(oldBody) && isRecord(newBody)) {
    if (oldBody["required"] !== true && newBody["required"] === true) {
      out.push(`${name}: request body became required`);
    }
    compareContent(
      name,
      "request body",
      oldBody,
      newBody,
      "request",
      comparer,
      out,
    );
  }

  const oldResponses = oldOp.operation["responses"];
  const newResponses = isRecord(newOp.operation["responses"])
    ? newOp.operation["responses"]
    : {};
  for (const [status, item] of entriesOf(oldResponses)) {
    const before = deref(oldDoc, item).value;
    const after = Object.hasOwn(newResponses, status)
      ? deref(newDoc, newResponses[status]).value
      : undefined;
    if (!isRecord(before)) continue;
    if (!isRecord(after)) {
      // Only success responses shape what the caller gets as data; a removed
      // error response changes nothing a caller could rely on.
      if (status.startsWith("2"))
        out.push(`${name}: response ${status} removed`);
      continue;
    }
    compareContent(
      name,
      `response ${status}`,
      before,
      after,
      "response",
      comparer,
      out,
    );
  }
  return out;
}

function compareContent(
  name: string,
  label: string,
  before: JsonObject,
  after: JsonObject,
  direction: Direction,
  comparer: SchemaComparer,
  out: string[],
): void {
  const newContent = isRecord(after["content"]) ? after["content"] : {};
  for (const [mediaType, oldMedia] of entriesOf(before["content"])) {
    const newMedia = Object.hasOwn(newContent, mediaType)
      ? newContent[mediaType]
      : undefined;
    if (!isRecord(newMedia)) {
      out.push(`${name}: ${label} media type ${mediaType} removed`);
      continue;
    }
    if (!isRecord(oldMedia)) continue;
    comparer.compare(
      oldMedia["schema"],
      newMedia["schema"],
      direction,
      `${name}: ${label} (${mediaType})`,
      out,
    );
  }
}

type Direction = "request" | "response";

/** A breaking change found inside a schema, relative to the schema compared. */
interface Finding {
  /** Property path from the compared schema, e.g. `steps[].name`; empty for the schema itself. */
  readonly path: string;
  readonly text: string;
  /** The text is about the property itself ("removed"), not about its value ("may now be null"). */
  readonly self?: true;
}

/** One alternative of a schema after flattening unions: a resolved schema object, or "anything". */
interface Variant {
  readonly schema: JsonObject;
  /** The component name when the variant came from `#/components/schemas/<name>`. */
  readonly name: string | undefined;
  /** The JSON types it allows ("integer", "null"...), or "any". */
  readonly types: readonly string[];
}

/** At most this many findings are kept per compared pair, so shared schemas cannot multiply them without bound. */
const MAX_FINDINGS = 20;

/**
 * Compares schemas of the old and the new document. Results are memoized per
 * pair of (resolved) schema objects and direction: a schema shared by many
 * properties is compared once, and a pair met again while it is being
 * compared (a recursive schema) contributes nothing more, which ends cycles.
 */
class SchemaComparer {
  private readonly memo = new Map<
    object,
    Map<object, Map<Direction, Finding[]>>
  >();

  constructor(
    private readonly oldDoc: OpenApiDocument,
    private readonly newDoc: OpenApiDocument,
  ) {}

  /** Compares two schemas and appends a line per breaking change to `out`. */
  compare(
    before: unknown,
    after: unknown,
    direction: Direction,
    where: string,
    out: string[],
  ): void {
    for (const finding of this.pair(before, after, direction)) {
      out.push(
        finding.path === ""
          ? `${where}: ${finding.text}`
          : `${where}: property "${finding.path}"${finding.self ? " " : ": "}${finding.text}`,
      );
    }
  }

  private pair(
    before: unknown,
    after: unknown,
    direction: Direction,
  ): Finding[] {
    const a = deref(this.oldDoc, before).value;
    const b = deref(this.newDoc, after).value;
    if (a === undefined || b === undefined) return [];
    if (
      typeof a !== "object" ||
      typeof b !== "object" ||
      a === null ||
      b === null
    ) {
      return this.compute(a, b, direction);
    }
    let byNew = this.memo.get(a);
    if (byNew === undefined) {
      byNew = new Map();
      this.memo.set(a, byNew);
    }
    let byDirection = byNew.get(b);
    if (byDirection === undefined) {
      byDirection = new Map();
      byNew.set(b, byDirection);
    }
    const known = byDirection.get(direction);
    if (known !== undefined) return known;
    // Placeholder while computing: a cycle back to this pair finds it empty.
    byDirection.set(direction, []);
    const findings = this.compute(a, b, direction).slice(0, MAX_FINDINGS);
    byDirection.set(direction, findings);
    return findings;
  }

  private compute(a: unknown, b: unknown, direction: Direction): Finding[] {
    const oldVariants = flatten(this.oldDoc, a);
    const newVariants = flatten(this.newDoc, b);
    const findings: Finding[] = [];
    const add = (text: string, path = ""): void => {
      findings.push({ path, text });
    };

    // Types.
    const oldTypes = typesOf(oldVariants);
    const newTypes = typesOf(newVariants);
    if (direction === "request") {
      const lost = [...oldTypes].filter((t) => !accepts(newTypes, t));
      if (lost.length > 0)
        add(`no longer accepts ${lost.map(typeLabel).join(" or ")}`);
    } else {
      const gained = [...newTypes].filter((t) => !accepts(oldTypes, t));
      if (gained.length > 0)
        add(`may now be ${gained.map(typeLabel).join(" or ")}`);
      const lost = [...oldTypes].filter((t) => !accepts(newTypes, t));
      if (lost.length > 0)
        add(`no longer returns ${lost.map(typeLabel).join(" or ")}`);
    }

    // Enums (and const).
    const oldEnum = enumOf(oldVariants);
    const newEnum = enumOf(newVariants);
    if (oldEnum !== undefined && newEnum !== undefined) {
      for (const value of oldEnum) {
        if (!newEnum.has(value)) add(`enum value ${value} removed`);
      }
      if (direction === "response") {
        for (const value of newEnum) {
          if (!oldEnum.has(value)) add(`enum value ${value} added`);
        }
      }
    } else if (
      oldEnum === undefined &&
      newEnum !== undefined &&
      direction === "request"
    ) {
      add(`now limited to ${[...newEnum].join(", ")}`);
    } else if (
      oldEnum !== undefined &&
      newEnum === undefined &&
      direction === "response"
    ) {
      add(`no longer limited to ${[...oldEnum].join(", ")}`);
    }

    // Constraints: only what the caller sends can violate them.
    if (direction === "request") {
      for (const text of tightenedConstraints(oldVariants, newVariants))
        add(text);
    }

    // Object properties.
    for (const [oldObject, newObject] of this.pairObjects(
      oldVariants,
      newVariants,
      direction,
      add,
    )) {
      this.compareObjects(oldObject, newObject, direction, findings);
    }

    // Array items.
    const oldItems = oldVariants.find((v) => v.schema["items"] !== undefined)
      ?.schema["items"];
    const newItems = newVariants.find((v) => v.schema["items"] !== undefined)
      ?.schema["items"];
    if (oldItems !== undefined && newItems !== undefined) {
      for (const finding of this.pair(oldItems, newItems, direction)) {
        findings.push({ ...finding, path: join("[]", finding.path) });
      }
    }
    return findings;
  }

  /** Matches object alternatives: the only one on each side, or same-named components. */
  private pairObjects(
    oldVariants: readonly Variant[],
    newVariants: readonly Variant[],
    direction: Direction,
    add: (text: string) => void,
  ): [Variant, Variant][] {
    const oldObjects = oldVariants.filter(isObjectVariant);
    const newObjects = newVariants.filter(isObjectVariant);
    const [onlyOld] = oldObjects;
    const [onlyNew] = newObjects;
    if (
      oldObjects.length === 1 &&
      newObjects.length === 1 &&
      onlyOld &&
      onlyNew
    ) {
      return [[onlyOld, onlyNew]];
    }
    const pairs: [Variant, Variant][] = [];
    for (const before of oldObjects) {
      if (before.name === undefined) continue;
      const after = newObjects.find((v) => v.name === before.name);
      if (after !== undefined) pairs.push([before, after]);
      else if (direction === "request" && newObjects.length > 0) {
        add(`no longer accepts ${before.name}`);
      }
    }
    if (direction === "response" && oldObjects.length > 0) {
      for (const after of newObjects) {
        if (
          after.name !== undefined &&
          !oldObjects.some((v) => v.name === after.name)
        ) {
          add(`may now be ${after.name}`);
        }
      }
    }
    return pairs;
  }

  private compareObjects(
    before: Variant,
    after: Variant,
    direction: Direction,
    findings: Finding[],
  ): void {
    const oldProps = propertiesOf(this.oldDoc, before.schema);
    const newProps = propertiesOf(this.newDoc, after.schema);
    const oldRequired = requiredOf(this.oldDoc, before.schema);
    const newRequired = requiredOf(this.newDoc, after.schema);
    for (const [name, oldSchema] of oldProps) {
      const newSchema = newProps.get(name);
      if (newSchema === undefined) {
        // Responses: callers reading it lose it. Requests: callers sending it
        // no longer type-check, and a strict server rejects it.
        findings.push({ path: name, text: "removed", self: true });
        continue;
      }
      if (
        direction === "request" &&
        !oldRequired.has(name) &&
        newRequired.has(name)
      ) {
        findings.push({ path: name, text: "became required", self: true });
      }
      if (
        direction === "response" &&
        oldRequired.has(name) &&
        !newRequired.has(name)
      ) {
        findings.push({
          path: name,
          text: "is no longer required (may be missing)",
          self: true,
        });
      }
      for (const finding of this.pair(oldSchema, newSchema, direction)) {
        findings.push({ ...finding, path: join(name, finding.path) });
      }
    }
    if (direction === "request") {
      for (const name of newProps.keys()) {
        if (!oldProps.has(name) && newRequired.has(name)) {
          findings.push({ path: name, text: "added as required", self: true });
        }
      }
    }
    const oldExtra = before.schema["additionalProperties"];
    const newExtra = after.schema["additionalProperties"];
    if (isRecord(oldExtra) && isRecord(newExtra)) {
      for (const finding of this.pair(oldExtra, newExtra, direction)) {
        findings.push({ ...finding, path: join("*", finding.path) });
      }
    }
  }
}

function join(head: string, rest: string): string {
  if (rest === "") return head;
  return rest.startsWith("[") ? `${head}${rest}` : `${head}.${rest}`;
}

/**
 * The alternatives a schema allows: `$ref`s resolved, `anyOf`/`oneOf`
 * flattened (nested ones too), `nullable: true` turned into a `null`
 * alternative, a single-member `allOf` (a common way to put a description
 * next to a `$ref`) replaced by its member. A larger `allOf` stays one
 * variant; {@link propertiesOf} and {@link requiredOf} read through it.
 */
function flatten(doc: OpenApiDocument, schema: unknown, depth = 0): Variant[] {
  const { value, ref } = deref(doc, schema);
  const name = componentName(ref);
  if (value === false) return [];
  if (!isRecord(value)) return [{ schema: {}, name, types: [ANY] }];
  const members = [
    ...(Array.isArray(value["anyOf"]) ? value["anyOf"] : []),
    ...(Array.isArray(value["oneOf"]) ? value["oneOf"] : []),
  ];
  const allOf = value["allOf"];
  if (depth > 32)
    return [{ schema: value, name, types: typesOfSchema(doc, value) }];
  if (
    members.length === 0 &&
    Array.isArray(allOf) &&
    allOf.length === 1 &&
    value["type"] === undefined &&
    value["properties"] === undefined
  ) {
    const inner = flatten(doc, allOf[0], depth + 1);
    return value["nullable"] === true ? [...inner, NULL_VARIANT] : inner;
  }
  if (members.length === 0) {
    return [{ schema: value, name, types: typesOfSchema(doc, value) }];
  }
  const variants = members.flatMap((member) => flatten(doc, member, depth + 1));
  if (value["nullable"] === true) variants.push(NULL_VARIANT);
  return variants;
}

const NULL_VARIANT: Variant = {
  schema: { type: "null" },
  name: undefined,
  types: ["null"],
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

const ANY = "any";

/** The JSON types a list of variants allows ("any" when a variant is unconstrained). */
function typesOf(variants: readonly Variant[]): Set<string> {
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
): string[] {
  const types: string[] = [];
  const declared = schema["type"];
  if (typeof declared === "string") types.push(declared);
  else if (Array.isArray(declared)) {
    for (const t of declared) if (typeof t === "string") types.push(t);
  } else if (Array.isArray(schema["allOf"]) && depth < 32) {
    // An allOf without its own type: the first member that says what it is.
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      if (!isRecord(resolved)) continue;
      const inner = typesOfSchema(doc, resolved, depth + 1);
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

function accepts(types: ReadonlySet<string>, type: string): boolean {
  return (
    types.has(ANY) ||
    types.has(type) ||
    (type === "integer" && types.has("number"))
  );
}

function typeLabel(type: string): string {
  return type === ANY ? "any type" : type;
}

/** The allowed values (as JSON text) if every variant is an enum, const or null; else `undefined`. */
function enumOf(variants: readonly Variant[]): Set<string> | undefined {
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

/** Request-side constraints that now reject values they used to accept. */
function tightenedConstraints(
  oldVariants: readonly Variant[],
  newVariants: readonly Variant[],
): string[] {
  const found: string[] = [];
  const first = (variants: readonly Variant[], key: string): unknown =>
    variants.find((v) => v.schema[key] !== undefined)?.schema[key];
  for (const key of LOWER_BOUNDS) {
    const before = first(oldVariants, key);
    const after = first(newVariants, key);
    if (typeof after !== "number") continue;
    if (before === undefined && (key === "minimum" || after > 0))
      found.push(`${key} ${after} added`);
    else if (typeof before === "number" && after > before)
      found.push(`${key} raised from ${before} to ${after}`);
  }
  for (const key of UPPER_BOUNDS) {
    const before = first(oldVariants, key);
    const after = first(newVariants, key);
    if (typeof after !== "number") continue;
    if (before === undefined) found.push(`${key} ${after} added`);
    else if (typeof before === "number" && after < before)
      found.push(`${key} lowered from ${before} to ${after}`);
  }
  const oldPattern = first(oldVariants, "pattern");
  const newPattern = first(newVariants, "pattern");
  if (typeof newPattern === "string" && newPattern !== oldPattern) {
    found.push(
      oldPattern === undefined
        ? `pattern ${newPattern} added`
        : `pattern changed from ${String(oldPattern)} to ${newPattern}`,
    );
  }
  return found;
}

function isObjectVariant(variant: Variant): boolean {
  return variant.types.includes("object");
}

/** Properties of an object schema, including those brought in through `allOf` (resolved). */
function propertiesOf(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth = 0,
): Map<string, unknown> {
  const props = new Map<string, unknown>();
  if (Array.isArray(schema["allOf"]) && depth < 32) {
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      if (!isRecord(resolved)) continue;
      for (const [name, value] of propertiesOf(doc, resolved, depth + 1))
        props.set(name, value);
    }
  }
  for (const [name, value] of entriesOf(schema["properties"]))
    props.set(name, value);
  return props;
}

/** Required property names, including those required through `allOf`. */
function requiredOf(
  doc: OpenApiDocument,
  schema: JsonObject,
  depth = 0,
): Set<string> {
  const required = new Set<string>();
  if (Array.isArray(schema["allOf"]) && depth < 32) {
    for (const member of schema["allOf"]) {
      const resolved = deref(doc, member).value;
      if (!isRecord(resolved)) continue;
      for (const name of requiredOf(doc, resolved, depth + 1))
        required.add(name);
    }
  }
  if (Array.isArray(schema["required"])) {
    for (const name of schema["required"])
      if (typeof name === "string") required.add(name);
  }
  return required;
}
