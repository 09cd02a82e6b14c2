/**
 * The test server's rate limit: one fixed window per key, as the Notte API counts. Pure state
 * and arithmetic; the caller passes the time in.
 *
 * @packageDocumentation
 */

import type { RateHeaders } from "./http.js";
import type { NotteTestRateLimit } from "./types.js";

interface Window {
  end: number;
  count: number;
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
