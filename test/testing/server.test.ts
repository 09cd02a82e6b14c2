import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNotteTestServer } from "../../src/testing/index.js";
import type {
  NotteTestRequest,
  NotteTestServer,
  NotteTestServerOptions,
} from "../../src/testing/index.js";
import {
  assertMatchesContract,
  contractStatuses,
  validateAgainstContract,
} from "./contract.js";

let server: NotteTestServer;
const extraServers: NotteTestServer[] = [];

beforeEach(async () => {
  server = await startNotteTestServer();
});

afterEach(async () => {
  await server.close();
  await Promise.all(extraServers.splice(0).map((s) => s.close()));
});

async function startExtra(
  options?: NotteTestServerOptions,
): Promise<NotteTestServer> {
  const extra = await startNotteTestServer(options);
  extraServers.push(extra);
  return extra;
}

interface CallOptions {
  method?: string;
  /** The key to send; null sends no Authorization header. Default: the server's key. */
  key?: string | null;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  redirect?: RequestInit["redirect"];
  on?: NotteTestServer;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/**
 * Sends a request and reads the whole answer. Every 200 and 422 answer is checked against
 * openapi.json here, so each test that gets one also checks the contract.
 */
async function call(path: string, options: CallOptions = {}): Promise<Answer> {
  const target = options.on ?? server;
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? target.apiKey : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const init: RequestInit = { method: options.method ?? "DELETE", headers };
  if (options.body !== undefined) init.body = options.body;
  if (options.signal !== undefined) init.signal = options.signal;
  if (options.redirect !== undefined) init.redirect = options.redirect;
  const res = await fetch(`${target.url}${path}`, init);
  const text = await res.text();
  const isJson = res.headers.get("content-type") === "application/json";
  // A HEAD answer carries the headers of a JSON body, not the body.
  const json: unknown = isJson && text !== "" ? JSON.parse(text) : undefined;
  if (res.status === 200 || res.status === 422) {
    expect(isJson).toBe(true);
    // A GET can only be answered 200 by the status route (the stop route takes DELETE).
    const operation = init.method === "GET" ? "agent_status" : "agent_stop";
    assertMatchesContract(res.status, json, operation);
  }
  return { status: res.status, headers: res.headers, text, json };
}

function messageOf(answer: Answer): unknown {
  return (answer.json as { message?: unknown } | undefined)?.message;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("agent stop", () => {
  it("closes an active agent; stopping it again is a 404 like an unknown agent's", async () => {
    const added = server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "find a dog",
    });
    expect(added).toMatchObject({ status: "active", closed_at: null });

    const first = await call("/agents/a1/stop?session_id=s1");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/json");
    const body = first.json as Record<string, unknown>;
    expect(body).toMatchObject({
      agent_id: "a1",
      session_id: "s1",
      task: "find a dog",
      status: "closed",
      created_at: added.created_at,
      saved: false,
    });
    expect(body.closed_at).toMatch(ISO_DATE_TIME);
    expect(server.agent("a1")).toEqual(body);

    // Notte: "you can only stop an agent if it is still running, otherwise a 404 error will
    // be raised". The body is the unknown agent's: the API does not tell the two apart.
    const second = await call("/agents/a1/stop?session_id=s1");
    const unknown = await call("/agents/a2/stop?session_id=s1");
    expect(second.status).toBe(404);
    expect(second.json).toEqual({
      message: "Agent not found",
      detail: "Agent a1 not found in session s1",
    });
    expect(Object.keys(second.json as object)).toEqual(
      Object.keys(unknown.json as object),
    );
    expect(second.headers.get("content-type")).toBe("application/json");
    expect(server.agent("a1")).toEqual(body);
  });

  it("answers every documented field of a fully described agent within the contract", async () => {
    server.addAgent({
      agentId: "full",
      sessionId: "s1",
      task: "t",
      url: "https://example.com",
      createdAt: new Date("2025-03-01T10:00:00Z"),
      saved: true,
      success: true,
      answer: "a dog",
      steps: [{ action: "click", id: 3 }],
    });
    const answer = await call("/agents/full/stop?session_id=s1");
    expect(answer.json).toMatchObject({
      created_at: "2025-03-01T10:00:00.000Z",
      url: "https://example.com",
      saved: true,
      success: true,
      answer: "a dog",
      steps: [{ action: "click", id: 3 }],
    });
  });

  it("an agent added as closed keeps its closed_at, and stopping it is a 404", async () => {
    server.addAgent({
      agentId: "c",
      sessionId: "s1",
      task: "t",
      status: "closed",
      closedAt: "2025-01-02T03:04:05Z",
    });
    const answer = await call("/agents/c/stop?session_id=s1");
    expect(answer.status).toBe(404);
    expect(messageOf(answer)).toBe("Agent not found");
    expect(server.agent("c")).toMatchObject({
      status: "closed",
      closed_at: "2025-01-02T03:04:05Z",
    });
  });

  it("hands out copies: changing what agent() returns does not change the server", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const copy = server.agent("a1");
    if (copy === undefined) throw new Error("agent missing");
    copy.status = "closed";
    expect(server.agent("a1")?.status).toBe("active");
    expect(server.agent("nope")).toBeUndefined();
  });

