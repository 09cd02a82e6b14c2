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
 * `cause` as it is when it holds no `secret`; else an `Error` copy of it (and
 * of its own causes) with `name`, `message` and `stack` redacted, so that
 * printing the error's cause chain (`util.inspect`) cannot show the key.
 */
export function redactCause(
  cause: unknown,
  secret: string,
  depth = 0,
): unknown {
  if (typeof cause === "string") return redact(cause, secret);
  if (
    !(cause instanceof Error) ||
    depth > 8 ||
    !holdsSecret(cause, secret, depth)
  )
    return cause;
  const copy = new Error(redact(cause.message, secret), {
    cause: redactCause(cause.cause, secret, depth + 1),
  });
  copy.name = redact(cause.name, secret);
  copy.stack = redact(cause.stack ?? "", secret);
  return copy;
}

function holdsSecret(error: Error, secret: string, depth: number): boolean {
  const { cause } = error;
  return (
    `${error.name}${error.message}${error.stack}`.includes(secret) ||
    (typeof cause === "string" && cause.includes(secret)) ||
    (cause instanceof Error &&
      depth < 8 &&
      holdsSecret(cause, secret, depth + 1))
  );
}
