/**
 * Everything the client throws, and the one place where the API key is kept
 * out of it: the error hierarchy, the mapping of an answer to its error, and
 * the redaction of the key from every text, body, header and wrapped cause.
 */
import type { LegacyAgentStatusResponse, ValidationError } from "./types.js";

// Each class's name, stored on its prototype under a key every copy of this
// package shares (Symbol.for), so an error from the CommonJS build is an
// instance of the ES module build's classes and the reverse.
const BRAND = Symbol.for("notte-api-client.error");

/**
 * The base of every error this package throws. Catch this one to catch them
 * all: nothing else (no bare `TypeError`, `SyntaxError` or `DOMException`)
 * escapes the client.
 *
 * `instanceof` works across copies of this package (its ES module and
 * CommonJS builds loaded in one process): each class carries a brand, its
 * name under a `Symbol.for` key, and `instanceof` compares brands.
 */
export class NotteError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    type Branded = Record<symbol, unknown>;
    const brand = (this.prototype as unknown as Branded)[BRAND];
    // A subclass of the user's own: ordinary prototype-chain instanceof.
    if (!Object.hasOwn(this.prototype, BRAND)) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    for (let p = value; p != null; p = Object.getPrototypeOf(p)) {
      if (Object.hasOwn(p, BRAND) && (p as Branded)[BRAND] === brand)
        return true;
    }
    return false;
  }
}

/** The client's configuration is unusable; thrown by `new NotteClient()`. */
export class NotteConfigError extends NotteError {
  /** The option at fault (`"apiKey"`, `"baseUrl"`, …), when one is. */
  readonly option: string | undefined;

  /** @param options - `option`: the `NotteClientOptions` name at fault */
  constructor(message: string, options?: { option?: string; cause?: unknown }) {
    super(message, options);
    this.option = options?.option;
  }
}

/** The call's arguments are unusable; rejected before anything is sent. */
export class NotteInvalidRequestError extends NotteError {}

/** A middleware threw, rejected or returned something unusable; `cause` is what it threw. Not retried. */
export class NotteMiddlewareError extends NotteError {}

/** The request never got an answer (refused, reset, DNS, cut off mid-body). Retried. */
export class NotteConnectionError extends NotteError {}

/** An attempt took longer than `timeoutMs`. Retried. */
export class NotteTimeoutError extends NotteConnectionError {
  /** The per-attempt limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`Request timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's `signal` fired; the call stopped at once. `cause` is the signal's reason. */
export class NotteAbortError extends NotteError {
  constructor(options?: { cause?: unknown }) {
    super("Request aborted by the caller's signal", options);
  }
}

/**
 * The API answered, but not with success (or with a success body that is
 * unusable). Nothing it holds contains the API key, whatever the server
 * echoed back.
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

  /** @param message - default: the status and the server's own message, on one line */
  constructor(
    status: number,
    headers: Headers,
    body: unknown,
    message?: string,
  ) {
    super(message ?? describeAnswer(status, body));
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.errorClass = headers.get("x-error-class") ?? undefined;
  }
}

/** 401: the API key is missing or invalid. */
export class NotteAuthenticationError extends NotteApiError {}

/** 403: the key is valid but may not do this. */
export class NottePermissionDeniedError extends NotteApiError {}

/** 404: no such agent, or not in that session, or (for a stop) no longer running. */
export class NotteNotFoundError extends NotteApiError {}

/**
 * 404 to a stop, for an agent that is no longer running: Notte answers a stop
 * of a closed agent 404, as for an unknown one, and the client then asked
 * `agents.status`, which says it is closed in that session. `agent` is that
 * status. A `NotteNotFoundError` still, so code that treats every 404 alike
 * keeps working.
 */
export class NotteAlreadyStoppedError extends NotteNotFoundError {
  /** The agent's status, as `agents.status` answered it: `status: "closed"`. */
  readonly agent: LegacyAgentStatusResponse;

