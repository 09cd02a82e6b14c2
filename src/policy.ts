/**
 * What the client does between answers, as pure logic: which answers are
 * worth another attempt, how long to wait before it, and the rate-limit window
 * the API describes. No timers and no network (time is passed in), so every
 * rule is tested directly.
 */

// A reset or a 429's wait further ahead than this is not believed for the
// whole client (a clock far off, a count of seconds, a hostile server).
const MAX_WINDOW_MS = 60_000;

/** What the policy reads of an answer. */
export interface AnswerHead {
  readonly status: number;
  readonly headers: Headers;
}

/**
 * Whether an answer with this status is worth another attempt: 408, 409, 429
 * and 500–599. 400, 401, 403, 404, 422 and statuses outside HTTP's range will
 * not change by asking again.
 */
export function isRetryableStatus(status: number): boolean {
  return [408, 409, 429].includes(status) || (status >= 500 && status < 600);
}

/**
 * How long the answer asks the client to wait, in milliseconds, or
 * `undefined` when it does not say: `retry-after-ms`, then `Retry-After`
 * (seconds or an HTTP date), then, for a 429, until a plausible
 * `X-RateLimit-Reset`.
 */
export function serverDelayMs(
  answer: AnswerHead,
  nowMs: number,
): number | undefined {
  const { status, headers } = answer;
  return (
    statedDelayMs(headers, nowMs) ??
    (status === 429 ? untilResetMs(headers, nowMs) : undefined)
  );
}

/**
 * The wait before retry number `retryIndex` (0 for the first): a wait the
 * answer states (`retry-after-ms`, `Retry-After`) as it is, else the backoff,
 * `min(0.5 s · 2^n, 8 s)` less up to 25 % at random, lengthened for a 429 to
 * a plausible `X-RateLimit-Reset`. `stated` says whether the wait is the
 * server's: the attempt loop starts such a wait only within the call's timeout.
 *
 * @param answer - the refused answer; none after a connection error or timeout
 * @param random - in [0, 1): `Math.random()` unless a test fixes it
 */
export function retryDelay(
  retryIndex: number,
  answer?: AnswerHead,
  random = Math.random(),
  nowMs = Date.now(),
): { ms: number; stated: boolean } {
  const stated = answer && statedDelayMs(answer.headers, nowMs);
  if (stated !== undefined) return { ms: stated, stated: true };
  const backoff = Math.min(500 * 2 ** retryIndex, 8_000) * (1 - 0.25 * random);
  const reset =
    answer?.status === 429 ? untilResetMs(answer.headers, nowMs) : undefined;
  return reset !== undefined && reset > backoff
    ? { ms: reset, stated: true }
    : { ms: backoff, stated: false };
}

/**
 * The rate-limit window of one client, shared by its calls. It believes the
 * server's latest word: an answer's `X-RateLimit-Remaining`, with a plausible
 * `X-RateLimit-Reset`, is the allowance until that reset, less the attempts
 * still in flight (with none, exactly what the answer said). It holds an
 * attempt back until the reset only when the API said none remain, and until
 * a 429's stated wait (60 s at most). When the allowance is used up by
 * attempts in flight, or by a fresh window after a reset (which allows
 * `X-RateLimit-Limit`), the next attempt waits for their answers rather than
 * guess. An answer that says nothing of the window, while no reset is known,
 * makes it unknown again; knowing nothing, it holds nothing back.
 */
export class RateWindow {
  #allowance = Infinity;
  /** When {@link #allowance} stops being true; 0 when unknown. */
  #resetAtMs = 0;
  #blockedUntilMs = 0;
  #limit = Infinity;
  /** The latest answer said none remain. */
  #spent = false;
  #inFlight = 0;
  #changed: Promise<void> | undefined;
  #change: (() => void) | undefined;
  /** The headers of the answer that last closed the window, for the error of a wait too long. */
  closedBy: Headers = new Headers();

