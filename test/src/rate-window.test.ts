/**
 * One rate-limit window per client (issue 11): every attempt of every call waits for the
 * window the API last described, instead of being refused with a 429.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteClient,
  NotteConfigError,
  NotteRateLimitError,
  type NotteClientOptions,
} from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
  type NotteTestServerOptions,
} from "../../src/testing/index.js";
import { rejectionOf, sleep } from "./helpers.js";

const servers: NotteTestServer[] = [];
async function start(
  options: NotteTestServerOptions = {},
): Promise<NotteTestServer> {
  const server = await startNotteTestServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function clientOf(
  server: NotteTestServer,
  options: NotteClientOptions = {},
): NotteClient {
  return new NotteClient({
    apiKey: server.apiKey,
    baseUrl: server.url,
    ...options,
  });
}

/** 20 single stop calls in flight at once; resolves to how many were stopped. */
async function twentyAtOnce(
  server: NotteTestServer,
  notte: NotteClient,
): Promise<{ stopped: number; failures: unknown[] }> {
  const ids = server.addAgents(20, "s1");
  const results = await Promise.allSettled(
    ids.map((agentId) => notte.agents.stop({ agentId, sessionId: "s1" })),
  );
  return {
    stopped: results.filter((r) => r.status === "fulfilled").length,
    failures: results
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => r.reason),
  };
}

