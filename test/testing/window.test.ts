/**
 * The test server's rate-limit window (per key, with the headers a client's gate reads), its
 * bulk set-up and in-flight counters, and the redaction of every secret from its request log.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startNotteTestServer } from "../../src/testing/index.js";
import type {
  NotteTestServer,
  NotteTestServerOptions,
} from "../../src/testing/index.js";

const servers: NotteTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options?: NotteTestServerOptions,
): Promise<NotteTestServer> {
  const server = await startNotteTestServer(options);
  servers.push(server);
  return server;
}

function stop(
  server: NotteTestServer,
  agentId: string,
  sessionId: string,
  init: { key?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(
    `${server.url}/agents/${encodeURIComponent(agentId)}/stop?session_id=${encodeURIComponent(sessionId)}`,
    {
      method: "DELETE",
      headers: {
        authorization: `Bearer ${init.key ?? server.apiKey}`,
        ...init.headers,
      },
      ...(init.body !== undefined && { body: init.body }),
    },
  );
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

describe("rate-limit window", () => {
  it("refuses past the limit with Retry-After and retry-after-ms, and opens again when the window ends", async () => {
    const server = await start({ rateLimit: { limit: 3, windowMs: 400 } });
    const ids = server.addAgents(5, "s1");
    const startedAt = Date.now();
    const answers: Response[] = [];
    for (let i = 0; i < 4; i++) answers.push(await stop(server, ids[i]!, "s1"));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get("x-ratelimit-remaining"))).toEqual([
      "2",
      "1",
      "0",
      "0",
    ]);
    const limited = answers[3]!;
    expect(limited.headers.get("x-ratelimit-limit")).toBe("3");
    expect(limited.headers.get("retry-after")).toBe("1");
    const waitMs = Number(limited.headers.get("retry-after-ms"));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(400);
    // Reset: Unix seconds with the window's end to the millisecond.
    const reset = Number(limited.headers.get("x-ratelimit-reset"));
    expect(reset * 1000).toBeGreaterThanOrEqual(startedAt + 400);
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 400);
    expect(await limited.json()).toMatchObject({
      message: "Rate limit exceeded",
    });
    expect(server.rateLimitedCount).toBe(1);

    await sleep(Math.max(0, reset * 1000 - Date.now()) + 20);
    const again = await stop(server, ids[4]!, "s1");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining")).toBe("2");
    expect(Number(again.headers.get("x-ratelimit-reset"))).toBeGreaterThan(
      reset,
    );
  });

  it("counts each key in its own window, and requests without a key in another", async () => {
    const server = await start({ rateLimit: { limit: 2, windowMs: 60_000 } });
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    for (let i = 0; i < 3; i++) {
      expect(
        (await stop(server, "a1", "s1", { key: "wrong-key-1" })).status,
      ).toBe(i < 2 ? 401 : 429);
    }
    const anonymous = await fetch(
      `${server.url}/agents/a1/stop?session_id=s1`,
      {
        method: "DELETE",
      },
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("x-ratelimit-remaining")).toBe("1");
    const own = await stop(server, "a1", "s1");
    expect(own.status).toBe(200);
    expect(own.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(server.rateLimitedCount).toBe(1);
  });

  it("refuses a rateLimit without windowMs, naming what replaced windowSeconds", async () => {
    await expect(
      startNotteTestServer({
        rateLimit: { limit: 1, windowSeconds: 1 } as never,
      }),
    ).rejects.toThrow(/windowMs.*windowSeconds was replaced/);
    await expect(
      startNotteTestServer({ rateLimit: { limit: 1, windowMs: 0 } }),
    ).rejects.toThrow(RangeError);
  });
});

describe("bulk set-up and in-flight counters", () => {
  it("addAgents adds active agents under fresh ids and returns them in order", async () => {
    const server = await start();
    server.addAgent({ agentId: "agent_bulk_2", sessionId: "mine", task: "t" });
    const ids = server.addAgents(3, "s1");
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain("agent_bulk_2");
    for (const id of ids) {
      expect(server.agent(id)).toMatchObject({
        agent_id: id,
        session_id: "s1",
        status: "active",
      });
    }
    expect(server.agent("agent_bulk_2")?.session_id).toBe("mine");
    const more = server.addAgents(2, "s2", "other task");
    expect(more.some((id) => ids.includes(id))).toBe(false);
    expect(server.agent(more[0]!)?.task).toBe("other task");
    expect(server.addAgents(0, "s1")).toEqual([]);
    expect(() => server.addAgents(-1, "s1")).toThrow(RangeError);
    expect(() => server.addAgents(1.5, "s1")).toThrow(RangeError);
  });

  it("counts requests in flight and the most seen at once", async () => {
    const server = await start();
    const ids = server.addAgents(5, "s1");
    server.failNext({ delayMs: 300, times: 5 });
    const calls = ids.map((id) => stop(server, id, "s1"));
    while (server.requests.length < 5) await sleep(5);
    expect(server.inFlight).toBe(5);
    const answers = await Promise.all(calls);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await Promise.all(answers.map((a) => a.text()));
    expect(server.maxInFlight).toBe(5);
    // The close event follows the answer by a tick.
    while (server.inFlight > 0) await sleep(5);
    server.reset();
    expect(server.maxInFlight).toBe(0);
  });
});

describe("request log redaction", () => {
  it("never holds the server's key or the presented token, wherever a client put it", async () => {
    const server = await start({ apiKey: "sk-test-0123456789abcdef" });
    const key = server.apiKey;
    server.addAgent({ agentId: `agent-${key}`, sessionId: "s1", task: "t" });
    const ok = await stop(server, `agent-${key}`, key, {
      body: `{"echo":"${key}"}`,
      headers: { "x-debug": `key=${key}` },
    });
    expect(ok.status).toBe(404); // another session: the path still routed
    const presented = "sk-someone-elses-key-42";
    await stop(server, "a1", "s1", {
      key: presented,
      body: presented,
      headers: { "x-echo": presented },
    });
    await fetch(
      `${server.url}/agents/a1/stop?session_id=s1&k=${encodeURIComponent(key)}`,
      {
        method: "DELETE",
        headers: { authorization: key },
      },
    );

    const log = JSON.stringify(server.requests);
    expect(log).not.toContain(key);
    expect(log).not.toContain(encodeURIComponent(key));
    expect(log).not.toContain(presented);
    const [first, second, third] = server.requests;
    expect(first).toMatchObject({
      agentId: "agent-[redacted]",
      body: '{"echo":"[redacted]"}',
      query: { session_id: "[redacted]" },
      authorized: true,
    });
    expect(first?.path).toBe(
      "/agents/agent-[redacted]/stop?session_id=[redacted]",
    );
    expect(first?.headers["x-debug"]).toBe("key=[redacted]");
    expect(first?.headers.authorization).toBe("[redacted]");
    expect(second).toMatchObject({ body: "[redacted]", authorized: false });
    expect(second?.headers["x-echo"]).toBe("[redacted]");
    // A key sent without the Bearer scheme is redacted whole too.
    expect(third?.headers.authorization).toBe("[redacted]");
    expect(third?.query.k).toBe("[redacted]");
  });
});
