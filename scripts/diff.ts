/**
 * The structural diff (pure): the facts the rules table (`rules.ts`) judges.
 * This file walks components and operations; `schemas.ts` their schemas. Each
 * fact is found once, where it happened (a component, else an operation's
 * part), with the kept operations reaching it in the direction found for.
 */
import { alignWithPrevious, sameJson, words } from "./align.js";
import {
  componentGraph,
  componentKey,
  componentRefs,
  deref,
  describeOperation as describe,
  encodeRef,
  entriesOf,
  getAt,
  isHttpMethod,
  isRecord,
  keysOf,
  listOperations,
  operationName,
  recordOf,
  upsert,
  type JsonObject,
  type OpenApiDocument,
  type OperationLocation,
} from "./document.js";
import {
  bumpFor,
  judge,
  type Bump,
  type Change,
  type Direction,
  type Fact,
  type RuleId,
} from "./rules.js";
import {
  SchemaWalk,
  componentSite,
  display,
  inside,
  type Site,
  type WalkContext,
} from "./schemas.js";
import { keywords } from "./variants.js";

/** `info.title` and `info.version` of a document, for the report. */
type DocumentInfo = { readonly title: string; readonly version: string };

/** What changed from one document to the other, judged. */
export interface DocumentDiff {
  /** `undefined` without a previous openapi.json. */
  readonly previous: DocumentInfo | undefined;
  readonly current: DocumentInfo;
  /** Every change, once, the breaking ones first. */
  readonly changes: readonly Change[];
  readonly bump: Bump;
}

/**
 * Compares the committed document (none on a first pull) with the new one,
 * aligned with it first as a pull writes it (aligning again changes nothing).
 *
 * @throws Error if the documents differ and no change was found: a gap in
 *   the diff, never to be reported as "no changes".
 */
export function diffDocuments(
  previous: OpenApiDocument | undefined,
  current: OpenApiDocument,
): DocumentDiff {
  const info = (doc: OpenApiDocument): DocumentInfo => {
    const { title, version } = recordOf(doc["info"]);
    return { title: String(title), version: String(version) };
  };
  if (previous === undefined)
    return { previous, current: info(current), changes: [], bump: "minor" };
  const aligned = alignWithPrevious(previous, current);
  const changes = judge(new Differ(previous, aligned).facts());
  if (changes.length === 0 && !sameJson(previous, aligned))
    throw new Error(
      "the new document differs from the previous one, yet the diff found no change (a bug in scripts/diff.ts: please report it)",
    );
  const bump = bumpFor(changes);
  return { previous: info(previous), current: info(current), changes, bump };
}

/** Component sections openapi-typescript exports by name in `components`. */
const TYPE_SECTIONS = words(
  "schemas responses parameters requestBodies headers pathItems",
);

/** Parameters, request bodies and response headers: there or not, required or not, holding a schema. */
type Part = "parameter" | "request-body" | "response-header";

/** The component sections holding parts, and which. */
const PARTS: Record<string, Part> = {
  parameters: "parameter",
  requestBodies: "request-body",
  headers: "response-header",
};

const SIDES = ["request", "response"] as const;
const NONE: ReadonlySet<string> = new Set();

class Differ implements WalkContext {
  private readonly out: Fact[] = [];
  private readonly walk = new SchemaWalk(this);
  /** Each document's components (`section/name`) and what they reference. */
  private readonly graphs: readonly [Graph, Graph];
  /** Components the same on both sides, with all they reference. */
  private readonly unchanged: ReadonlySet<string>;
  /** Components renamed with the same content: old `section/name` → new. */
  private readonly renamed = new Map<string, string>();
  /** The operations reaching each component, by direction (all found at the first need). */
  private reach: Map<string, Sides> | undefined;

