/**
 * The structural diff (pure): what differs between the previous openapi.json
 * and the new one, as facts the rules table (`rules.ts`) judges. This file
 * walks components and operations; `schemas.ts` compares their schemas. Each
 * fact is found once, where it happened (in a component, at the component;
 * else at the operation's part, `agent_stop[response 200 application/json]`),
 * with the kept operations that reach it, in the direction it was found for.
 */
import { sameJson } from "./align.js";
import {
  componentKey,
  deref,
  describeOperation as describe,
  encodeRef,
  entriesOf,
  forEachRef,
  getAt,
  isHttpMethod,
  isRecord,
  keysOf,
  listOperations,
  operationName,
  recordOf,
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
import { keywords, words } from "./variants.js";

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

/** Compares the committed document (none on a first pull) with the new one. */
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
  const changes = judge(new Differ(previous, current).facts());
  const bump = bumpFor(changes);
  return { previous: info(previous), current: info(current), changes, bump };
}

/** Component sections openapi-typescript exports by name in `components`. */
const TYPE_SECTIONS = words(
  "schemas responses parameters requestBodies headers pathItems",
);

/** Parameters, request bodies and response headers: there or not, required or not, holding a schema. */
type Part = "parameter" | "request-body" | "response-header";

class Differ implements WalkContext {
  private readonly out: Fact[] = [];
  private readonly walk = new SchemaWalk(this);
  /** Each document's components (`section/name`) and what they reference. */
  private readonly graphs: readonly [Graph, Graph];
  /** Components the same on both sides, with all they reference. */
  private readonly unchanged: ReadonlySet<string>;
  /** Components renamed with the same content: old `section/name` → new. */
  private readonly renamed = new Map<string, string>();
  /** Components that reference each component (directly), on either side. */
  private readonly dependents = new Map<string, string[]>();
  /** The operations whose own parts reference each component, by direction. */
  private readonly roots = new Map<string, Record<Direction, Set<string>>>();
  /** The operations reaching each component, by direction, as asked for. */
  private readonly reach = new Map<string, Record<Direction, Set<string>>>();

  constructor(
    readonly old: OpenApiDocument,
    readonly now: OpenApiDocument,
  ) {
    this.graphs = [graphOf(old), graphOf(now)];
    for (const graph of this.graphs)
      for (const [key, targets] of graph)
        for (const target of targets) {
          const list = this.dependents.get(target) ?? [];
          this.dependents.set(target, list);
          list.push(key);
        }
    const keys = new Set([...this.graphs[0].keys(), ...this.graphs[1].keys()]);
    this.unchanged = unchangedComponents([old, now], keys, this.dependents);
    for (const doc of [old, now])
      for (const location of listOperations(doc)) {
        const { operation: op, pathItem: item } = location;
        const roots = {
          request: [item["parameters"], op["parameters"], op["requestBody"]],
          response: [op["responses"]],
        };
        for (const side of ["request", "response"] as const)
          for (const key of refsIn(roots[side]))
            sidesOf(this.roots, key)[side].add(operationName(location));
      }
  }

  facts(): Fact[] {
    this.components();
    const top = words("paths webhooks components info");
    const site = { where: "document", path: "" };
    this.report(site, keywords([this.old], [this.now], top, true));
    // `info` is documentation, field by field (`info: version changed...`).
    const info = [recordOf(this.old["info"])];
    const fields = keywords(info, [recordOf(this.now["info"])], new Set());
    for (const [, detail] of fields)
      this.fact("documentation-changed", { where: "info", path: "" }, detail);
    const named = (doc: OpenApiDocument) =>
      new Map(listOperations(doc).map((o) => [operationName(o), o]));
    const [before, after] = [named(this.old), named(this.now)];
    for (const [name, o] of before) {
      const n = after.get(name);
      const here = { where: name, path: "", operation: name };
      if (n !== undefined) this.operation(here, o, n);
      else this.fact("operation-removed", here, describe(o));
    }
    for (const [name, n] of after) {
      const here = { where: name, path: "", operation: name };
      if (!before.has(name)) this.fact("operation-added", here, describe(n));
    }
    // A changed schema the walk cannot reach (through a discriminator
    // mapping, `not`...): compared on its own, for each side using it.
    for (const key of this.graphs[1].keys()) {
      if (!key.startsWith("schemas/") || !this.graphs[0].has(key)) continue;
      if (this.unchanged.has(key) || this.walk.visited.has(key)) continue;
      const name = key.slice("schemas/".length);
      const ref = { $ref: encodeRef(["components", "schemas", name]) };
      const reach = this.reached(key);
      const unused = reach.request.size + reach.response.size === 0;
      for (const side of ["request", "response"] as const)
        if (unused || reach[side].size > 0)
          this.walk.compare(ref, ref, componentSite(key, side));
    }
    return this.out;
  }

