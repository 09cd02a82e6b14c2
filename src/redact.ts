/** What stands where the API key was. */
const REDACTED = "[redacted]";
// Real answers nest a few levels; a hostile one nested deeper would overflow the stack.
const MAX_DEPTH = 64;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `value` with every occurrence of `secret` replaced by `[redacted]`: in a
 * string, or in every string (keys included) of a parsed JSON value, where
 * anything nested deeper than 64 levels becomes `"[redacted]"` whole.
 */
export function redact<T>(value: T, secret: string | undefined, depth = 0): T {
  if (!secret) return value;
  if (typeof value === "string") return value.replaceAll(secret, REDACTED) as T;
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