  constructor(notFound: NotteNotFoundError, agent: LegacyAgentStatusResponse) {
    const { status, headers, body } = notFound;
    super(
      status,
      headers,
      body,
      `${notFound.message} (the agent is already stopped)`,
    );
    this.agent = agent;
  }
}

/** 409: the request conflicts with the agent's current state (retried). */
export class NotteConflictError extends NotteApiError {}

/** 422: the API rejected the parameters. */
export class NotteValidationError extends NotteApiError {
  /** FastAPI's list of what was wrong, when the body has one. */
  readonly detail: ValidationError[] | undefined = validationDetail(this.body);
}

/**
 * 429: too many requests. Retried while the wait the API asks for fits the
 * call's `timeoutMs`; a longer one ends the call at once with this error. Also
 * thrown, with nothing sent, when the client's rate-limit window stays closed
 * longer than `timeoutMs` (then `headers` are those of the answer that closed
 * it, and `body` is `""`).
 */
export class NotteRateLimitError extends NotteApiError {
  /** How long the API asked to wait, in milliseconds, when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(
    status: number,
    headers: Headers,
    body: unknown,
    message?: string,
    retryAfterMs?: number,
  ) {
    super(status, headers, body, message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 500–599: the API or a proxy in front of it failed (retried). */
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

  constructor(status: number, headers: Headers, maxResponseBytes: number) {
    super(
      status,
      headers,
      "",
      `${status} answer is over ${maxResponseBytes} bytes`,
    );
    this.maxResponseBytes = maxResponseBytes;
  }
}

type ApiErrorClass = new (
  status: number,
  headers: Headers,
  body: unknown,
  message?: string,
  retryAfterMs?: number,
) => NotteApiError;

const CLASS_BY_STATUS: Partial<Record<number, ApiErrorClass>> = {
  401: NotteAuthenticationError,
  403: NottePermissionDeniedError,
  404: NotteNotFoundError,
  409: NotteConflictError,
  422: NotteValidationError,
  429: NotteRateLimitError,
  529: NotteOverloadedError,
};

/**
 * The error of an answer that is not a success (or whose success body is
 * unusable, when `message` says why), its class by status, with the key
 * redacted from everything it holds.
 *
 * @param body - parsed JSON, or the raw text when the body was not JSON
 * @param retryAfterMs - the wait the answer asked for (kept by a 429's error)
 */
export function apiError(
  status: number,
  headers: Headers,
  body: unknown,
  redactor: Redactor,
  retryAfterMs?: number,
  message?: string,
): NotteApiError {
  const ErrorClass: ApiErrorClass =
    CLASS_BY_STATUS[status] ??
    (status >= 500 && status <= 599 ? NotteServerError : NotteApiError);
  const safeBody = redactor.json(body);
  return new ErrorClass(
    status,
    redactor.headers(headers),
    safeBody,
    redactor.text(message ?? describeAnswer(status, safeBody)),
    retryAfterMs,
  );
}

// Server text is untrusted and can be a whole HTML page: keep messages one short line.
const MAX_MESSAGE_CHARS = 300;

function describeAnswer(status: number, body: unknown): string {
  const text = `${status} ${serverMessageOf(body) || "(no message in the body)"}`;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_MESSAGE_CHARS
    ? `${line.slice(0, MAX_MESSAGE_CHARS - 1)}…`
    : line;
}

/** The server's own words from a `{ message, detail }` body, a FastAPI `detail` list as `loc: msg` pairs. */
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
  return items.every(
    (item) =>
      isRecord(item) &&
      Array.isArray(item.loc) &&
      typeof item.msg === "string" &&
      typeof item.type === "string",
  )
    ? (items as ValidationError[])
    : undefined;
}

const REDACTED = "[redacted]";
// A key shorter than this (a test's "k" or "test"; real keys are far longer)
// is redacted only where it stands alone: as a substring it would garble every word.
const SHORT_KEY_CHARS = 8;
// Real answers nest a few levels; a hostile one nested deeper would overflow the stack.
const MAX_DEPTH = 64;
// A cause bigger than this is not searched: it is treated as holding the key.
const MAX_NODES = 10_000;

