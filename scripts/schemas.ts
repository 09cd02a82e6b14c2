/**
 * The schema half of the structural diff: each (previous, new, direction) pair
 * once, an equal pair ended at once, on a stack of its own; a change found at
 * its component; union members matched by what they are, never by position.
 */
import { sameJson } from "./align.js";
import {
  componentKey,
  deref,
  isRecord,
  jsonText,
  keysOf,
  recordOf,
  type JsonObject,
  type OpenApiDocument,
} from "./document.js";
import type { Direction, RuleId } from "./rules.js";
import {
  SCHEMA_KEYS,
  accepts,
  constraints,
  defaults,
  enumOf,
  enums,
  flatten,
  isArray,
  isObject,
  isStructured,
  keywords,
  propertiesOf,
  requiredOf,
  typeList,
  typesOf,
  type Found,
  type Variant,
} from "./variants.js";

/**
 * Where a fact is: a component (`AgentStatus`, `parameters.Limit`) or an
 * operation's part (`agent_stop[query limit]`), the path inside it
 * (`steps[].name`), the component's `section/name` or the operation (what
 * reaches the site), and inside a schema the direction.
 */
export interface Site {
  readonly where: string;
  readonly path: string;
  readonly component?: string;
  readonly operation?: string;
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

/** Compares schema pairs, each (pair, direction) once, with a stack of its own. */
export class SchemaWalk {
  /** Components a comparison went into. */
  readonly visited = new Set<string>();
  private readonly tasks: [a: unknown, b: unknown, site: Site][] = [];
  /** The pairs compared, by direction: each old schema's new counterparts. */
  private readonly seen: Record<Direction, Map<object, Set<object>>> = {
    request: new Map(),
    response: new Map(),
  };

  constructor(private readonly ctx: WalkContext) {}

  /** Compares `a` (old) with `b` (new) at `site`, whose direction must be set. */
  compare(a: unknown, b: unknown, site: Site): void {
    this.tasks.push([a, b, site]);
    for (let task = this.tasks.pop(); task; task = this.tasks.pop())
      this.visit(...task);
  }

  private visit(a: unknown, b: unknown, site: Site): void {
    const { ctx } = this;
    const [ra, rb] = [deref(ctx.old, a), deref(ctx.now, b)];
    // A default beside a `$ref` (3.1; pydantic writes them) belongs here.
    const sibling = (raw: unknown) =>
      isRecord(raw) && raw["$ref"] !== undefined && "default" in raw;
    if (sibling(a) || sibling(b)) {
      const [da, db] = [sibling(a) ? a : ra.value, sibling(b) ? b : rb.value];
      this.report(defaults([da], [db]), site);
    }
    const [A, B] = [ra.value, rb.value].map((v) => (v === true ? {} : v));
    if (!isRecord(A) || !isRecord(B)) return;
    const key = ctx.sameComponent(componentKey(ra.ref), componentKey(rb.ref));
    if (key !== undefined) {
      site = componentSite(key, site.direction);
      this.visited.add(key);
    }
    if (!this.firstVisit(A, B, site.direction) || ctx.same(A, B)) return;
    // From `a` and `b` as written: a lone `$ref` keeps its component's name.
    const [va, vb] = [flatten(ctx.old, a), flatten(ctx.now, b)];
    const [ta, tb] = [typesOf(va), typesOf(vb)];
    const lost = [...ta].filter((type) => !accepts(tb, type));
    const gained = [...tb].filter((type) => !accepts(ta, type));
    if (lost.length > 0) ctx.fact("type-removed", site, typeList(lost));
    if (gained.length > 0) ctx.fact("type-added", site, typeList(gained));
    // Keywords of the schema itself, or of its first scalar alternative with them.
    const scalars = (v: Variant[]) => v.filter((x) => !isStructured(x));
    const [sa, sb] = [scalars(va), scalars(vb)];
    // A lone `$ref` now one alternative of a union (or the reverse) is
    // compared with itself, as a member: its keywords are not the union's.
    const [ka, kb] = [componentKey(ra.ref), componentKey(rb.ref)];
    const inB = vb.some((m) => m.schema !== B && ctx.sameComponent(ka, m.key));
    const inA = va.some((m) => m.schema !== A && ctx.sameComponent(m.key, kb));
    const viewA = [inB ? {} : A, ...sa.map((x) => x.schema)];
    const viewB = [inA ? {} : B, ...sb.map((x) => x.schema)];
    // The scalar alternatives' values, when both sides have some (objects
    // and arrays are members; without any, an enum of them is compared).
    const both = sa.length > 0 && sb.length > 0;
    if (both || sa.length + sb.length === 0)
      this.report(enums(enumOf(both ? sa : va), enumOf(both ? sb : vb)), site);
    this.report(constraints(viewA, viewB), site);
    this.report(defaults(viewA, viewB), site);
    this.report(keywords(viewA, viewB, SCHEMA_KEYS), site);
    const [[x], [y]] = [va, vb];
    const plain = va.length === 1 && vb.length === 1;
    if (plain && x?.schema === A && y?.schema === B) this.structure(x, y, site);
    else this.members(va, vb, [A, B], site);
  }

  private report(found: Found[], site: Site): void {
    for (const [rule, detail] of found) this.ctx.fact(rule, site, detail);
  }