describe("the shared window, single calls", () => {
  it('rateLimit "wait": a client that has seen the window sends what Remaining allows, then waits for the reset (9 calls, no 429)', async () => {
    const server = await start({ rateLimit: { limit: 5, windowMs: 500 } });
    const notte = clientOf(server);
    server.addAgent({ agentId: "warm", sessionId: "s1", task: "t" });
    await notte.agents.stop({ agentId: "warm", sessionId: "s1" });
    const warmAt = server.requests[0]!.time;

    const ids = server.addAgents(9, "s1");
    const statuses = await Promise.all(
      ids.map((agentId) => notte.agents.stop({ agentId, sessionId: "s1" })),
    );
    expect(statuses.every((s) => s.status === "closed")).toBe(true);
    expect(server.rateLimitedCount).toBe(0);
    // Remaining was 4: four at once, the other five after the window's end.
    const late = server.requests.slice(1).filter((r) => r.time - warmAt >= 450);
    expect(late).toHaveLength(5);
  });

  it('rateLimit "wait" (default): 20 calls in flight on a client that has seen the window all succeed, with at most ~2 429s', async () => {
    const server = await start({ rateLimit: { limit: 5, windowMs: 500 } });
    const notte = clientOf(server);
    // One answer first, so the client knows the window (Remaining and Reset).
    server.addAgent({ agentId: "warm", sessionId: "s1", task: "t" });
    await notte.agents.stop({ agentId: "warm", sessionId: "s1" });

    const started = Date.now();
    const { stopped, failures } = await twentyAtOnce(server, notte);
    expect(server.rateLimitedCount).toBeLessThanOrEqual(2);
    expect(failures).toEqual([]);
    expect(stopped).toBe(20);
    // 21 requests at 5 per 500 ms: at least three more windows had to pass.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('rateLimit "wait": 20 calls on a cold client all succeed, with no more 429s than the first burst (about 15)', async () => {
    const server = await start({ rateLimit: { limit: 5, windowMs: 500 } });
    const { stopped, failures } = await twentyAtOnce(server, clientOf(server));
    expect(server.rateLimitedCount).toBeLessThanOrEqual(17);
    expect(failures).toEqual([]);
    expect(stopped).toBe(20);
  });

  it('rateLimit "ignore": the same warm load gets many more 429s (or failures)', async () => {
    const server = await start({ rateLimit: { limit: 5, windowMs: 500 } });
    const notte = clientOf(server, { rateLimit: "ignore" });
    server.addAgent({ agentId: "warm", sessionId: "s1", task: "t" });
    await notte.agents.stop({ agentId: "warm", sessionId: "s1" });

    const { stopped, failures } = await twentyAtOnce(server, notte);
    expect(stopped + failures.length).toBe(20);
    expect(server.rateLimitedCount).toBeGreaterThanOrEqual(10);
    for (const failure of failures)
      expect(failure).toBeInstanceOf(NotteRateLimitError);
  });

  it("a 429 with Retry-After: 1 makes the next, separate call on the same client wait until then", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after": "1" } });
    const refused = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }, { maxRetries: 0 }),
    );
    expect(refused).toBeInstanceOf(NotteRateLimitError);

    const status = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first!.status).toBe(429);
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(900);
  });

  it("raw calls wait for the window too", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after": "1" } });
    await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }, { maxRetries: 0 }),
    );
    const { response } = await notte.raw.DELETE("/agents/{agent_id}/stop", {
      params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
    });
    expect(response.status).toBe(200);
    const [first, second] = server.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(900);
  });

  it('another client, and a client with rateLimit "ignore", do not wait', async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    for (const options of [{}, { rateLimit: "ignore" as const }]) {
      server.reset();
      server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
      const refusing = clientOf(server, options);
      server.failNext({ status: 429, headers: { "retry-after": "2" } });
      await rejectionOf(
        refusing.agents.stop(
          { agentId: "a1", sessionId: "s1" },
          { maxRetries: 0 },
        ),
      );
      const other =
        options.rateLimit === "ignore" ? refusing : clientOf(server);
      await other.agents.stop({ agentId: "a1", sessionId: "s1" });
      const [first, second] = server.requests;
      expect(second!.time - first!.time).toBeLessThan(1000);
    }
  });

  it("the wait for the window respects the caller's signal: aborted at once, nothing sent", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after": "5" } });
    await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }, { maxRetries: 0 }),
    );

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const error = await rejectionOf(
      notte.agents.stop(
        { agentId: "a1", sessionId: "s1" },
        { signal: controller.signal },
      ),
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(NotteAbortError);
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(2000);
    // It was waiting, not sending.
    expect(server.requests).toHaveLength(1);
  });

  it("a closed window longer than timeoutMs is not waited for: NotteRateLimitError at once, nothing sent", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after": "1" } });
    await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }, { maxRetries: 0 }),
    );
    const started = Date.now();
    const error = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }, { timeoutMs: 400 }),
    );
    expect(Date.now() - started).toBeLessThan(200);
    expect(error).toBeInstanceOf(NotteRateLimitError);
    expect((error as NotteRateLimitError).retryAfterMs).toBeGreaterThan(400);
    expect((error as NotteRateLimitError).retryAfterMs).toBeLessThanOrEqual(
      1000,
    );
    expect((error as Error).message).toMatch(
      /after timeoutMs \(400\); nothing was sent/,
    );
    expect(server.requests).toHaveLength(1);
    // A wait within timeoutMs is waited for.
    const status = await notte.agents.stop(
      { agentId: "a1", sessionId: "s1" },
      { timeoutMs: 2000 },
    );
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(2);
  });

  /** A 200 agent status with the given rate-limit headers, as a test-server fault. */
  function statusWithRate(headers: Record<string, string>) {
    return {
      status: 200,
      headers,
      body: {
        agent_id: "a1",
        session_id: "s1",
        task: "t",
        status: "closed",
        created_at: "2025-01-01T00:00:00.000Z",
      },
    };
  }

  it("a success saying Remaining: 0 with a plausible reset makes the next call wait for the reset", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext(
      statusWithRate({
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Date.now() / 1000 + 1.2),
      }),
    );
    await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    const [first, second] = server.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(1000);
    expect(server.rateLimitedCount).toBe(0);
  });

  it("an implausible reset (an hour ahead, or in the past) is not waited for", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    for (const reset of [Date.now() / 1000 + 3600, Date.now() / 1000 - 10, 5]) {
      server.reset();
      server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
      server.failNext(
        statusWithRate({
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(reset),
        }),
      );
      await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
      await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
      const [first, second] = server.requests;
      expect(second!.time - first!.time).toBeLessThan(1000);
    }
  });

  it("a stated wait longer than the call allows ends the next call at once, and one that allows it waits", async () => {
    const server = await start();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after": "3600" } });
    const first = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }),
    );
    // The default timeoutMs is 60 s: an hour is not waited for, nor retried after a backoff.
    expect(first).toBeInstanceOf(NotteRateLimitError);
    expect((first as NotteRateLimitError).retryAfterMs).toBe(3_600_000);
    expect(server.requests).toHaveLength(1);
    // The window believes at most 60 s of it: a call allowing less ends at once, nothing sent.
    const started = Date.now();
    const second = await rejectionOf(
      notte.agents.stop(
        { agentId: "a1", sessionId: "s1" },
        { timeoutMs: 5000 },
      ),
    );
    expect(Date.now() - started).toBeLessThan(200);
    expect(second).toBeInstanceOf(NotteRateLimitError);
    expect((second as NotteRateLimitError).retryAfterMs).toBeLessThanOrEqual(
      60_000,
    );
    expect((second as NotteRateLimitError).retryAfterMs).toBeGreaterThan(
      59_000,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("calls already waiting are all released when the window opens", async () => {
    const server = await start();
    const ids = server.addAgents(5, "s1");
    const notte = clientOf(server);
    server.failNext({ status: 429, headers: { "retry-after-ms": "600" } });
    await rejectionOf(
      notte.agents.stop(
        { agentId: ids[0]!, sessionId: "s1" },
        { maxRetries: 0 },
      ),
    );
    await sleep(10);
    const statuses = await Promise.all(
      ids.map((agentId) => notte.agents.stop({ agentId, sessionId: "s1" })),
    );
    expect(statuses.every((s) => s.status === "closed")).toBe(true);
    const first = server.requests[0]!.time;
    for (const request of server.requests.slice(1))
      expect(request.time - first).toBeGreaterThanOrEqual(500);
  });
});

describe("the rateLimit option", () => {
  it.each(["bogus", "", true, 0, null])(
    "rateLimit: %j is a NotteConfigError",
    (value) => {
      expect(
        () =>
          new NotteClient({
            apiKey: "k",
            baseUrl: "http://127.0.0.1:1",
            rateLimit: value as never,
          }),
      ).toThrow(NotteConfigError);
    },
  );

  it('"wait" and "ignore" are accepted', () => {
    for (const rateLimit of ["wait", "ignore"] as const) {
      expect(
        new NotteClient({
          apiKey: "k",
          baseUrl: "http://127.0.0.1:1",
          rateLimit,
        }).baseUrl,
      ).toBe("http://127.0.0.1:1");
    }
  });
});
