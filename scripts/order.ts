/**
 * Key order for the committed openapi.json. Pure.
 *
 * Object key order carries no meaning in OpenAPI, but it decides how a pull
 * looks in `git diff`. Upstream generators reorder keys between releases, and
 * a slice cut from a larger document may come with another order than the
 * one committed; keeping the committed order means a diff of openapi.json
 * shows what changed, not what moved. (The generated types do not depend on
 * key order at all: openapi-typescript runs with `alphabetize`.)
 */
import { isRecord, setKey } from "./refs.js";

/**
 * Returns `next` with the keys of every object ordered like the matching
 * object in `previous`: keys present in both first, in `previous`'s order,
 * then keys new in `next`, in `next`'s order. Objects are matched by key;
 * array elements by index. Values are always taken from `next`; only order
 * changes, so the result is deep-equal to `next`.
 */
export function alignKeyOrder(previous: unknown, next: unknown): unknown {
  if (Array.isArray(next)) {
    const before = Array.isArray(previous) ? previous : [];
    return next.map((item, index) => alignKeyOrder(before[index], item));
  }
  if (!isRecord(next)) return next;
  const before = isRecord(previous) ? previous : {};
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(before)) {
    if (Object.hasOwn(next, key)) {
      setKey(result, key, alignKeyOrder(before[key], next[key]));
    }
  }
  for (const [key, value] of Object.entries(next)) {
    if (!Object.hasOwn(result, key)) {
      setKey(result, key, alignKeyOrder(undefined, value));
    }
  }
  return result;
}
