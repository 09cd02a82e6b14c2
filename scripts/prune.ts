/**
 * Prune: keep only the configured operations and everything they use, so the
 * generated types (and openapi.json) cover exactly what the client calls, and
 * what is validated is what is kept. Pure: the input is never modified. The
 * result is new down to the objects that lose keys; what is kept whole is
 * shared with the input, not copied (a copy of a large document costs time
 * and memory).
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
  setKey,
  type JsonObject,
  type OpenApiDocument,
  type OperationLocation,
} from "./document.js";

/**
 * `doc` with only the operations named in `operations` (operationIds, in
 * `paths` or `webhooks`; none keeps only the root keys and what they use)
 * and the transitive closure of what they use, in the source's key order:
 * - every root key but `paths`, `webhooks` and `components`, and of `tags`
 *   the entries a kept operation names;
 * - each path item (or webhook) with a kept operation, its other methods
 *   removed, its other keys kept (a path item given by `$ref` kept whole);
 * - in `components`: every entry reached through `$ref`s or discriminator
 *   `mapping` targets, transitively, in any section; the security schemes
 *   the root `security` and the kept operations' name; `x-*` keys whole.
 *
 * @throws PipelineError for an unknown (or duplicated) operationId, or a
 *   `$ref` in what is kept that resolves nowhere, into another file, or into
 *   an operation that is not kept.
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
    const names = kept.get(section) ?? new Set();
    kept.set(section, names);
    if (!names.has(name)) pending.push(["components", section, name]);
    names.add(name);
  };
  const follow = (ref: string, at: readonly string[]): void => {
    const segments = decodeRef(ref);
    const where = `${JSON.stringify(ref)} at ${encodeRef(at)}`;
    if (segments === undefined)
      throw new PipelineError(`external $ref ${where} is not supported`);
    const target = getAt(doc, segments);
    if (target === undefined)
      throw new PipelineError(`$ref ${where} resolves nowhere`);
    const [root, section, name] = segments;
    // A whole section, or all components (legal, rare): all of it.
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
        `$ref ${where} points into ${root} that are not kept; add that operation to the list`,
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
  // Schemes named in `security` (not by `$ref`), if declared (an undeclared
  // one is redocly's warning). The root `security` is kept as it is, so its
  // schemes are kept even where every kept operation overrides it.
  const schemes = getAt(doc, ["components", "securitySchemes"]);
  const requirements = [
    doc["security"],
    ...selected.map((s) => s.operation["security"]),
  ];
  for (const requirement of requirements.flatMap((r) =>
    Array.isArray(r) ? r : [],
  ))
    for (const [name] of entriesOf(requirement))
      if (isRecord(schemes) && Object.hasOwn(schemes, name)) {
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
  const used = new Set(
    selected.flatMap((s) => {
      const tags = s.operation["tags"];
      return Array.isArray(tags) ? tags : [];
    }),
  );
  const tags = (value: unknown) =>
    Array.isArray(value)
      ? value.filter((tag) => isRecord(tag) && used.has(tag["name"]))
      : value;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    const replaced =
      key === "components"
        ? components
        : key === "tags"
          ? tags(value)
          : output[key];
    if (
      isRecord(replaced) &&
      Object.keys(replaced).length === 0 &&
      key !== "paths"
    )
      continue;
    setKey(result, key, replaced ?? value);
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
    return close === undefined
      ? `"${id}"`
      : `"${id}" (did you mean "${close}"?)`;
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
    if (typeof item["$ref"] === "string") setKey(kept, key, item);
    if (typeof item["$ref"] === "string") continue;
    const copy: JsonObject = {};
    for (const [field, value] of Object.entries(item))
      if (!isHttpMethod(field) || methods.includes(field))
        setKey(copy, field, value);
    setKey(kept, key, copy);
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
 * Every `$ref` of `doc` that resolves nowhere or into another file, one line
 * each. Upstream they are tolerated (a warning) where the kept operations do
 * not reach them, and pruning refuses those they do; the committed
 * openapi.json must have none. External references are never followed: a
 * fresh clone has no other file, and nothing may read files or fetch URLs a
 * downloaded document names.
 *
 * @throws PipelineError for a document nested past any real one.
 */
export function unusableRefs(doc: OpenApiDocument, origin: string): string[] {
  const found: string[] = [];
  try {
    forEachRef(doc, (ref, at) => {
      const segments = decodeRef(ref);
      const where = `${JSON.stringify(ref)} at ${encodeRef(at)}`;
      if (segments === undefined)
        found.push(
          `external $ref ${where}: only references inside the document (#/...) are supported; bundle the document first`,
        );
      else if (getAt(doc, segments) === undefined)
        found.push(`Can't resolve $ref ${where}`);
    });
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    throw new PipelineError(`${origin} ${error.message}`);
  }
  return found;
}
