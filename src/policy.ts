/**
 * What the client does between answers, as pure logic: which answers are
 * worth another attempt, how long to wait before it, and the rate-limit window
 * the API describes. No timers and no network here (time is passed in), so
 * every rule is tested directly.
 */

const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** Up to this share of the backoff is taken off at random, so clients spread out. */
const JITTER_SHARE = 0.25;
/** A reset further ahead than this is not believed (a clock far off, or a count of seconds). */
const MAX_PLAUSIBLE_RESET_MS = 60_000;

/** What the policy reads of an answer. */
export interface AnswerHead {
  readonly status: number;
  readonly headers: Headers;
}

/**
 * Whether an answer with this status is worth another attempt: 408, 409, 429
 * and 500–599 (529 included). 400, 401, 403, 404, 422 and statuses outside
 * HTTP's range will not change by asking again.
 */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 ||
    status === 409 ||
    status === 429 ||
    (status >= 500 && status <= 599)
  );
}

/**
 * How long the answer asks the client to wait, in milliseconds, or
 * `undefined` when it does not say: `retry-after-ms`, then `Retry-After`
 * (seconds or an HTTP date), then, for a 429 only, the time until a plausible
 * `X-RateLimit-Reset`.
 *
 * @param nowMs - the current time (`Date.now()`), passed in to keep this pure
 */
export function serverDelayMs(
  answer: AnswerHead,
  nowMs: number,
): number | undefined {
  return (
    statedDelayMs(answer.headers, nowMs) ??
    (answer.status === 429 ? untilResetMs(answer.headers, nowMs) : undefined)
  );
}

/**
 * The wait before retry number `retryIndex` (0 for the first retry). A wait
 * the answer states (`retry-after-ms`, `Retry-After`) is taken as it is.
 * Otherwise the backoff, `min(0.5 s · 2^n, 8 s)` less up to 25 % at random,
 * lengthened for a 429 to a plausible `X-RateLimit-Reset` (never shortened).
 * `stated` says whether the wait is the server's: the attempt loop starts
 * such a wait only when it fits the call's timeout.
 *
 * @param answer - the refused answer; omit after a connection error or timeout
 * @param random - a number in [0, 1), `Math.random()` unless a test fixes it
 * @param nowMs - the current time, `Date.now()` unless a test fixes it
 */
export function retryDelay(
  retryIndex: number,
  answer?: AnswerHead,
  random: number = Math.random(),
  nowMs: number = Date.now(),
): { ms: number; stated: boolean } {
  const stated = answer && statedDelayMs(answer.headers, nowMs);
  if (stated !== undefined) return { ms: stated, stated: true };
  const backoff =
    Math.min(INITIAL_BACKOFF_MS * 2 ** retryIndex, MAX_BACKOFF_MS) *
    (1 - JITTER_SHARE * random);
  const untilReset =
    answer?.status === 429 ? untilResetMs(answer.headers, nowMs) : undefined;
  return untilReset !== undefined && untilReset > backoff
    ? { ms: untilReset, stated: true }
    : { ms: backoff, stated: false };
}

/**
 * The rate-limit window of one client, as the API last described it, shared
 * by every call of that client: before each attempt it says whether to send
 * now or how long the API asked to hold off.
 *
 * It believes the server's latest word. An answer's `X-RateLimit-Remaining`
 * (with a plausible `X-RateLimit-Reset`) is the allowance until that reset,
 * less the attempts still in flight (they may each use one); with nothing in
 * flight, exactly what the answer said. An attempt is held back only when that
 * allowance is spent (until the reset), or a 429 stated a wait (until then).
 * After a reset, a fresh window allows `X-RateLimit-Limit` attempts until an
 * answer describes it; with that spent and attempts in flight, the next one
 * waits for their answers rather than guess. Knowing nothing, it holds
 * nothing back.
 */
export class RateWindow {
  #allowance = Infinity;
  /** When {@link #allowance} stops being true; 0 when unknown. */
  #resetAtMs = 0;
  /** Nothing is sent before this: a 429's stated wait. */
  #blockedUntilMs = 0;
  /** `X-RateLimit-Limit`: the allowance of a fresh window. */
  #limit = Infinity;
  #inFlight = 0;
  #nextAnswer: Promise<void> | undefined;
  #answered: (() => void) | undefined;
  /** The headers of the answer that last closed the window, for the error of a wait too long. */
  closedBy: Headers | undefined;

