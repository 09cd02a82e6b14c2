import type { ValidationError } from "./types.js";
import { serverRetryDelayMs } from "./retry.js";
import { redact } from "./redact.js";
import { isRecord } from "./values.js";

// Each class's name, stored on its prototype under a key that every copy of
// this package shares (Symbol.for), so an error from the CommonJS build is an
// instance of the ES module build's classes and the reverse.
const BRAND = Symbol.for("notte-api-client.error");

/**
 * The base of every error this package throws. Catch this one to catch them all:
 * nothing else (no bare `TypeError`, `SyntaxError` or `DOMException`) escapes
 * the client.
 *
 * `instanceof` works across copies of this package (its ES module and
 * CommonJS builds loaded in one process): the check is by class name.
 */
export class NotteError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    type Branded = Record<symbol, unknown>;
    const brand = (this.prototype as unknown as Branded)[BRAND];
    // A subclass of the user's own: ordinary prototype-chain instanceof.
    if (!Object.hasOwn(this.prototype, BRAND)) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    for (
      let proto = value;
      proto != null;
      proto = Object.getPrototypeOf(proto)
    ) {
      if (Object.hasOwn(proto, BRAND) && (proto as Branded)[BRAND] === brand)
        return true;
    }
    return false;
  }
}

/** The client's configuration is unusable; thrown by `new NotteClient()`. */
export class NotteConfigError extends NotteError {}

/** The call's arguments are unusable; rejected before anything is sent. */
export class NotteInvalidRequestError extends NotteError {}

/**
 * A middleware registered with `notte.raw.use()` (or passed to a `raw` call)
 * threw or rejected; `cause` is what it threw. Not retried.
 */
export class NotteMiddlewareError extends NotteError {}

/** The request never got an answer (refused, reset, DNS, cut off mid-body). */
export class NotteConnectionError extends NotteError {}

