/**
 * Everything the client throws, and the one place that keeps the API key out
 * of it: the error classes, an answer's error by status, the redaction.
 */
import type { LegacyAgentStatusResponse, ValidationError } from "./types.js";

// Each class's name under a key every copy of this package shares, so that an
// error of the CommonJS build is an instance of the ES module build's classes.
const BRAND = Symbol.for("notte-api-client.error");
type Branded = Record<symbol, unknown>;
type ApiErrorOptions = { cause?: unknown; retryAfterMs?: number | undefined };

/**
 * The base of every error this package throws: nothing else (no bare
 * `TypeError` or `DOMException`) escapes the client. `instanceof` compares
 * brands, so it holds across the ES module and CommonJS builds in one process.
 */
export class NotteError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand = (this.prototype as unknown as Branded)[BRAND];
    // A subclass of the user's own: ordinary instanceof.
    if (!Object.hasOwn(this.prototype, BRAND))
      return Function.prototype[Symbol.hasInstance].call(this, value);
    for (let p = value; p != null; p = Object.getPrototypeOf(p))
      if (Object.hasOwn(p, BRAND) && (p as Branded)[BRAND] === brand)
        return true;
    return false;
  }
}

/** `new NotteClient()` was given an unusable configuration. */
export class NotteConfigError extends NotteError {
  /** The option at fault (`"apiKey"`, `"baseUrl"`, …), when one is. */
  readonly option: string | undefined;

  constructor(message: string, options?: { option?: string; cause?: unknown }) {
    super(message, options);
    this.option = options?.option;
  }
}

/** The call's ids or options are unusable; nothing was sent or waited for. */
export class NotteInvalidRequestError extends NotteError {}

/** A middleware threw, rejected or returned something unusable; `cause` is what it threw. Not retried. */
export class NotteMiddlewareError extends NotteError {}

/** No answer came (refused, reset, DNS, a body cut off). Retried. */
export class NotteConnectionError extends NotteError {}

/** An attempt took longer than `timeoutMs`. Retried. */
export class NotteTimeoutError extends NotteConnectionError {
  /** The limit exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`Request timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's `signal` fired; the call ended at once. `cause` is the signal's reason. */
export class NotteAbortError extends NotteError {
  constructor(options?: { cause?: unknown }) {
    super("Request aborted by the caller's signal", options);
  }
}

/** The API answered, but not with a usable success. Nothing it holds contains the API key. */
export class NotteApiError extends NotteError {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Headers of the answer (rate-limit headers, `x-error-class`, …). */
  readonly headers: Headers;
  /** The body: parsed JSON when it was JSON, else its text (`""` when empty). */
  readonly body: unknown;
  /** The `x-error-class` header, set when an operation failed while executing. */
  readonly errorClass: string | undefined;

  /** `message` defaults to the status and the server's own words; a 429's error keeps `retryAfterMs`. */
  constructor(
    status: number,
    headers: Headers,
    body: unknown,
    message?: string,
    options?: ApiErrorOptions,
  ) {
    super(
      message ?? describeAnswer(status, body),
      options?.cause === undefined ? {} : { cause: options.cause },
    );
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.errorClass = headers.get("x-error-class") ?? undefined;
  }
}

/** 401: the API key is missing or invalid. */
export class NotteAuthenticationError extends NotteApiError {}

/** 403: the key may not do this. */
export class NottePermissionDeniedError extends NotteApiError {}

/** 404: no such agent, or not in that session, or (to a stop) no longer running. */
export class NotteNotFoundError extends NotteApiError {}

/**
 * A stop's 404 for an agent no longer running (Notte answers 404 for a closed
 * agent as for an unknown one; a status request that followed told them
 * apart). Still a `NotteNotFoundError`.
 */
export class NotteAlreadyStoppedError extends NotteNotFoundError {
  /** The agent's status, as `agents.status` answered it (key redacted). */
  readonly agent: LegacyAgentStatusResponse;