  /**
   * How long the window stays closed: 0 when an attempt may go now, the
   * milliseconds until the API said it reopens, or `Infinity` while it waits
   * for an answer in flight.
   */
  closedFor(nowMs: number): number {
    if (nowMs < this.#blockedUntilMs) return this.#blockedUntilMs - nowMs;
    if (this.#resetAtMs !== 0 && nowMs >= this.#resetAtMs) {
      this.#allowance = this.#limit;
      this.#resetAtMs = 0;
      this.#spent = false;
    }
    if (this.#allowance >= 1) return 0;
    // Closed by the API's word until the reset; else by the attempts in flight, whose answers will tell.
    if (this.#spent && this.#resetAtMs !== 0) return this.#resetAtMs - nowMs;
    return this.#inFlight > 0 ? Infinity : 0;
  }

  /**
   * {@link closedFor}, and when it is 0 (or `force`), the attempt is counted
   * as sent: {@link settled} must follow it.
   */
  wait(nowMs: number, force = false): number {
    const closed = force ? 0 : this.closedFor(nowMs);
    if (closed === 0) {
      this.#allowance--;
      this.#inFlight++;
    }
    return closed;
  }

  /** Settles at the next {@link settled}: waits end early when the window may have changed. */
  changed(): Promise<void> {
    return (this.#changed ??= new Promise(
      (resolve) => (this.#change = resolve),
    ));
  }

  /** Records what an attempt counted by {@link wait} learned: its answer, or `undefined` for none. */
  settled(answer: AnswerHead | undefined, nowMs: number): void {
    this.#inFlight--;
    this.#change?.();
    this.#changed = this.#change = undefined;
    if (!answer) return;
    const { status, headers } = answer;
    const stated = status === 429 ? statedDelayMs(headers, nowMs) : undefined;
    if (stated !== undefined) {
      const until = nowMs + Math.min(stated, MAX_WINDOW_MS);
      this.#blockedUntilMs = Math.max(this.#blockedUntilMs, until);
      this.closedBy = headers;
    }
    const remaining = headerNumber(headers, "x-ratelimit-remaining");
    const resetAtMs = rateLimitResetMs(headers, nowMs);
    if (remaining === undefined || resetAtMs === undefined) {
      // A guess at a fresh window that no answer confirms is dropped.
      if (this.#resetAtMs === 0) this.#allowance = Infinity;
      return;
    }
    const limit = headerNumber(headers, "x-ratelimit-limit");
    if (limit !== undefined && limit >= remaining) this.#limit = limit;
    this.#allowance = remaining - this.#inFlight;
    this.#resetAtMs = resetAtMs;
    this.#spent = remaining < 1;
    if (this.#spent) this.closedBy = headers;
  }
}

/** The wait `retry-after-ms` or `Retry-After` (seconds, or an HTTP date) states, in milliseconds. */
function statedDelayMs(headers: Headers, nowMs: number): number | undefined {
  const ms = headerNumber(headers, "retry-after-ms");
  if (ms !== undefined) return ms;
  const seconds = headerNumber(headers, "retry-after");
  if (seconds !== undefined) return seconds * 1000;
  const date = headers.get("retry-after") ?? "";
  // An HTTP date ends in GMT ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone takes "-5" or "a 5".
  const dateMs = / GMT$/.test(date) ? Date.parse(date) : NaN;
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

function untilResetMs(headers: Headers, nowMs: number): number | undefined {
  const resetMs = rateLimitResetMs(headers, nowMs);
  return resetMs === undefined ? undefined : resetMs - nowMs;
}

/** `X-RateLimit-Reset` (Unix seconds) in milliseconds, when after now and at most 60 s ahead. */
function rateLimitResetMs(headers: Headers, nowMs: number): number | undefined {
  const resetMs = (headerNumber(headers, "x-ratelimit-reset") ?? NaN) * 1000;
  return resetMs > nowMs && resetMs <= nowMs + MAX_WINDOW_MS
    ? resetMs
    : undefined;
}

/** A header holding a plain decimal number (not `0x10`, `1e3` or `-5`), else `undefined`. */
function headerNumber(headers: Headers, name: string): number | undefined {
  const text = headers.get(name)?.trim();
  return text && /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
}
