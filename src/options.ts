/**
 * The options of the client and of each call, and the one checker they all go
 * through: names, ranges, headers, signals, the logger, the base URL.
 */
import {
  isRecord,
  NotteConfigError,
  NotteInvalidRequestError,
  Redactor,
} from "./errors.js";

/** The `fetch` to send with (the global one fits), called per attempt as `(url, init)` or `(request, { signal })`: forward both. */
export type FetchLike = (
  input: string | Request,
  init: RequestInit & { signal: AbortSignal },
) => Promise<Response>;

/** How much the client tells its logger; `"off"` (the default) tells nothing. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/** Where log lines go; `console` fits. Lines never hold the API key; a throw or rejection changes nothing. */
export interface NotteLogger {
  error(message: string, details?: Record<string, unknown>): unknown;
  warn(message: string, details?: Record<string, unknown>): unknown;
  info(message: string, details?: Record<string, unknown>): unknown;
  debug(message: string, details?: Record<string, unknown>): unknown;
}

/** Options of `new NotteClient(options)`, all optional; an unknown name is a `NotteConfigError`. */
export interface NotteClientOptions {
  /** The API key. Default: `NOTTE_API_KEY`; required one way or the other. */
  apiKey?: string | undefined;
  /** Where the API lives. Default: `NOTTE_API_URL`, else `https://api.notte.cc`. */
  baseUrl?: string | undefined;
  /** Limit of each attempt, and of each wait the API asks for, in milliseconds. Default 60000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, 0 to 10. Default 2. */
  maxRetries?: number | undefined;
  /** Largest answer body read, in bytes. Default 10 MiB. */
  maxResponseBytes?: number | undefined;
  /** `"wait"` (default): hold attempts back while the API's rate-limit window is closed; `"ignore"`: never. */
  rateLimit?: "wait" | "ignore" | undefined;
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Value of `x-notte-request-origin`. Default `"notte-api-client"`. */
  requestOrigin?: string | undefined;
  /** Allow plain `http://` to a host that is not loopback (the key would travel unencrypted). Default false. */
  allowInsecureHttp?: boolean | undefined;
  /** Where log lines go. Default: none. */
  logger?: NotteLogger | undefined;
  /** How much to log. Default `"off"`. */
  logLevel?: LogLevel | undefined;
}

/** Options of one call, each overriding the client's for that call; an unknown name is a `NotteInvalidRequestError`. */
export interface RequestOptions {
  /** Ends the whole call (every attempt and wait) at once; nothing is retried after it fires. */
  signal?: AbortSignal | undefined;
  /** Limit of each attempt of this call, and of each wait the API asks for, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of this call. */
  maxRetries?: number | undefined;
  /** Largest answer body read for this call, in bytes. */
  maxResponseBytes?: number | undefined;
  /** `Idempotency-Key` of a stop. Default: a random UUID, the same for every retry. */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
}

/** A client's configuration, checked once and used by every call. */
export type Config = ReturnType<typeof resolveConfig>;

/** The defaults of the client's options, and of `stopMany`'s concurrency. */
export const DEFAULTS = {
  baseUrl: "https://api.notte.cc",
  // Notte's own SDK waits 60 s too.
  timeoutMs: 60_000,
  maxRetries: 2,
  // An agent status is a few kB; its `steps` list can grow.
  maxResponseBytes: 10 * 1024 * 1024,
  concurrency: 8,
};

/** `[min, max, whole]` of each number option: `setTimeout` fires at once past 2^31 − 1 ms; more than 10 retries is a loop. */
export const RANGES = {
  timeoutMs: [1, 2 ** 31 - 1, false],
  maxRetries: [0, 10, true],
  maxResponseBytes: [1, Number.MAX_SAFE_INTEGER, true],
  concurrency: [1, 64, true],
} satisfies Record<string, [number, number, boolean]>;