  it("answers 401 with message and detail for a missing key", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const answer = await call("/agents/a1/stop?session_id=s1", { key: null });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.headers.get("www-authenticate")).toBe("Bearer");
    expect(typeof messageOf(answer)).toBe("string");
    expect(answer.json).toHaveProperty("detail");
    expect(server.agent("a1")?.status).toBe("active");
  });

  it("answers 401 for a wrong key, a non-Bearer scheme and an empty header", async () => {
    for (const headers of [
      { authorization: "Bearer wrong" },
      { authorization: `Basic ${server.apiKey}` },
      { authorization: server.apiKey },
      { authorization: "" },
    ]) {
      const answer = await call("/agents/a1/stop?session_id=s1", {
        key: null,
        headers,
      });
      expect(answer.status).toBe(401);
      expect(typeof messageOf(answer)).toBe("string");
    }
  });

  it("accepts the Bearer scheme in any case", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const answer = await call("/agents/a1/stop?session_id=s1", {
      key: null,
      headers: { authorization: `bEaReR ${server.apiKey}` },
    });
    expect(answer.status).toBe(200);
  });

  it("answers 422 with FastAPI's body for a missing session_id", async () => {
    const answer = await call("/agents/a1/stop");
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      detail: [
        {
          type: "missing",
          loc: ["query", "session_id"],
          msg: "Field required",
          input: null,
        },
      ],
    });
    const other = await call("/agents/a1/stop?sessionid=s1");
    expect(other.status).toBe(422);
  });

  it("answers 422 with FastAPI's body for an empty session_id", async () => {
    const answer = await call("/agents/a1/stop?session_id=");
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      detail: [
        {
          type: "string_too_short",
          loc: ["query", "session_id"],
          msg: "String should have at least 1 character",
          input: "",
          ctx: { min_length: 1 },
        },
      ],
    });
  });

  it("checks the key before the query, as FastAPI's security dependency does", async () => {
    const answer = await call("/agents/a1/stop", { key: "wrong" });
    expect(answer.status).toBe(401);
  });

  it("answers 404 with a message for an unknown agent and for another session's agent", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const unknown = await call("/agents/nope/stop?session_id=s1");
    expect(unknown.status).toBe(404);
    expect(typeof messageOf(unknown)).toBe("string");
    const otherSession = await call("/agents/a1/stop?session_id=s2");
    expect(otherSession.status).toBe(404);
    expect(typeof messageOf(otherSession)).toBe("string");
    expect(server.agent("a1")?.status).toBe("active");
  });

  it("decodes the agent id as exactly one path segment, and the query", async () => {
    server.addAgent({ agentId: "a/b", sessionId: "s 1&x", task: "t" });
    const answer = await call("/agents/a%2Fb/stop?session_id=s%201%26x");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ agent_id: "a/b", session_id: "s 1&x" });
    // The same id unescaped is two segments: not the route.
    expect((await call("/agents/a/b/stop?session_id=s%201%26x")).status).toBe(
      404,
    );
  });

  it("answers 404 for other routes and 405 for other methods on the route", async () => {
    for (const path of [
      "/",
      "/agents",
      "/agents//stop",
      "/agents/a1/stop/",
      "/agents/a1/start",
    ]) {
      const answer = await call(`${path}?session_id=s1`);
      expect(answer.status, path).toBe(404);
      expect(answer.json).toEqual({ message: "Not Found" });
    }
    for (const method of ["GET", "POST", "PUT", "PATCH"]) {
      const answer = await call("/agents/a1/stop?session_id=s1", { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get("allow")).toBe("DELETE");
      expect(typeof messageOf(answer)).toBe("string");
    }
  });
});

