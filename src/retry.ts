/**
 * The retry policy, as pure functions: which answers are worth another attempt,
 * and how long to wait before it. No timers and no network here, so every rule
 * is tested directly.
 */

/** First backoff step, before jitter. */
const INITIAL_RETRY_DELAY_MS = 500;
/** Backoff never grows past this. */
const MAX_RETRY_DELAY_MS = 8_000;
/** A server-stated wait longer than this is ignored in favour of the backoff. */
export const MAX_SERVER_DELAY_MS = 60_000;
/** Up to this share of the backoff is taken off at random, so clients spread out. */
const JITTER_SHARE = 0.25;

/**
 * Whether an answer with this status is worth another attempt: 408, 409, 429
 * and every 5xx (529 included). 400, 401, 403, 404 and 422 will not change by
 * asking again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The wait the answer asks for in so many words, in milliseconds, or
 * `undefined` when it does not: `retry-after-ms`, then `Retry-After` (seconds
 * or an HTTP date).
 *
 * @param headers - the answer's headers
 * @param nowMs - the current time, `Date.now()`, passed in to keep this pure
 */
export function statedRetryDelayMs(
  headers: Headers,
  nowMs: number,
): number | undefined {
  const retryAfterMs = parseNonNegativeNumber(headers.get("retry-after-ms"));
  if (retryAfterMs !== undefined) return retryAfterMs;
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const seconds = parseNonNegativeNumber(retryAfter);
  if (seconds !== undefined) return seconds * 1000;
  // An HTTP date names its day ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse
  // alone would also take "-5" for a date in 2001.
  const dateMs = /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) : NaN;
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

/**
 * When the rate-limit window resets (`X-RateLimit-Reset`, Unix seconds, maybe
 * fractional), as a time in milliseconds, or `undefined` when the header is
 * absent or implausible: at or before now (clock skew, or a count of seconds
 * rather than a time) or more than 60 s ahead.
 */
export function rateLimitResetMs(
  headers: Headers,
  nowMs: number,
): number | undefined {
  const seconds = parseNonNegativeNumber(headers.get("x-ratelimit-reset"));
  const resetMs = seconds === undefined ? NaN : seconds * 1000;
  return resetMs > nowMs && resetMs <= nowMs + MAX_SERVER_DELAY_MS
    ? resetMs
    : undefined;
}

/**
 * How long the server asked the client to wait, in milliseconds, or `undefined`
 * when it did not say: the stated wait ({@link statedRetryDelayMs}), then, for
 * 429 only, the time until a plausible `X-RateLimit-Reset`.
 *
 * @param status - the answer's status
 * @param headers - the answer's headers
 * @param nowMs - the current time, `Date.now()`, passed in to keep this pure
 */
export function serverRetryDelayMs(
  status: number,
  headers: Headers,
  nowMs: number,
): number | undefined {
  const stated = statedRetryDelayMs(headers, nowMs);
  if (stated !== undefined || status !== 429) return stated;
  const resetMs = rateLimitResetMs(headers, nowMs);
  return resetMs === undefined ? undefined : resetMs - nowMs;
}

/**
 * The wait before retry number `retryIndex` (0 for the first retry).
 *
 * A stated wait (`retry-after-ms`, `Retry-After`) wins when it is within 60 s.
 * Otherwise the backoff, `min(0.5 s · 2^n, 8 s)` less up to 25 % at random,
 * or for a 429 the time until a plausible `X-RateLimit-Reset` when that is
 * longer: a reset alone never makes a retry come sooner than the backoff.
 *
 * @param retryIndex - 0 before the first retry, 1 before the second, …
 * @param answer - the failed attempt's status and headers; omit after a connection error or timeout
 * @param random - a number in [0, 1), `Math.random()` unless a test fixes it
 * @param nowMs - the current time, `Date.now()` unless a test fixes it
 */
export function retryDelayMs(
  retryIndex: number,
  answer?: { status: number; headers: Headers },
  random: number = Math.random(),
  nowMs: number = Date.now(),
): number {
  const stated = answer && statedRetryDelayMs(answer.headers, nowMs);
  if (stated !== undefined && stated <= MAX_SERVER_DELAY_MS) return stated;
  const backoff =
    Math.min(INITIAL_RETRY_DELAY_MS * 2 ** retryIndex, MAX_RETRY_DELAY_MS) *
    (1 - JITTER_SHARE * random);
  const resetMs =
    answer?.status === 429
      ? rateLimitResetMs(answer.headers, nowMs)
      : undefined;
  return resetMs === undefined ? backoff : Math.max(backoff, resetMs - nowMs);
}

function parseNonNegativeNumber(text: string | null): number | undefined {
  if (text === null || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