/** The per-call options that bound a call. */
export const LIMIT_OPTIONS =
  "signal timeoutMs maxRetries maxResponseBytes".split(" ");
const LOG_NAMES = ["error", "warn", "info", "debug"] as const;
const LOG_LEVELS = ["off", ...LOG_NAMES] as const;
const CLIENT_OPTIONS =
  "apiKey baseUrl timeoutMs maxRetries maxResponseBytes rateLimit fetch headers requestOrigin allowInsecureHttp logger logLevel".split(
    " ",
  );
/** Headers the client sets itself, and the option to use instead. */
const CLIENT_HEADERS = new Map([
  ["authorization", "apiKey"],
  ["accept", ""],
  ["x-notte-sdk-version", ""],
  ["x-notte-request-origin", "requestOrigin"],
  ["idempotency-key", "idempotencyKey"],
]);
type NumberOption = "timeoutMs" | "maxRetries" | "maxResponseBytes";

/** How a check fails: a `NotteConfigError` naming the option in the constructor, a `NotteInvalidRequestError` per call. */
type Fail = (message: string, option?: string) => never;
const failConfig: Fail = (message, option) => {
  throw new NotteConfigError(message, option === undefined ? {} : { option });
};
/** The per-call {@link Fail}. */
export const failRequest: Fail = (message) => {
  throw new NotteInvalidRequestError(message);
};

/**
 * Checks the client's options once and settles every default; the environment
 * is read only for an option not given (unreadable, as on Workers: unset).
 * @throws NotteConfigError naming the option, when one is unknown or unusable
 */
