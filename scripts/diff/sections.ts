/**
 * What was added, removed and changed among the named parts of two
 * documents: schemas, other components, top-level keys. Pure.
 */
import {
  canonicalJson,
  entriesOf,
  getAt,
  isRecord,
  setKey,
  type JsonObject,
  type OpenApiDocument,
} from "../refs.js";

/** Names added, removed and changed between two documents. */
export interface ChangeSet {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** `info.title` and `info.version` of a document, for the report. */
export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
}

/** The document's `info.title` and `info.version` (or placeholders). */
export function infoOf(doc: OpenApiDocument): DocumentInfo {
  const info = isRecord(doc["info"]) ? doc["info"] : {};
  return {
    title: String(info["title"] ?? "untitled"),
    version: String(info["version"] ?? "unknown"),
  };
}

/** The entries of `components.schemas`. */
export function schemasOf(doc: OpenApiDocument): JsonObject {
  const schemas = getAt(doc, ["components", "schemas"]);
  return isRecord(schemas) ? schemas : {};
}

/** The entries of the other `components` sections, keyed `section/name`. */
export function otherComponentsOf(doc: OpenApiDocument): JsonObject {
  const result: JsonObject = {};
  for (const [section, entries] of entriesOf(doc["components"])) {
    if (section === "schemas" || section.startsWith("x-")) continue;
    for (const [name, value] of entriesOf(entries)) {
      setKey(result, `${section}/${name}`, value);
    }
  }
  return result;
}

/** The top-level keys other than `paths`, `webhooks` and `components`. */
export function documentKeysOf(doc: OpenApiDocument): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "paths" || key === "webhooks" || key === "components") continue;
    setKey(result, key, value);
  }
  return result;
}

/** The names added, removed, and changed (in canonical JSON) from `before` to `after`. */
export function compareMaps(before: JsonObject, after: JsonObject): ChangeSet {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, name)) added.push(name);
    else if (canonicalJson(before[name]) !== canonicalJson(value))
      changed.push(name);
  }
  for (const name of Object.keys(before)) {
    if (!Object.hasOwn(after, name)) removed.push(name);
  }
  return { added, removed, changed };
}