describe("agent status: GET /agents/{agent_id}", () => {
  const get = { method: "GET" };

  it("answers the agent's status, active then closed, whatever its session", async () => {
    const added = server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "find a dog",
      success: true,
    });
    const active = await call("/agents/a1", get);
    expect(active.status).toBe(200);
    expect(active.headers.get("content-type")).toBe("application/json");
    expect(active.json).toEqual(added);

    expect((await call("/agents/a1/stop?session_id=s1")).status).toBe(200);
    // The operation takes no session: a session_id in the query changes nothing.
    for (const path of ["/agents/a1", "/agents/a1?session_id=other"]) {
      const closed = await call(path, get);
      expect(closed.status).toBe(200);
      expect(closed.json).toEqual(server.agent("a1"));
      expect(closed.json).toMatchObject({ status: "closed", session_id: "s1" });
    }
    // Reading the status changes nothing.
    expect(server.agent("a1")?.closed_at).toMatch(ISO_DATE_TIME);
  });

  it("answers 404 { message } for an unknown agent, with the id decoded as one segment", async () => {
    server.addAgent({ agentId: "a/b", sessionId: "s1", task: "t" });
    const unknown = await call("/agents/nope", get);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      message: "Agent not found",
      detail: "Agent nope not found",
    });
    expect((await call("/agents/a%2Fb", get)).status).toBe(200);
    expect((await call("/agents/a/b", get)).status).toBe(404);
    expect((await call("/agents/", get)).status).toBe(404);
  });

  it("answers 401 without a valid key, before looking the agent up", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    for (const key of [null, "wrong"]) {
      const answer = await call("/agents/a1", { ...get, key });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toBe("Bearer");
      expect(typeof messageOf(answer)).toBe("string");
    }
    expect((await call("/agents/nope", { ...get, key: "wrong" })).status).toBe(
      401,
    );
  });

  it("answers 405 with Allow: GET for other methods", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    for (const method of ["DELETE", "POST", "PUT", "HEAD"]) {
      const answer = await call("/agents/a1", { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get("allow")).toBe("GET");
    }
    expect(server.agent("a1")?.status).toBe("active");
  });

  it("shares the rate limit, the faults and the request log with the stop route", async () => {
    const limited = await startExtra({
      rateLimit: { limit: 2, windowMs: 60_000 },
    });
    limited.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    limited.failNext({ status: 503 });
    const on = { ...get, on: limited };
    const answers = [
      await call("/agents/a1", on),
      await call("/agents/a1", on),
      await call("/agents/a1", on),
    ];
    expect(answers.map((a) => a.status)).toEqual([503, 200, 429]);
    expect(answers[1]?.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(answers[2]?.headers.get("retry-after")).not.toBeNull();
    expect(limited.rateLimitedCount).toBe(1);
    expect(
      limited.requests.map((r) => [r.method, r.pathname, r.agentId, r.status]),
    ).toEqual([
      ["GET", "/agents/a1", "a1", 503],
      ["GET", "/agents/a1", "a1", 200],
      ["GET", "/agents/a1", "a1", 429],
    ]);
    expect(limited.requests[0]?.headers.authorization).toBe("[redacted]");
  });
});