  constructor(notFound: NotteNotFoundError, agent: LegacyAgentStatusResponse) {
    const { status, headers, body } = notFound;
    const message = `${status} agent ${agent.agent_id} is already stopped`;
    super(status, headers, body, message);
    this.agent = agent;
  }
}

/** 409: the request conflicts with the agent's state. Retried. */
export class NotteConflictError extends NotteApiError {}

/** 422: the API rejected the parameters. */
export class NotteValidationError extends NotteApiError {
  /** FastAPI's list of what was wrong, when the body has one. */
  readonly detail: ValidationError[] | undefined = validationDetail(this.body);
}

/**
 * 429: too many requests. Retried while the wait the API asks for fits the
 * call's `timeoutMs`; a longer wait, or the client's rate-limit window closed
 * for longer (nothing sent, `body` `""`), ends the call at once with it.
 */
export class NotteRateLimitError extends NotteApiError {
  /** How long the API asked to wait, in milliseconds, when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(...args: ConstructorParameters<typeof NotteApiError>) {
    super(...args);
    this.retryAfterMs = args[4]?.retryAfterMs;
  }
}

/** 500–599: the API or a proxy in front of it failed. Retried. */
export class NotteServerError extends NotteApiError {}

/** 529: the Notte cluster is overloaded. Retried. */
export class NotteOverloadedError extends NotteServerError {}

/** The body is over `maxResponseBytes`: reading stopped, the connection was cancelled. Not retried; `body` is `""`. */
export class NotteResponseTooLargeError extends NotteApiError {
  /** The limit exceeded, in bytes. */
  readonly maxResponseBytes: number;

