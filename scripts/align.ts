/**
 * The committed form of what did not change (pure): generators vary key order,
 * the order and repeats of sets, and `servers: []` / `security: []` against none;
 * so a pull of an unchanged API changes no byte, and a pull's git diff shows
 * changes, not moves. `sameJson` is the pipeline's one equality.
 */
import { isRecord, recordOf, setKey, type JsonObject } from "./document.js";

/** A set of words: `words("a b")`. */
export const words = (text: string): Set<string> => new Set(text.split(" "));
/** Arrays whose order carries no meaning (security: any one requirement met will do). */
const SETS = words("required enum type allOf oneOf anyOf security parameters");
/** Keywords whose value is data, where an array named "required" is only data. */
const LITERALS = words("example examples default const enum");
/** Maps whose keys are names, never keywords: a property `enum`, a `default` response, a header `x-id`. */
const NAMES = words(
  "properties patternProperties $defs definitions schemas responses headers parameters requestBodies callbacks pathItems variables",
);

/**
 * `next` in the form of `previous` wherever the two mean the same; values
 * are always `next`'s, so the result means exactly what `next` does. What
 * did not change is `previous`'s own object: compare with {@link sameJson}
 * and a `sameRef`, never by identity alone.
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
  if (sameJson(previous, next, undefined, key, literal)) return previous;
  const inner = literal || LITERALS.has(key) || key.startsWith("x-");
  if (Array.isArray(next)) {
    const before = Array.isArray(previous) ? previous : [];
    if (literal || !SETS.has(key))
      return next.map((item, index) => align(before[index], item, "", inner));
    // A set: each item it kept as committed, in its place; a changed one
    // where one it lost was (their git diff, not a move), then the new ones.
    const rest = [...next];
    const kept = before.map((item) => {
      // A scalar is the same only as itself: the native search, for long enums.
      const at =
        typeof item === "object" && item !== null
          ? rest.findIndex((x) => sameJson(item, x, undefined, "", inner))
          : rest.indexOf(item);
      return at < 0 ? undefined : rest.splice(at, 1) && item;
    });
    const placed = kept.map((item, index) =>
      item === undefined && rest.length > 0
        ? align(before[index], rest.shift(), "", inner)
        : item,
    );
    return [...placed.filter((item) => item !== undefined), ...rest];
  }
  if (!isRecord(next)) return next;
  const before = recordOf(previous);
  const result: JsonObject = {};
  // The keys of a map of names are names (a property `enum`), not keywords.
  const named = NAMES.has(key);
  for (const [name, value] of Object.entries(next))
    setKey(result, name, align(before[name], value, named ? "" : name, inner));
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

/**
 * Whether two JSON values mean the same: object key order aside, and the
 * order and repeats of a set's items (`key` is where the values sit; a `literal` is
 * data, its arrays ordered). `sameRef`, when given, says whether an equal
 * `$ref` names the same thing on both sides: then one object on both sides
 * is compared like any other, for its references may mean other things.
 */
export function sameJson(
  a: unknown,
  b: unknown,
  sameRef?: (ref: string) => boolean,
  key = "",
  literal = false,
): boolean {
  if (a === b && (sameRef === undefined || typeof a !== "object")) return true;
  if (a === null || b === null) return a === b;
  const inner = literal || LITERALS.has(key) || key.startsWith("x-");
  const same = (x: unknown, y: unknown, k = "") =>
    sameJson(x, y, sameRef, k, inner);
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return false;
    const ordered = a.length === b.length;
    if (ordered && a.every((item, index) => same(item, b[index]))) return true;
    if (literal || !SETS.has(key)) return false;
    const within = (x: unknown[], y: unknown[]) =>
      x.every((item) => y.some((other) => same(item, other)));
    return within(a, b) && within(b, a);
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const named = NAMES.has(key);
  return keys.every((k) =>
    k === "$ref" && sameRef !== undefined && !named
      ? a[k] === b[k] && sameRef(String(a[k]))
      : Object.hasOwn(b, k) && same(a[k], b[k], named ? "" : k),
  );
}
