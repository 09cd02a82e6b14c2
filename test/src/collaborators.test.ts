/**
 * Misbehaving collaborators: loggers that reject or throw, a `fetch` or a body that never
 * settles, many calls sharing one signal, headers `fetch` would refuse.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteConfigError,
  NotteConnectionError,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteTimeoutError,
  type FetchLike,
  type NotteLogger,
} from "../../src/index.js";
import { type NotteTestServer } from "../../src/testing/index.js";
import {
  AGENT,
  rejectionOf,
  sleep,
  useNotteTestServer,
  withUnhandledRejections,
} from "./helpers.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

describe("a logger that rejects or throws changes nothing", () => {
  function failingLogger(kind: "reject" | "throw"): {
    logger: NotteLogger;
    calls: () => number;
  } {
    let calls = 0;
    const line = (): unknown => {
      calls += 1;
      if (kind === "throw") throw new Error("log sink down (sync)");
      return Promise.reject(new Error("log sink down (async)"));
    };
    return {
      logger: { error: line, warn: line, info: line, debug: line },
      calls: () => calls,
    };
  }

  for (const kind of ["reject", "throw"] as const) {
    it(`a logger that ${kind}s: success, retry and failure keep their outcomes, no unhandled rejection`, async () => {
      const { logger, calls } = failingLogger(kind);
      const notte = client({ logger, logLevel: "debug" });
      server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });

      const { result, unhandled } = await withUnhandledRejections(async () => {
        const stopped = await notte.agents.stop(AGENT);
        // A retry (warn line), then success (of the agent running again: a closed one is a 404).
        server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
        server.failNext({ status: 503 });
        const retried = await notte.agents.stop(AGENT);
        // Giving up (error line) on a 500 without retries.
        server.failNext({ status: 500 });
        const gaveUp = await rejectionOf(
          notte.agents.stop(AGENT, { maxRetries: 0 }),
        );
        const notFound = await rejectionOf(
          notte.agents.stop({ agentId: "nope", sessionId: "s1" }),
        );
        return { stopped, retried, gaveUp, notFound };
      }, 200);

      expect(result.stopped.status).toBe("closed");
      expect(result.retried.status).toBe("closed");
      expect((result.gaveUp as { status: number }).status).toBe(500);
      expect(result.notFound).toBeInstanceOf(NotteNotFoundError);
      // The logger really was called: debug for each attempt, warn, error.
      expect(calls()).toBeGreaterThanOrEqual(6);
      expect(unhandled).toEqual([]);
    });
  }

  it("a logger returning a rejecting thenable", async () => {
    let calls = 0;
    const line = (): unknown => {
      calls += 1;
      return {
        then(_resolve: unknown, reject: (reason: unknown) => void) {
          reject(new Error("thenable sink down"));
        },
      };
    };
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { result, unhandled } = await withUnhandledRejections(() =>
      client({
        logger: { error: line, warn: line, info: line, debug: line },
        logLevel: "debug",
      }).agents.stop(AGENT),
    );
    expect(result.status).toBe("closed");
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(unhandled).toEqual([]);
  });
});

/** How long `promise` took to settle, with its value. */
async function timed<T>(
  promise: Promise<T>,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await promise;
  return { value, ms: Date.now() - started };
}

