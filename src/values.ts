/** Reading values a caller or a collaborator handed over, without being surprised by them. */

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A shallow copy of an options object, read once: a getter runs once, and a
 * getter or Proxy that throws becomes an error of the given class instead of
 * escaping as itself.
 *
 * @throws ErrorType when `value` is not an object, or reading it threw
 */
export function readOptions<T extends object>(
  value: T,
  what: string,
  ErrorType: new (message: string, options?: { cause?: unknown }) => Error,
): T {
  if (!isRecord(value)) throw new ErrorType(`${what} must be an object`);
  try {
    return { ...value };
  } catch (cause) {
    throw new ErrorType(`${what} could not be read`, { cause });
  }
}

/** `String(value)`, or its `[object …]` tag when converting it throws (no `toString`, or one that throws). */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