  constructor(
    readonly old: OpenApiDocument,
    readonly now: OpenApiDocument,
  ) {
    this.graphs = [componentGraph(old), componentGraph(now)];
    // A component changed as written changes all that reference it.
    const users = new Map<string, string[]>();
    for (const graph of this.graphs)
      for (const [key, targets] of graph)
        for (const target of targets) upsert(users, target, () => []).push(key);
    const keys = new Set([...this.graphs[0].keys(), ...this.graphs[1].keys()]);
    const valueOf = (doc: OpenApiDocument, key: string) =>
      getAt(doc, ["components", ...key.split(/\/(.*)/s, 2)]);
    const changed = [...keys].filter((key) => {
      const a = valueOf(old, key);
      return a === undefined || !sameJson(a, valueOf(now, key));
    });
    const affected = new Set<string>();
    for (let key = changed.pop(); key !== undefined; key = changed.pop())
      if (affected.size < affected.add(key).size)
        for (const user of users.get(key) ?? []) changed.push(user);
    this.unchanged = new Set([...keys].filter((key) => !affected.has(key)));
  }

  facts(): Fact[] {
    this.components();
    const top = words("paths webhooks components info");
    const site = { where: "document", path: "" };
    for (const [rule, detail] of keywords([this.old], [this.now], top, true))
      this.fact(rule, site, detail);
    // `info` is documentation, field by field (`info: version changed...`).
    const info = [recordOf(this.old["info"])];
    for (const [, detail] of keywords(info, [recordOf(this.now["info"])], NONE))
      this.fact("documentation-changed", { where: "info", path: "" }, detail);
    for (const where of ["paths", "webhooks"]) {
      const [a, b] = [recordOf(this.old[where]), recordOf(this.now[where])];
      const items = [...keysOf(a, b)].filter((key) => !key.startsWith("x-"));
      this.report({ where, path: "" }, a, b, new Set(items));
    }
    const named = (doc: OpenApiDocument) =>
      new Map(listOperations(doc).map((o) => [operationName(o), o]));
    const [before, after] = [named(this.old), named(this.now)];
    for (const name of new Set([...before.keys(), ...after.keys()])) {
      const [o, n] = [before.get(name), after.get(name)];
      const here = { where: name, path: "", operation: name };
      if (o && n) this.operation(here, o, n);
      else if (o) this.fact("operation-removed", here, describe(o));
      else if (n) this.fact("operation-added", here, describe(n));
    }
    // A changed component no comparison went into (a mapping, `not`...).
    for (const key of this.graphs[1].keys())
      if (this.graphs[0].has(key) && !this.unchanged.has(key))
        if (!this.walk.visited.has(key)) this.component(key);
    return this.out;
  }

  fact(rule: RuleId, site: Site, detail = ""): void {
    const { where, path, component, operation, direction } = site;
    let operations = operation === undefined ? [] : [operation];
    if (component !== undefined) {
      const reach = this.reached(component);
      const sides = direction ? [direction] : SIDES;
      operations = [...new Set(sides.flatMap((side) => [...reach[side]]))];
    }
    const glue = path === "" || path.startsWith("[") ? "" : ".";
    const location = `${where}${glue}${path}`;
    this.out.push({ rule, location, detail, direction, operations });
  }

  same(a: unknown, b: unknown): boolean {
    return sameJson(a, b, (ref) => this.unchanged.has(componentKey(ref) ?? ""));
  }

  sameComponent(a: string | undefined, b: string | undefined) {
    if (a === undefined) return undefined;
    return a === b || this.renamed.get(a) === b ? b : undefined;
  }

  /** What differs in the keywords of `a` and `b` not `handled` elsewhere. */
  private report(at: Site, a: JsonObject, b: JsonObject, handled = NONE) {
    for (const [rule, detail] of keywords([a], [b], handled))
      this.fact(rule, at, detail);
  }

