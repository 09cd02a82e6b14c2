/**
 * The semver bump a pull calls for. Pure.
 *
 * - `major`: a change breaks callers;
 * - `minor`: the API changed without breaking them (an operation, property
 *   or accepted value added, a constraint loosened...);
 * - `patch`: only documentation changed (`description`, `summary`, `title`,
 *   examples, `externalDocs`, `x-*` extensions, `info`, `tags`);
 * - `none`: the documents are the same (key order aside).
 */
import {
  canonicalJson,
  getAt,
  isRecord,
  setKey,
  type OpenApiDocument,
} from "../refs.js";
import type { ChangeSet } from "./sections.js";

/** A semver bump. */
export type Bump = "major" | "minor" | "patch" | "none";

/** Keywords that document and change nothing a caller can observe. */
const DOCUMENTATION_KEYS = new Set([
  "description",
  "summary",
  "title",
  "example",
  "examples",
  "externalDocs",
]);

/** Top-level keys that are documentation as a whole. */
const DOCUMENTATION_ROOT_KEYS = new Set(["info", "tags", "externalDocs"]);

/**
 * Keys whose value maps names to things (a property named "description" is
 * not documentation), and how many levels of names there are below them.
 */
const NAME_MAPS: ReadonlyMap<string, number> = new Map([
  ["components", 2],
  ["paths", 1],
  ["webhooks", 1],
  ["properties", 1],
  ["patternProperties", 1],
  ["$defs", 1],
  ["definitions", 1],
  ["responses", 1],
  ["content", 1],
  ["encoding", 1],
  ["headers", 1],
  ["links", 1],
  ["callbacks", 1],
  ["mapping", 1],
  ["variables", 1],
]);

/** What {@link bumpFor} reads of the diff: the names that changed, by part. */
interface Changed {
  readonly operations: ChangeSet;
  readonly schemas: ChangeSet;
  readonly otherComponents: ChangeSet;
  readonly document: ChangeSet;
}

/**
 * The bump for a change from `previous` (none on a first pull) to `current`.
 * Decided from what the diff found changed, so that only changed parts are
 * read again (a pull of a large API compares little twice).
 */
export function bumpFor(
  previous: OpenApiDocument | undefined,
  current: OpenApiDocument,
  breaking: boolean,
  changed: Changed,
): Bump {
  if (breaking) return "major";
  if (previous === undefined) return "minor";
  const { operations, schemas, otherComponents, document } = changed;
  // Something added or removed changes the API.
  if (
    [operations, schemas, otherComponents].some(
      (set) => set.added.length + set.removed.length > 0,
    ) ||
    [...document.added, ...document.removed].some(
      (key) => !isDocumentationRootKey(key),
    )
  ) {
    return "minor";
  }
  const differs = (before: unknown, after: unknown, names = 0): boolean =>
    canonicalJson(withoutDocumentation(before, names)) !==
    canonicalJson(withoutDocumentation(after, names));
  const pathsChanged =
    canonicalJson(pathsOf(previous)) !== canonicalJson(pathsOf(current));
  const schemaAt = (doc: OpenApiDocument, name: string): unknown =>
    getAt(doc, ["components", "schemas", name]);
  const componentAt = (doc: OpenApiDocument, name: string): unknown => {
    const slash = name.indexOf("/");
    return getAt(doc, [
      "components",
      name.slice(0, slash),
      name.slice(slash + 1),
    ]);
  };
  if (
    schemas.changed.some((name) =>
      differs(schemaAt(previous, name), schemaAt(current, name)),
    ) ||
    otherComponents.changed.some((name) =>
      differs(componentAt(previous, name), componentAt(current, name)),
    ) ||
    document.changed.some(
      (key) =>
        !isDocumentationRootKey(key) && differs(previous[key], current[key]),
    ) ||
    (pathsChanged && differs(pathsOf(previous), pathsOf(current), 1))
  ) {
    return "minor";
  }
  const anyChange =
    pathsChanged ||
    [operations, schemas, otherComponents, document].some(
      (set) => set.changed.length + set.added.length + set.removed.length > 0,
    );
  return anyChange ? "patch" : "none";
}

function isDocumentationRootKey(key: string): boolean {
  return DOCUMENTATION_ROOT_KEYS.has(key) || key.startsWith("x-");
}

/** `paths` and `webhooks`: the operations and their path items. */
function pathsOf(doc: OpenApiDocument): unknown {
  return { paths: doc["paths"], webhooks: doc["webhooks"] };
}

/** `value` without documentation keywords; `names` levels of object keys below are names, kept whatever they are. */
function withoutDocumentation(value: unknown, names: number): unknown {
  if (Array.isArray(value))
    return value.map((item) => withoutDocumentation(item, 0));
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (names > 0) {
      setKey(result, key, withoutDocumentation(child, names - 1));
      continue;
    }
    if (DOCUMENTATION_KEYS.has(key) || key.startsWith("x-")) continue;
    setKey(result, key, withoutDocumentation(child, NAME_MAPS.get(key) ?? 0));
  }
  return result;
}
