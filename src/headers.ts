import { isRecord } from "./values.js";

/** An error class the checks throw: `NotteConfigError` in the constructor, `NotteInvalidRequestError` per call. */
export type ErrorClass = new (message: string) => Error;

/** Headers the client sets itself, and the option to use instead ("" for none). */
const CLIENT_SET_HEADERS = new Map([
  ["authorization", "apiKey"],
  ["accept", ""],
  ["x-notte-sdk-version", ""],
  ["x-notte-request-origin", "requestOrigin"],
  ["idempotency-key", "idempotencyKey"],
]);

// Headers fetch itself refuses (undici throws for each, after the request was
// built): refusing them up front gives a clear error instead of a retried
// connection failure.
const FETCH_FORBIDDEN_HEADERS = new Set([
  "connection",
  "content-length",
  "expect",
  "host",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Caller-supplied headers as a plain object with lower-case names, or an
 * error of the given class when one could not be sent, is one `fetch`
 * refuses, or is one the client sets itself. Messages name the header, never
 * its value.
 */
export function checkHeaders(
  value: unknown,
  ErrorType: ErrorClass,
): Record<string, string> {
  let entries: [string, unknown][] | undefined;
  try {
    // A plain object only: a Headers or Map instance would pass isRecord with no entries.
    if (
      isRecord(value) &&
      [Object.prototype, null].includes(Object.getPrototypeOf(value))
    ) {
      entries = Object.entries(value);
    }
  } catch {
    // A Proxy or getter that throws: unusable like any other non-object.
  }
  if (entries === undefined) {
    throw new ErrorType("headers must be a plain object");
  }
  // No prototype: a header named `__proto__` stays a header.
  const checked: Record<string, string> = Object.create(null);
  for (const [name, headerValue] of entries) {
    const lowerName = name.toLowerCase();
    const option = CLIENT_SET_HEADERS.get(lowerName);
    if (option !== undefined) {
      throw new ErrorType(
        `header ${JSON.stringify(name)} is set by the client${option && ` (use ${option})`}`,
      );
    }
    refuseFetchForbidden(name, ErrorType);
    checked[lowerName] = checkHeaderValue(name, headerValue, ErrorType);
  }
  return checked;
}

/** Throws an error of the given class, naming the header, when `fetch` would refuse it. */
export function refuseFetchForbidden(
  name: string,
  ErrorType: ErrorClass,
): void {
  if (FETCH_FORBIDDEN_HEADERS.has(name.toLowerCase())) {
    throw new ErrorType(`header ${JSON.stringify(name)} is refused by fetch`);
  }
}

/** The value, when it can be sent as header `name`; else an error of the given class. */
export function checkHeaderValue(
  name: string,
  value: unknown,
  ErrorType: ErrorClass,
): string {
  // The Headers class is the judge of what fetch will accept.
  try {
    if (typeof value === "string") {
      new Headers([[name, value]]);
      return value;
    }
  } catch {}
  throw new ErrorType(`header ${JSON.stringify(name)} is invalid`);
}
