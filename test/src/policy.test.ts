/**
 * The retry policy and the rate-limit window as pure logic: no timers, no network.
 */
import { describe, expect, it } from "vitest";
import {
  isRetryableStatus,
  RateWindow,
  retryDelay,
  serverDelayMs,
} from "../../src/policy.js";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const answer = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
});
const ms = (retry: number, head?: ReturnType<typeof answer>, random = 0) =>
  retryDelay(retry, head, random, NOW).ms;

describe("isRetryableStatus", () => {
  it("retries 408, 409, 429 and 500 to 599", () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 529, 599])
      expect(isRetryableStatus(status)).toBe(true);
  });
  it("never retries 400, 401, 403, 404, 422, a success, or a status outside HTTP's range", () => {
    for (const status of [
      200, 204, 301, 400, 401, 403, 404, 405, 422, 600, 999,
    ])
      expect(isRetryableStatus(status)).toBe(false);
  });
});

describe("retryDelay backoff", () => {
  it("doubles from 0.5 s and stops growing at 8 s", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => ms(n))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(retryDelay(0, undefined, 0, NOW).stated).toBe(false);
  });
  it("takes off up to 25 % at random, never adds", () => {
    expect(ms(0, undefined, 0.5)).toBe(437.5);
    expect(ms(4, undefined, 0.999_999)).toBeCloseTo(6000, 0);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelay(1).ms;
      expect(delay).toBeGreaterThan(750);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });
  it("uses the backoff for an answer that says nothing", () => {
    expect(ms(1, answer(503))).toBe(1000);
  });
});

describe("server-stated waits", () => {
  it("prefers retry-after-ms, then Retry-After seconds, and says the wait is the server's", () => {
    const both = answer(503, { "retry-after-ms": "120", "retry-after": "9" });
    expect(retryDelay(0, both, 0, NOW)).toEqual({ ms: 120, stated: true });
    expect(ms(0, answer(503, { "retry-after": "2" }))).toBe(2000);
    expect(ms(0, answer(503, { "retry-after": "0.25" }))).toBe(250);
  });
  it("reads Retry-After as an HTTP date", () => {
    const inThreeSeconds = new Date(NOW + 3000).toUTCString();
    expect(ms(3, answer(429, { "retry-after": inThreeSeconds }))).toBe(3000);
    const past = new Date(NOW - 5000).toUTCString();
    expect(serverDelayMs(answer(429, { "retry-after": past }), NOW)).toBe(0);
  });
  it("reads X-RateLimit-Reset for 429 only, and only to lengthen the backoff", () => {
    const reset = String(NOW / 1000 + 4);
    expect(
      retryDelay(0, answer(429, { "x-ratelimit-reset": reset }), 0, NOW),
    ).toEqual({
      ms: 4000,
      stated: true,
    });
    expect(ms(0, answer(503, { "x-ratelimit-reset": reset }))).toBe(500);
    const soon = String(NOW / 1000 + 0.1);
    expect(
      retryDelay(0, answer(429, { "x-ratelimit-reset": soon }), 0, NOW),
    ).toEqual({
      ms: 500,
      stated: false,
    });
  });
  it("keeps a stated wait however long (the attempt loop decides), and ignores nonsense", () => {
    expect(retryDelay(0, answer(429, { "retry-after": "61" }), 0, NOW)).toEqual(
      {
        ms: 61_000,
        stated: true,
      },
    );
    for (const value of ["-5", "soon", ""]) {
      expect(ms(0, answer(503, { "retry-after": value }))).toBe(500);
    }
    expect(ms(0, answer(503, { "retry-after-ms": "-5" }))).toBe(500);
    expect(serverDelayMs(answer(429, { "retry-after": "3600" }), NOW)).toBe(
      3_600_000,
    );
    expect(serverDelayMs(answer(429), NOW)).toBeUndefined();
  });
});