  fact(rule: RuleId, site: Site, detail = ""): void {
    const { where, path, component, operation, direction } = site;
    let operations = operation === undefined ? [] : [operation];
    const reach = component ? this.reached(component) : undefined;
    if (reach !== undefined) {
      const sides = direction
        ? [direction]
        : (["request", "response"] as const);
      operations = [...new Set(sides.flatMap((side) => [...reach[side]]))];
    }
    const glue = path === "" || path.startsWith("[") ? "" : ".";
    const location = `${where}${glue}${path}`;
    this.out.push({ rule, location, detail, direction, operations });
  }

  same(a: unknown, b: unknown): boolean {
    const unchanged = (ref: string) =>
      this.unchanged.has(componentKey(ref) ?? "");
    return sameJson(a, b, unchanged);
  }

  sameComponent(a: string | undefined, b: string | undefined) {
    if (a === undefined) return undefined;
    return a === b || this.renamed.get(a) === b ? b : undefined;
  }

  private report(site: Site, found: [RuleId, string][]): void {
    for (const [rule, detail] of found) this.fact(rule, site, detail);
  }

  /** Components removed, renamed (the same content under another name) or added. */
  private components(): void {
    const a = recordOf(this.old["components"]);
    const b = recordOf(this.now["components"]);
    for (const section of keysOf(a, b)) {
      const [before, after] = [recordOf(a[section]), recordOf(b[section])];
      if (!TYPE_SECTIONS.has(section)) {
        const site = { where: `components.${section}`, path: "" };
        this.report(site, keywords([before], [after], new Set()));
        continue;
      }
      const added = Object.keys(after).filter((n) => !Object.hasOwn(before, n));
      for (const name of Object.keys(before)) {
        if (Object.hasOwn(after, name)) continue;
        const site = componentSite(`${section}/${name}`);
        const twin = added.find((other) =>
          sameJson(before[name], after[other]),
        );
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

  private operation(here: Site, o: OperationLocation, n: OperationLocation) {
    if (describe(o) !== describe(n))
      this.fact("operation-moved", here, `${describe(o)} to ${describe(n)}`);
    const item = { ...here, where: n.key };
    const own = [...keysOf(o.pathItem, n.pathItem)].filter(
      (k) => isHttpMethod(k) || k === "parameters",
    );
    this.report(item, keywords([o.pathItem], [n.pathItem], new Set(own)));
    const all = (l: OperationLocation) => [
      l.pathItem["parameters"],
      l.operation,
    ];
    if (this.same(all(o), all(n))) return;
    const before = parametersOf(this.old, o);
    const after = parametersOf(this.now, n);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const site = inside(here, key);
      this.part("parameter", before.get(key), after.get(key), site);
    }
    const [x, y] = [o.operation, n.operation];
    const body = inside(here, "request");
    this.part("request-body", x["requestBody"], y["requestBody"], body);
    this.responses(here, x["responses"], y["responses"]);
    const handled = words("parameters requestBody responses");
    this.report(here, keywords([x], [y], handled));
  }

  private responses(here: Site, x: unknown, y: unknown): void {
    const [before, after] = [recordOf(x), recordOf(y)];
    for (const status of keysOf(before, after)) {
      const site = inside(here, `response ${status}`);
      const { at, a, b } = this.resolve(before[status], after[status], site);
      const success = /^2/.test(status) ? "success-" : "";
      if (!isRecord(a)) this.fact("response-added", site);
      else if (!isRecord(b)) this.fact(`${success}response-removed`, site);
      else {
        const [ha, hb] = [headersOf(a), headersOf(b)];
        for (const name of new Set([...ha.keys(), ...hb.keys()])) {
          const header = inside(at, `header ${name}`);
          this.part("response-header", ha.get(name), hb.get(name), header);
        }
        this.content({ ...at, direction: "response" }, a, b);
        this.report(at, keywords([a], [b], words("headers content")));
      }
    }
  }

  /**
   * A parameter, a request body or a response header, given inline or by
   * `$ref` (when both sides name one component, its changes are that
   * component's): removed, added, newly required or optional, then what it
   * holds (a schema, or content by media type).
   */
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
    const handled = words("name in required schema content");
    this.report(at, keywords([a], [b], handled));
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
        this.report(here, keywords([a], [b], words("schema")));
      }
    }
  }

  /** Both sides of a part resolved; the site is the component when both name one. */
  private resolve(x: unknown, y: unknown, site: Site) {
    const [ra, rb] = [deref(this.old, x), deref(this.now, y)];
    const key = this.sameComponent(componentKey(ra.ref), componentKey(rb.ref));
    const at = key === undefined ? site : componentSite(key, site.direction);
    return { at, a: ra.value, b: rb.value };
  }

  /** The operations that reach a component (through any chain of references), by direction. */
  private reached(key: string): Record<Direction, Set<string>> {
    const known = this.reach.get(key);
    if (known !== undefined) return known;
    const reach = sidesOf(this.reach, key);
    const queue = [key];
    const visited = new Set(queue);
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const roots = this.roots.get(next);
      for (const side of ["request", "response"] as const)
        for (const name of roots?.[side] ?? []) reach[side].add(name);
      for (const user of this.dependents.get(next) ?? []) {
        if (visited.has(user)) continue;
        visited.add(user);
        queue.push(user);
      }
    }
    return reach;
  }
}

