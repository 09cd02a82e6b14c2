/**
 * `agents.stopMany` against the test server on loopback: order, duplicates, bad items, abort,
 * progress callbacks, the concurrency bound and the per-call options.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteClient,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteTimeoutError,
  type StopAgentParams,
  type StopManyProgress,
} from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";

let server: NotteTestServer;
let notte: NotteClient;

beforeAll(async () => {
  server = await startNotteTestServer();
  notte = new NotteClient({
    apiKey: server.apiKey,
    baseUrl: server.url,
    maxRetries: 0,
  });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
});

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

function itemsFor(ids: readonly string[], sessionId = "s1"): StopAgentParams[] {
  return ids.map((agentId) => ({ agentId, sessionId }));
}

describe("agents.stopMany: results", () => {
  it("resolves one result per item in input order, whatever order the answers come in", async () => {
    const ids = server.addAgents(12, "s1");
    // The first answers are the slowest, so they finish last.
    for (let i = 0; i < 6; i++) server.failNext({ delayMs: 240 - i * 40 });
    const results = await notte.agents.stopMany(itemsFor(ids), {
      concurrency: 6,
    });
    expect(results.map((r) => r.agentId)).toEqual(ids);
    for (const result of results) {
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.status.agent_id).toBe(result.agentId);
        expect(result.status.status).toBe("closed");
      }
      expect(result.sessionId).toBe("s1");
    }
    for (const id of ids) expect(server.agent(id)?.status).toBe("closed");
  });

  it("sends the same (agentId, sessionId) once, and both results share the outcome", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.addAgent({ agentId: "a1b", sessionId: "s2", task: "t" });
    const results = await notte.agents.stopMany([
      { agentId: "a1", sessionId: "s1" },
      { agentId: "nope", sessionId: "s1" },
      { agentId: "a1", sessionId: "s1" },
      { agentId: "a1", sessionId: "s2" }, // another pair: sent, and refused
      { agentId: "nope", sessionId: "s1" },
    ]);
    // Three stops (each 404 followed by one status request).
    expect(
      server.requests
        .filter((r) => r.method === "DELETE")
        .map((r) => `${r.agentId} ${r.query.session_id}`),
    ).toEqual(["a1 s1", "nope s1", "a1 s2"]);
    const [first, unknown, again, other, unknownAgain] = results;
    expect(first?.ok).toBe(true);
    expect(again).toEqual(first);
    if (first?.ok && again?.ok) expect(again.status).toBe(first.status);
    expect(unknown?.ok).toBe(false);
    if (!unknown?.ok) expect(unknown?.error).toBeInstanceOf(NotteNotFoundError);
    expect(unknownAgain).toEqual(unknown);
    expect(other).toMatchObject({ agentId: "a1", sessionId: "s2", ok: false });
  });

  it("gives an item with bad ids its NotteInvalidRequestError, sends nothing for it, and stops the others", async () => {
    const ids = server.addAgents(2, "s1");
    const items = [
      { agentId: ids[0], sessionId: "s1" },
      { agentId: "", sessionId: "s1" },
      { agentId: "..", sessionId: "s1" },
      { agentId: "a1", sessionId: " " },
      null,
      { agentId: 5, sessionId: "s1" },
      { agentId: ids[1], sessionId: "s1" },
    ] as unknown as StopAgentParams[];
    const results = await notte.agents.stopMany(items);
    expect(results.map((r) => r.ok)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    for (const result of results.slice(1, 6)) {
      if (!result.ok)
        expect(result.error).toBeInstanceOf(NotteInvalidRequestError);
    }
    expect(results[2]).toMatchObject({ agentId: "..", sessionId: "s1" });
    // Ids that are not strings are reported as "".
    expect(results[4]).toMatchObject({ agentId: "", sessionId: "" });
    expect(results[5]).toMatchObject({ agentId: "", sessionId: "s1" });
    expect(server.requests).toHaveLength(2);
  });

  it("resolves to [] for no items, and takes any iterable", async () => {
    expect(await notte.agents.stopMany([])).toEqual([]);
    const ids = server.addAgents(3, "s1");
    function* generate(): Generator<StopAgentParams> {
      for (const agentId of ids) yield { agentId, sessionId: "s1" };
    }
    const results = await notte.agents.stopMany(generate());
    expect(results.map((r) => [r.agentId, r.ok])).toEqual(
      ids.map((id) => [id, true]),
    );
    const fromSet = await notte.agents.stopMany(new Set(itemsFor(ids)));
    expect(fromSet).toHaveLength(3);
  });

  it("rejects only for unusable items or options, with NotteInvalidRequestError", async () => {
    for (const items of [null, undefined, 5, {}, "a1 s1"]) {
      await expect(
        notte.agents.stopMany(items as unknown as StopAgentParams[]),
      ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    }
    const throwing: Iterable<StopAgentParams> = {
      [Symbol.iterator]() {
        throw new Error("broken iterator");
      },
    };
    await expect(notte.agents.stopMany(throwing)).rejects.toBeInstanceOf(
      NotteInvalidRequestError,
    );
    for (const concurrency of [0, 65, 1.5, Number.NaN]) {
      await expect(notte.agents.stopMany([], { concurrency })).rejects.toThrow(
        /concurrency must be a whole number from 1 to 64/,
      );
    }
    await expect(
      notte.agents.stopMany([], {
        idempotencyKey: "k" as unknown as undefined,
      }),
    ).rejects.toThrow(/idempotencyKey/);
    await expect(
      notte.agents.stopMany([], { onProgress: 1 as unknown as () => void }),
    ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    await expect(
      notte.agents.stopMany([], { signal: {} as AbortSignal }),
    ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("agents.stopMany: concurrency and per-call options", () => {
  it("keeps at most `concurrency` calls in flight, and reaches it", async () => {
    const ids = server.addAgents(15, "s1");
    server.failNext({ delayMs: 60, times: 15 });
    const results = await notte.agents.stopMany(itemsFor(ids), {
      concurrency: 5,
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.maxInFlight).toBe(5);
  });

  it("defaults to 8 in flight", async () => {
    const ids = server.addAgents(20, "s1");
    server.failNext({ delayMs: 60, times: 20 });
    await notte.agents.stopMany(itemsFor(ids));
    expect(server.maxInFlight).toBe(8);
  });

  it("applies timeoutMs, maxRetries and headers to each call, each with its own Idempotency-Key", async () => {
    const ids = server.addAgents(3, "s1");
    server.failNext({ delayMs: 2_000 }); // the first call's first attempt
    server.failNext({ delayMs: 0 }); // its retry: answered normally
    server.failNext({ status: 503 }); // the second call's first attempt
    const results = await notte.agents.stopMany(itemsFor(ids), {
      concurrency: 1,
      timeoutMs: 300,
      maxRetries: 1,
      headers: { "x-batch": "b1" },
    });
    // First: timed out, then retried and stopped; second: 503, then retried and stopped.
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(server.requests).toHaveLength(5);
    expect(server.requests.every((r) => r.headers["x-batch"] === "b1")).toBe(
      true,
    );
    const keys = new Set(
      server.requests.map((r) => r.headers["idempotency-key"]),
    );
    // One key per call, the same across its retries.
    expect(keys.size).toBe(3);

    server.failNext({ delayMs: 2_000 });
    const [timedOut] = await notte.agents.stopMany(itemsFor(ids.slice(0, 1)), {
      timeoutMs: 200,
    });
    expect(timedOut?.ok).toBe(false);
    if (timedOut?.ok === false)
      expect(timedOut.error).toBeInstanceOf(NotteTimeoutError);
  });
});

describe("agents.stopMany: abort", () => {
  it("aborts the calls in flight, sends nothing more, and resolves promptly with NotteAbortError for every unfinished item", async () => {
    const ids = server.addAgents(10, "s1");
    server.failNext({ delayMs: 20 }); // the first one finishes
    server.failNext({ hang: true, times: 9 });
    const controller = new AbortController();
    const progress: StopManyProgress[] = [];
    const batch = notte.agents.stopMany(itemsFor(ids), {
      concurrency: 3,
      signal: controller.signal,
      onProgress: (p) => progress.push(p),
    });
    while (server.requests.length < 4 || server.inFlight < 3) await sleep(5);
    const abortedAt = performance.now();
    controller.abort();
    const results = await batch;
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(results[0]?.ok).toBe(true);
    for (const result of results.slice(1)) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toBeInstanceOf(NotteAbortError);
    }
    expect(results.map((r) => r.agentId)).toEqual(ids);
    await sleep(50);
    expect(server.requests).toHaveLength(4);
    expect(progress.at(-1)).toEqual({
      done: 10,
      total: 10,
      stopped: 1,
      failed: 9,
    });
  });

  it("sends nothing when the signal has already fired", async () => {
    const ids = server.addAgents(3, "s1");
    const results = await notte.agents.stopMany(itemsFor(ids), {
      signal: AbortSignal.abort(),
    });
    expect(results.map((r) => r.ok)).toEqual([false, false, false]);
    expect(
      results.every((r) => !r.ok && r.error instanceof NotteAbortError),
    ).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it("leaves no listener on the caller's signal once it resolves", async () => {
    const ids = server.addAgents(4, "s1");
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    }) as typeof remove;
    await notte.agents.stopMany(itemsFor(ids), { signal });
    expect(listeners).toBe(0);
  });
});

describe("agents.stopMany: progress", () => {
  it("reports after each outcome, the last one before resolving", async () => {
    const ids = server.addAgents(5, "s1");
    const seen: StopManyProgress[] = [];
    let resolved = false;
    const batch = notte.agents.stopMany(
      [...itemsFor(ids), { agentId: "nope", sessionId: "s1" }],
      {
        concurrency: 2,
        onProgress: (p) => {
          expect(resolved).toBe(false);
          seen.push(p);
        },
      },
    );
    await batch.then(() => (resolved = true));
    expect(seen.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.every((p) => p.total === 6)).toBe(true);
    expect(seen.at(-1)).toEqual({ done: 6, total: 6, stopped: 5, failed: 1 });
  });

  it("ignores a callback that throws or returns a rejected promise", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const ids = server.addAgents(4, "s1");
      let calls = 0;
      const throwing = await notte.agents.stopMany(itemsFor(ids), {
        onProgress: () => {
          calls += 1;
          throw new Error("progress sink down");
        },
      });
      expect(throwing.every((r) => r.ok)).toBe(true);
      expect(calls).toBe(4);

      const more = server.addAgents(4, "s1");
      const rejecting = await notte.agents.stopMany(itemsFor(more), {
        onProgress: async () => {
          calls += 1;
          throw new Error("async progress sink down");
        },
      });
      expect(rejecting.every((r) => r.ok)).toBe(true);
      expect(calls).toBe(8);
      // Give a would-be unhandled rejection the turns it needs to be reported.
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
