import { NotteConfigError, isRecord } from "./errors.js";
import {
  createLog,
  LOG_LEVELS,
  type Log,
  type LogLevel,
  type NotteLogger,
} from "./log.js";
import type { AttemptInit } from "./send.js";
import { VERSION } from "./version.js";

/**
 * The `fetch` the client sends through; the global `fetch` fits. It is called
 * with a URL or a `Request`, and an init whose `signal` belongs to the attempt.
 */
export type FetchLike = (
  input: string | Request,
  init: AttemptInit,
) => Promise<Response>;

/** Options of `new NotteClient(options)`. Every one is optional. */
export interface NotteClientOptions {
  /** The API key. Default: `process.env.NOTTE_API_KEY`; required one way or the other. */
  apiKey?: string | undefined;
  /** Where the API lives. Default: `process.env.NOTTE_API_URL`, else `https://api.notte.cc`. */
  baseUrl?: string | undefined;
  /** Limit for each attempt, in milliseconds, until the answer's body is read. Default 60000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, for connection errors, timeouts, 408, 409, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Value of `x-notte-request-origin`. Default `"notte-api-client"`. */
  requestOrigin?: string | undefined;
  /** Allow plain `http://` to a host that is not loopback (the key would travel unencrypted). Default false. */
  allowInsecureHttp?: boolean | undefined;
  /** Where log lines go (`console` fits). Default: none. */
  logger?: NotteLogger | undefined;
  /** How much to log. Default `"off"`; `"debug"` logs every attempt. */
  logLevel?: LogLevel | undefined;
}

/** The production API. */
export const DEFAULT_BASE_URL = "https://api.notte.cc";
/** Notte's own SDK waits 60 s too. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Three attempts in all. */
export const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_REQUEST_ORIGIN = "notte-api-client";

// setTimeout fires at once for delays above 2^31 - 1 ms, which would turn a long timeout into none.
const MAX_TIMEOUT_MS = 2_147_483_647;
// More retries than this is a loop, not a policy.
const MAX_RETRIES_LIMIT = 10;

/** A client's settled configuration: checked once, used by every call. */
export interface ClientConfig {
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** Headers sent on every request, the API key among them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly log: Log;
}

/**
 * Checks the options once and settles every default.
 *
 * @throws NotteConfigError when the key is missing or malformed, the URL is
 *   unusable or insecure, or an option has the wrong type.
 */
