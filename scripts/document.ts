/**
 * What every stage shares: the error type, the files owned, and pure helpers
 * over parsed documents (JSON values, local `$ref`s, operations, JSON text).
 */
import { randomUUID } from "node:crypto";

/** The committed, pruned OpenAPI document. */
export const DOCUMENT_FILE = "openapi.json";
/** The pipeline's own directory: `--check` finds any other file in it stale. */
export const GENERATED_DIR = "generated";
/** openapi-typescript's output (`paths`, `components`, `operations`...), `NOTTE_API_VERSION`, `ANSWER_SHAPES`. */
export const [TYPES_FILE, VERSION_FILE, SHAPES_FILE] = [
  "notte-api.ts",
  "api-version.ts",
  "answer-shapes.ts",
].map((name) => `${GENERATED_DIR}/${name}`) as [string, string, string];

/** A failure the user can act on: its message (folded to one line) says what went wrong and where. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(oneLine(message), options);
  }
}

/** Collapses every run of whitespace (line breaks included) into one space; see {@link printable}. */
export function oneLine(text: string): string {
  return printable(text.replace(/\s+/g, " ").trim());
}

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with control and line-separator characters escaped (`\n`, `\u001b`): nothing a terminal acts on. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Any thrown value in one line, with the `cause` Node's fetch hides the useful part in. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const { cause } = error;
  const detail =
    cause instanceof Error && cause.message ? `: ${cause.message}` : "";
  return oneLine(`${error.message}${detail}`);
}

/** A parsed JSON object. The pipeline never trusts a document's shape, so values stay `unknown`. */
export type JsonObject = Record<string, unknown>;

/** A parsed OpenAPI document (only known to be an object with an `openapi` field). */
export type OpenApiDocument = JsonObject;

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` if it is a JSON object, else an empty one (so callers read it without guards). */
export function recordOf(value: unknown): JsonObject {
  return isRecord(value) ? value : {};
}

/** The keys of all the objects given, each once, in order. */
export function keysOf(...objects: JsonObject[]): Set<string> {
  return new Set(objects.flatMap((object) => Object.keys(object)));
}

/** Own entries of `value` if it is a JSON object, else none (so callers loop without guards). */
export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

/** `map`'s value for `key`, made and set first if it has none. */
export function upsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const value = map.get(key) ?? make();
  map.set(key, value);
  return value;
}

/** `object[key] = value` as an own property, even for a key named "__proto__" (assignment would call its setter). */
export function setKey(object: JsonObject, key: string, value: unknown): void {
  if (key !== "__proto__") object[key] = value;
  else {
    const property = { enumerable: true, writable: true, configurable: true };
    Object.defineProperty(object, key, { ...property, value });
  }
}

/** Stands in for a `bigint` (an integer beyond 2^53) in JSON text; random, so no document holds it. */
export const BIG_INTEGER_MARK = `__bigint_${randomUUID().replace(/-/g, "")}__`;

/** A `JSON.stringify` replacer writing each `bigint` as a string marked {@link BIG_INTEGER_MARK}. */
export const markBigInts = (_key: string, value: unknown) =>
  typeof value === "bigint" ? `${BIG_INTEGER_MARK}${value}` : value;

const MARKED = new RegExp(`"${BIG_INTEGER_MARK}(-?\\d+)"`, "g");

/** `JSON.stringify(value, null, indent)`, each `bigint` written as its digits. */
export function jsonText(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, markBigInts, indent);
  return text?.includes(BIG_INTEGER_MARK) ? text.replace(MARKED, "$1") : text;
}

/** The path-item keys that hold an operation, in the specification's order. */
const HTTP_METHODS = "get put post delete options head patch trace".split(" ");

/** Whether `key` is one of {@link HTTP_METHODS}. */
export const isHttpMethod = (key: string) => HTTP_METHODS.includes(key);

/** Each reference decoded once: a large document holds each thousands of times. */
const decoded = new Map<string, readonly string[] | undefined>();

/** A local reference's pointer segments (RFC 6901: `#/a~1b/c` → `a/b`, `c`), or `undefined` if not local. */
export function decodeRef(ref: string): readonly string[] | undefined {
  if (decoded.has(ref)) return decoded.get(ref);
  let fragment = ref.slice(1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // A stray "%" is more likely a literal character than an encoding error.
  }
  const local = ref.startsWith("#") && /^(\/|$)/.test(fragment);
  const segments = fragment.split("/").slice(1);
  const unescape = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");
  decoded.set(ref, local ? segments.map(unescape) : undefined);
  return decoded.get(ref);
}

/** Encodes pointer segments as a local reference (the inverse of {@link decodeRef}). */
export function encodeRef(segments: readonly string[]): string {
  return `#${segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("")}`;
}

