/**
 * The schema half of the structural diff (`diff.ts` has the rest; `variants.ts`
 * reads one schema): each (previous, new, direction) pair compared once, an
 * equal pair ended at once, on a stack of its own (no recursion); a change
 * found where it happened (in a component, at the component); union members
 * matched by what they are (a component, a discriminator value, the closest
 * structure), never by position.
 */
import { sameJson } from "./align.js";
import {
  componentKey,
  deref,
  isRecord,
  jsonText,
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
    const va = flatten(ctx.old, A);
    const vb = flatten(ctx.now, B);
    const [ta, tb] = [typesOf(va), typesOf(vb)];
    const lost = [...ta].filter((type) => !accepts(tb, type));
    const gained = [...tb].filter((type) => !accepts(ta, type));
    if (lost.length > 0) ctx.fact("type-removed", site, typeList(lost));
    if (gained.length > 0) ctx.fact("type-added", site, typeList(gained));
    // Keywords of the schema itself, or of its first scalar alternative with them.
    const scalars = (v: Variant[]) =>
      v.filter((x) => !isStructured(x)).map((x) => x.schema);
    const viewA = [A, ...scalars(va)];
    const viewB = [B, ...scalars(vb)];
    this.report(enums(enumOf(va), enumOf(vb)), site);
    this.report(constraints(viewA, viewB), site);
    this.report(defaults(viewA, viewB), site);
    this.report(keywords(viewA, viewB, SCHEMA_KEYS), site);
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