  /** Components removed, renamed (the same content under another name) or added. */
  private components(): void {
    const a = recordOf(this.old["components"]);
    const b = recordOf(this.now["components"]);
    for (const section of keysOf(a, b)) {
      const [before, after] = [recordOf(a[section]), recordOf(b[section])];
      if (!TYPE_SECTIONS.has(section)) {
        const site = { where: `components.${section}`, path: "" };
        this.report(site, before, after);
        continue;
      }
      const added = Object.keys(after).filter((n) => !Object.hasOwn(before, n));
      for (const name of Object.keys(before)) {
        if (Object.hasOwn(after, name)) continue;
        const site = componentSite(`${section}/${name}`);
        const twin = added.find((t) => sameJson(before[name], after[t]));
        if (twin === undefined) this.fact("component-removed", site);
        if (twin === undefined) continue;
        added.splice(added.indexOf(twin), 1);
        this.renamed.set(`${section}/${name}`, `${section}/${twin}`);
        this.fact("component-renamed", site, display(`${section}/${twin}`));
      }
      for (const name of added)
        this.fact("component-added", componentSite(`${section}/${name}`));
    }
  }

  /** A component on both sides, compared as what it is, for each side reaching it. */
  private component(key: string): void {
    const [section = "", name = ""] = key.split(/\/(.*)/s, 2);
    const ref = { $ref: encodeRef(["components", section, name]) };
    const site = componentSite(key);
    const part = PARTS[section];
    if (part !== undefined) return this.part(part, ref, ref, site);
    if (section === "responses") return this.response(site, ref, ref);
    if (section !== "schemas") {
      const [a, b] = [deref(this.old, ref).value, deref(this.now, ref).value];
      return this.report(site, recordOf(a), recordOf(b));
    }
    const reach = this.reached(key);
    const unused = reach.request.size + reach.response.size === 0;
    for (const side of SIDES)
      if (unused || reach[side].size > 0)
        this.walk.compare(ref, ref, componentSite(key, side));
  }