describe("RateWindow", () => {
  const rate = (remaining: number, resetInS = 60, limit = 100) =>
    answer(200, {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(NOW / 1000 + resetInS),
    });
  /** Sends one attempt through `window` and settles it with `head`; returns the wait it got. */
  const attempt = (window: RateWindow, head = rate(99), now = NOW) => {
    const wait = window.wait(now);
    if (wait === 0) window.settled(head, now);
    return wait;
  };

  it("holds nothing back while it knows nothing", () => {
    const window = new RateWindow();
    for (let i = 0; i < 1000; i++) expect(window.wait(NOW)).toBe(0);
  });

  it("believes the latest answer: a server that always says 99 remain is never waited for", () => {
    const window = new RateWindow();
    for (let i = 0; i < 10_000; i++) expect(attempt(window)).toBe(0);
  });

  it("holds an attempt back until the reset only when the API said none remain", () => {
    const window = new RateWindow();
    expect(attempt(window, rate(1))).toBe(0);
    expect(attempt(window, rate(0))).toBe(0);
    expect(window.wait(NOW)).toBe(60_000);
    expect(window.closedBy?.get("x-ratelimit-remaining")).toBe("0");
    // After the reset a fresh window allows the limit again.
    expect(window.wait(NOW + 60_000)).toBe(0);
  });

  it("counts attempts in flight against the remaining allowance", () => {
    const window = new RateWindow();
    for (let i = 0; i < 5; i++) expect(window.wait(NOW)).toBe(0);
    // The first answer says 3 remain; 4 are still in flight, so none may go until they answer.
    window.settled(rate(3), NOW);
    expect(window.wait(NOW)).toBe(Infinity);
    // With nothing in flight, the latest answer is the allowance, whatever was counted.
    for (let i = 0; i < 4; i++) window.settled(rate(50), NOW);
    expect(window.wait(NOW)).toBe(0);
  });

  it("believes a 429's stated wait for the whole client for 60 s at most", () => {
    const window = new RateWindow();
    const heads = [
      answer(429, { "retry-after": "86400" }),
      answer(429, { "retry-after-ms": "1000000000000000" }),
      answer(429, { "retry-after": new Date(NOW + 86_400_000).toUTCString() }),
    ];
    heads.forEach((head, i) => {
      const now = NOW + i * 60_000;
      expect(window.wait(now)).toBe(0);
      window.settled(head, now);
      expect(window.closedFor(now)).toBe(60_000);
      expect(window.closedFor(now + 60_000)).toBe(0);
    });
  });

  it("drops a guess at a fresh window that answers without rate-limit headers do not confirm", () => {
    const window = new RateWindow();
    expect(window.wait(NOW)).toBe(0);
    window.settled(rate(0, 1, 2), NOW);
    const later = NOW + 1000;
    // The fresh window allows the limit, 2; a third waits for their answers.
    expect(window.wait(later)).toBe(0);
    expect(window.wait(later)).toBe(0);
    expect(window.wait(later)).toBe(Infinity);
    // A proxy's page says nothing of the window: the guess goes, nothing is held back.
    window.settled(answer(502), later);
    expect(window.wait(later)).toBe(0);
  });

  it("holds every attempt back for a 429's stated wait", () => {
    const window = new RateWindow();
    expect(window.wait(NOW)).toBe(0);
    window.settled(answer(429, { "retry-after": "30" }), NOW);
    expect(window.wait(NOW)).toBe(30_000);
    expect(window.wait(NOW + 30_000)).toBe(0);
  });

  it("in a fresh window whose limit is spent, waits for an answer in flight rather than guess", async () => {
    const window = new RateWindow();
    expect(attempt(window, rate(0, 1, 2))).toBe(0);
    const later = NOW + 1000;
    expect(window.wait(later)).toBe(0);
    expect(window.wait(later)).toBe(0);
    expect(window.wait(later)).toBe(Infinity);
    const changed = window.changed();
    window.settled(undefined, later);
    await changed;
    // The caller may still send when its own patience ends.
    expect(window.wait(later, true)).toBe(0);
  });
});
