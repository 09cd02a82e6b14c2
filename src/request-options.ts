import {
  checkMaxResponseBytes,
  checkMaxRetries,
  checkTimeoutMs,
  type ClientConfig,
} from "./config.js";
import { NotteInvalidRequestError } from "./errors.js";
import { checkHeaders, checkHeaderValue } from "./headers.js";
import { isRecord } from "./values.js";
import type { CallLimits } from "./send.js";

/** Options of one call; each overrides the client's setting for that call only. */
export interface RequestOptions {
  /** Cancels the whole call (every attempt and every wait between them); no retry follows. */
  signal?: AbortSignal | undefined;
  /** Limit for each attempt of this call, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of this call. */
  maxRetries?: number | undefined;
  /** Largest answer body read for this call, in bytes. */
  maxResponseBytes?: number | undefined;
  /** `Idempotency-Key` for this call (default: a random UUID, the same across retries). */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
}

/** The client's limits, for a call that sets none of its own. */
export function defaultLimits(config: ClientConfig): CallLimits {
  return {
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    maxResponseBytes: config.maxResponseBytes,
    signal: undefined,
    fetch: config.fetch,
  };
}

/** The options of a call that override the client's limits. */
type LimitOptions = Pick<
  RequestOptions,
  "signal" | "timeoutMs" | "maxRetries" | "maxResponseBytes"
>;

/**
 * The call's limit options, each checked (`undefined` where not given): the
 * one check for `agents.stop`, `raw` and `agents.stopMany`.
 *
 * @throws NotteInvalidRequestError when an option is unusable
 */
export function checkLimitOptions(options: LimitOptions): LimitOptions {
  const { signal, timeoutMs, maxRetries, maxResponseBytes } = options;
  const ErrorType = NotteInvalidRequestError;
  return {
    signal: checkSignal(signal),
    timeoutMs:
      timeoutMs === undefined
        ? undefined
        : checkTimeoutMs(timeoutMs, ErrorType),
    maxRetries:
      maxRetries === undefined
        ? undefined
        : checkMaxRetries(maxRetries, ErrorType),
    maxResponseBytes:
      maxResponseBytes === undefined
        ? undefined
        : checkMaxResponseBytes(maxResponseBytes, ErrorType),
  };
}

/**
 * The call's limits: the client's, overridden by the call's options, each
 * checked.
 *
 * @throws NotteInvalidRequestError when an option is unusable
 */
export function callLimits(
  options: LimitOptions,
  config: ClientConfig,
): CallLimits {
  if (!isRecord(options))
    throw new NotteInvalidRequestError("request options must be an object");
  const checked = checkLimitOptions(options);
  return {
    timeoutMs: checked.timeoutMs ?? config.timeoutMs,
    maxRetries: checked.maxRetries ?? config.maxRetries,
    maxResponseBytes: checked.maxResponseBytes ?? config.maxResponseBytes,
    signal: checked.signal,
    fetch: config.fetch,
  };
}

/**
 * The call's own headers: its `Idempotency-Key` (the option, or a random
 * UUID that every retry repeats, so a DELETE retried after a lost answer does
 * not act twice) and the `headers` option, checked.
 *
 * @throws NotteInvalidRequestError when a header or the key is unusable
 */
export function callHeaders(
  options: RequestOptions | undefined,
): Record<string, string> {
  const idempotencyKey = options?.idempotencyKey;
  if (idempotencyKey === "")
    throw new NotteInvalidRequestError("idempotencyKey must not be empty");
  return {
    ...(options?.headers !== undefined &&
      checkHeaders(options.headers, NotteInvalidRequestError)),
    "idempotency-key":
      idempotencyKey === undefined
        ? crypto.randomUUID()
        : checkHeaderValue(
            "idempotency-key",
            idempotencyKey,
            NotteInvalidRequestError,
          ),
  };
}

/**
 * `signal` when it is undefined or an abort signal, else a
 * {@link NotteInvalidRequestError}. By its shape, not `instanceof`: signals
 * from polyfills or other realms are fine.
 */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  let usable = signal === undefined;
  try {
    usable ||=
      isRecord(signal) &&
      typeof signal.aborted === "boolean" &&
      typeof signal.addEventListener === "function" &&
      typeof signal.removeEventListener === "function";
  } catch {
    // A Proxy or getter that throws.
  }
  if (!usable) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal");
  }
  return signal as AbortSignal | undefined;
}
