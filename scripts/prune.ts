/**
 * Stage 4, prune: keep only the configured operations and everything they
 * use, so the generated types (and the committed openapi.json) cover exactly
 * what the client calls. Pure: the input document is never modified. The
 * result is new down to the objects that lose keys (the root, `paths`, path
 * items, `components` and its sections, `tags`); what is kept whole is
 * shared with the input, not copied (a copy of a large document costs time
 * and memory): copy the result before changing it if the input is used
 * afterwards.
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
 * Returns a copy of `doc` holding only the operations named in `operations`
 * (operationIds, in `paths` or `webhooks`) and the transitive closure of
 * what they use. `operations` may be empty (a pull whose kept operations
 * were all removed upstream still reports what else changed): then only the
 * root keys and what they use are kept.
 *
 * Kept:
 * - every root key except `paths`, `webhooks` and `components`, in the
 *   source's key order (`openapi`, `info`, `servers`, `security`,
 *   `jsonSchemaDialect`, `externalDocs`, `x-*`...), and of `tags` the
 *   entries a kept operation names;
 * - in `paths`: each path item with at least one kept operation, with its
 *   other methods removed and its non-operation keys (`parameters`,
 *   `summary`, `servers`, `x-*`...) kept;
 * - in `webhooks`: only webhooks holding a listed operation (webhooks are
 *   calls made to the user, not by the client, so they are dropped unless
 *   asked for by operationId);
 * - in `components`: every entry reached from the above through `$ref`s or
 *   discriminator `mapping` targets (a reference or a bare schema name),
 *   followed transitively through any section; plus the security schemes
 *   named by the kept operations' `security`, or by the root `security` for
 *   operations without their own (the root `security` is kept, so its schemes
 *   always are). Sections left empty are dropped.
 *
 * Key order within every kept object is the source's.
 *
 * @throws PipelineError for an unknown (or duplicated) operationId, a `$ref`
 *   that resolves nowhere, or a `$ref` into a part of `paths` that is dropped.
 */
export function pruneDocument(
  doc: OpenApiDocument,
  operations: readonly string[],
): OpenApiDocument {
  const wanted = new Set(operations);
  const all = listOperations(doc);
  const selected = selectOperations(all, wanted);

  // Path items (and webhooks) with their dropped methods removed.
  const keptPaths = keepPathItems(doc, "paths", selected);
  const keptWebhooks = keepPathItems(doc, "webhooks", selected);

  // The closure starts from everything that stays outside `components`.
  const closure = new Closure(doc, {
    paths: keptPaths,
    webhooks: keptWebhooks,
  });
  for (const [key, value] of Object.entries(doc)) {
    if (key === "components" || key === "paths" || key === "webhooks") continue;
    closure.walk(value, [key]);
  }
  closure.walk(keptPaths, ["paths"]);
  closure.walk(keptWebhooks, ["webhooks"]);
  for (const [key, value] of entriesOf(doc["components"])) {
    // `x-*` keys of `components` are not component maps; they are kept whole.
    if (key.startsWith("x-")) closure.walk(value, ["components", key]);
  }
  for (const name of securitySchemeNames(doc, selected)) {
    closure.keepSecurityScheme(name);
  }

  const result: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "paths") {
      setKey(result, key, keptPaths);
    } else if (key === "webhooks") {
      if (Object.keys(keptWebhooks).length > 0) {
        setKey(result, key, keptWebhooks);
      }
    } else if (key === "components") {
      const components = closure.keptComponents();
      if (components !== undefined) setKey(result, key, components);
    } else if (key === "tags") {
      setKey(result, key, usedTags(value, selected));
    } else {
      setKey(result, key, value);
    }
  }
  return result;
}

function selectOperations(
  all: readonly OperationLocation[],
  wanted: ReadonlySet<string>,
): OperationLocation[] {
  const byId = new Map<string, OperationLocation>();
  for (const location of all) {
    const id = location.operation["operationId"];
    if (typeof id !== "string" || !wanted.has(id)) continue;
    const previous = byId.get(id);
    if (previous !== undefined) {
      throw new PipelineError(
        `operationId "${id}" is used twice (${describeOperation(previous)} and ${describeOperation(location)}); cannot tell which to keep`,
      );
    }
    byId.set(id, location);
  }
  const missing = [...wanted].filter((id) => !byId.has(id));
  if (missing.length > 0) {
    const ids = all
      .map((l) => l.operation["operationId"])
      .filter((id): id is string => typeof id === "string");
    const hints = missing.map((id) => {
      const close = closest(id, ids);
      return close === undefined
        ? `"${id}"`
        : `"${id}" (did you mean "${close}"?)`;
    });
    throw new PipelineError(
      `unknown operationId${missing.length > 1 ? "s" : ""} ${hints.join(", ")}: not found in the document's ${ids.length} operations`,
    );
  }
  return [...byId.values()];
}

function keepPathItems(
  doc: OpenApiDocument,
  container: "paths" | "webhooks",
  selected: readonly OperationLocation[],
): JsonObject {
  // Methods kept by path, looked up once per path item.
  const methodsByKey = new Map<string, Set<string>>();
  for (const location of selected) {
    if (location.container !== container) continue;
    const methods = methodsByKey.get(location.key) ?? new Set();
    methods.add(location.method);
    methodsByKey.set(location.key, methods);
  }
  const kept: JsonObject = {};
  for (const [key, item] of entriesOf(doc[container])) {
    const methods = methodsByKey.get(key);
    if (methods === undefined || !isRecord(item)) continue;
    if (typeof item["$ref"] === "string") {
      // A path item that is a reference to components/pathItems: the
      // component is shared, so it is kept whole (with all its operations)
      // rather than copied and cut.
      setKey(kept, key, item);
      continue;
    }
    const copy: JsonObject = {};
    for (const [field, value] of Object.entries(item)) {
      if (isHttpMethod(field) && !methods.has(field)) continue;
      setKey(copy, field, value);
    }
    setKey(kept, key, copy);
  }
  return kept;
}

