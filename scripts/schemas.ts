/**
 * The schema half of the structural diff (`diff.ts` holds the rest): two
 * schemas compared for one direction, as facts for the rules table.
 *
 * - Each (base schema, revision schema, direction) pair is compared once: a
 *   shared schema once per direction, and a cycle ends where it started.
 *   The walk keeps its own stack of pairs, so a chain of thousands of
 *   `$ref`s costs no call stack.
 * - A pair equal on both sides (a `$ref` counting as equal when it names a
 *   component that did not change) ends at once.
 * - A change is found where it happened: inside a component, at the
 *   component (`AgentStatusResponse.task`), whoever references it.
 * - Union members are matched by what they are: the same component (a
 *   renamed one too), the same discriminator value, then the closest
 *   structure; never by position. The order inside `required`, `enum`,
 *   `type`, `oneOf` and `anyOf` means nothing.
 */
import { sameJson } from "./align.js";
import {
  decodeRef,
  deref,
  entriesOf,
  isRecord,
  jsonText,
  recordOf,
  type JsonObject,
  type OpenApiDocument,
} from "./document.js";
import type { Direction, RuleId } from "./rules.js";

/** Where a fact is: a component or an operation's part, a path inside it, a side. */
export interface Site {
  /** A component (`AgentStatus`, `parameters.Limit`) or a part (`agent_stop[query limit]`). */
  readonly where: string;
  /** The property path inside it: `steps[].name`. */
  readonly path: string;
  /** `section/name` of the component, which says what reaches the site. */
  readonly component?: string;
  /** The operation, when the site is in no component. */
  readonly operation?: string;
  /** Inside a schema: what the caller sends, or what it receives. */
  readonly direction?: Direction;
}

/** What the walk needs from the document comparison. */
export interface WalkContext {
  readonly old: OpenApiDocument;
  readonly now: OpenApiDocument;
  fact(rule: RuleId, site: Site, detail?: string): void;
  /** Equal, a `$ref` counting as equal when it names a component that did not change. */
  same(a: unknown, b: unknown): boolean;
  /** `b` when two components (`section/name`) are one, or `a` was renamed `b`. */
  sameComponent(a?: string, b?: string): string | undefined;
}

/** A change as the rules table names it, and its detail. */
type Found = [rule: RuleId, detail: string];

/** One alternative of a schema: unions flattened, `$ref`s resolved. */
export interface Variant {
  readonly schema: JsonObject;
  /** As written: a `$ref` keeps the component's name for the next pair. */
  readonly raw: unknown;
  /** `section/name` when it came from a component. */
  readonly key: string | undefined;
  /** The JSON types it allows, or "any". */
  readonly types: readonly string[];
  /** A member of a `oneOf`: a value matching it and another is rejected. */
  readonly exclusive: boolean;
  /** Its place in its union, for paths: `oneOf[1]`. */
  readonly label: string;
}

const ANY = "any";

/** A set of words: `words("a b")`. */
export const words = (text: string): Set<string> => new Set(text.split(" "));

