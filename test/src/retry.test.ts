import { describe, expect, it } from "vitest";
import {
  isRetryableStatus,
  retryDelayMs,
  serverRetryDelayMs,
} from "../../src/retry.js";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const answer = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
});

describe("isRetryableStatus", () => {
  it("retries 408, 409, 429 and every 5xx", () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 529, 599])
      expect(isRetryableStatus(status)).toBe(true);
  });
  it("never retries 400, 401, 403, 404, 422 or a success", () => {
    for (const status of [200, 204, 301, 400, 401, 403, 404, 405, 422])
      expect(isRetryableStatus(status)).toBe(false);
  });
});

describe("retryDelayMs backoff", () => {
  it("doubles from 0.5 s and stops growing at 8 s", () => {
    expect(
      [0, 1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, undefined, 0, NOW)),
    ).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
  it("takes off up to 25 % at random, never adds", () => {
    expect(retryDelayMs(0, undefined, 0.5, NOW)).toBe(437.5);
    expect(retryDelayMs(4, undefined, 0.999_999, NOW)).toBeCloseTo(6000, 0);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(1);
      expect(delay).toBeGreaterThan(750);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });
  it("uses the backoff for an answer that says nothing", () => {
    expect(retryDelayMs(1, answer(503), 0, NOW)).toBe(1000);
  });
});

describe("server-stated waits", () => {
  it("prefers retry-after-ms, then Retry-After seconds", () => {
    expect(
      retryDelayMs(
        0,
        answer(503, { "retry-after-ms": "120", "retry-after": "9" }),
        0,
        NOW,
      ),
    ).toBe(120);
    expect(retryDelayMs(0, answer(503, { "retry-after": "2" }), 0, NOW)).toBe(
      2000,
    );
    expect(
      retryDelayMs(0, answer(503, { "retry-after": "0.25" }), 0, NOW),
    ).toBe(250);
  });
  it("reads Retry-After as an HTTP date", () => {
    const inThreeSeconds = new Date(NOW + 3000).toUTCString();
    expect(
      retryDelayMs(3, answer(429, { "retry-after": inThreeSeconds }), 0, NOW),
    ).toBe(3000);
    const past = new Date(NOW - 5000).toUTCString();
    expect(
      serverRetryDelayMs(429, new Headers({ "retry-after": past }), NOW),
    ).toBe(0);
  });
  it("reads X-RateLimit-Reset for 429 only", () => {
    const reset = String(NOW / 1000 + 4);
    expect(
      retryDelayMs(0, answer(429, { "x-ratelimit-reset": reset }), 0, NOW),
    ).toBe(4000);
    expect(
      retryDelayMs(0, answer(503, { "x-ratelimit-reset": reset }), 0, NOW),
    ).toBe(500);
  });
  it("ignores a wait over 60 s, and nonsense, in favour of the backoff", () => {
    expect(retryDelayMs(0, answer(429, { "retry-after": "61" }), 0, NOW)).toBe(
      500,
    );
    expect(retryDelayMs(0, answer(429, { "retry-after": "60" }), 0, NOW)).toBe(
      60_000,
    );
    expect(
      retryDelayMs(0, answer(503, { "retry-after-ms": "-5" }), 0, NOW),
    ).toBe(500);
    expect(
      retryDelayMs(0, answer(503, { "retry-after": "soon" }), 0, NOW),
    ).toBe(500);
    expect(retryDelayMs(0, answer(503, { "retry-after": "" }), 0, NOW)).toBe(
      500,
    );
    // Date.parse reads "-5" as a date in 2001: that must not mean "retry at once".
    expect(retryDelayMs(0, answer(503, { "retry-after": "-5" }), 0, NOW)).toBe(
      500,
    );
  });
  it("reports the stated wait however long it is", () => {
    expect(
      serverRetryDelayMs(429, new Headers({ "retry-after": "3600" }), NOW),
    ).toBe(3_600_000);
    expect(serverRetryDelayMs(429, new Headers(), NOW)).toBeUndefined();
  });
});