  /** Marks a pair compared; `false` if it already was (a shared schema, a cycle). */
  private firstVisit(a: object, b: object, direction?: Direction): boolean {
    if (direction === undefined) return false;
    const seen = this.seen[direction].get(a) ?? new Set<object>();
    this.seen[direction].set(a, seen);
    return seen.size < seen.add(b).size;
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
      const gone = ra.has(name)
        ? "property-removed"
        : "optional-property-removed";
      if (b === undefined) ctx.fact(gone, here);
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
   * The object and array members of two unions: each on the side that must
   * still fit (old for a request, new for a response) matched with what it is
   * on the other; with no counterpart, a member removed (request) or added.
   */
  private members(
    va: Variant[],
    vb: Variant[],
    [A, B]: [JsonObject, JsonObject],
    site: Site,
  ) {
    const [oa, ob] = [va.filter(isStructured), vb.filter(isStructured)];
    const request = site.direction === "request";
    const [sources, targets] = request ? [oa, ob] : [ob, oa];
    const unions: [JsonObject, JsonObject] = request ? [A, B] : [B, A];
    const { pairs, lone, spare } = this.pair(sources, targets, unions);
    const [gone, extra] = request
      ? (["member-removed", "member-added"] as const)
      : (["member-added", "member-removed"] as const);
    for (const v of lone) this.ctx.fact(gone, site, describeMember(v));
    for (const v of spare) this.ctx.fact(extra, site, describeMember(v));
    for (const pair of pairs) {
      const [x, y] = request ? pair : [pair[1], pair[0]];
      const member = deeper(site, y.label || x.label);
      // Both whole (an object that was and is one): else the same pair again.
      if (x.schema === A && y.schema === B) this.structure(x, y, member);
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

  /**
   * Each source member's counterpart, one-to-one, best pairs first: the same
   * component, the same discriminator value, then the closest structure (ties:
   * the closer position); a target that is not a union pairs with every source
   * like it, unless one is it by name; the last two left are one member changed.
   */
  private pair(
    sources: Variant[],
    targets: Variant[],
    [from, to]: [JsonObject, JsonObject],
  ): { pairs: [Variant, Variant][]; lone: Variant[]; spare: Variant[] } {
    const { ctx } = this;
    const score = (s: Variant, t: Variant) => {
      if (ctx.sameComponent(s.key, t.key) ?? ctx.sameComponent(t.key, s.key))
        return 3;
      const [v, w] = [discriminatorValue(from, s), discriminatorValue(to, t)];
      if (v !== undefined && w !== undefined) return v === w ? 2 : 0;
      if ((s.key && t.key) || isArray(s) !== isArray(t)) return 0;
      return similarity(s.schema, t.schema);
    };
    const candidates: [number, number, number][] = [];
    for (const [i, s] of sources.entries())
      for (const [j, t] of targets.entries()) {
        const value = score(s, t);
        if (value > 0) candidates.push([value, i, j]);
      }
    candidates.sort(
      (x, y) => y[0] - x[0] || Math.abs(x[1] - x[2]) - Math.abs(y[1] - y[2]),
    );
    const pairs: [Variant, Variant][] = [];
    const [used, taken] = [new Set<number>(), new Map<number, number>()];
    for (const [value, i, j] of candidates) {
      // A whole schema that became a union: each member is a form of it;
      // once one is it by name (or discriminator), the rest are new members.
      const whole = targets[j]?.schema === to && (taken.get(j) ?? 0) < 2;
      if (used.has(i) || (taken.has(j) && !whole)) continue;
      [used.add(i), taken.set(j, taken.get(j) ?? value)];
      pairs.push([sources[i] as Variant, targets[j] as Variant]);
    }
    const lone = sources.filter((_, i) => !used.has(i));
    const spare = targets.filter((_, j) => !taken.has(j));
    const [s, t] = [lone[0], spare[0]];
    const one = s && t && lone.length + spare.length === 2;
    if (one && !(s.key && t.key) && isArray(s) === isArray(t))
      return { pairs: [...pairs, [s, t]], lone: [], spare: [] };
    return { pairs, lone, spare };
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

function describeMember(variant: Variant): string {
  if (variant.key !== undefined) return display(variant.key);
  if (isArray(variant)) return `${variant.label} (an array)`;
  const names = [...propertiesOf({}, variant.schema).keys()];
  const shown = names.slice(0, 4).join(", ") + (names.length > 4 ? ", …" : "");
  const some = names.length > 0 ? ` with ${shown}` : "";
  return `${variant.label} (an object${some})`;
}

/** A member's `const` (or one-value `enum`) for its union's discriminator property. */
function discriminatorValue(union: JsonObject, member: Variant) {
  const name = recordOf(union["discriminator"])["propertyName"];
  const property = propertiesOf({}, member.schema).get(String(name));
  const { const: value, enum: values } = recordOf(property);
  if (value !== undefined) return jsonText(value);
  return Array.isArray(values) && values.length === 1
    ? jsonText(values[0])
    : undefined;
}

/**
 * How alike two members are, 0 to 1 (1 only for the same schema, so a member
 * that moved finds itself first): arrays by their items; objects by property
 * names (double for those written the same; none shared: 0), then every other
 * keyword; references by name.
 */
function similarity(x: unknown, y: unknown): number {
  const [a, b] = [recordOf(x), recordOf(y)];
  if (sameJson(a, b)) return 1;
  if ("$ref" in a || "$ref" in b) return 0;
  if ("items" in a || "items" in b)
    return 0.9 * similarity(a["items"], b["items"]);
  const [pa, pb] = [propertiesOf({}, a), propertiesOf({}, b)];
  const names = new Set([...pa.keys(), ...pb.keys()]);
  let score = 0;
  for (const [name, schema] of pa)
    if (pb.has(name)) score += sameJson(schema, pb.get(name)) ? 2 : 1;
  if (names.size > 0 && score === 0) return 0;
  const keys = [...keysOf(a, b)].filter((key) => key !== "properties");
  const same = keys.filter((key) => sameJson(a[key], b[key], undefined, key));
  return (score + same.length) / (2 * names.size + keys.length + 1);
}