function securitySchemeNames(
  doc: OpenApiDocument,
  selected: readonly OperationLocation[],
): Set<string> {
  const names = new Set<string>();
  const add = (requirements: unknown): void => {
    if (!Array.isArray(requirements)) return;
    for (const requirement of requirements) {
      for (const [name] of entriesOf(requirement)) names.add(name);
    }
  };
  // The root `security` is kept as it is, so the schemes it names must stay
  // defined even when every kept operation overrides it.
  add(doc["security"]);
  for (const { operation } of selected) add(operation["security"]);
  return names;
}

function usedTags(
  tags: unknown,
  selected: readonly OperationLocation[],
): unknown {
  if (!Array.isArray(tags)) return tags;
  const used = new Set<unknown>();
  for (const { operation } of selected) {
    const opTags = operation["tags"];
    if (Array.isArray(opTags)) for (const tag of opTags) used.add(tag);
  }
  return tags.filter((tag) => isRecord(tag) && used.has(tag["name"]));
}

/**
 * The set of components reached so far, grown by walking values and
 * following references. Each component is walked once, which makes cycles
 * and components reached twice harmless.
 */
class Closure {
  /** section → names kept, e.g. "schemas" → {"Pet"}. */
  private readonly kept = new Map<string, Set<string>>();
  /** Components kept but not walked yet: a worklist rather than recursion, so chains of thousands of schemas cannot overflow the stack. */
  private readonly pending: [section: string, name: string][] = [];

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly output: { paths: JsonObject; webhooks: JsonObject },
  ) {}

  /** Follows every reference inside `value` (found at pointer `at` of the source). */
  walk(value: unknown, at: readonly string[]): void {
    this.scan(value, at);
    this.drain();
  }

  /** Keeps a security scheme by name (named in `security`, not by `$ref`), if it is declared. */
  keepSecurityScheme(name: string): void {
    const schemes = getAt(this.doc, ["components", "securitySchemes"]);
    // An undeclared scheme is redocly's warning, not ours to fail on.
    if (isRecord(schemes) && Object.hasOwn(schemes, name)) {
      this.keep("securitySchemes", name);
      this.drain();
    }
  }

  /** Walks every kept component not walked yet, including those it leads to. */
  private drain(): void {
    for (let next = this.pending.pop(); next; next = this.pending.pop()) {
      const [section, name] = next;
      this.scan(getAt(this.doc, ["components", section, name]), [
        "components",
        section,
        name,
      ]);
    }
  }

  /** The pruned `components` object in source order, or `undefined` if empty. */
  keptComponents(): JsonObject | undefined {
    const result: JsonObject = {};
    for (const [section, entries] of entriesOf(this.doc["components"])) {
      if (section.startsWith("x-")) {
        setKey(result, section, entries);
        continue;
      }
      const names = this.kept.get(section);
      if (names === undefined) continue;
      const kept: JsonObject = {};
      for (const [name, value] of entriesOf(entries)) {
        if (names.has(name)) setKey(kept, name, value);
      }
      setKey(result, section, kept);
    }
    return Object.keys(result).length > 0 ? result : undefined;
  }

  private scan(value: unknown, at: readonly string[]): void {
    forEachRef(value, (ref, relative) => {
      this.follow(ref, [...at, ...relative]);
    });
  }

  private follow(ref: string, at: readonly string[]): void {
    const segments = decodeRef(ref);
    if (segments === undefined) {
      throw new PipelineError(
        `external $ref ${JSON.stringify(ref)} at ${encodeRef(at)} is not supported`,
      );
    }
    if (getAt(this.doc, segments) === undefined) {
      throw new PipelineError(
        `$ref ${JSON.stringify(ref)} at ${encodeRef(at)} resolves nowhere`,
      );
    }
    const [root, section, name] = segments;
    if (root === "components" && section !== undefined) {
      if (name !== undefined) {
        this.keep(section, name);
      } else {
        // A reference to a whole section (rare, but legal): keep all of it.
        for (const [entry] of entriesOf(getAt(this.doc, segments))) {
          this.keep(section, entry);
        }
      }
      return;
    }
    if (root === "components") {
      for (const [s, entries] of entriesOf(this.doc["components"])) {
        for (const [entry] of entriesOf(entries)) this.keep(s, entry);
      }
      return;
    }
    if (root === "paths" || root === "webhooks") {
      // Into the kept part of paths: fine. Into a dropped operation: keeping
      // it silently would add an operation nobody asked for.
      if (getAt(this.output[root], segments.slice(1)) === undefined) {
        throw new PipelineError(
          `$ref ${JSON.stringify(ref)} at ${encodeRef(at)} points into ${root} that are not kept; add that operation to the list`,
        );
      }
    }
    // Other root keys are kept whole, so references into them stay valid.
  }

  private keep(section: string, name: string): void {
    let names = this.kept.get(section);
    if (names === undefined) {
      names = new Set();
      this.kept.set(section, names);
    }
    if (names.has(name)) return;
    names.add(name);
    this.pending.push([section, name]);
  }
}

/** The candidate closest to `id` by edit distance, if close enough to be a likely typo. */
function closest(
  id: string,
  candidates: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(id.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(id.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + cost,
      );
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