/** The value at `segments` inside `root`, or `undefined` when the pointer leads nowhere. */
export function getAt(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    const index = Array.isArray(current) && /^(0|[1-9]\d*)$/.test(segment);
    if (!index && !(isRecord(current) && Object.hasOwn(current, segment)))
      return undefined;
    current = (current as JsonObject)[segment];
  }
  return current;
}

/** Real documents nest under 30 levels (Stripe: 25); 20,000 overflow every recursive walk, naming nothing. */
const MAX_NESTING = 1000;

/**
 * Calls `visit` for each `$ref` and discriminator `mapping` target (a bare
 * name as a reference) in `value`, with where its holder is; follows none.
 *
 * @throws PipelineError past {@link MAX_NESTING} levels, naming where.
 */
export function forEachRef(
  value: unknown,
  visit: (ref: string, at: readonly string[]) => void,
  at: string[] = [],
): void {
  if (at.length > MAX_NESTING)
    throw new PipelineError(
      `nests more than ${MAX_NESTING} levels deep (at ${encodeRef(at.slice(0, 6))}/…)`,
    );
  if (typeof value !== "object" || value === null) return;
  const { $ref, discriminator } = value as JsonObject;
  if (typeof $ref === "string") visit($ref, at);
  for (const [, target] of entriesOf(recordOf(discriminator).mapping))
    if (typeof target === "string") {
      const bare = !/[/#]/.test(target); // a schema's name
      visit(bare ? encodeRef(["components", "schemas", target]) : target, at);
    }
  for (const [key, child] of Object.entries(value)) {
    if (typeof child !== "object" || child === null) continue;
    at.push(key);
    forEachRef(child, visit, at);
    at.pop();
  }
}

/** Follows `$ref`s from `value`: what they lead to (`undefined`: nowhere, or a loop) and the last, naming the component. */
export function deref(doc: unknown, value: unknown) {
  let current = value;
  let lastRef: string | undefined;
  const seen = new Set<string>();
  while (isRecord(current) && typeof current["$ref"] === "string") {
    const ref = current["$ref"];
    const segments = decodeRef(ref);
    if (seen.has(ref) || segments === undefined)
      return { value: undefined, ref };
    seen.add(ref);
    lastRef = ref;
    current = getAt(doc, segments);
  }
  return { value: current, ref: lastRef };
}

/** Where an operation lives in a document. */
export interface OperationLocation {
  readonly container: "paths" | "webhooks";
  /** The path template (or webhook name). */
  readonly key: string;
  readonly method: string;
  readonly operation: JsonObject;
  /** The path item holding it (resolved if it was a `$ref`). */
  readonly pathItem: JsonObject;
}

/** Every operation, in document order: `paths`, then `webhooks`; path items given as `$ref` resolved. */
export function listOperations(doc: OpenApiDocument): OperationLocation[] {
  const found: OperationLocation[] = [];
  for (const container of ["paths", "webhooks"] as const)
    for (const [key, item] of entriesOf(doc[container])) {
      const pathItem = recordOf(deref(doc, item).value);
      for (const method of HTTP_METHODS) {
        const operation = pathItem[method];
        if (isRecord(operation))
          found.push({ container, key, method, operation, pathItem });
      }
    }
  return found;
}

/** An operation as `METHOD /path`: `DELETE /agents/{agent_id}/stop`. */
export function describeOperation(location: OperationLocation): string {
  return `${location.method.toUpperCase()} ${location.key}`;
}

/** An operation's name: its `operationId`, or `METHOD /path` without one (webhooks often have none). */
export function operationName(location: OperationLocation): string {
  const id = location.operation["operationId"];
  if (typeof id === "string") return id;
  const prefix = location.container === "webhooks" ? "webhook " : "";
  return `${prefix}${describeOperation(location)}`;
}

/** `section/name` of the component a reference points into, if it does. */
export function componentKey(ref: string | undefined): string | undefined {
  const segments = ref === undefined ? undefined : decodeRef(ref);
  if (segments?.[0] !== "components" || segments.length < 3) return undefined;
  return `${segments[1]}/${segments[2]}`;
}

/** The components (`section/name`) the references inside `value` point into. */
export function componentRefs(value: unknown): Set<string> {
  const keys = new Set<string>();
  forEachRef(value, (ref) => {
    const key = componentKey(ref);
    if (key !== undefined) keys.add(key);
  });
  return keys;
}

/** Each component (`section/name`) of `doc` and the components it references directly. */
export function componentGraph(doc: OpenApiDocument) {
  const graph = new Map<string, Set<string>>();
  for (const [section, entries] of entriesOf(doc["components"]))
    for (const [name, value] of entriesOf(entries))
      graph.set(`${section}/${name}`, componentRefs(value));
  return graph;
}
