/**
 * The structural diff (pure): what differs between the previous openapi.json
 * and the new one, as facts the rules table (`rules.ts`) judges. This file
 * walks components and operations; `schemas.ts` compares their schemas. Each
 * fact is found once, where it happened (in a component, at the component;
 * else at the operation's part, `agent_stop[response 200 application/json]`),
 * with the kept operations that reach it, in the direction it was found for.
 */
import { alignWithPrevious, sameJson } from "./align.js";
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

class Differ implements WalkContext {
  private readonly out: Fact[] = [];
  private readonly walk = new SchemaWalk(this);
  /** Each document's components (`section/name`) and what they reference. */
  private readonly graphs: readonly [Graph, Graph];
  /** Components the same on both sides, with all they reference. */
  private readonly unchanged: ReadonlySet<string>;
  /** Components renamed with the same content: old `section/name` → new. */
  private readonly renamed = new Map<string, string>();
  /** Each operation's own references (`section/name`), by direction. */
  private readonly uses = new Map<string, Sides>();
  /** The operations reaching each component, by direction (all found at the first need). */
  private reach: Map<string, Sides> | undefined;

  constructor(
    readonly old: OpenApiDocument,
    readonly now: OpenApiDocument,
  ) {
    this.graphs = [graphOf(old), graphOf(now)];
    this.unchanged = unchangedComponents([old, now], this.graphs);
    for (const doc of [old, now])
      for (const location of listOperations(doc)) {
        const { operation: op, pathItem: item } = location;
        const roots = {
          request: [item["parameters"], op["parameters"], op["requestBody"]],
          response: [op["responses"]],
        };
        const uses = sidesOf(this.uses, operationName(location));
        for (const side of SIDES)
          for (const key of refsIn(roots[side])) uses[side].add(key);
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
    for (const where of ["paths", "webhooks"]) {
      const [a, b] = [recordOf(this.old[where]), recordOf(this.now[where])];
      const items = [...keysOf(a, b)].filter((key) => !key.startsWith("x-"));
      this.report({ where, path: "" }, keywords([a], [b], new Set(items)));
    }
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
    // A changed component no operation's comparison went into (reached
    // through a discriminator mapping, `not`, an encoding...): on its own.
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
      return this.report(
        site,
        keywords([recordOf(a)], [recordOf(b)], new Set()),
      );
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
    const [ra, rb] = [recordOf(x["responses"]), recordOf(y["responses"])];
    for (const status of keysOf(ra, rb)) {
      const site = inside(here, `response ${status}`);
      const success = /^2/.test(status) ? "success-" : "";
      if (ra[status] === undefined) this.fact("response-added", site);
      else if (rb[status] === undefined)
        this.fact(`${success}response-removed`, site);
      else this.response(site, ra[status], rb[status]);
    }
    const handled = words("parameters requestBody responses");
    this.report(here, keywords([x], [y], handled));
  }

  /** One response on both sides: its headers, its content, the rest. */
  private response(site: Site, x: unknown, y: unknown): void {
    const resolved = this.resolve(x, y, site);
    const { at } = resolved;
    const [a, b] = [recordOf(resolved.a), recordOf(resolved.b)];
    const [ha, hb] = [headersOf(a), headersOf(b)];
    for (const name of new Set([...ha.keys(), ...hb.keys()])) {
      const header = inside(at, `header ${name}`);
      this.part("response-header", ha.get(name), hb.get(name), header);
    }
    this.content({ ...at, direction: "response" }, a, b);
    this.report(at, keywords([a], [b], words("headers content")));
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
      for (const [name, uses] of this.uses)
        for (const side of SIDES) {
          const queue = [...uses[side]];
          const seen = new Set(queue);
          for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
            sidesOf(reach, next)[side].add(name);
            for (const graph of this.graphs)
              for (const target of graph.get(next) ?? [])
                if (seen.size < seen.add(target).size) queue.push(target);
          }
        }
      this.reach = reach;
    }
    return sidesOf(this.reach, key);
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
  docs: readonly [OpenApiDocument, OpenApiDocument],
  graphs: readonly [Graph, Graph],
): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const graph of graphs)
    for (const [key, targets] of graph)
      for (const target of targets) {
        const list = dependents.get(target) ?? [];
        dependents.set(target, list);
        list.push(key);
      }
  const keys = new Set([...graphs[0].keys(), ...graphs[1].keys()]);
  const valueOf = (doc: OpenApiDocument, key: string) =>
    getAt(doc, ["components", ...key.split(/\/(.*)/s, 2)]);
  const changed = [...keys].filter((key) => {
    const a = valueOf(docs[0], key);
    return a === undefined || !sameJson(a, valueOf(docs[1], key));
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
