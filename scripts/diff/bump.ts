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
  isRecord,
  setKey,
  type OpenApiDocument,
} from "../refs.js";

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

/** The bump for a change from `previous` (none on a first pull) to `current`. */
export function bumpFor(
  previous: OpenApiDocument | undefined,
  current: OpenApiDocument,
  breaking: boolean,
): Bump {
  if (breaking) return "major";
  if (previous === undefined) return "minor";
  if (canonicalJson(previous) === canonicalJson(current)) return "none";
  const strip = (doc: OpenApiDocument): string => {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc)) {
      if (!DOCUMENTATION_ROOT_KEYS.has(key) && !key.startsWith("x-"))
        setKey(kept, key, withoutDocumentation(value, NAME_MAPS.get(key) ?? 0));
    }
    return canonicalJson(kept);
  };
  return strip(previous) === strip(current) ? "patch" : "minor";
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
