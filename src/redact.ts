import { safeString } from "./values.js";

/** What stands where the API key was. */
const REDACTED = "[redacted]";
// Real answers nest a few levels; a hostile one nested deeper would overflow the stack.
const MAX_DEPTH = 64;
// A cause bigger than this is not searched through: it is treated as holding the key.
const MAX_NODES = 10_000;

/**
 * `value` with every occurrence of `secret` (and of its JSON-escaped form)
 * replaced by `[redacted]`: in a string, or in every string (keys included)
 * of a parsed JSON value, where anything nested deeper than 64 levels becomes
 * `"[redacted]"` whole.
 */
export function redact<T>(value: T, secret: string | undefined, depth = 0): T {
  if (!secret) return value;
  if (typeof value === "string") {
    const escaped = JSON.stringify(secret).slice(1, -1);
    return value
      .replaceAll(secret, REDACTED)
      .replaceAll(escaped, REDACTED) as T;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) return REDACTED as T;
  if (Array.isArray(value))
    return value.map((item: unknown) => redact(item, secret, depth + 1)) as T;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      redact(key, secret),
      redact(item, secret, depth + 1),
    ]),
  ) as T;
}

/**
 * `cause` (what `fetch` or a middleware threw) as it is when it holds no
 * `secret` anywhere; else a copy without it: for an `Error`, an `Error` with
 * its name, message, stack and own primitive properties redacted, its other
 * properties that hold the key replaced by `"[redacted]"`, and its cause
 * redacted the same way; for anything else, `"[redacted]"`. Printing the
 * error's cause chain (`util.inspect`) then cannot show the key.
 */
export function redactCause(
  cause: unknown,
  secret: string,
  depth = 0,
): unknown {
  try {
    if (!holdsSecret(cause, secret)) return cause;
    if (typeof cause === "string") return redact(cause, secret);
    if (!(cause instanceof Error) || depth > 8) return REDACTED;
    const copy = new Error(redact(safeString(cause.message), secret), {
      cause: redactCause(cause.cause, secret, depth + 1),
    });
    for (const [key, value] of Object.entries(cause)) {
      (copy as unknown as Record<string, unknown>)[key] =
        typeof value === "object" && value !== null
          ? holdsSecret(value, secret)
            ? REDACTED
            : value
          : typeof value === "string"
            ? redact(value, secret)
            : value;
    }
    copy.name = redact(safeString(cause.name), secret);
    copy.stack = redact(safeString(cause.stack), secret);
    return copy;
  } catch {
    // A getter or Proxy that throws while being read: keep nothing of it.
    return REDACTED;
  }
}

/**
 * Whether `secret` is anywhere in `value`: its strings, own properties (symbol
 * keys and non-enumerable ones included, getters not run), the entries of a
 * `Map`, `Set` or `Headers`, the URL and headers of a `Request`, an error's
 * message, stack and cause. Cycles are followed once; past 10,000 objects, or
 * when reading throws, the answer is yes.
 */
function holdsSecret(value: unknown, secret: string): boolean {
  const seen = new WeakSet<object>();
  let budget = MAX_NODES;
  const visit = (item: unknown): boolean => {
    if (typeof item === "string") return item.includes(secret);
    if (
      (typeof item !== "object" && typeof item !== "function") ||
      item === null ||
      seen.has(item)
    )
      return false;
    seen.add(item);
    if (--budget < 0) return true;
    const parts: unknown[] = [];
    if (item instanceof Map || item instanceof Headers)
      for (const entry of item) parts.push(...entry);
    if (item instanceof Set) parts.push(...item);
    if (item instanceof Request) parts.push(item.url, item.headers);
    if (item instanceof Error)
      parts.push(item.name, item.message, item.stack, item.cause);
    for (const key of Reflect.ownKeys(item)) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      parts.push(
        typeof key === "string" ? key : key.description,
        descriptor?.value,
      );
    }
    return parts.some(visit);
  };
  try {
    return visit(value);
  } catch {
    return true;
  }
}