type Sides = Record<Direction, Set<string>>;

function sidesOf(map: Map<string, Sides>, key: string): Sides {
  const sides = map.get(key) ?? { request: new Set(), response: new Set() };
  map.set(key, sides);
  return sides;
}

/** Each component (`section/name`) and the components it references directly. */
type Graph = Map<string, Set<string>>;

function graphOf(doc: OpenApiDocument): Graph {
  const graph: Graph = new Map();
  for (const [section, entries] of entriesOf(doc["components"]))
    for (const [name, value] of entriesOf(entries))
      graph.set(`${section}/${name}`, refsIn(value));
  return graph;
}

/** The components (`section/name`) that references inside `value` point into. */
function refsIn(value: unknown): Set<string> {
  const keys = new Set<string>();
  forEachRef(value, (ref) => {
    const key = componentKey(ref);
    if (key !== undefined) keys.add(key);
  });
  return keys;
}

/** The components the same in both documents, as written and in all they reference. */
function unchangedComponents(
  [old, now]: readonly [OpenApiDocument, OpenApiDocument],
  keys: ReadonlySet<string>,
  dependents: ReadonlyMap<string, readonly string[]>,
): Set<string> {
  const valueOf = (doc: OpenApiDocument, key: string) =>
    getAt(doc, ["components", ...key.split(/\/(.*)/s, 2)]);
  const changed = [...keys].filter((key) => {
    const a = valueOf(old, key);
    return a === undefined || !sameJson(a, valueOf(now, key));
  });
  const affected = new Set<string>();
  for (let key = changed.pop(); key !== undefined; key = changed.pop()) {
    if (affected.has(key)) continue;
    affected.add(key);
    for (const user of dependents.get(key) ?? []) changed.push(user);
  }
  return new Set([...keys].filter((key) => !affected.has(key)));
}

/** An operation's parameters by `in name` (path-level ones overridden by the operation's), as written. */
function parametersOf(doc: OpenApiDocument, location: OperationLocation) {
  const result = new Map<string, unknown>();
  const { pathItem, operation } = location;
  for (const list of [pathItem["parameters"], operation["parameters"]]) {
    for (const raw of Array.isArray(list) ? list : []) {
      const value = deref(doc, raw).value;
      if (!isRecord(value)) continue;
      const where = String(value["in"]);
      // Header names are case-insensitive.
      const name = String(value["name"]);
      const key = where === "header" ? name.toLowerCase() : name;
      result.set(`${where} ${key}`, raw);
    }
  }
  return result;
}

/** A response's headers by lower-cased name (header names are case-insensitive). */
function headersOf(response: JsonObject): Map<string, unknown> {
  const headers = entriesOf(response["headers"]);
  return new Map(headers.map(([name, header]) => [name.toLowerCase(), header]));
}
