import {
  MAX_SERVER_DELAY_MS,
  rateLimitResetMs,
  statedRetryDelayMs,
} from "./retry.js";

/**
 * The rate-limit window of one client, as the API last described it, shared
 * by every call of that client. It answers one question before each attempt:
 * how long to wait before sending, so that a batch asks once per window
 * instead of being refused with a 429 by every call.
 *
 * What it knows comes from the answers: `X-RateLimit-Remaining` with a
 * plausible `X-RateLimit-Reset` allows that many more attempts (less those
 * already in flight) until the reset; a 429 with a stated wait of at most
 * 60 s allows none until then. Knowing nothing, it lets everything through.
 */
export class RateWindow {
  /** Attempts that may still be sent before {@link #resetAtMs}. */
  #allowance = Infinity;
  /** When the allowance stops being true: the window's reset; 0 when unknown. */
  #resetAtMs = 0;
  /** Nothing is sent before this (a 429's stated wait). */
  #blockedUntilMs = 0;
  /** `X-RateLimit-Limit`: the allowance of a fresh window, when known. */
  #limit = Infinity;
  #inFlight = 0;
  /** Resolves at the next {@link settled}, for attempts waiting to learn a new window. */
  #nextAnswer: Promise<void> | undefined;
  #answered: (() => void) | undefined;

  /**
   * What an attempt must wait for before it is sent: milliseconds, the next
   * answer of another attempt (a promise: a new window whose size is spent
   * and whose reset is not known yet), or nothing (0): then the attempt is
   * counted as sent, and {@link settled} must follow it.
   */
  wait(nowMs: number): number | Promise<void> {
    if (nowMs < this.#blockedUntilMs) return this.#blockedUntilMs - nowMs;
    if (this.#resetAtMs !== 0 && nowMs >= this.#resetAtMs) {
      // A new window, whose reset the next answer will tell: until then it
      // allows what the last answer said a window allows.
      this.#allowance = this.#limit;
      this.#resetAtMs = 0;
    }
    if (this.#allowance < 1) {
      if (this.#resetAtMs !== 0) return this.#resetAtMs - nowMs;
      // The answers of those in flight will tell the new reset; with none in
      // flight there is nothing to learn from but sending.
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

  /**
   * Records what an attempt counted by {@link wait} learned: its answer's
   * headers, or nothing when it got no answer.
   */
  settled(
    answer: { status: number; headers: Headers } | undefined,
    nowMs: number,
  ): void {
    this.#inFlight--;
    this.#answered?.();
    this.#nextAnswer = this.#answered = undefined;
    if (answer === undefined) return;
    const { status, headers } = answer;
    if (status === 429) {
      const stated = statedRetryDelayMs(headers, nowMs);
      if (stated !== undefined && stated <= MAX_SERVER_DELAY_MS) {
        this.#blockedUntilMs = Math.max(this.#blockedUntilMs, nowMs + stated);
      }
    }
    const remaining = headerNumber(headers, "x-ratelimit-remaining");
    const resetAtMs = rateLimitResetMs(headers, nowMs);
    if (!(remaining >= 0) || resetAtMs === undefined) return;
    const limit = headerNumber(headers, "x-ratelimit-limit");
    if (limit >= remaining) this.#limit = limit;
    // Attempts still in flight may each use one of the remaining requests.
    const allowance = remaining - this.#inFlight;
    // The same window (or an older answer arriving late): the lower count is the truer one.
    this.#allowance =
      resetAtMs > this.#resetAtMs
        ? allowance
        : Math.min(this.#allowance, allowance);
    this.#resetAtMs = Math.max(this.#resetAtMs, resetAtMs);
  }
}

// NaN when absent or empty (Number("") would be 0).
function headerNumber(headers: Headers, name: string): number {
  const text = headers.get(name);
  return text ? Number(text) : NaN;
}
