import { NotteConfigError } from "./errors.js";
import { checkHeaders, checkHeaderValue, type ErrorClass } from "./headers.js";
import {
  createLog,
  LOG_LEVELS,
  type Log,
  type LogLevel,
  type NotteLogger,
} from "./log.js";
import { isRecord, readOptions } from "./values.js";
import { VERSION } from "./version.js";

/**
 * The `fetch` the client sends through; the global `fetch` fits. It is called
 * as a plain function (not as a method), once per attempt, with an init that
 * holds the attempt's `signal`: for `agents.stop`, with the URL and an init
 * holding also the method and headers; for `raw`, and for `stop` while
 * middleware is registered, with the `Request` openapi-fetch built. Forward
 * both unchanged.
 */
export type FetchLike = (
  input: string | Request,
  init: RequestInit & { signal: AbortSignal },
) => Promise<Response>;

/** Options of `new NotteClient(options)`. Every one is optional. */
export interface NotteClientOptions {
  /** The API key. Default: the `NOTTE_API_KEY` environment variable; required one way or the other. */
  apiKey?: string | undefined;
  /** Where the API lives. Default: the `NOTTE_API_URL` environment variable, else `https://api.notte.cc`. */
  baseUrl?: string | undefined;
  /** Limit for each attempt, in milliseconds, until the answer's body is read. Default 60000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, for connection errors, timeouts, 408, 409, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** Largest answer body read, in bytes; a larger one is a `NotteResponseTooLargeError`. Default 10 MiB. */
  maxResponseBytes?: number | undefined;
  /**
   * `"wait"` (default): every attempt waits for the rate-limit window the API
   * last described, instead of being refused with a 429. `"ignore"`: send at once.
   */
  rateLimit?: "wait" | "ignore" | undefined;
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
// An agent status is a few kB; its `steps` list can grow, so leave room.
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

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
  readonly maxResponseBytes: number;
  readonly waitForRateLimit: boolean;
  /** Headers sent on every request, the API key among them. */
  readonly headers: Readonly<Record<string, string>>;
  /** The API key: redacted from every error and log line. */
  readonly apiKey: string;
  readonly log: Log;
}

/**
 * Checks the options once and settles every default.
 *
 * @throws NotteConfigError when the key is missing or malformed, the URL is
 *   unusable or insecure, or an option has the wrong type.
 */
export function resolveConfig(given: NotteClientOptions = {}): ClientConfig {
  // Read once: a getter runs once, and one that throws is a NotteConfigError.
  const options = readOptions(given, "NotteClient options", NotteConfigError);

  // An option given is not looked up in the environment at all.
  const apiKey = options.apiKey ?? readEnv("NOTTE_API_KEY");
  if (apiKey === undefined || apiKey === "") {
    throw new NotteConfigError("No API key: pass apiKey or set NOTTE_API_KEY");
  }
  // The key goes into a header: anything but printable ASCII would break it, and
  // a stray space or newline is a copy-paste accident worth naming. Never echo the key.
  if (typeof apiKey !== "string" || !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new NotteConfigError(
      "The API key must be printable ASCII without spaces",
    );
  }

  // An empty variable counts as unset, as shells and .env files leave them.
  const baseUrl = checkBaseUrl(
    options.baseUrl ?? (readEnv("NOTTE_API_URL") || DEFAULT_BASE_URL),
    options.allowInsecureHttp,
  );

  const fetchImpl =
    options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetchImpl !== "function") {
    throw new NotteConfigError("No global fetch: pass fetch");
  }

  const logLevel = options.logLevel ?? "off";
  const { logger, rateLimit = "wait" } = options;
  if (
    !LOG_LEVELS.includes(logLevel) ||
    (logger !== undefined && !isLogger(logger))
  ) {
    throw new NotteConfigError(
      "logger needs error, warn, info and debug functions; logLevel one of " +
        LOG_LEVELS.join(", "),
    );
  }
  if (rateLimit !== "wait" && rateLimit !== "ignore") {
    throw new NotteConfigError('rateLimit must be "wait" or "ignore"');
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
    maxResponseBytes: checkMaxResponseBytes(
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      NotteConfigError,
    ),
    waitForRateLimit: rateLimit === "wait",
    headers: {
      ...checkHeaders(options.headers ?? {}, NotteConfigError),
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
      "x-notte-sdk-version": VERSION,
      "x-notte-request-origin": checkHeaderValue(
        "x-notte-request-origin",
        options.requestOrigin ?? "notte-api-client",
        NotteConfigError,
      ),
    },
    apiKey,
    log: createLog(logger, logLevel, apiKey),
  };
}

/**
 * An environment variable, or `undefined` where there is no environment
 * (browsers, Workers) or it may not be read (Deno without `--allow-env`
 * throws on access).
 */
function readEnv(name: string): string | undefined {
  try {
    return globalThis.process?.env?.[name];
  } catch {
    return undefined;
  }
}

/**
 * The base URL, normalised (no trailing slash), or a {@link NotteConfigError}.
 * Echoes only the URL's origin, never the whole string, in case it holds a secret.
 */
function checkBaseUrl(
  value: unknown,
  allowInsecureHttp: boolean | undefined,
): string {
  const url =
    typeof value === "string" && URL.canParse(value)
      ? new URL(value)
      : undefined;
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new NotteConfigError(
      "baseUrl (or NOTTE_API_URL) must be an absolute http(s) URL",
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new NotteConfigError(
      "baseUrl must not hold credentials, a query or a fragment",
    );
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
function isLoopbackHost(hostname: string): boolean {
  return /^(.+\.)?localhost$|^\[::1\]$|^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(
    hostname,
  );
}

/** A per-attempt timeout, or an error of the given class. */
export function checkTimeoutMs(value: unknown, ErrorType: ErrorClass): number {
  return checkNumber(value, "timeoutMs", 1, MAX_TIMEOUT_MS, false, ErrorType);
}

/** A retry count, or an error of the given class. */
export function checkMaxRetries(value: unknown, ErrorType: ErrorClass): number {
  return checkNumber(
    value,
    "maxRetries",
    0,
    MAX_RETRIES_LIMIT,
    true,
    ErrorType,
  );
}

/** A body size limit in bytes, or an error of the given class. */
export function checkMaxResponseBytes(
  value: unknown,
  ErrorType: ErrorClass,
): number {
  return checkNumber(
    value,
    "maxResponseBytes",
    1,
    Number.MAX_SAFE_INTEGER,
    true,
    ErrorType,
  );
}

/**
 * `value` when it is a number from `min` to `max` (a whole one when `whole`),
 * else an error of the given class naming the option and the range.
 */
export function checkNumber(
  value: unknown,
  name: string,
  min: number,
  max: number,
  whole: boolean,
  ErrorType: ErrorClass,
): number {
  if (
    typeof value !== "number" ||
    !(value >= min && value <= max) ||
    (whole && !Number.isInteger(value))
  ) {
    throw new ErrorType(
      `${name} must be a ${whole ? "whole " : ""}number from ${min} to ${max}`,
    );
  }
  return value;
}

function isLogger(value: unknown): value is NotteLogger {
  try {
    return (
      isRecord(value) &&
      LOG_LEVELS.every(
        (level) => level === "off" || typeof value[level] === "function",
      )
    );
  } catch {
    // A Proxy or getter that throws.
    return false;
  }
}