export function resolveConfig(options: NotteClientOptions = {}): ClientConfig {
  if (typeof options !== "object" || options === null) {
    throw new NotteConfigError("NotteClient options must be an object");
  }
  // `process` is absent in browsers and some edge runtimes: there the options say everything.
  const env: Record<string, string | undefined> = globalThis.process?.env ?? {};

  const apiKey = options.apiKey ?? env.NOTTE_API_KEY;
  if (apiKey === undefined || apiKey === "") {
    throw new NotteConfigError(
      "No API key: pass `apiKey` to NotteClient or set NOTTE_API_KEY",
    );
  }
  // The key goes into a header: anything but printable ASCII would break it, and
  // a stray space or newline is a copy-paste accident worth naming. Never echo the key.
  if (typeof apiKey !== "string" || !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new NotteConfigError(
      "The API key has whitespace, control or non-ASCII characters",
    );
  }

  // An empty variable counts as unset, as shells and .env files leave them.
  const baseUrl = checkBaseUrl(
    options.baseUrl ?? (env.NOTTE_API_URL || DEFAULT_BASE_URL),
    options.allowInsecureHttp,
  );

  const fetchImpl =
    options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetchImpl !== "function") {
    throw new NotteConfigError(
      "No global fetch here: pass `fetch` to NotteClient",
    );
  }

  const headers: Record<string, string> = {
    ...checkHeaders(options.headers ?? {}, NotteConfigError),
    authorization: `Bearer ${apiKey}`,
    accept: "application/json",
    "x-notte-sdk-version": VERSION,
    "x-notte-request-origin": checkHeaderValue(
      "x-notte-request-origin",
      options.requestOrigin ?? DEFAULT_REQUEST_ORIGIN,
      NotteConfigError,
    ),
  };

  const logLevel = options.logLevel ?? "off";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new NotteConfigError(
      `logLevel must be one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new NotteConfigError(
      "logger must have error, warn, info and debug functions",
    );
  }

  return {
    baseUrl,
    fetch: fetchImpl,
    timeoutMs: checkTimeoutMs(
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      NotteConfigError,
    ),
    maxRetries: checkMaxRetries(
      options.maxRetries ?? DEFAULT_MAX_RETRIES,
      NotteConfigError,
    ),
    headers,
    log: createLog(options.logger, logLevel),
  };
}

/**
 * The base URL, normalised (no trailing slash), or a {@link NotteConfigError}.
 * Echoes only the URL's origin, never the whole string, in case it holds a secret.
 */
export function checkBaseUrl(
  value: unknown,
  allowInsecureHttp: boolean | undefined,
): string {
  if (typeof value !== "string" || !URL.canParse(value)) {
    throw new NotteConfigError(
      "baseUrl (or NOTTE_API_URL) is not an absolute URL",
    );
  }
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new NotteConfigError(`baseUrl must use https:, not ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new NotteConfigError("baseUrl must not hold credentials");
  }
  if (url.search !== "" || url.hash !== "") {
    throw new NotteConfigError("baseUrl must not have a query or a fragment");
  }
  if (
    url.protocol === "http:" &&
    !allowInsecureHttp &&
    !isLoopbackHost(url.hostname)
  ) {
    throw new NotteConfigError(
      `baseUrl ${url.origin} would send the key unencrypted: use https, or allowInsecureHttp`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** True for `localhost`, 127.0.0.0/8 and `[::1]`: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

type ErrorClass = new (message: string) => Error;

/** A per-attempt timeout, or an error of the given class. */
export function checkTimeoutMs(value: unknown, ErrorType: ErrorClass): number {
  if (typeof value !== "number" || !(value > 0) || value > MAX_TIMEOUT_MS) {
    throw new ErrorType(
      `timeoutMs must be a number of milliseconds above 0 and at most ${MAX_TIMEOUT_MS}`,
    );
  }
  return value;
}

/** A retry count, or an error of the given class. */
export function checkMaxRetries(value: unknown, ErrorType: ErrorClass): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_RETRIES_LIMIT
  ) {
    throw new ErrorType(
      `maxRetries must be a whole number from 0 to ${MAX_RETRIES_LIMIT}`,
    );
  }
  return value;
}

/** Headers the client sets itself, and the option to use instead ("" for none). */
const CLIENT_SET_HEADERS: Readonly<Record<string, string>> = {
  authorization: "apiKey",
  accept: "",
  "x-notte-sdk-version": "",
  "x-notte-request-origin": "requestOrigin",
  "idempotency-key": "idempotencyKey",
};

/**
 * Caller-supplied headers as a plain object with lower-case names, or an
 * error of the given class when one could not be sent or is one the client
 * sets itself. Messages name the header, never its value.
 */
export function checkHeaders(
  value: unknown,
  ErrorType: ErrorClass,
): Record<string, string> {
  // A plain object only: a Headers or Map instance would pass isRecord with no entries.
  if (
    !isRecord(value) ||
    ![Object.prototype, null].includes(Object.getPrototypeOf(value))
  ) {
    throw new ErrorType("headers must be a plain object of names to values");
  }
  const checked: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    const lowerName = name.toLowerCase();
    if (Object.hasOwn(CLIENT_SET_HEADERS, lowerName)) {
      const option = CLIENT_SET_HEADERS[lowerName];
      throw new ErrorType(
        `header ${JSON.stringify(name)} is set by the client${option && ` (use ${option})`}`,
      );
    }
    checked[lowerName] = checkHeaderValue(name, headerValue, ErrorType);
  }
  return checked;
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
  throw new ErrorType(
    `header ${JSON.stringify(name)} has an invalid name or value`,
  );
}

function isLogger(value: unknown): value is NotteLogger {
  return (
    isRecord(value) &&
    LOG_LEVELS.every(
      (level) => level === "off" || typeof value[level] === "function",
    )
  );
}