  private operation(here: Site, o: OperationLocation, n: OperationLocation) {
    if (describe(o) !== describe(n))
      this.fact("operation-moved", here, `${describe(o)} to ${describe(n)}`);
    const item = { ...here, where: n.key };
    const own = [...keysOf(o.pathItem, n.pathItem)].filter(
      (k) => isHttpMethod(k) || k === "parameters",
    );
    this.report(item, o.pathItem, n.pathItem, new Set(own));
    const [x, y] = [o.operation, n.operation];
    const shared = (l: OperationLocation) => l.pathItem["parameters"];
    if (this.same([shared(o), x], [shared(n), y])) return;
    const before = parametersOf(this.old, o);
    const after = parametersOf(this.now, n);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const site = inside(here, key);
      this.part("parameter", before.get(key), after.get(key), site);
    }
    const body = inside(here, "request");
    this.part("request-body", x["requestBody"], y["requestBody"], body);
    const [ra, rb] = [recordOf(x["responses"]), recordOf(y["responses"])];
    for (const status of keysOf(ra, rb)) {
      const site = inside(here, `response ${status}`);
      const success = /^2/.test(status) ? "success-" : "";
      if (ra[status] === undefined) this.fact("response-added", site);
      else if (rb[status] === undefined)
        this.fact(`${success}response-removed`, site);
      else this.response(site, ra[status], rb[status]);
    }
    this.report(here, x, y, words("parameters requestBody responses"));
  }

  /** One response on both sides: its headers, its content, the rest. */
  private response(site: Site, x: unknown, y: unknown): void {
    const { at, a: ra, b: rb } = this.resolve(x, y, site);
    const [a, b] = [recordOf(ra), recordOf(rb)];
    // Header names are case-insensitive.
    const headers = (r: JsonObject) =>
      new Map(entriesOf(r["headers"]).map(([k, h]) => [k.toLowerCase(), h]));
    const [ha, hb] = [headers(a), headers(b)];
    for (const name of new Set([...ha.keys(), ...hb.keys()])) {
      const header = inside(at, `header ${name}`);
      this.part("response-header", ha.get(name), hb.get(name), header);
    }
    this.content({ ...at, direction: "response" }, a, b);
    this.report(at, a, b, words("headers content"));
  }

  /** A parameter, request body or response header (a component's changes when both sides name one). */
  private part(kind: Part, x: unknown, y: unknown, site: Site): void {
    const direction = kind === "response-header" ? "response" : "request";
    const { at, a, b } = this.resolve(x, y, { ...site, direction });
    const required = (v: unknown) =>
      isRecord(v) && (v["required"] === true || v["in"] === "path");
    if (!isRecord(a) && !isRecord(b)) return;
    if (!isRecord(b)) {
      const optional = kind === "response-header" && !required(a);
      const rule: RuleId = optional
        ? "optional-response-header-removed"
        : `${kind}-removed`;
      return this.fact(rule, site);
    }
    if (!isRecord(a))
      return this.fact(`${kind}-added${required(b) ? "-required" : ""}`, site);
    if (!required(a) && required(b)) this.fact(`${kind}-became-required`, at);
    if (required(a) && !required(b)) this.fact(`${kind}-became-optional`, at);
    this.walk.compare(a["schema"], b["schema"], at);
    this.content(at, a, b);
    this.report(at, a, b, words("name in required schema content"));
  }

  private content(site: Site, x: JsonObject, y: JsonObject): void {
    const [before, after] = [recordOf(x["content"]), recordOf(y["content"])];
    for (const type of keysOf(before, after)) {
      const [a, b] = [before[type], after[type]];
      if (!isRecord(a)) this.fact("media-type-added", site, type);
      else if (!isRecord(b)) this.fact("media-type-removed", site, type);
      else {
        const here = inside(site, type);
        this.walk.compare(a["schema"], b["schema"], here);
        this.report(here, a, b, words("schema"));
      }
    }
  }

  /** Both sides of a part resolved; the site is the component when both name one (then visited). */
  private resolve(x: unknown, y: unknown, site: Site) {
    const [ra, rb] = [deref(this.old, x), deref(this.now, y)];
    const key = this.sameComponent(componentKey(ra.ref), componentKey(rb.ref));
    if (key !== undefined) this.walk.visited.add(key);
    const at = key === undefined ? site : componentSite(key, site.direction);
    return { at, a: ra.value, b: rb.value };
  }

  /** The operations that reach a component (through any chain of references), by direction. */
  private reached(key: string): Sides {
    if (this.reach === undefined) {
      const reach = new Map<string, Sides>();
      for (const location of [this.old, this.now].flatMap(listOperations)) {
        const { operation: op, pathItem: item } = location;
        const roots = {
          request: [item["parameters"], op["parameters"], op["requestBody"]],
          response: [op["responses"]],
        };
        for (const side of SIDES) {
          const queue = [...componentRefs(roots[side])];
          const seen = new Set(queue);
          for (let next = queue.pop(); next; next = queue.pop()) {
            sidesOf(reach, next)[side].add(operationName(location));
            for (const graph of this.graphs)
              for (const target of graph.get(next) ?? [])
                if (seen.size < seen.add(target).size) queue.push(target);
          }
        }
      }
      this.reach = reach;
    }
    return sidesOf(this.reach, key);
  }
}

type Sides = Record<Direction, Set<string>>;

function sidesOf(map: Map<string, Sides>, key: string): Sides {
  return upsert(map, key, () => ({ request: new Set(), response: new Set() }));
}

type Graph = ReturnType<typeof componentGraph>;

/** An operation's parameters by `in name` (header names lower-cased), the operation's over its path's. */
function parametersOf(doc: OpenApiDocument, location: OperationLocation) {
  const result = new Map<string, unknown>();
  const { pathItem, operation } = location;
  for (const list of [pathItem["parameters"], operation["parameters"]])
    for (const raw of Array.isArray(list) ? list : []) {
      const value = deref(doc, raw).value;
      if (!isRecord(value)) continue;
      const [where, name] = [String(value["in"]), String(value["name"])];
      const key = where === "header" ? name.toLowerCase() : name;
      result.set(`${where} ${key}`, raw);
    }
  return result;
}
