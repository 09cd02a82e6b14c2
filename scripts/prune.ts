/**
 * Prune (pure): keep the configured operations and what they use, so
 * openapi.json, the types and what is validated cover what the client calls.
 */
import {
  PipelineError,
  decodeRef,
  describeOperation,
  encodeRef,
  entriesOf,
  forEachRef,
  getAt,
  isHttpMethod,
  isRecord,
  listOperations,
  recordOf,
  setKey,
  upsert,
  type JsonObject,
  type OpenApiDocument,
  type OperationLocation,
} from "./document.js";

/**
 * `doc` with only the `operations` and, in its key order, what they use (root
 * keys, the `tags` named, their path items, the components reached, security
 * schemes, `x-*` keys); what is kept whole is shared with `doc`, not copied.
 *
 * @throws PipelineError for an unknown or duplicated operationId, or a kept
 *   `$ref` that resolves nowhere, into another file or an operation not kept.
 */
export function pruneDocument(
  doc: OpenApiDocument,
  operations: readonly string[],
): OpenApiDocument {
  const selected = selectOperations(listOperations(doc), new Set(operations));
  const paths = keepPathItems(doc, "paths", selected);
  const webhooks = keepPathItems(doc, "webhooks", selected);
  const output: JsonObject = { paths, webhooks };
  /** section → names kept: "schemas" → {"Pet"}. */
  const kept = new Map<string, Set<string>>();
  // A worklist, not recursion: a chain of thousands of schemas is no risk.
  const pending: string[][] = [];
  const keep = (section: string, name: string): void => {
    const names = upsert(kept, section, () => new Set());
    if (!names.has(name)) pending.push(["components", section, name]);
    names.add(name);
  };
  const follow = (ref: string, at: readonly string[]): void => {
    const problem = unusable(doc, ref, at);
    if (problem !== undefined) throw new PipelineError(problem);
    const segments = decodeRef(ref) ?? [];
    const target = getAt(doc, segments);
    const [root, section, name] = segments;
    // A whole section, or all components (rare): all of it.
    if (root === "components" && section === undefined)
      for (const [s, entries] of entriesOf(target))
        for (const [entry] of entriesOf(entries)) keep(s, entry);
    else if (root === "components" && name === undefined)
      for (const [entry] of entriesOf(target)) keep(section ?? "", entry);
    else if (root === "components") keep(section ?? "", name ?? "");
    // Into a dropped operation: keeping it would add one nobody asked for.
    const container = root === "paths" || root === "webhooks" ? root : "";
    if (container && getAt(output[container], segments.slice(1)) === undefined)
      throw new PipelineError(
        `$ref ${JSON.stringify(ref)} at ${encodeRef(at)} points into ${root} that are not kept; add that operation to the list`,
      );
  };
  const walk = (value: unknown, at: string[]): void => {
    forEachRef(value, (ref, relative) => follow(ref, [...at, ...relative]));
    for (let next = pending.pop(); next; next = pending.pop())
      forEachRef(getAt(doc, next), (ref, relative) =>
        follow(ref, [...(next ?? []), ...relative]),
      );
  };
  for (const [key, value] of Object.entries(doc))
    if (!/^(components|paths|webhooks)$/.test(key)) walk(value, [key]);
  walk(paths, ["paths"]);
  walk(webhooks, ["webhooks"]);
  for (const [key, value] of entriesOf(doc["components"]))
    if (key.startsWith("x-")) walk(value, ["components", key]);
  // Schemes `security` names (not by `$ref`), the root's included.
  const schemes = recordOf(getAt(doc, ["components", "securitySchemes"]));
  const security = selected.map((s) => s.operation["security"]);
  for (const list of [doc["security"], ...security])
    for (const requirement of Array.isArray(list) ? list : [])
      for (const [name] of entriesOf(requirement))
        if (Object.hasOwn(schemes, name)) {
          keep("securitySchemes", name);
          walk(undefined, []);
        }

  const components: JsonObject = {};
  for (const [section, entries] of entriesOf(doc["components"])) {
    const names = kept.get(section);
    if (section.startsWith("x-")) setKey(components, section, entries);
    if (names === undefined) continue;
    const subset: JsonObject = {};
    for (const [name, value] of entriesOf(entries))
      if (names.has(name)) setKey(subset, name, value);
    setKey(components, section, subset);
  }
  const tags = selected.map((s) => s.operation["tags"]);
  const used = new Set(tags.flatMap((t) => (Array.isArray(t) ? t : [])));
  if (Array.isArray(doc["tags"]))
    output["tags"] = doc["tags"].filter((t) => used.has(recordOf(t)["name"]));
  output["components"] = components;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    const replaced = Object.hasOwn(output, key) ? output[key] : value;
    const empty = isRecord(replaced) && Object.keys(replaced).length === 0;
    if (!empty || key === "paths") setKey(result, key, replaced);
  }
  return result;
}

