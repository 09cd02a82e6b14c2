/**
 * Small helpers over parsed OpenAPI documents, shared by the pure stages
 * (prune, diff, validate): JSON values, local `$ref` pointers, operations.
 *
 * Everything here is pure and works on plain parsed JSON; nothing resolves
 * external references (the pipeline only accepts self-contained documents).
 */

import { PipelineError } from "./errors.js";

/** A parsed JSON object. The pipeline never trusts the shape of a document, so values stay `unknown`. */
export type JsonObject = Record<string, unknown>;

/** A parsed OpenAPI document (only known to be a JSON object with an `openapi` field). */
export type OpenApiDocument = JsonObject;

/** The HTTP methods that can hold an operation in an OpenAPI 3.0/3.1 path item, in spec order. */
export const HTTP_METHODS = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
] as const;

/** One of {@link HTTP_METHODS}. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Whether `key` is a path-item key that holds an operation. */
export function isHttpMethod(key: string): key is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(key);
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets `object[key] = value` as an own data property. Plain assignment would
 * call the `__proto__` setter for a key named "__proto__" (a legal schema or
 * property name in a document) and silently lose it.
 */
export function setKey(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Own entries of `value` if it is a JSON object, else none (so callers can loop without guards). */
export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

/**
 * Decodes a local reference (`#/components/schemas/A~1B`) into pointer
 * segments (`["components", "schemas", "A/B"]`).
 *
 * The fragment is a URI fragment holding a JSON pointer, so it is first
 * percent-decoded, then `~1` → `/` and `~0` → `~` (in that order, per RFC 6901).
 * Returns `undefined` for anything that is not a local reference.
 */
export function decodeRef(ref: string): string[] | undefined {
  if (!ref.startsWith("#")) return undefined;
  let fragment = ref.slice(1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // A stray "%" is more likely a literal character than an encoding error.
  }
  if (fragment === "") return [];
  if (!fragment.startsWith("/")) return undefined;
  return fragment
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Encodes pointer segments as a local reference (the inverse of {@link decodeRef}, without percent-encoding). */
export function encodeRef(segments: readonly string[]): string {
  return `#${segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("")}`;
}

/** The value at `segments` inside `root`, or `undefined` when the pointer leads nowhere. */
export function getAt(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (isRecord(current)) {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * Turns a discriminator `mapping` value into a reference.
 *
 * OpenAPI allows either a reference (`#/components/schemas/Cat`) or a bare
 * schema name (`Cat`); a bare name is anything without `/` or `#`.
 */
export function mappingTargetToRef(value: string): string {
  return value.includes("/") || value.includes("#")
    ? value
    : encodeRef(["components", "schemas", value]);
}

/**
 * How deep a document may nest (objects and arrays): real ones stay under
 * 30 (Stripe's: 25); a hostile one nested 20 000 deep would overflow the
 * stack of every recursive walk (this one, canonical JSON, the writer,
 * openapi-typescript) with an error naming nothing.
 */
export const MAX_NESTING = 1000;

/** Thrown by {@link forEachRef} for a value nested deeper than {@link MAX_NESTING}. */
export class NestingError extends PipelineError {
  constructor(at: readonly string[]) {
    super(
      `nests more than ${MAX_NESTING} levels deep (at ${encodeRef(at.slice(0, 6))}/…)`,
    );
  }
}

/**
 * Calls `visit` for every reference held in `value`: each `$ref` string and
 * each discriminator `mapping` target (as a reference, see
 * {@link mappingTargetToRef}). `at` is the pointer of the object holding it,
 * relative to `value`, for error messages. Does not follow the references.
 *
 * @throws NestingError past {@link MAX_NESTING} levels.
 */
export function forEachRef(
  value: unknown,
  visit: (ref: string, at: readonly string[]) => void,
  at: string[] = [],
): void {
  if (at.length > MAX_NESTING) throw new NestingError(at);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      at.push(String(index));
      forEachRef(item, visit, at);
      at.pop();
    });
    return;
  }
  if (!isRecord(value)) return;
  if (typeof value["$ref"] === "string") visit(value["$ref"], at);
  const discriminator = value["discriminator"];
  if (isRecord(discriminator)) {
    for (const [, target] of entriesOf(discriminator["mapping"])) {
      if (typeof target === "string") visit(mappingTargetToRef(target), at);
    }
  }
  for (const [key, child] of Object.entries(value)) {
    if (typeof child !== "object" || child === null) continue;
    at.push(key);
    forEachRef(child, visit, at);
    at.pop();
  }
}

/**
 * Follows `$ref` chains from `value` until a non-reference value.
 *
 * Returns the resolved value (or `undefined` if a reference leads nowhere or
 * loops) and the last reference followed, which names the component.
 */
export function deref(
  doc: unknown,
  value: unknown,
): { value: unknown; ref: string | undefined } {
  let current = value;
  let lastRef: string | undefined;
  const seen = new Set<string>();
  while (isRecord(current) && typeof current["$ref"] === "string") {
    const ref = current["$ref"];
    if (seen.has(ref)) return { value: undefined, ref };
    seen.add(ref);
    const segments = decodeRef(ref);
    if (segments === undefined) return { value: undefined, ref };
    lastRef = ref;
    current = getAt(doc, segments);
  }
  return { value: current, ref: lastRef };
}

/** Where an operation lives in a document. */
export interface OperationLocation {
  /** `paths` or `webhooks`. */
  readonly container: "paths" | "webhooks";
  /** The path template (or webhook name). */
  readonly key: string;
  /** The HTTP method. */
  readonly method: HttpMethod;
  /** The operation object. */
  readonly operation: JsonObject;
  /** The path item holding it (resolved if the path item was a `$ref`). */
  readonly pathItem: JsonObject;
}

/**
 * Every operation of the document, in document order: `paths` first, then
 * `webhooks`. Path items given as `$ref` are resolved.
 */
export function listOperations(doc: OpenApiDocument): OperationLocation[] {
  const found: OperationLocation[] = [];
  for (const container of ["paths", "webhooks"] as const) {
    for (const [key, item] of entriesOf(doc[container])) {
      const pathItem = deref(doc, item).value;
      if (!isRecord(pathItem)) continue;
      for (const method of HTTP_METHODS) {
        const operation = pathItem[method];
        if (isRecord(operation)) {
          found.push({ container, key, method, operation, pathItem });
        }
      }
    }
  }
  return found;
}

/** An operation as `METHOD /path`, for messages: `DELETE /agents/{agent_id}/stop`. */
export function describeOperation(location: OperationLocation): string {
  return `${location.method.toUpperCase()} ${location.key}`;
}

/**
 * A stable name for an operation: its `operationId`, or `METHOD /path` when it
 * has none (webhook operations often have none).
 */
export function operationName(location: OperationLocation): string {
  const id = location.operation["operationId"];
  if (typeof id === "string") return id;
  const prefix = location.container === "webhooks" ? "webhook " : "";
  return `${prefix}${location.method.toUpperCase()} ${location.key}`;
}

/**
 * JSON text of `value` with object keys sorted, so that two values can be
 * compared regardless of key order.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