  constructor(status: number, headers: Headers, max: number) {
    super(status, headers, "", `${status} answer is over ${max} bytes`);
    this.maxResponseBytes = max;
  }
}

const CLASS_BY_STATUS: Partial<Record<number, typeof NotteApiError>> = {
  401: NotteAuthenticationError,
  403: NottePermissionDeniedError,
  404: NotteNotFoundError,
  409: NotteConflictError,
  422: NotteValidationError,
  429: NotteRateLimitError,
  529: NotteOverloadedError,
};

/**
 * The error of an answer, its class by status, with the key redacted from
 * everything it holds; `message` says why a success is unusable.
 */
export function apiError(
  answer: { status: number; headers: Headers },
  body: unknown,
  redactor: Redactor,
  extra: ApiErrorOptions & { message?: string } = {},
): NotteApiError {
  const { status } = answer;
  const ErrorClass =
    CLASS_BY_STATUS[status] ??
    (status >= 500 && status <= 599 ? NotteServerError : NotteApiError);
  const safe = redactor.json(body);
  const headers = redactor.headers(answer.headers);
  const message = redactor.text(extra.message ?? describeAnswer(status, safe));
  return new ErrorClass(status, headers, safe, message, extra);
}

/** The status and the server's own words (a FastAPI `detail` list as `loc: msg` pairs), on one short line. */
function describeAnswer(status: number, body: unknown): string {
  const record = isRecord(body) ? body : {};
  const detail =
    typeof record.detail === "string"
      ? record.detail
      : validationDetail(body)
          ?.map((item) => `${item.loc.join(".")}: ${item.msg}`)
          .join("; ");
  // A Set drops a detail that only repeats the message.
  const words = [...new Set([record.message, detail])].filter(
    (part) => typeof part === "string" && part !== "",
  );
  // Server text is untrusted and can be a whole HTML page.
  const line = `${status} ${words.join(": ") || "(no message in the body)"}`
    .replace(/\s+/g, " ")
    .trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function validationDetail(body: unknown): ValidationError[] | undefined {
  const items: unknown = isRecord(body) ? body.detail : undefined;
  const valid = (item: unknown): boolean =>
    isRecord(item) &&
    Array.isArray(item.loc) &&
    typeof item.msg === "string" &&
    typeof item.type === "string";
  return Array.isArray(items) && items.every(valid) ? items : undefined;
}

const REDACTED = "[redacted]";

/**
 * Takes one API key out of texts, parsed JSON, headers and wrapped causes. A
 * key under 8 characters (a test's; real ones are far longer) is redacted
 * only where it stands alone, so that messages stay readable.
 */
export class Redactor {
  readonly #pattern: RegExp;

  constructor(key: string) {
    // The key as written, JSON-escaped (a body may quote it) and percent-encoded (a URL may hold it).
    const forms = [
      key,
      JSON.stringify(key).slice(1, -1),
      encodeURIComponent(key),
    ];
    const escaped = [...new Set(forms)].map((form) =>
      form.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"),
    );
    const alone = (form: string): string =>
      key.length < 8 ? `(?<![A-Za-z0-9])${form}(?![A-Za-z0-9])` : form;
    this.#pattern = new RegExp(escaped.map(alone).join("|"), "g");
  }

  /** A new error of `ErrorClass`, the key redacted from its message and from `cause` (see {@link cause}). */
  wrap<E extends NotteError>(
    ErrorClass: new (message: string, options: { cause: unknown }) => E,
    message: string,
    cause: unknown,
  ): E {
    return new ErrorClass(this.text(message), { cause: this.cause(cause) });
  }

  /** `text` with each occurrence of the key replaced by `[redacted]`. */
  text(text: string): string {
    return text.replace(this.#pattern, REDACTED);
  }

  /** A parsed JSON value with the key redacted from every string, keys included; past 64 levels, `"[redacted]"`. */
  json<T>(value: T, depth = 0): T {
    if (typeof value === "string") return this.text(value) as T;
    if (typeof value !== "object" || value === null) return value;
    if (depth > 64) return REDACTED as T;
    if (Array.isArray(value))
      return value.map((item: unknown) => this.json(item, depth + 1)) as T;
    const entries = Object.entries(value).map(([key, item]) => [
      this.text(key),
      this.json(item, depth + 1),
    ]);
    return Object.fromEntries(entries) as T;
  }

  /** `headers` as they are, or a copy with the key redacted from the values that hold it. */
  headers(headers: Headers): Headers {
    let copy: Headers | undefined;
    headers.forEach((value, name) => {
      if (this.text(value) !== value)
        (copy ??= new Headers(headers)).set(name, this.text(value));
    });
    return copy ?? headers;
  }

  /**
   * What `fetch` or a middleware threw, as it is when the key is nowhere in
   * it; else an `Error`'s redacted copy (own strings redacted, other values
   * that hold the key and anything not an `Error` become `"[redacted]"`).
   */
  cause(cause: unknown, depth = 0): unknown {
    try {
      if (!this.#holds(cause)) return cause;
      if (typeof cause === "string") return this.text(cause);
      if (!(cause instanceof Error) || depth > 8) return REDACTED;
      const copy = new Error(this.text(safeString(cause.message)), {
        cause: this.cause(cause.cause, depth + 1),
      }) as Error & Record<string, unknown>;
      for (const [key, value] of Object.entries(cause))
        copy[key] =
          typeof value === "string"
            ? this.text(value)
            : this.#holds(value)
              ? REDACTED
              : value;
      copy.name = this.text(safeString(cause.name));
      copy.stack = this.text(safeString(cause.stack));
      return copy;
    } catch {
      // A getter or Proxy that throws while being read: keep nothing of it.
      return REDACTED;
    }
  }

  /**
   * Whether the key is anywhere in `value`, however deep: own properties of
   * any kind (getters not run), collections, a `Request`, an error's fields.
   * Past 10,000 objects, or when reading throws, the answer is yes.
   */
  #holds(value: unknown): boolean {
    const seen = new WeakSet<object>();
    let budget = 10_000;
    // `Object()` returns an object (a function too) as it is, wraps a primitive.
    const isObject = (item: unknown): item is object => Object(item) === item;
    const visit = (item: unknown): boolean => {
      if (typeof item === "string") return this.text(item) !== item;
      if (!isObject(item) || seen.has(item)) return false;
      seen.add(item);
      if (--budget < 0) return true;
      const parts: unknown[] = [];
      if (item instanceof Map || item instanceof Headers)
        for (const entry of item) parts.push(...entry);
      if (item instanceof Set) parts.push(...item);
      if (item instanceof Request) parts.push(item.url, item.headers);
      if (item instanceof Error)
        parts.push(item.name, item.message, item.stack, item.cause);
      for (const key of Reflect.ownKeys(item))
        parts.push(
          typeof key === "string" ? key : key.description,
          Object.getOwnPropertyDescriptor(item, key)?.value,
        );
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
  try {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    // Array.isArray throws for a revoked Proxy.
    return false;
  }
}

/** `String(value)`, or its `[object …]` tag when converting it throws. */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

// Names and brands live on the prototypes, set from string keys: a consumer's
// minifier, which renames classes, cannot change `error.name` or `instanceof`.
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