/**
 * Takes one API key out of everything: texts, parsed JSON, headers, and the
 * causes the client wraps. Built once per client.
 */
export class Redactor {
  readonly #pattern: RegExp;

  constructor(key: string) {
    // The key as written and JSON-escaped (a body may quote it).
    const forms = [...new Set([key, JSON.stringify(key).slice(1, -1)])].map(
      (form) => form.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"),
    );
    const alone = key.length < SHORT_KEY_CHARS;
    this.#pattern = new RegExp(
      forms
        .map((form) =>
          alone ? `(?<![A-Za-z0-9])${form}(?![A-Za-z0-9])` : form,
        )
        .join("|"),
      "g",
    );
  }

  /** `text` with every occurrence of the key replaced by `[redacted]`. */
  text(text: string): string {
    return text.replace(this.#pattern, REDACTED);
  }

  /** A parsed JSON value with the key redacted from every string (keys included); past 64 levels, `"[redacted]"` whole. */
  json<T>(value: T, depth = 0): T {
    if (typeof value === "string") return this.text(value) as T;
    if (typeof value !== "object" || value === null) return value;
    if (depth > MAX_DEPTH) return REDACTED as T;
    if (Array.isArray(value))
      return value.map((item: unknown) => this.json(item, depth + 1)) as T;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        this.text(key),
        this.json(item, depth + 1),
      ]),
    ) as T;
  }

  /** `headers` as they are, or a copy with the key redacted from the values that hold it. */
  headers(headers: Headers): Headers {
    let copy: Headers | undefined;
    headers.forEach((value, name) => {
      const safe = this.text(value);
      if (safe !== value) (copy ??= new Headers(headers)).set(name, safe);
    });
    return copy ?? headers;
  }

  /**
   * What `fetch` or a middleware threw, as it is when it holds no key
   * anywhere; else a copy without it: an `Error` keeps its name, message,
   * stack and own primitive properties redacted, its other properties that
   * hold the key become `"[redacted]"`, its cause is redacted the same way;
   * anything else becomes `"[redacted]"`.
   */
  cause(cause: unknown, depth = 0): unknown {
    try {
      if (!this.#holds(cause)) return cause;
      if (typeof cause === "string") return this.text(cause);
      if (!(cause instanceof Error) || depth > 8) return REDACTED;
      const copy = new Error(this.text(safeString(cause.message)), {
        cause: this.cause(cause.cause, depth + 1),
      });
      for (const [key, value] of Object.entries(cause)) {
        (copy as unknown as Record<string, unknown>)[key] =
          typeof value === "string"
            ? this.text(value)
            : typeof value === "object" && value !== null && this.#holds(value)
              ? REDACTED
              : value;
      }
      copy.name = this.text(safeString(cause.name));
      copy.stack = this.text(safeString(cause.stack));
      return copy;
    } catch {
      // A getter or Proxy that throws while being read: keep nothing of it.
      return REDACTED;
    }
  }

  /**
   * Whether the key is anywhere in `value`: its strings, own properties
   * (symbol keys and hidden ones included, getters not run), the entries of a
   * `Map`, `Set` or `Headers`, a `Request`'s URL and headers, an error's
   * message, stack and cause. Cycles are followed once; past 10,000 objects,
   * or when reading throws, the answer is yes.
   */
  #holds(value: unknown): boolean {
    const seen = new WeakSet<object>();
    let budget = MAX_NODES;
    const visit = (item: unknown): boolean => {
      if (typeof item === "string") return this.text(item) !== item;
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
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `String(value)`, or its `[object …]` tag when converting it throws. */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
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
  NotteAlreadyStoppedError,
  NotteConflictError,
  NotteValidationError,
  NotteRateLimitError,
  NotteServerError,
  NotteOverloadedError,
  NotteResponseTooLargeError,
})) {
  Object.assign(errorClass.prototype, { name, [BRAND]: name });
}