/** The operations named, each once; an unknown id is an error with a suggestion. */
function selectOperations(
  all: readonly OperationLocation[],
  wanted: ReadonlySet<string>,
): OperationLocation[] {
  const byId = new Map<string, OperationLocation>();
  for (const location of all) {
    const id = location.operation["operationId"];
    if (typeof id !== "string" || !wanted.has(id)) continue;
    const previous = byId.get(id);
    if (previous !== undefined)
      throw new PipelineError(
        `operationId "${id}" is used twice (${describeOperation(previous)} and ${describeOperation(location)}); cannot tell which to keep`,
      );
    byId.set(id, location);
  }
  const missing = [...wanted].filter((id) => !byId.has(id));
  if (missing.length === 0) return [...byId.values()];
  const ids = all
    .map((l) => l.operation["operationId"])
    .filter((id): id is string => typeof id === "string");
  const named = missing.map((id) => {
    const close = closest(id, ids);
    return `"${id}"${close === undefined ? "" : ` (did you mean "${close}"?)`}`;
  });
  throw new PipelineError(
    `unknown operationId${missing.length > 1 ? "s" : ""} ${named.join(", ")}: not found in the document's ${ids.length} operations`,
  );
}

/** The path items (or webhooks) holding a selected operation, without their other methods. */
function keepPathItems(
  doc: OpenApiDocument,
  container: "paths" | "webhooks",
  selected: readonly OperationLocation[],
): JsonObject {
  const kept: JsonObject = {};
  for (const [key, item] of entriesOf(doc[container])) {
    const methods = selected
      .filter((s) => s.container === container && s.key === key)
      .map((s) => s.method);
    if (methods.length === 0 || !isRecord(item)) continue;
    // A `$ref` to components/pathItems is shared: kept whole, not cut.
    const copy: JsonObject = {};
    for (const [field, value] of Object.entries(item))
      if (!isHttpMethod(field) || methods.includes(field))
        setKey(copy, field, value);
    setKey(kept, key, typeof item["$ref"] === "string" ? item : copy);
  }
  return kept;
}

/** The candidate closest to `id` by edit distance, if close enough to be a likely typo. */
function closest(id: string, candidates: readonly string[]) {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(id.length / 3)) + 1;
  for (const candidate of candidates) {
    const [a, b] = [id.toLowerCase(), candidate.toLowerCase()];
    let row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++)
        next[j] = Math.min(
          (row[j] ?? 0) + 1,
          (next[j - 1] ?? 0) + 1,
          (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
      row = next;
    }
    const distance = row[b.length] ?? 0;
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/**
 * Every `$ref` of `doc` that resolves nowhere or into another file (never
 * followed), one line each: upstream a warning, in openapi.json an error.
 *
 * @throws PipelineError for a document nested past any real one.
 */
export function unusableRefs(doc: OpenApiDocument, origin: string): string[] {
  const found: string[] = [];
  try {
    forEachRef(doc, (ref, at) => {
      const problem = unusable(doc, ref, at);
      if (problem !== undefined) found.push(problem);
    });
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    throw new PipelineError(`${origin} ${error.message}`);
  }
  return found;
}

/** Why a reference at `at` cannot be followed, or `undefined`. */
function unusable(doc: OpenApiDocument, ref: string, at: readonly string[]) {
  const where = `${JSON.stringify(ref)} at ${encodeRef(at)}`;
  const segments = decodeRef(ref);
  if (segments === undefined)
    return `external $ref ${where} is not supported: only references inside the document (#/...) are; bundle the document first`;
  if (getAt(doc, segments) === undefined)
    return `$ref ${where} resolves nowhere`;
  return undefined;
}