describe("rate limiting", () => {
  it("sends the rate-limit headers on every answer, counting down per key", async () => {
    const windowed = await startExtra({
      rateLimit: { limit: 1000, windowMs: 60_000 },
    });
    windowed.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    windowed.failNext({ status: 503 });
    const on = { on: windowed };
    const before = Math.floor(Date.now() / 1000);
    const answers = [
      await call("/agents/a1/stop?session_id=s1", on), // 503 fault
      await call("/agents/a1/stop?session_id=s1", on), // 200
      await call("/agents/a1/stop", on), // 422
      await call("/agents/zz/stop?session_id=s1", on), // 404
      await call("/nowhere", on), // 404
      await call("/agents/a1/stop?session_id=s1", { ...on, method: "GET" }), // 405
    ];
    // No key: counted in a window of its own.
    const anonymous = await call("/agents/a1/stop?session_id=s1", {
      ...on,
      key: null,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("x-ratelimit-remaining")).toBe("999");
    expect(answers.map((a) => a.status)).toEqual([
      503, 200, 422, 404, 404, 405,
    ]);
    const limit = 1000;
    answers.forEach((answer, i) => {
      expect(answer.headers.get("x-ratelimit-limit")).toBe(String(limit));
      expect(answer.headers.get("x-ratelimit-remaining")).toBe(
        String(limit - i - 1),
      );
      // Unix seconds, fractional: the window ends a minute after the first request.
      const reset = Number(answer.headers.get("x-ratelimit-reset"));
      expect(reset).toBeGreaterThanOrEqual(before + 60);
      expect(reset).toBeLessThanOrEqual(before + 63);
    });
  });

  it("enforces a configured limit with 429 and Retry-After, and reset() restarts it", async () => {
    const limited = await startExtra({
      rateLimit: { limit: 2, windowMs: 60_000 },
    });
    limited.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const path = "/agents/a1/stop?session_id=s1";
    const first = await call(path, { on: limited });
    const second = await call(path, { on: limited });
    const third = await call(path, { on: limited });
    // The second stop finds the agent closed: a 404, counted like any answer.
    expect([first.status, second.status, third.status]).toEqual([
      200, 404, 429,
    ]);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(second.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(third.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(typeof messageOf(third)).toBe("string");
    const retryAfter = Number(third.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const retryAfterMs = Number(third.headers.get("retry-after-ms"));
    expect(retryAfterMs).toBeGreaterThan(55_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(limited.rateLimitedCount).toBe(1);
    expect(limited.requests.map((r) => r.rateLimited)).toEqual([
      false,
      false,
      true,
    ]);
    const reset = Number(third.headers.get("x-ratelimit-reset"));
    expect(reset - Date.now() / 1000).toBeGreaterThan(55);

    limited.reset();
    expect(limited.rateLimitedCount).toBe(0);
    limited.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    expect((await call(path, { on: limited })).status).toBe(200);
  });
});

describe("faults", () => {
  const path = "/agents/a1/stop?session_id=s1";
  beforeEach(() => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
  });

  it("answers a status for the next `times` requests, then normally", async () => {
    server.failNext({ status: 503, times: 2 });
    expect(server.pendingFaults).toBe(2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(path)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(server.pendingFaults).toBe(0);
  });

  it("applies queued faults in order", async () => {
    server.failNext({ status: 500 });
    server.failNext({ status: 529, times: 2 });
    server.failNext({ status: 502 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(path)).status);
    expect(statuses).toEqual([500, 529, 529, 502, 200]);
  });

  it("applies before auth, and the faulted request is recorded", async () => {
    server.failNext({ status: 500 });
    const answer = await call("/nowhere", { key: null });
    expect(answer.status).toBe(500);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      pathname: "/nowhere",
      authorized: false,
      fault: { status: 500 },
      status: 500,
    });
  });

  it("sends a default JSON message, a JSON body, or a string body as is, with headers", async () => {
    server.failNext({ status: 503 });
    server.failNext({
      status: 429,
      headers: { "Retry-After": "7", "x-ratelimit-remaining": "0" },
      body: { message: "slow down", detail: "too many" },
    });
    server.failNext({
      status: 502,
      headers: { "content-type": "text/html" },
      body: "<html>Bad gateway</html>",
    });
    server.failNext({ status: 504, body: "" });
    server.failNext({
      status: 500,
      headers: { "x-error-class": "NotteApiExecutionError" },
    });

    const unavailable = await call(path);
    expect(unavailable.status).toBe(503);
    expect(unavailable.json).toEqual({ message: "Service Unavailable" });

    const limited = await call(path);
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ message: "slow down", detail: "too many" });
    expect(limited.headers.get("retry-after")).toBe("7");
    // The fault's header replaces the server's own, it does not duplicate it.
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");

    const html = await call(path);
    expect(html.status).toBe(502);
    expect(html.headers.get("content-type")).toBe("text/html");
    expect(html.text).toBe("<html>Bad gateway</html>");
    expect(html.headers.get("x-ratelimit-limit")).not.toBeNull();

    const empty = await call(path);
    expect(empty.status).toBe(504);
    expect(empty.text).toBe("");
    expect(empty.headers.get("content-type")).toBeNull();

    const execution = await call(path);
    expect(execution.headers.get("x-error-class")).toBe(
      "NotteApiExecutionError",
    );
  });

  it("expresses a redirect", async () => {
    server.failNext({
      status: 307,
      headers: { location: `${server.url}/agents/a1/stop?session_id=s1` },
    });
    const manual = await call("/old", { redirect: "manual" });
    expect(manual.status).toBe(307);
    expect(manual.headers.get("location")).toBe(
      `${server.url}/agents/a1/stop?session_id=s1`,
    );

    server.failNext({
      status: 307,
      headers: { location: "/agents/a1/stop?session_id=s1" },
    });
    const followed = await call("/old");
    expect(followed.status).toBe(200);
    expect(
      server.requests.map((r) => `${r.method} ${r.pathname} ${r.status}`),
    ).toEqual([
      "DELETE /old 307",
      "DELETE /old 307",
      "DELETE /agents/a1/stop 200",
    ]);
  });

  it("delays a fault, or a normal answer", async () => {
    server.failNext({ status: 503, delayMs: 150 });
    server.failNext({ delayMs: 150 });
    let started = performance.now();
    expect((await call(path)).status).toBe(503);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    started = performance.now();
    expect((await call(path)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    // The queue is empty again: answered normally (no timing check, to stay robust on busy CI):
    // the agent is closed now, so the API's answer is a 404.
    expect((await call(path)).status).toBe(404);
  });

  it("hangs until the client gives up", async () => {
    server.failNext({ hang: true });
    const started = performance.now();
    await expect(
      call(path, { signal: AbortSignal.timeout(200) }),
    ).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.status).toBeUndefined();
    // The agent was not touched and the next request is answered normally.
    expect(server.agent("a1")?.status).toBe("active");
    expect((await call(path)).status).toBe(200);
  });

  it("drops the connection without an answer", async () => {
    server.failNext({ drop: true });
    await expect(call(path)).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.status).toBeUndefined();
    expect((await call(path)).status).toBe(200);
  });

  it("truncates the body: headers arrive, reading the body fails", async () => {
    server.failNext({ truncate: true });
    const res = await fetch(`${server.url}${path}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-ratelimit-limit")).not.toBeNull();
    await expect(res.text()).rejects.toThrow();
    expect(server.agent("a1")?.status).toBe("active");
  });

  it("truncates a given body with a given status", async () => {
    server.failNext({ truncate: true, status: 503, body: "x" });
    const res = await fetch(`${server.url}${path}`, { method: "DELETE" });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-length")).toBe("2");
    await expect(res.text()).rejects.toThrow();
  });

  it("rejects malformed faults when queued", () => {
    expect(() => server.failNext({})).toThrow(TypeError);
    expect(() => server.failNext({ hang: true, drop: true })).toThrow(
      TypeError,
    );
    expect(() => server.failNext({ status: 99 })).toThrow(RangeError);
    expect(() => server.failNext({ status: 503, times: 0 })).toThrow(
      RangeError,
    );
    expect(() => server.failNext({ delayMs: -1 })).toThrow(RangeError);
    expect(() =>
      server.failNext({ status: 503, headers: { "bad name": "x" } }),
    ).toThrow();
    expect(() =>
      server.failNext({ status: 503, headers: { ok: "line\nbreak" } }),
    ).toThrow();
    expect(server.pendingFaults).toBe(0);
  });
});

describe("request log", () => {
  it("records method, raw path, query, headers with the key redacted, body and time", async () => {
    server.addAgent({ agentId: "a/b", sessionId: "s 1", task: "t" });
    const before = Date.now();
    await call("/agents/a%2Fb/stop?session_id=s%201&x=1&x=2", {
      headers: {
        "X-Notte-Request-Origin": "sdk-test",
        "Content-Type": "text/plain",
      },
      body: "hello",
    });
    await call("/agents/a%2Fb/stop?session_id=s%201", { key: "wrong" });
    await call("/agents/a%2Fb/stop?session_id=s%201", { key: null });
    const after = Date.now();

    expect(server.requests).toHaveLength(3);
    const [first, second, third] = server.requests;
    expect(first).toMatchObject({
      method: "DELETE",
      path: "/agents/a%2Fb/stop?session_id=s%201&x=1&x=2",
      pathname: "/agents/a%2Fb/stop",
      agentId: "a/b",
      authorized: true,
      body: "hello",
      fault: undefined,
      status: 200,
    });
    expect(first?.query).toEqual({ session_id: "s 1", x: "2" });
    expect(first?.headers["x-notte-request-origin"]).toBe("sdk-test");
    expect(first?.headers["content-type"]).toBe("text/plain");
    expect(first?.headers.authorization).toBe("[redacted]");
    expect(first?.headers.host).toBe(server.url.slice("http://".length));
    for (const name of Object.keys(first?.headers ?? {}))
      expect(name).toBe(name.toLowerCase());
    expect(first?.time).toBeGreaterThanOrEqual(before);
    expect(first?.time).toBeLessThanOrEqual(after);

    expect(second).toMatchObject({ authorized: false, status: 401, body: "" });
    expect(second?.headers.authorization).toBe("[redacted]");
    expect(third).toMatchObject({ authorized: false, status: 401 });
    expect(third?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(server.requests)).not.toContain(server.apiKey);
  });

  it("onRequestEnd gets each request once it is over, answered or not, with recordRequests off too", async () => {
    const ended: NotteTestRequest[] = [];
    const watched = await startExtra({
      recordRequests: false,
      onRequestEnd: (request) => {
        ended.push(request);
      },
    });
    watched.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const on = { on: watched };
    await call("/agents/a1/stop?session_id=s1", on);
    await call("/agents/a1", { ...on, method: "GET", key: "wrong-key-123" });
    watched.failNext({ drop: true });
    await expect(call("/x", on)).rejects.toThrow();
    const deadline = Date.now() + 5_000;
    while (ended.length < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(
      ended.map((r) => [r.method, r.path, r.status, r.headers.authorization]),
    ).toEqual([
      ["DELETE", "/agents/a1/stop?session_id=s1", 200, "[redacted]"],
      ["GET", "/agents/a1", 401, "[redacted]"],
      ["DELETE", "/x", undefined, "[redacted]"],
    ]);
    expect(watched.requests).toHaveLength(0);
    expect(watched.inFlight).toBe(0);
  });

  it("keeps serving whatever onRequestEnd throws or rejects with", async () => {
    let calls = 0;
    const throwing = await startExtra({
      onRequestEnd: () => {
        calls += 1;
        throw new Error("a bug in the test's callback");
      },
    });
    const rejecting = await startExtra({
      onRequestEnd: async () => {
        calls += 1;
        throw new Error("an async bug");
      },
    });
    for (const target of [throwing, rejecting, throwing]) {
      expect((await call("/x", { on: target })).status).toBe(404);
    }
    const deadline = Date.now() + 5_000;
    while (calls < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(3);
    await expect(
      startNotteTestServer({ onRequestEnd: "log" as never }),
    ).rejects.toThrow(TypeError);
  });

  it("can be turned off, and reset() clears agents, requests and faults", async () => {
    const quiet = await startExtra({ recordRequests: false });
    await call("/x", { on: quiet });
    expect(quiet.requests).toHaveLength(0);

    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 500, times: 3 });
    await call("/x");
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect(server.pendingFaults).toBe(0);
    expect(server.agent("a1")).toBeUndefined();
    expect((await call("/agents/a1/stop?session_id=s1")).status).toBe(404);
  });
});

describe("options and lifecycle", () => {
  it("listens on 127.0.0.1 with a random key by default, or the given key and port", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.apiKey.length).toBeGreaterThan(16);
    const other = await startExtra();
    expect(other.apiKey).not.toBe(server.apiKey);

    const port = await freePort();
    const fixed = await startExtra({ apiKey: "my-key", port });
    expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
    expect(fixed.apiKey).toBe("my-key");
    fixed.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    expect(
      (await call("/agents/a1/stop?session_id=s1", { on: fixed })).status,
    ).toBe(200);
  });

  it("closes at once despite a hanging request and idle keep-alive connections", async () => {
    const closing = await startExtra();
    closing.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    // Several connections left idle in fetch's keep-alive pool.
    await Promise.all(
      Array.from({ length: 4 }, () =>
        call("/agents/a1/stop?session_id=s1", { on: closing }),
      ),
    );
    closing.failNext({ hang: true });
    const hanging = call("/agents/a1/stop?session_id=s1", { on: closing });
    hanging.catch(() => {
      // Checked below; this only keeps the rejection from being reported as unhandled.
    });
    while (closing.requests.length < 5)
      await new Promise((resolve) => setTimeout(resolve, 5));

    const started = performance.now();
    const first = closing.close();
    expect(closing.close()).toBe(first);
    await first;
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(hanging).rejects.toThrow();
    await closing.close();
    await expect(fetch(`${closing.url}/x`)).rejects.toThrow();
  });

  it("closes at once while a delayed answer is pending", async () => {
    const closing = await startExtra();
    closing.failNext({ status: 503, delayMs: 10_000 });
    const delayed = fetch(`${closing.url}/x`);
    delayed.catch(() => {
      // Checked below.
    });
    while (closing.requests.length < 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await closing.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(delayed).rejects.toThrow();
  });
});

describe("contract checker", () => {
  it("knows the documented statuses and rejects bodies that break the contract", () => {
    expect(contractStatuses()).toEqual([200, 422]);
    expect(contractStatuses("agent_status")).toEqual([200, 422]);
    const good = {
      agent_id: "a",
      session_id: "s",
      task: "t",
      status: "closed",
      created_at: "2025-01-01T00:00:00Z",
    };
    expect(validateAgainstContract(200, good)).toEqual({ valid: true });
    expect(
      validateAgainstContract(200, { ...good, status: "stopped" }).valid,
    ).toBe(false);
    expect(
      validateAgainstContract(200, { ...good, created_at: "yesterday" }).valid,
    ).toBe(false);
    expect(
      validateAgainstContract(200, { ...good, task: undefined }).valid,
    ).toBe(false);
    expect(
      validateAgainstContract(422, { detail: [{ loc: ["query"], msg: "m" }] })
        .valid,
    ).toBe(false);
    expect(() => validateAgainstContract(401, {})).toThrow();
  });
});

/** A port that was free a moment ago (the system hands out a fresh one each time). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string")
    throw new Error("no port");
  return address.port;
}