/** An attempt took longer than `timeoutMs`. */
export class NotteTimeoutError extends NotteConnectionError {
  /** The per-attempt limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  /** @param timeoutMs - the limit that was exceeded */
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`Request timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's `signal` fired; the call stopped at once and was not retried. */
export class NotteAbortError extends NotteError {
  /** @param options - `cause`: the signal's reason */
  constructor(options?: { cause?: unknown }) {
    super("Request aborted by the caller's signal", options);
  }
}

/**
 * The API answered, but not with success (or with a success body that is
 * unusable). Every string it holds has the API key replaced by `[redacted]`,
 * whatever the server echoed back.
 */
export class NotteApiError extends NotteError {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Headers of the answer (rate-limit headers, `x-error-class`, …). */
  readonly headers: Headers;
  /** The answer's body: parsed JSON when it was JSON, else the raw text (`""` when empty). */
  readonly body: unknown;
  /** The `x-error-class` header, which the API sets when an operation failed while executing. */
  readonly errorClass: string | undefined;

  /**
   * @param status - HTTP status
   * @param headers - the answer's headers
   * @param body - parsed JSON, or the raw text
   * @param message - default: the status and the server's own message
   * @param secret - the API key, replaced by `[redacted]` wherever it appears
   */
  constructor(
    status: number,
    headers: Headers,
    body: unknown,
    message?: string,
    secret?: string,
  ) {
    const safeBody = redact(body, secret);
    super(redact(message ?? describeApiError(status, safeBody), secret));
    this.status = status;
    this.headers = redactHeaders(headers, secret);
    this.body = safeBody;
    this.errorClass = this.headers.get("x-error-class") ?? undefined;
  }
}

/** 401: the API key is missing or invalid. */
export class NotteAuthenticationError extends NotteApiError {}

/** 403: the key is valid but may not do this. */
export class NottePermissionDeniedError extends NotteApiError {}

/** 404: no such agent, or the agent does not belong to that session. */
export class NotteNotFoundError extends NotteApiError {}

/** 409: the request conflicts with the agent's current state (retried). */
export class NotteConflictError extends NotteApiError {}

/** 422: the API rejected the parameters. */
export class NotteValidationError extends NotteApiError {
  /** FastAPI's list of what was wrong, when the body has one. */
  readonly detail: ValidationError[] | undefined = validationDetail(this.body);
}

/** 429: too many requests (retried, honouring the server's wait). */
export class NotteRateLimitError extends NotteApiError {
  /** How long the server asked to wait, in milliseconds, when it said so. */
  readonly retryAfterMs: number | undefined = serverRetryDelayMs(
    this.status,
    this.headers,
    Date.now(),
  );
}

/** 5xx: the API or a proxy in front of it failed (retried). */
export class NotteServerError extends NotteApiError {}

/** 529: the Notte cluster is overloaded (retried). */
export class NotteOverloadedError extends NotteServerError {}

/**
 * The answer's body is larger than `maxResponseBytes` (by its `Content-Length`,
 * or counted while it streamed). Reading stopped there; not retried. `body` is `""`.
 */
export class NotteResponseTooLargeError extends NotteApiError {
  /** The limit that was exceeded, in bytes. */
  readonly maxResponseBytes: number;

  /**
   * @param status - the answer's status
   * @param headers - the answer's headers
   * @param maxResponseBytes - the limit
   * @param secret - the API key, redacted from the headers
   */
  constructor(
    status: number,
    headers: Headers,
    maxResponseBytes: number,
    secret?: string,
  ) {
    super(
      status,
      headers,
      "",
      `${status} answer is over ${maxResponseBytes} bytes`,
      secret,
    );
    this.maxResponseBytes = maxResponseBytes;
  }
}

/** The classes of the statuses that have one of their own. */
const ERROR_CLASS_BY_STATUS: Partial<Record<number, typeof NotteApiError>> = {
  401: NotteAuthenticationError,
  403: NottePermissionDeniedError,
  404: NotteNotFoundError,
  409: NotteConflictError,
  422: NotteValidationError,
  429: NotteRateLimitError,
  529: NotteOverloadedError,
};

/**
 * Maps an answer that is not a success to its error class.
 *
 * @param status - HTTP status (not 2xx)
 * @param headers - the answer's headers
 * @param body - parsed JSON, or the raw text when the body was not JSON
 * @param secret - the API key, redacted from everything the error holds
 */
export function apiErrorFromResponse(
  status: number,
  headers: Headers,
  body: unknown,
  secret?: string,
): NotteApiError {
  const ErrorClass =
    ERROR_CLASS_BY_STATUS[status] ??
    (status >= 500 ? NotteServerError : NotteApiError);
  return new ErrorClass(status, headers, body, undefined, secret);
}

// Server text is untrusted and can be a whole HTML page: keep messages one short line.
const MAX_MESSAGE_CHARS = 300;

function describeApiError(status: number, body: unknown): string {
  const text = `${status} ${serverMessageOf(body) || "(no message in the body)"}`;
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_MESSAGE_CHARS
    ? `${oneLine.slice(0, MAX_MESSAGE_CHARS - 1)}…`
    : oneLine;
}

/**
 * The server's own words from a `{ message, detail }` body ("" when it has
 * none), a FastAPI `detail` list flattened to `loc: msg` pairs.
 */
function serverMessageOf(body: unknown): string {
  if (!isRecord(body)) return "";
  const detail =
    typeof body.detail === "string"
      ? body.detail
      : validationDetail(body)
          ?.map((item) => `${item.loc.join(".")}: ${item.msg}`)
          .join("; ");
  // A Set drops a detail that only repeats the message.
  return [...new Set([body.message, detail])]
    .filter((part) => typeof part === "string" && part !== "")
    .join(": ");
}

function validationDetail(body: unknown): ValidationError[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.detail)) return undefined;
  const items: unknown[] = body.detail;
  return items.every(isValidationError) ? items : undefined;
}

function isValidationError(value: unknown): value is ValidationError {
  return (
    isRecord(value) &&
    Array.isArray(value.loc) &&
    typeof value.msg === "string" &&
    typeof value.type === "string"
  );
}

// A header that echoes the key is copied with the key redacted; the others are kept as they are.
function redactHeaders(headers: Headers, secret: string | undefined): Headers {
  if (!secret) return headers;
  let copy: Headers | undefined;
  headers.forEach((value, name) => {
    if (value.includes(secret)) {
      copy ??= new Headers(headers);
      copy.set(name, redact(value, secret));
    }
  });
  return copy ?? headers;
}

// Names and brands live on the prototypes, set from string keys, so a
// consumer's minifier (which renames classes) cannot change what `error.name`
// says or break `instanceof` across builds.
for (const [name, errorClass] of Object.entries({
  NotteError,
  NotteConfigError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteConnectionError,
  NotteTimeoutError,
  NotteAbortError,
  NotteApiError,
  NotteAuthenticationError,
  NottePermissionDeniedError,
  NotteNotFoundError,
  NotteConflictError,
  NotteValidationError,
  NotteRateLimitError,
  NotteServerError,
  NotteOverloadedError,
  NotteResponseTooLargeError,
})) {
  Object.assign(errorClass.prototype, { name, [BRAND]: name });
}