export function resolveConfig(given: unknown, version: string) {
  const options = readOptions(
    given ?? {},
    CLIENT_OPTIONS,
    "NotteClient options",
    failConfig,
  ) as NotteClientOptions;
  const env = (name: string) => attempt(() => globalThis.process?.env?.[name]);
  const {
    apiKey = env("NOTTE_API_KEY"),
    rateLimit = "wait",
    logger,
    logLevel = "off",
    allowInsecureHttp = false,
  } = options;
  if (apiKey === undefined || apiKey === "")
    failConfig("No API key: pass apiKey or set NOTTE_API_KEY", "apiKey");
  // It goes into a header; a stray space or newline is a copy-paste accident. Never echo it.
  if (typeof apiKey !== "string" || !/^[\x21-\x7e]+$/.test(apiKey))
    failConfig("The API key must be printable ASCII without spaces", "apiKey");
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetch !== "function")
    failConfig("No global fetch: pass fetch", "fetch");
  if (rateLimit !== "wait" && rateLimit !== "ignore")
    failConfig('rateLimit must be "wait" or "ignore"', "rateLimit");
  if (!LOG_LEVELS.includes(logLevel))
    failConfig(`logLevel must be one of ${LOG_LEVELS.join(", ")}`, "logLevel");
  const isLogger = (): boolean =>
    isRecord(logger) &&
    LOG_NAMES.every((name) => typeof logger[name] === "function");
  if (logger !== undefined && !attempt(isLogger))
    failConfig("logger needs error, warn, info and debug functions", "logger");
  if (typeof allowInsecureHttp !== "boolean")
    failConfig("allowInsecureHttp must be true or false", "allowInsecureHttp");
  const number = (name: NumberOption): number =>
    checkNumber(options[name] ?? DEFAULTS[name], name, failConfig);
  const limits = {
    timeoutMs: number("timeoutMs"),
    maxRetries: number("maxRetries"),
    maxResponseBytes: number("maxResponseBytes"),
    signal: undefined as AbortSignal | undefined,
    fetch,
  };
  // Messages echo only the base URL's origin, in case the rest holds a secret.
  // An empty variable counts as unset, as shells and .env files leave them.
  const base = options.baseUrl ?? (env("NOTTE_API_URL") || DEFAULTS.baseUrl);
  const url =
    typeof base === "string" && URL.canParse(base) ? new URL(base) : undefined;
  const failUrl: Fail = (message) => failConfig(message, "baseUrl");
  if (!url || !/^https?:$/.test(url.protocol))
    failUrl("baseUrl (or NOTTE_API_URL) must be an absolute http(s) URL");
  if (url.username || url.password || url.search || url.hash)
    failUrl("baseUrl must not hold credentials, a query or a fragment");
  // localhost, 127.0.0.0/8 and [::1]: traffic that never leaves the machine.
  const loopback = /^(.+\.)?localhost$|^\[::1\]$|^127(\.\d{1,3}){3}$/.test(
    url.hostname,
  );
  if (url.protocol === "http:" && !allowInsecureHttp && !loopback) {
    const message = `baseUrl ${url.origin} would send the key unencrypted: use https, or allowInsecureHttp`;
    failConfig(message, "allowInsecureHttp");
  }
  const redactor = new Redactor(apiKey);
  // One function per level let through, none without a logger.
  const log: Partial<NotteLogger> = {};
  const shown = logger ? LOG_LEVELS.indexOf(logLevel) : 0;
  for (const name of LOG_NAMES.slice(0, shown))
    log[name] = (message, details) => {
      const line = redactor.text(`[notte] ${message}`);
      callQuietly(() => logger?.[name](line, redactor.json(details)));
    };
  return {
    baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, "")}`,
    waitForRateLimit: rateLimit === "wait",
    /** Headers of every request, the key's among them. */
    headers: {
      ...checkHeaders(options.headers ?? {}, failConfig),
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
      "x-notte-sdk-version": version,
      "x-notte-request-origin": checkHeaderValue(
        "x-notte-request-origin",
        options.requestOrigin ?? "notte-api-client",
        failConfig,
        "requestOrigin",
      ),
    },
    redactor,
    log,
    /** What a call that passes no options gets: built once. */
    defaults: {
      options: {} as Readonly<Record<string, unknown>>,
      limits,
      headers: {},
    },
  };
}

/**
 * A call's options (`undefined`: none), only the names in `known`, each checked
 * and overriding the client's; `what` names them in messages.
 *
 * @throws NotteInvalidRequestError naming the option, when one is unknown or unusable
 */
export function readCallOptions(
  given: unknown,
  known: readonly string[],
  what: string,
  config: Config,
): Config["defaults"] {
  if (given === undefined) return config.defaults;
  const options = readOptions(given, known, what, failRequest);
  const { limits } = config.defaults;
  const number = (name: NumberOption): number =>
    options[name] === undefined
      ? limits[name]
      : checkNumber(options[name], name, failRequest);
  return {
    options,
    limits: {
      timeoutMs: number("timeoutMs"),
      maxRetries: number("maxRetries"),
      maxResponseBytes: number("maxResponseBytes"),
      signal: checkSignal(options.signal),
      fetch: limits.fetch,
    },
    headers: checkHeaders(options.headers, failRequest),
  };
}

/** The options `known` of an object, each read once, getters included; an unknown name or a throw fails. */
function readOptions(
  value: unknown,
  known: readonly string[],
  what: string,
  fail: Fail,
): Record<string, unknown> {
  if (!isRecord(value)) fail(`${what} must be an object`);
  const read: Record<string, unknown> = {};
  let extra: string | undefined;
  try {
    extra = Object.keys(value).find((name) => !known.includes(name));
    if (extra === undefined)
      for (const name of known) {
        const option = value[name];
        if (option !== undefined) read[name] = option;
      }
  } catch {
    fail(`${what} could not be read`);
  }
  if (extra === undefined) return read;
  const near = closestName(extra, known);
  const hint = near ? ` (did you mean ${near}?)` : "";
  return fail(`${what}: unknown option ${JSON.stringify(extra)}${hint}`, extra);
}

/**
 * The name of `known` that `name` likely meant: the same letters in another
 * case or with `_`/`-`, a part (`timeout`), or at most two letters off.
 */
export function closestName(name: string, known: readonly string[]) {
  const plain = (text: string) => text.toLowerCase().replace(/[-_]/g, "");
  const wanted = plain(name);
  let best: [string | undefined, number] = [undefined, 3];
  for (const candidate of known) {
    const other = plain(candidate);
    const part = wanted.length > 3 && other.includes(wanted);
    const distance = Math.min(editDistance(wanted, other), part ? 1 : 3);
    if (distance < best[1]) best = [candidate, distance];
  }
  return best[0];
}

/** The fewest letters inserted, deleted or replaced to turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      // Every index read is in bounds: `row` has b.length + 1 entries, `next` j.
      next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + change));
    }
    row = next;
  }
  return row[b.length]!;
}

/** `value` when it is a number within the option's range, else a failure naming the range. */
export function checkNumber(
  value: unknown,
  name: keyof typeof RANGES,
  fail: Fail,
): number {
  const [min, max, whole] = RANGES[name];
  const inRange = typeof value === "number" && value >= min && value <= max;
  const kind = whole ? "whole number" : "number";
  if (!inRange || (whole && !Number.isInteger(value)))
    fail(`${name} must be a ${kind} from ${min} to ${max}`, name);
  return value;
}

/** Caller-supplied headers (`undefined`: none), lower-cased: each one `fetch` accepts, none the client sets itself. */
function checkHeaders(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  // A plain object only: a Headers or Map would pass isRecord with no entries.
  const entries = attempt(() =>
    isRecord(value) &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value))
      ? Object.entries(value)
      : undefined,
  );
  if (entries === undefined) fail("headers must be a plain object", "headers");
  // No prototype: a header named `__proto__` stays a header.
  const checked: Record<string, string> = Object.create(null);
  for (const [name, text] of entries) {
    const instead = CLIENT_HEADERS.get(name.toLowerCase());
    if (instead !== undefined)
      fail(
        `header ${JSON.stringify(name)} is set by the client${instead && ` (use ${instead})`}`,
        "headers",
      );
    checked[name.toLowerCase()] = checkHeaderValue(name, text, fail, "headers");
  }
  return checked;
}

/** Whether `fetch` refuses to send a header of this name (undici, some only once the request is under way). */
export function isRefusedByFetch(name: string): boolean {
  return /^(connection|content-length|expect|host|keep-alive|te|trailer|transfer-encoding|upgrade)$/.test(
    name.toLowerCase(),
  );
}

/** The value, when `name: value` can be sent; else a failure naming the header (never its value). */
export function checkHeaderValue(
  name: string,
  value: unknown,
  fail: Fail,
  option: string,
): string {
  if (isRefusedByFetch(name))
    fail(`header ${JSON.stringify(name)} is refused by fetch`, option);
  // The Headers class is the judge of what fetch accepts.
  if (typeof value === "string" && attempt(() => new Headers([[name, value]])))
    return value;
  return fail(`header ${JSON.stringify(name)} is invalid`, option);
}

/** `signal` when it is undefined or shaped like an abort signal (other realms and polyfills pass). */
function checkSignal(signal: unknown): AbortSignal | undefined {
  const shaped = (): boolean =>
    isRecord(signal) &&
    typeof signal.aborted === "boolean" &&
    typeof signal.addEventListener === "function" &&
    typeof signal.removeEventListener === "function";
  if (signal !== undefined && !attempt(shaped))
    failRequest("signal must be an AbortSignal");
  return signal as AbortSignal | undefined;
}

/** Calls a collaborator's function (a logger, a callback) at once; no throw or rejection of it reaches the caller. */
export function callQuietly(call: () => unknown): void {
  // An async function turns a throw into a rejection and adopts a thenable.
  (async () => call())().catch(() => {});
}

/** What `read` returns, or `undefined` when it throws (a getter, a revoked Proxy, a denied environment). */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {}
}