/** Keywords a schema comparison reads itself; any other is compared as it is. */
const SCHEMA_KEYS = words(
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

/** Compares schema pairs, each (pair, direction) once, with a stack of its own. */
export class SchemaWalk {
  /** Components a comparison went into. */
  readonly visited = new Set<string>();
  private readonly tasks: [a: unknown, b: unknown, site: Site][] = [];
  private readonly seen = new Map<object, Map<object, Set<Direction>>>();

  constructor(private readonly ctx: WalkContext) {}

  /** Compares `a` (old) with `b` (new) at `site`, whose direction must be set. */
  compare(a: unknown, b: unknown, site: Site): void {
    this.tasks.push([a, b, site]);
    for (let task = this.tasks.pop(); task; task = this.tasks.pop())
      this.visit(...task);
  }

  private visit(a: unknown, b: unknown, site: Site): void {
    const { ctx } = this;
    const ra = deref(ctx.old, a);
    const rb = deref(ctx.now, b);
    // A default beside a `$ref` (3.1; pydantic writes them) belongs here.
    const sibling = (raw: unknown) =>
      isRecord(raw) && raw["$ref"] !== undefined && "default" in raw;
    if (sibling(a) || sibling(b)) {
      const [da, db] = [sibling(a) ? a : ra.value, sibling(b) ? b : rb.value];
      this.report(defaults([da], [db]), site);
    }
    const A = ra.value === true ? {} : ra.value;
    const B = rb.value === true ? {} : rb.value;
    if (!isRecord(A) || !isRecord(B)) return;
    const key = ctx.sameComponent(componentKey(ra.ref), componentKey(rb.ref));
    if (key !== undefined) {
      site = componentSite(key, site.direction);
      this.visited.add(key);
    }
    if (!this.firstVisit(A, B, site.direction) || ctx.same(A, B)) return;
    const found: Found[] = [];
    const va = flatten(ctx.old, A);
    const vb = flatten(ctx.now, B);
    const [ta, tb] = [typesOf(va), typesOf(vb)];
    const lost = [...ta].filter((type) => !accepts(tb, type));
    const gained = [...tb].filter((type) => !accepts(ta, type));
    if (lost.length > 0) found.push(["type-removed", typeList(lost)]);
    if (gained.length > 0) found.push(["type-added", typeList(gained)]);
    // Keywords of the schema itself, or of its first scalar alternative with them.
    const scalars = (v: Variant[]) =>
      v.filter((x) => !isStructured(x)).map((x) => x.schema);
    const [viewA, viewB] = [
      [A, ...scalars(va)],
      [B, ...scalars(vb)],
    ];
    found.push(
      ...enums(enumOf(va), enumOf(vb)),
      ...constraints(viewA, viewB),
      ...defaults(viewA, viewB),
      ...keywords(viewA, viewB, SCHEMA_KEYS),
    );
    this.report(found, site);
    const [x] = va;
    const [y] = vb;
    const plain = va.length === 1 && vb.length === 1;
    if (plain && x?.schema === A && y?.schema === B) this.structure(x, y, site);
    else this.members(va, vb, [A, B], site);
  }

  private report(found: Found[], site: Site): void {
    for (const [rule, detail] of found) this.ctx.fact(rule, site, detail);
  }

  /** Marks a pair compared; `false` if it already was (a shared schema, a cycle). */
  private firstVisit(a: object, b: object, direction?: Direction): boolean {
    const byB = this.seen.get(a) ?? new Map<object, Set<Direction>>();
    this.seen.set(a, byB);
    const sides = byB.get(b) ?? new Set<Direction>();
    byB.set(b, sides);
    if (direction === undefined || sides.has(direction)) return false;
    sides.add(direction);
    return true;
  }

  /** Two objects (their properties) or two arrays (their items). */
  private structure(x: Variant, y: Variant, site: Site): void {
    const { ctx } = this;
    if (isArray(x) && isArray(y)) {
      const items = (v: Variant) => v.schema["items"] ?? {};
      this.tasks.push([items(x), items(y), deeper(site, "[]")]);
      return;
    }
    if (!isObject(x) || !isObject(y)) return;
    const pa = propertiesOf(ctx.old, x.schema);
    const pb = propertiesOf(ctx.now, y.schema);
    const ra = requiredOf(ctx.old, x.schema);
    const rb = requiredOf(ctx.now, y.schema);
    for (const [name, a] of pa) {
      const here = deeper(site, name);
      const b = pb.get(name);
      if (b === undefined) ctx.fact("property-removed", here);
      if (b === undefined) continue;
      if (!ra.has(name) && rb.has(name))
        ctx.fact("property-became-required", here);
      if (ra.has(name) && !rb.has(name))
        ctx.fact("property-became-optional", here);
      this.tasks.push([a, b, here]);
    }
    // A name may be required without being declared among the properties.
    for (const name of new Set([...pb.keys(), ...rb])) {
      if (pa.has(name) || ra.has(name)) continue;
      const rule = rb.has(name) ? "property-added-required" : "property-added";
      ctx.fact(rule, deeper(site, name));
    }
    const extra = (v: Variant) => {
      const value = v.schema["additionalProperties"];
      return value === true ? {} : value;
    };
    if (isRecord(extra(x)) && isRecord(extra(y)))
      this.tasks.push([extra(x), extra(y), deeper(site, "*")]);
  }

  /**
   * The object and array members of two unions. Each member on the side
   * that must still fit (the old ones for a request: what callers send; the
   * new ones for a response: what they get) is matched with what it is on
   * the other side; with no counterpart it is a member removed (request) or
   * added (response).
   */
  private members(
    va: Variant[],
    vb: Variant[],
    [A, B]: [JsonObject, JsonObject],
    site: Site,
  ) {
    const oa = va.filter(isStructured);
    const ob = vb.filter(isStructured);
    const request = site.direction === "request";
    const [sources, targets] = request ? [oa, ob] : [ob, oa];
    const unions: [JsonObject, JsonObject] = request ? [A, B] : [B, A];
    const pairs: [Variant, Variant][] = [];
    const lone: Variant[] = [];
    for (const source of sources) {
      const target = this.match(source, targets, unions);
      if (target === undefined) lone.push(source);
      else pairs.push([source, target]);
    }
    const spare = targets.filter((t) => !pairs.some(([, p]) => p === t));
    // The only one left on each side, not two components: one member, changed.
    const [s, t] = [lone[0], spare[0]];
    if (s && t && lone.length + spare.length === 2 && !(s.key && t.key)) {
      pairs.push([s, t]);
      lone.length = spare.length = 0;
    }
    const [gone, extra] = request
      ? (["member-removed", "member-added"] as const)
      : (["member-added", "member-removed"] as const);
    for (const v of lone) this.ctx.fact(gone, site, describeMember(v));
    for (const v of spare) this.ctx.fact(extra, site, describeMember(v));
    for (const pair of pairs) {
      const [x, y] = request ? pair : [pair[1], pair[0]];
      const member = deeper(site, y.label || x.label);
      if (x.schema === A || y.schema === B) this.structure(x, y, member);
      else this.tasks.push([x.raw, y.raw, member]);
    }
    if (!request) return;
    // What was one alternative and now fits two members of a oneOf is rejected.
    const exclusive = ob.filter((v) => v.exclusive && isObject(v));
    if (oa.filter((v) => v.exclusive).length > 1 || exclusive.length < 2)
      return;
    for (const source of oa.filter(isObject)) {
      const fits = exclusive.filter((e) => this.fits(source, e)).length;
      if (fits > 1) this.ctx.fact("union-ambiguous", site, String(fits));
    }
  }

  /** `source`'s counterpart: the same component, discriminator value, or closest structure. */
  private match(
    source: Variant,
    targets: Variant[],
    [from, to]: [JsonObject, JsonObject],
  ) {
    const { ctx } = this;
    const named = (t: Variant) =>
      ctx.sameComponent(source.key, t.key) ??
      ctx.sameComponent(t.key, source.key);
    const value = discriminatorValue(from, source);
    const byValue = (t: Variant) =>
      value !== undefined && discriminatorValue(to, t) === value;
    let best = targets.find(named) ?? targets.find(byValue);
    let bestScore = 0;
    for (const target of best === undefined ? targets : []) {
      if (source.key !== undefined && target.key !== undefined) continue;
      if (isArray(source) !== isArray(target)) continue;
      const score = similarity(source, target);
      if (score > bestScore) [best, bestScore] = [target, score];
    }
    return best;
  }

  /** Whether every value valid for the old object `x` is valid for the new `y` (first level). */
  private fits(x: Variant, y: Variant): boolean {
    const { old, now } = this.ctx;
    const px = propertiesOf(old, x.schema);
    const py = propertiesOf(now, y.schema);
    const rx = requiredOf(old, x.schema);
    if (![...requiredOf(now, y.schema)].every((n) => rx.has(n))) return false;
    return [...px].every(([name, schema]) => {
      const other = py.get(name);
      if (other === undefined)
        return y.schema["additionalProperties"] !== false;
      const types = typesOf(flatten(now, other));
      const before = typesOf(flatten(old, schema));
      return [...before].every((type) => accepts(types, type));
    });
  }
}

/** `section/name` of the component a reference points into, if it does. */
export function componentKey(ref: string | undefined): string | undefined {
  const segments = ref === undefined ? undefined : decodeRef(ref);
  if (segments?.[0] !== "components" || segments.length < 3) return undefined;
  return `${segments[1]}/${segments[2]}`;
}

/** A component as messages show it: a schema by its name, others as `section.name`. */
export function display(key: string): string {
  return key.startsWith("schemas/") ? key.slice(8) : key.replace("/", ".");
}

/** The site of a component (its changes reach what references it). */
export function componentSite(key: string, direction?: Direction): Site {
  const site = { where: display(key), path: "", component: key };
  return direction === undefined ? site : { ...site, direction };
}

/** A site one level into an operation or a component: `agent_stop[response 200]`. */
export function inside(site: Site, label: string): Site {
  const { where } = site;
  const into = where.endsWith("]")
    ? `${where.slice(0, -1)} ${label}]`
    : `${where}[${label}]`;
  return { ...site, where: into, path: "" };
}

/** A site one property (or `[]` items, `*` other properties) further: `steps[].name`. */
function deeper(site: Site, segment: string): Site {
  if (segment === "" || segment === "[]")
    return { ...site, path: site.path + segment };
  const plain = /^[A-Za-z_$*][\w$-]*(\[\d+\])?$/.test(segment);
  const step = plain ? segment : `[${JSON.stringify(segment)}]`;
  const glue = site.path === "" || step.startsWith("[") ? "" : ".";
  return { ...site, path: `${site.path}${glue}${step}` };
}

/**
 * The alternatives a schema allows: `$ref`s resolved, `anyOf`/`oneOf`
 * flattened (nested ones too), `nullable: true` as a `null` alternative, a
 * one-member `allOf` (a description beside a `$ref`) as its member. A larger
 * `allOf` stays one alternative, read through by {@link propertiesOf}.
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

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "bigint") return "integer";
  if (typeof value === "number")
    return Number.isInteger(value) ? "integer" : "number";
  return typeof value === "object" ? "object" : typeof value;
}

const typesOf = (variants: readonly Variant[]): Set<string> =>
  new Set(variants.flatMap((v) => v.types));
/** Whether a value of JSON type `type` is allowed by `types`. */
const accepts = (types: ReadonlySet<string>, type: string): boolean =>
  types.has(ANY) ||
  types.has(type) ||
  (type === "integer" && types.has("number"));
const typeList = (types: readonly string[]): string =>
  types.map((t) => (t === ANY ? "any type" : t)).join(" or ");
const isObject = (variant: Variant) => variant.types.includes("object");
const isArray = (variant: Variant) => variant.types.includes("array");
const isStructured = (variant: Variant) =>
  isObject(variant) || isArray(variant);

/** The allowed values by JSON text (`null` left to the types), when every alternative is an enum, a const or null. */
function enumOf(variants: readonly Variant[]) {
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

function enums(a?: Map<string, unknown>, b?: Map<string, unknown>): Found[] {
  const list = (values: Map<string, unknown>) => [...values.keys()].join(", ");
  if (a === undefined || b === undefined)
    return a
      ? [["enum-lifted", list(a)]]
      : b
        ? [["enum-imposed", list(b)]]
        : [];
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

function describeMember(variant: Variant): string {
  if (variant.key !== undefined) return display(variant.key);
  if (isArray(variant)) return `${variant.label} (an array)`;
  const names = [...propertiesOf({}, variant.schema).keys()];
  const shown = names.slice(0, 4).join(", ") + (names.length > 4 ? ", …" : "");
  const some = names.length > 0 ? ` with ${shown}` : "";
  return `${variant.label} (an object${some})`;
}

/** A member's discriminator value: by the mapping, a `const` (or one-value enum) property, or its name. */
function discriminatorValue(union: JsonObject, member: Variant) {
  const { discriminator } = union;
  if (!isRecord(discriminator)) return undefined;
  const name = member.key?.replace(/^schemas\//, "");
  for (const [value, target] of entriesOf(discriminator["mapping"]))
    if (name !== undefined && String(target).split("/").pop() === name)
      return value;
  const properties = propertiesOf({}, member.schema);
  const property = properties.get(String(discriminator["propertyName"]));
  const values = isRecord(property)
    ? "const" in property
      ? [property["const"]]
      : property["enum"]
    : undefined;
  if (Array.isArray(values) && values.length === 1) return jsonText(values[0]);
  return name;
}

/** How alike two object members are (0 to 1): shared property names, counting double those written the same. */
function similarity(x: Variant, y: Variant): number {
  if (isArray(x)) return 1;
  const px = propertiesOf({}, x.schema);
  const py = propertiesOf({}, y.schema);
  const names = new Set([...px.keys(), ...py.keys()]);
  let score = 0;
  for (const [name, schema] of px)
    if (py.has(name)) score += sameJson(schema, py.get(name)) ? 2 : 1;
  return names.size === 0 ? 1 : score / (2 * names.size);
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
function propertiesOf(doc: OpenApiDocument, schema: JsonObject) {
  const properties = new Map<string, unknown>();
  for (const part of partsOf(doc, schema).reverse())
    for (const [name, value] of entriesOf(part["properties"]))
      properties.set(name, value);
  return properties;
}

/** Required property names, those required through `allOf` included. */
function requiredOf(doc: OpenApiDocument, schema: JsonObject): Set<string> {
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
function constraints(viewA: JsonObject[], viewB: JsonObject[]): Found[] {
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
function defaults(viewA: unknown[], viewB: unknown[]): Found[] {
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
 * Every other keyword, compared as it is: documentation, or a change the
 * rules have no more to say about (`format`, `readOnly`, `security`...).
 * Each is read from the first object of a view that has it; at the top
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