  /**
   * What an attempt must wait for before it is sent: milliseconds until the
   * window opens, the next answer of an attempt in flight (a promise), or
   * nothing (0): then the attempt is counted as sent, and {@link settled}
   * must follow it. `send: true` counts it as sent whatever the window says.
   */
  wait(nowMs: number, send = false): number | Promise<void> {
    if (send) this.#allowance = Math.max(this.#allowance, 1);
    else if (nowMs < this.#blockedUntilMs) return this.#blockedUntilMs - nowMs;
    if (this.#resetAtMs !== 0 && nowMs >= this.#resetAtMs) {
      this.#allowance = this.#limit;
      this.#resetAtMs = 0;
    }
    if (this.#allowance < 1) {
      if (this.#resetAtMs !== 0) return this.#resetAtMs - nowMs;
      if (this.#inFlight > 0) {
        return (this.#nextAnswer ??= new Promise(
          (resolve) => (this.#answered = resolve),
        ));
      }
    }
    this.#allowance--;
    this.#inFlight++;
    return 0;
  }

  /** Records what an attempt counted by {@link wait} learned: its answer, or `undefined` for none. */
  settled(answer: AnswerHead | undefined, nowMs: number): void {
    this.#inFlight--;
    this.#answered?.();
    this.#nextAnswer = this.#answered = undefined;
    if (answer === undefined) return;
    const { status, headers } = answer;
    if (status === 429) {
      const stated = statedDelayMs(headers, nowMs);
      if (stated !== undefined) {
        this.#blockedUntilMs = Math.max(this.#blockedUntilMs, nowMs + stated);
        this.closedBy = headers;
      }
    }
    const remaining = headerNumber(headers, "x-ratelimit-remaining");
    const resetAtMs = rateLimitResetMs(headers, nowMs);
    if (remaining === undefined || resetAtMs === undefined) return;
    const limit = headerNumber(headers, "x-ratelimit-limit");
    if (limit !== undefined && limit >= remaining) this.#limit = limit;
    this.#allowance = remaining - this.#inFlight;
    this.#resetAtMs = resetAtMs;
    if (this.#allowance < 1) this.closedBy = headers;
  }
}

/** The wait `retry-after-ms` or `Retry-After` (seconds or an HTTP date) states, in milliseconds. */
function statedDelayMs(headers: Headers, nowMs: number): number | undefined {
  const retryAfterMs = headerNumber(headers, "retry-after-ms");
  if (retryAfterMs !== undefined) return retryAfterMs;
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const seconds = headerNumber(headers, "retry-after");
  if (seconds !== undefined) return seconds * 1000;
  // An HTTP date names its day ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse
  // alone would also take "-5" for a date in 2001.
  const dateMs = /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) : NaN;
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

/** Milliseconds until a plausible `X-RateLimit-Reset`, else `undefined`. */
function untilResetMs(headers: Headers, nowMs: number): number | undefined {
  const resetMs = rateLimitResetMs(headers, nowMs);
  return resetMs === undefined ? undefined : resetMs - nowMs;
}

/**
 * `X-RateLimit-Reset` (Unix seconds, maybe fractional) as a time in
 * milliseconds, or `undefined` when absent or implausible: at or before now,
 * or more than 60 s ahead.
 */
function rateLimitResetMs(headers: Headers, nowMs: number): number | undefined {
  const seconds = headerNumber(headers, "x-ratelimit-reset");
  const resetMs = seconds === undefined ? NaN : seconds * 1000;
  return resetMs > nowMs && resetMs <= nowMs + MAX_PLAUSIBLE_RESET_MS
    ? resetMs
    : undefined;
}

/** A header holding a finite number ≥ 0, else `undefined` (absent, empty, negative, not a number). */
function headerNumber(headers: Headers, name: string): number | undefined {
  const text = headers.get(name);
  if (text === null || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
