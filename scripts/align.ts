/**
 * The committed form of what did not change (pure): upstream generators vary
 * key order, the order of `required`, `enum`, `type`, `oneOf` and `anyOf`
 * (sets), and `servers: []` / `security: []` against none. Keeping the
 * committed form, a pull of an unchanged API changes no byte, and a pull's
 * git diff shows what changed, not what moved.
 */
import { isRecord, recordOf, setKey, type JsonObject } from "./document.js";

/** Arrays whose order carries no meaning. */
const SETS = new Set("required enum type oneOf anyOf".split(" "));
/** Keywords whose value is data, where an array named "required" is only data. */
const LITERALS = new Set("example examples default const enum".split(" "));

/**
 * `next` in the form of `previous` wherever the two mean the same; values
 * are always `next`'s, so the result means exactly what `next` does.
 */
export function alignWithPrevious(
  previous: JsonObject,
  next: JsonObject,
): JsonObject {
  const result = align(previous, next) as JsonObject;
  const empty = (value: unknown) => Array.isArray(value) && value.length === 0;
  for (const key of ["servers", "security"]) {
    const [before, after] = [previous[key], result[key]];
    if (empty(before) && after === undefined) setKey(result, key, []);
    if (before === undefined && empty(after)) delete result[key];
  }
  return alignKeys(previous, result) as JsonObject;
}

function align(
  previous: unknown,
  next: unknown,
  key = "",
  literal = false,
): unknown {
  // What did not change is the committed value as it is.
  if (sameJson(previous, next)) return previous;
  const inner = literal || LITERALS.has(key) || key.startsWith("x-");
  if (Array.isArray(next)) {
    const before = Array.isArray(previous) ? previous : [];
    if (!literal && SETS.has(key) && sameSet(before, next)) return previous;
    return next.map((item, index) => align(before[index], item, "", inner));
  }
  if (!isRecord(next)) return next;
  const before = recordOf(previous);
  const result: JsonObject = {};
  for (const [name, value] of Object.entries(next))
    setKey(result, name, align(before[name], value, name, inner));
  return alignKeys(before, result);
}

/** Keys present in both first, in `previous`'s order, then the new ones in `next`'s. */
function alignKeys(previous: unknown, next: unknown): unknown {
  if (!isRecord(next) || !isRecord(previous)) return next;
  const result: JsonObject = {};
  for (const name of Object.keys(previous))
    if (Object.hasOwn(next, name)) setKey(result, name, next[name]);
  for (const [name, value] of Object.entries(next))
    if (!Object.hasOwn(result, name)) setKey(result, name, value);
  return result;
}

/** Whether two arrays hold the same items, in any order. */
function sameSet(previous: unknown[], next: readonly unknown[]): boolean {
  const left = [...next];
  return (
    previous.length === next.length &&
    previous.every((item) => {
      const index = left.findIndex((candidate) => sameJson(item, candidate));
      return index >= 0 && left.splice(index, 1).length === 1;
    })
  );
}

/**
 * Whether two JSON values are equal, object key order aside; `sameRef`, when
 * given, says whether an equal `$ref` names the same thing on both sides.
 */
export function sameJson(
  a: unknown,
  b: unknown,
  sameRef?: (ref: string) => boolean,
): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return (
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameJson(item, b[index], sameRef))
    );
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    key === "$ref" && sameRef !== undefined
      ? a[key] === b[key] && sameRef(String(a[key]))
      : Object.hasOwn(b, key) && sameJson(a[key], b[key], sameRef),
  );
}
