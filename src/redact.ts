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

/**
 * `cause` as it is when it holds no `secret` anywhere (its text, its own
 * properties, its own causes); else a copy with the key redacted: an `Error`
 * copy of an `Error` (name, message, stack, own properties, cause), a
 * redacted copy of anything else. Printing the error's cause chain
 * (`util.inspect`) then cannot show the key.
 */
export function redactCause(
  cause: unknown,
  secret: string,
  depth = 0,
): unknown {
  try {
    if (!holdsSecret(cause, secret, 0)) return cause;
    if (!(cause instanceof Error) || depth > MAX_DEPTH)
      return redact(cause, secret);
    const copy = new Error(redact(cause.message, secret), {
      cause: redactCause(cause.cause, secret, depth + 1),
    });
    Object.assign(copy, redact({ ...cause }, secret));
    copy.name = redact(cause.name, secret);
    copy.stack = redact(cause.stack ?? "", secret);
    return copy;
  } catch {
    // A getter or Proxy that throws while being read: keep nothing of it.
    return REDACTED;
  }
}

function holdsSecret(value: unknown, secret: string, depth: number): boolean {
  if (typeof value === "string") return value.includes(secret);
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH)
    return false;
  const parts: unknown[] = Object.values(value);
  if (value instanceof Error)
    parts.push(value.name, value.message, value.stack, value.cause);
  return parts.some((part) => holdsSecret(part, secret, depth + 1));
}