describe("timeout and abort bound the call whatever fetch does", () => {
  const neverSettles: FetchLike = () => new Promise<Response>(() => {});

  /** A Response whose body never ends and ignores cancellation. */
  function endlessResponse(status: number): Response {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"agent_id":'));
      },
      pull: () => new Promise<void>(() => {}),
      cancel: () => new Promise<void>(() => {}),
    });
    return new Response(body, {
      status,
      headers: { "content-type": "application/json" },
    });
  }

  it("a fetch that never settles (and ignores the signal) times out", async () => {
    const started = Date.now();
    const error = await rejectionOf(
      client({
        fetch: neverSettles,
        timeoutMs: 200,
        maxRetries: 0,
      }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect((error as NotteTimeoutError).timeoutMs).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a fetch that never settles, retried: each attempt times out", async () => {
    let calls = 0;
    const started = Date.now();
    const error = await rejectionOf(
      client({
        fetch: () => {
          calls += 1;
          return new Promise<Response>(() => {});
        },
        timeoutMs: 150,
        maxRetries: 1,
      }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("a fetch that never settles is ended by the caller's signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user gave up")), 100);
    const started = Date.now();
    const error = await rejectionOf(
      client({ fetch: neverSettles }).agents.stop(AGENT, {
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(NotteAbortError);
    expect((error as NotteAbortError).cause).toEqual(new Error("user gave up"));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it.each([200, 500])(
    "a %i whose body never ends and ignores cancellation times out",
    async (status) => {
      const started = Date.now();
      const error = await rejectionOf(
        client({
          fetch: () => Promise.resolve(endlessResponse(status)),
          timeoutMs: 200,
          maxRetries: 0,
        }).agents.stop(AGENT),
      );
      expect(error).toBeInstanceOf(NotteTimeoutError);
      expect(Date.now() - started).toBeLessThan(2000);
    },
  );

  it("raw.DELETE with a body that never ends times out", async () => {
    const started = Date.now();
    const error = await rejectionOf(
      client({
        fetch: () => Promise.resolve(endlessResponse(200)),
        timeoutMs: 200,
        maxRetries: 0,
      }).raw.DELETE("/agents/{agent_id}/stop", {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
      }),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a body that never ends is ended by the caller's signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejectionOf(
      client({
        fetch: () => Promise.resolve(endlessResponse(200)),
      }).agents.stop(AGENT, { signal: controller.signal }),
    );
    expect(error).toBeInstanceOf(NotteAbortError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a fetch that rejects late, after the timeout, causes no unhandled rejection", async () => {
    const { result, unhandled } = await withUnhandledRejections(
      () =>
        timed(
          rejectionOf(
            client({
              fetch: () =>
                new Promise<Response>((_resolve, reject) =>
                  setTimeout(reject, 700, new Error("late failure")),
                ),
              timeoutMs: 100,
              maxRetries: 0,
            }).agents.stop(AGENT),
          ),
        ),
      // Past the late rejection.
      900,
    );
    expect(result.value).toBeInstanceOf(NotteTimeoutError);
    // Ended by its timer, not by the late outcome.
    expect(result.ms).toBeLessThan(600);
    expect(unhandled).toEqual([]);
  });

  it("a body that errors late, after the timeout, causes no unhandled rejection", async () => {
    const { result, unhandled } = await withUnhandledRejections(
      () =>
        timed(
          rejectionOf(
            client({
              fetch: () =>
                Promise.resolve(
                  new Response(
                    new ReadableStream<Uint8Array>({
                      pull: (controller) =>
                        new Promise<void>((resolve) =>
                          setTimeout(() => {
                            controller.error(new Error("late body failure"));
                            resolve();
                          }, 700),
                        ),
                      cancel: () => Promise.reject(new Error("cancel failed")),
                    }),
                    { status: 200 },
                  ),
                ),
              timeoutMs: 100,
              maxRetries: 0,
            }).agents.stop(AGENT),
          ),
        ),
      900,
    );
    expect(result.value).toBeInstanceOf(NotteTimeoutError);
    // Ended by its timer, not by the late outcome.
    expect(result.ms).toBeLessThan(600);
    expect(unhandled).toEqual([]);
  });

  it("a fetch that rejects late, after the caller aborted, causes no unhandled rejection", async () => {
    const { result, unhandled } = await withUnhandledRejections(
      () =>
        timed(
          rejectionOf(
            client({
              fetch: () =>
                new Promise<Response>((_resolve, reject) =>
                  setTimeout(reject, 700, new Error("late failure")),
                ),
              maxRetries: 0,
            }).agents.stop(AGENT, { signal: AbortSignal.timeout(100) }),
          ),
        ),
      900,
    );
    expect(result.value).toBeInstanceOf(NotteAbortError);
    expect(result.ms).toBeLessThan(600);
    expect(unhandled).toEqual([]);
  });
});

/** The global fetch, with at most `limit` requests under way; the others queue. */
function pooledFetch(limit: number): FetchLike {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (input, init) => {
    // Bounded: each turn either takes a slot or waits for one to be released.
    while (active >= limit)
      await new Promise<void>((resolve) => queue.push(resolve));
    active += 1;
    try {
      return await fetch(input, init);
    } finally {
      active -= 1;
      queue.shift()?.();
    }
  };
}

describe("one listener per caller signal", () => {
  it("1,000 concurrent calls on one signal: no warning, one listener in flight, none after", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on("warning", onWarning);
    try {
      const ids = server.addAgents(1000, "s1");
      const { signal } = new AbortController();
      // Real HTTP, at most 32 requests on the wire at once (a thousand sockets would make
      // this slow on a small machine); every call is in flight on the client meanwhile.
      const notte = client({ fetch: pooledFetch(32) });
      const calls = ids.map((agentId) =>
        notte.agents.stop({ agentId, sessionId: "s1" }, { signal }),
      );
      // Let every call register (and some send) before counting.
      await sleep(50);
      expect(getEventListeners(signal, "abort")).toHaveLength(1);
      const results = await Promise.allSettled(calls);
      expect(results.every((r) => r.status === "fulfilled")).toBe(true);
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      // Warnings are emitted on the next tick.
      await sleep(20);
      expect(
        warnings.filter((w) => w.name === "MaxListenersExceededWarning"),
      ).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("200 hanging calls on one signal: one abort ends them all promptly, no listener left", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ hang: true, times: 200 });
    const controller = new AbortController();
    const notte = client();
    const calls = Array.from({ length: 200 }, () =>
      rejectionOf(notte.agents.stop(AGENT, { signal: controller.signal })),
    );
    // Bounded wait until the server holds them all.
    for (let i = 0; i < 100 && server.inFlight < 200; i++) await sleep(20);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    const started = Date.now();
    controller.abort();
    const errors = await Promise.all(calls);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(errors.every((e) => e instanceof NotteAbortError)).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("a signal used by one call keeps no listener once it settles: success, API error, connection error", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { signal } = new AbortController();
    await client().agents.stop(AGENT, { signal });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);

    await rejectionOf(
      client().agents.stop({ agentId: "nope", sessionId: "s1" }, { signal }),
    );
    expect(getEventListeners(signal, "abort")).toHaveLength(0);

    server.failNext({ drop: true });
    const dropped = await rejectionOf(
      client({ maxRetries: 0 }).agents.stop(AGENT, { signal }),
    );
    expect(dropped).toBeInstanceOf(NotteConnectionError);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);

    await client().raw.DELETE("/agents/{agent_id}/stop", {
      params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
      signal,
    });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  // Regression: the signal check once accepted an object without `removeEventListener`,
  // and the call, already answered 200, then rejected with a bare "TypeError:
  // signal.removeEventListener is not a function" when it stopped watching.
  it("a signal-like object without removeEventListener: refused up front, or the call works; never a bare TypeError", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const minimal = {
      aborted: false,
      reason: undefined,
      addEventListener() {},
    } as unknown as AbortSignal;
    const outcome = await client()
      .agents.stop(AGENT, { signal: minimal })
      .then(
        () => "resolved",
        (error: unknown) => error,
      );
    if (outcome !== "resolved") {
      expect(outcome).toBeInstanceOf(NotteInvalidRequestError);
      expect(server.requests).toHaveLength(0);
    }
  });

  it("a signal that aborts a call keeps no listener", async () => {
    server.failNext({ hang: true });
    const controller = new AbortController();
    const pending = rejectionOf(
      client().agents.stop(AGENT, { signal: controller.signal }),
    );
    await sleep(50);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(NotteAbortError);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("headers fetch forbids", () => {
  const FORBIDDEN = [
    "expect",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "host",
    "content-length",
    "te",
    "trailer",
  ];
  const VALUE: Record<string, string> = {
    expect: "100-continue",
    "transfer-encoding": "chunked",
    connection: "close",
    "keep-alive": "timeout=5",
    upgrade: "websocket",
    host: "example.com",
    "content-length": "0",
    te: "trailers",
    trailer: "x-checksum",
  };

  for (const name of FORBIDDEN) {
    it(`${name}: refused as a client header (NotteConfigError) and per call (NotteInvalidRequestError), nothing sent`, async () => {
      for (const spelled of [name, name.toUpperCase()]) {
        let configError: unknown;
        try {
          client({ headers: { [spelled]: VALUE[name]! } });
        } catch (error) {
          configError = error;
        }
        expect(configError).toBeInstanceOf(NotteConfigError);
        expect((configError as Error).message.toLowerCase()).toContain(name);

        const callError = await rejectionOf(
          client().agents.stop(AGENT, { headers: { [spelled]: VALUE[name]! } }),
        );
        expect(callError).toBeInstanceOf(NotteInvalidRequestError);
        expect((callError as Error).message.toLowerCase()).toContain(name);
      }
      expect(server.requests).toHaveLength(0);
    });
  }

  // Regression: `raw` calls once passed their per-call `headers` to fetch unchecked, so a
  // header fetch refuses failed as a NotteConnectionError ("fetch failed: expect header not
  // supported"), retried maxRetries times.
  it("raw: a forbidden per-call header is a NotteInvalidRequestError, not retried", async () => {
    let calls = 0;
    const notte = client({
      fetch: (input, init) => {
        calls += 1;
        return fetch(input, init);
      },
    });
    const error = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        headers: { expect: "100-continue" },
      }),
    );
    expect(server.requests).toHaveLength(0);
    expect(calls).toBeLessThanOrEqual(1);
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect((error as Error).message).toContain("expect");
  });

  it("an ordinary extra header still goes through", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    await client({ headers: { "x-team": "core" } }).agents.stop(AGENT, {
      headers: { "x-call": "one" },
    });
    expect(server.requests[0]!.headers).toMatchObject({
      "x-team": "core",
      "x-call": "one",
    });
  });
});
