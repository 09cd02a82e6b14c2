/**
 * The test server's rate limit: one fixed window per key, as the Notte API counts, and the
 * `X-RateLimit-*` headers it puts on every answer. Pure state and arithmetic; the caller
 * passes the time in.
 *
 * @packageDocumentation
 */

import type { NotteTestRateLimit } from "./types.js";

/** The `X-RateLimit-*` values of one answer, and whether the request is over the limit. */
export interface RateHeaders {
  readonly limited: boolean;
  readonly limit: string;
  readonly remaining: string;
  /** Unix seconds, possibly fractional, when the window ends. */
  readonly reset: string;
  /** Milliseconds until the window ends (at least 1). */
  readonly retryAfterMs: number;
}

/** The `X-RateLimit-*` headers, to spread into an answer's headers. */
export function rateLimitHeaders(rate: RateHeaders): Record<string, string> {
  return {
    "X-RateLimit-Limit": rate.limit,
    "X-RateLimit-Remaining": rate.remaining,
    "X-RateLimit-Reset": rate.reset,
  };
}

interface Window {
  end: number;
  count: number;
}

/** Rate limit used when {@link NotteTestServerOptions.rateLimit} is not given. */
export const DEFAULT_TEST_RATE_LIMIT: Readonly<NotteTestRateLimit> =
  Object.freeze({
    // A one-second window with a limit no local client on a few cores can reach, so the
    // headers are realistic without a benchmark ever running into 429.
    limit: 100_000,
    windowMs: 1000,
  });

/** The rate limit as given, checked, or a RangeError naming what is wrong. */
export function checkRateLimit(
  rateLimit: NotteTestRateLimit,
): NotteTestRateLimit {
  if (typeof rateLimit !== "object" || rateLimit === null) {
    throw new TypeError("rateLimit must be { limit, windowMs }");
  }
  if (!Number.isSafeInteger(rateLimit.limit) || rateLimit.limit < 0) {
    throw new RangeError("rateLimit.limit must be a non-negative integer");
  }
  if (!(rateLimit.windowMs > 0) || !Number.isFinite(rateLimit.windowMs)) {
    const replaced =
      "windowSeconds" in rateLimit
        ? " (windowSeconds was replaced by windowMs)"
        : "";
    throw new RangeError(
      `rateLimit.windowMs must be a positive number of milliseconds${replaced}`,
    );
  }
  return { limit: rateLimit.limit, windowMs: rateLimit.windowMs };
}

// Keys are whatever clients present; past this many, expired windows are dropped so a test
// that sends many wrong keys cannot grow the map without bound.
const MAX_IDLE_WINDOWS = 1024;

/** Fixed windows, one per key, each starting at the key's first request. */
export class RateLimitWindows {
  readonly #limit: number;
  readonly #limitText: string;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

  constructor(rateLimit: NotteTestRateLimit) {
    this.#limit = rateLimit.limit;
    this.#limitText = String(rateLimit.limit);
    this.#windowMs = rateLimit.windowMs;
  }

  /** The requests allowed per window. */
  get limit(): number {
    return this.#limit;
  }

  /** Counts one request of `key` at `now` (ms since the epoch) and returns its headers. */
  count(key: string, now: number): RateHeaders {
    let window = this.#windows.get(key);
    if (window === undefined || now >= window.end) {
      if (window === undefined && this.#windows.size >= MAX_IDLE_WINDOWS)
        this.#dropExpired(now);
      window = { end: now + this.#windowMs, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    const limited = window.count > this.#limit;
    return {
      limited,
      limit: this.#limitText,
      remaining: limited ? "0" : String(this.#limit - window.count),
      // Milliseconds are whole, so this has at most three decimals.
      reset: String(window.end / 1000),
      retryAfterMs: Math.max(1, Math.ceil(window.end - now)),
    };
  }

  /** Forgets every window. */
  reset(): void {
    this.#windows.clear();
  }

  #dropExpired(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now >= window.end) this.#windows.delete(key);
    }
  }
}
