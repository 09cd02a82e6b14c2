import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  NOTTE_API_VERSION,
  NotteAbortError,
  NotteApiError,
  NotteAuthenticationError,
  NotteClient,
  NotteConflictError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteOverloadedError,
  NottePermissionDeniedError,
  NotteRateLimitError,
  NotteServerError,
  NotteTimeoutError,
  NotteValidationError,
  VERSION,
} from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";
import { useNotteTestServer } from "./helpers.js";
import { assertMatchesContract } from "../testing/contract.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  if (address === null || typeof address === "string")
    throw new Error("no port");
  await new Promise((resolve) => probe.close(resolve));
  return address.port;
}

describe("agents.stop on the wire", () => {
  it("sends DELETE /agents/{agent_id}/stop?session_id=… with every header", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    await client().agents.stop({ agentId: "a1", sessionId: "s1" });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({
      method: "DELETE",
      path: "/agents/a1/stop?session_id=s1",
      query: { session_id: "s1" },
      authorized: true,
      body: "",
    });
    expect(request?.headers).toMatchObject({
      authorization: "[redacted]",
      accept: "application/json",
      "x-notte-sdk-version": VERSION,
      "x-notte-request-origin": "notte-api-client",
    });
    expect(request?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(request?.headers["content-type"]).toBeUndefined();
  });

  it("adds client and per-call headers, the request origin and a chosen idempotency key", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = client({
      headers: { "x-team": "ops" },
      requestOrigin: "incident-bot",
    });
    await notte.agents.stop(
      { agentId: "a1", sessionId: "s1" },
      { headers: { "x-trace": "abc" }, idempotencyKey: "stop-a1-once" },
    );
    expect(server.requests[0]?.headers).toMatchObject({
      "x-team": "ops",
      "x-trace": "abc",
      "x-notte-request-origin": "incident-bot",
      "idempotency-key": "stop-a1-once",
    });
  });

  it("sends any other id as exactly one percent-encoded path segment", async () => {
    const ids = [
      "a/b",
      "a?b#c",
      "%2e%2e",
      "...",
      ".a",
      "a b",
      "ünï/cødé",
      "..%2f..",
      "a\\b",
      "a\nb",
    ];
    for (const agentId of ids)
      server.addAgent({ agentId, sessionId: "s&1=2", task: "t" });
    const notte = client();
    for (const agentId of ids) {
      const status = await notte.agents.stop({ agentId, sessionId: "s&1=2" });
      expect(status.agent_id).toBe(agentId);
    }
    expect(server.requests.map((request) => request.agentId)).toEqual(ids);
    for (const request of server.requests) {
      expect(request.pathname).toMatch(/^\/agents\/[^/]+\/stop$/);
      expect(request.query).toEqual({ session_id: "s&1=2" });
    }
  });
});

describe("agents.stop results", () => {
  it("resolves to the closed agent, valid against the contract", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    const status = await client().agents.stop({
      agentId: "a1",
      sessionId: "s1",
    });
    expect(status).toMatchObject({
      agent_id: "a1",
      session_id: "s1",
      status: "closed",
      task: "find a dog",
    });
    expect(typeof status.closed_at).toBe("string");
    assertMatchesContract(200, status);
  });

  it("gives the HTTP answer with withResponse(), rate-limit headers included", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { data, response } = await client()
      .agents.stop({ agentId: "a1", sessionId: "s1" })
      .withResponse();
    expect(data.status).toBe("closed");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
    expect(response.headers.get("x-ratelimit-limit")).toMatch(/^\d+$/);
  });

  it("works as a promise: then, catch, finally, and withResponse alone", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = client({ maxRetries: 0 });
    const settled: string[] = [];
    const status = await notte.agents
      .stop({ agentId: "a1", sessionId: "s1" })
      .finally(() => settled.push("finally"));
    expect(status.status).toBe("closed");
    const caught = await notte.agents
      .stop({ agentId: "nobody", sessionId: "s1" })
      .catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(NotteNotFoundError);
    expect(settled).toEqual(["finally"]);

    // Only withResponse() is awaited: its rejection is the only one, and it is handled.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const error = await rejectionOf(
        notte.agents
          .stop({ agentId: "nobody", sessionId: "s1" })
          .withResponse(),
      );
      expect(error).toBeInstanceOf(NotteNotFoundError);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a second stop of the same agent is the API's 404: only a running agent can be stopped", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = client();
    const first = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    expect(first.status).toBe("closed");
    const second = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }),
    );
    expect(second).toBeInstanceOf(NotteNotFoundError);
  });

  it("handles 200 concurrent stops on one client", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `agent-${i}`);
    for (const agentId of ids)
      server.addAgent({ agentId, sessionId: "s", task: "t" });
    const notte = client();
    const statuses = await Promise.all(
      ids.map((agentId) => notte.agents.stop({ agentId, sessionId: "s" })),
    );
    expect(statuses.map((status) => status.agent_id)).toEqual(ids);
    expect(statuses.every((status) => status.status === "closed")).toBe(true);
    expect(server.requests).toHaveLength(200);
    expect(
      new Set(
        server.requests.map((request) => request.headers["idempotency-key"]),
      ).size,
    ).toBe(200);
  });
});

describe("API errors", () => {
  const cases: [number, new (...args: never[]) => NotteApiError][] = [
    [400, NotteApiError],
    [403, NottePermissionDeniedError],
    [409, NotteConflictError],
    [429, NotteRateLimitError],
    [500, NotteServerError],
    [503, NotteServerError],
    [529, NotteOverloadedError],
  ];
  it.each(cases)("maps %i to its class", async (status, errorClass) => {
    server.failNext({
      status,
      body: { message: `status ${status} here` },
      headers: { "x-error-class": "Boom" },
    });
    const error = await rejectionOf(
      client({ maxRetries: 0 }).agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toBeInstanceOf(NotteError);
    expect(error).toMatchObject({
      status,
      errorClass: "Boom",
      body: { message: `status ${status} here` },
    });
    expect((error as Error).message).toBe(`${status} status ${status} here`);
  });

  it("maps a wrong key to NotteAuthenticationError (401) without retrying", async () => {
    const error = await rejectionOf(
      client({ apiKey: "sk_wrong_key_123" }).agents.stop({
        agentId: "a",
        sessionId: "s",
      }),
    );
    expect(error).toBeInstanceOf(NotteAuthenticationError);
    expect((error as NotteApiError).status).toBe(401);
    expect(server.requests).toHaveLength(1);
  });

  it("maps an unknown agent, or one of another session, to NotteNotFoundError", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = client();
    for (const params of [
      { agentId: "nobody", sessionId: "s1" },
      { agentId: "a1", sessionId: "someone-else" },
    ]) {
      const error = await rejectionOf(notte.agents.stop(params));
      expect(error).toBeInstanceOf(NotteNotFoundError);
      expect((error as Error).message).toMatch(/^404 /);
    }
    // Each 404 to a stop is followed by one status request, which tells these apart from a stopped agent.
    expect(server.requests.map((request) => request.method)).toEqual([
      "DELETE",
      "GET",
      "DELETE",
      "GET",
    ]);
  });

  it("reads a FastAPI 422 body into NotteValidationError.detail", async () => {
    const detail = [
      {
        type: "missing",
        loc: ["query", "session_id"],
        msg: "Field required",
        input: null,
      },
    ];
    server.failNext({ status: 422, body: { detail } });
    const error = await rejectionOf(
      client().agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteValidationError);
    expect((error as NotteValidationError).detail).toEqual(detail);
    expect((error as Error).message).toBe(
      "422 query.session_id: Field required",
    );
    assertMatchesContract(422, (error as NotteApiError).body);
    expect(server.requests).toHaveLength(1);
  });

  it("keeps a 422 with a top-level message and a string detail readable", async () => {
    server.failNext({
      status: 422,
      body: { message: "Bad session", detail: "session expired" },
    });
    const error = await rejectionOf(
      client().agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect((error as NotteValidationError).detail).toBeUndefined();
    expect((error as Error).message).toBe("422 Bad session: session expired");
  });

  it("keeps an HTML or empty error body as text", async () => {
    const html = "<html><body><h1>502 Bad Gateway</h1>\n</body></html>";
    server.failNext({
      status: 502,
      body: html,
      headers: { "content-type": "text/html" },
    });
    server.failNext({ status: 503, body: "" });
    const notte = client({ maxRetries: 0 });
    const htmlError = await rejectionOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(htmlError).toBeInstanceOf(NotteServerError);
    expect((htmlError as NotteApiError).body).toBe(html);
    expect((htmlError as Error).message).toBe("502 (no message in the body)");
    const emptyError = await rejectionOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(emptyError).toMatchObject({ status: 503, body: "" });
  });

  it("reports retryAfterMs on a rate-limit error", async () => {
    server.failNext({ status: 429, headers: { "retry-after": "7" } });
    const error = await rejectionOf(
      client({ maxRetries: 0 }).agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteRateLimitError);
    expect((error as NotteRateLimitError).retryAfterMs).toBe(7000);
  });
});

describe("unusable success answers", () => {
  const bodies: [string, unknown, RegExp][] = [
    [
      "HTML",
      "<html>hello</html>",
      /^200 answer is not an agent status: the body is not JSON$/,
    ],
    ["empty", "", /^200 answer is not an agent status: the body is empty$/],
    ["a JSON array", [1, 2], /not a JSON object/],
    ["JSON null", "null", /not a JSON object/],
    [
      "an object without required fields",
      { agent_id: "a" },
      /field created_at is missing/,
    ],
    [
      "a status that is not a string",
      {
        agent_id: "a",
        session_id: "s",
        created_at: "2026-01-01T00:00:00Z",
        task: "t",
        status: 3,
      },
      /field status is 3/,
    ],
  ];

  it("passes on a status Notte added after the package was generated: the agent was stopped all the same", async () => {
    const body = {
      agent_id: "a",
      session_id: "s",
      created_at: "2026-01-01T00:00:00Z",
      task: "t",
      status: "failed",
    };
    server.failNext({ status: 200, body });
    const status = await client().agents.stop({ agentId: "a", sessionId: "s" });
    expect(status.status as string).toBe("failed");
  });
  it.each(bodies)("turns %s into a NotteApiError", async (_, body, message) => {
    server.failNext({ status: 200, body });
    const error = await rejectionOf(
      client().agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteApiError);
    expect(error).toMatchObject({ status: 200 });
    expect((error as Error).message).toMatch(message);
    expect(server.requests).toHaveLength(1);
  });

  it("retries a body cut off mid-way, then reports NotteConnectionError", async () => {
    server.failNext({ truncate: true, times: 3 });
    const error = await rejectionOf(
      client({ maxRetries: 2 }).agents.stop(
        { agentId: "a", sessionId: "s" },
        { timeoutMs: 2000 },
      ),
    );
    expect(error).toBeInstanceOf(NotteConnectionError);
    expect(error).not.toBeInstanceOf(NotteTimeoutError);
    expect(server.requests).toHaveLength(3);
  });

  it("recovers from a body cut off once", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ truncate: true });
    const status = await client().agents.stop({
      agentId: "a1",
      sessionId: "s1",
    });
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(2);
  });
});

describe("retries", () => {
  it("retries 5xx with the same idempotency key and succeeds", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({
      status: 503,
      times: 1,
      headers: { "retry-after-ms": "10" },
    });
    server.failNext({
      status: 529,
      times: 1,
      headers: { "retry-after-ms": "10" },
    });
    const status = await client().agents.stop({
      agentId: "a1",
      sessionId: "s1",
    });
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(3);
    const keys = new Set(
      server.requests.map((request) => request.headers["idempotency-key"]),
    );
    expect(keys.size).toBe(1);
  });

  it("throws the last attempt's error after maxRetries", async () => {
    server.failNext({
      status: 500,
      times: 5,
      headers: { "retry-after-ms": "1" },
    });
    const error = await rejectionOf(
      client({ maxRetries: 2 }).agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteServerError);
    expect(server.requests).toHaveLength(3);
  });

  it("lets a call override maxRetries", async () => {
    server.failNext({
      status: 408,
      times: 5,
      headers: { "retry-after-ms": "1" },
    });
    await rejectionOf(
      client({ maxRetries: 0 }).agents.stop(
        { agentId: "a", sessionId: "s" },
        { maxRetries: 3 },
      ),
    );
    expect(server.requests).toHaveLength(4);
  });

  it.each([400, 401, 403, 404, 422])("does not retry %i", async (status) => {
    server.failNext({ status, times: 3 });
    await rejectionOf(client().agents.stop({ agentId: "a", sessionId: "s" }));
    // A 404 to a stop is followed by one status request (is it already stopped?), never a retry.
    expect(server.requests.map((request) => request.method)).toEqual(
      status === 404 ? ["DELETE", "GET"] : ["DELETE"],
    );
  });

  it("honours Retry-After in seconds", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 429, headers: { "retry-after": "1" } });
    await client().agents.stop({ agentId: "a1", sessionId: "s1" });
    const [first, second] = server.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(950);
  });

  it("honours Retry-After as an HTTP date", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    // HTTP dates have whole seconds: two seconds ahead waits between one and two.
    server.failNext({
      status: 503,
      headers: { "retry-after": new Date(Date.now() + 2000).toUTCString() },
    });
    await client().agents.stop({ agentId: "a1", sessionId: "s1" });
    const [first, second] = server.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(950);
    expect(second!.time - first!.time).toBeLessThan(2500);
  });

  it("retries a dropped connection", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ drop: true });
    const status = await client().agents.stop({
      agentId: "a1",
      sessionId: "s1",
    });
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(2);
  });
});

describe("time limits and cancellation", () => {
  it("times out an attempt on a server that never answers, then retries", async () => {
    server.failNext({ hang: true, times: 2 });
    const started = Date.now();
    const error = await rejectionOf(
      client({ timeoutMs: 150, maxRetries: 1 }).agents.stop({
        agentId: "a",
        sessionId: "s",
      }),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(error).toBeInstanceOf(NotteConnectionError);
    expect((error as NotteTimeoutError).timeoutMs).toBe(150);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("bounds the body read by the same timeout, and retries it", async () => {
    server.failNext({ stall: true, times: 2 });
    const error = await rejectionOf(
      client({ maxRetries: 1 }).agents.stop(
        { agentId: "a", sessionId: "s" },
        { timeoutMs: 150 },
      ),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    // Both attempts got their headers: the timer ran out while reading the body.
    expect(server.requests.map((request) => request.status)).toEqual([
      200, 200,
    ]);
  });

  it("stops at once when the caller aborts during a request, without retrying", async () => {
    server.failNext({ hang: true, times: 3 });
    const controller = new AbortController();
    const call = client().agents.stop(
      { agentId: "a", sessionId: "s" },
      { signal: controller.signal },
    );
    await waitFor(() => server.requests.length === 1);
    controller.abort();
    const error = await rejectionOf(call);
    expect(error).toBeInstanceOf(NotteAbortError);
    await sleep(100);
    expect(server.requests).toHaveLength(1);
  });

  it("stops at once when the caller aborts during a wait between retries", async () => {
    server.failNext({ status: 503, headers: { "retry-after": "30" } });
    const controller = new AbortController();
    const call = client().agents.stop(
      { agentId: "a", sessionId: "s" },
      { signal: controller.signal },
    );
    await waitFor(() => server.requests[0]?.status === 503);
    await sleep(50);
    const started = Date.now();
    controller.abort();
    const error = await rejectionOf(call);
    expect(error).toBeInstanceOf(NotteAbortError);
    expect(Date.now() - started).toBeLessThan(500);
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing when the signal has already fired", async () => {
    const error = await rejectionOf(
      client().agents.stop(
        { agentId: "a", sessionId: "s" },
        { signal: AbortSignal.abort() },
      ),
    );
    expect(error).toBeInstanceOf(NotteAbortError);
    expect(server.requests).toHaveLength(0);
  });

  it("reports a refused connection as NotteConnectionError after retrying", async () => {
    const port = await closedPort();
    const notte = new NotteClient({
      apiKey: "k",
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 1,
    });
    const error = await rejectionOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteConnectionError);
    expect(error).not.toBeInstanceOf(NotteTimeoutError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe("redirects", () => {
  it("never carries the Authorization header to another origin", async () => {
    const other = await startNotteTestServer({ apiKey: server.apiKey });
    try {
      other.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
      server.failNext({
        status: 307,
        headers: { location: `${other.url}/agents/a1/stop?session_id=s1` },
      });
      const error = await rejectionOf(
        client({ maxRetries: 0 }).agents.stop({
          agentId: "a1",
          sessionId: "s1",
        }),
      );
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
      expect(other.requests[0]?.authorized).toBe(false);
      expect(error).toBeInstanceOf(NotteAuthenticationError);
    } finally {
      await other.close();
    }
  });
});

describe("bad input is refused before anything is sent", () => {
  const badParams: [string, unknown][] = [
    ["no params", undefined],
    ["null", null],
    ["a string", "a1"],
    ["no agentId", { sessionId: "s" }],
    ["no sessionId", { agentId: "a" }],
    ["a numeric agentId", { agentId: 42, sessionId: "s" }],
    ["an array sessionId", { agentId: "a", sessionId: ["s"] }],
    ["an empty agentId", { agentId: "", sessionId: "s" }],
    ["a whitespace agentId", { agentId: " \t\n", sessionId: "s" }],
    ["an empty sessionId", { agentId: "a", sessionId: "" }],
    ["a whitespace sessionId", { agentId: "a", sessionId: "   " }],
    ["agentId '.'", { agentId: ".", sessionId: "s" }],
    ["agentId '..'", { agentId: "..", sessionId: "s" }],
    ["a lone surrogate", { agentId: "a\uD800", sessionId: "s" }],
  ];
  it.each(badParams)("refuses %s", async (_, params) => {
    const notte = client();
    // Deliberately untyped: JavaScript callers and bad data reach this too.
    const stop = notte.agents.stop as (params: unknown) => Promise<unknown>;
    const error = await rejectionOf(stop.call(notte.agents, params));
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });

  const badOptions: [string, unknown][] = [
    ["options that are not an object", 5],
    ["a zero timeout", { timeoutMs: 0 }],
    ["a NaN timeout", { timeoutMs: Number.NaN }],
    ["a fractional maxRetries", { maxRetries: 1.5 }],
    ["a negative maxRetries", { maxRetries: -1 }],
    ["a signal that is not one", { signal: {} }],
    ["a header value with a newline", { headers: { "x-a": "1\r\nx-b: 2" } }],
    ["a header name with a space", { headers: { "x a": "1" } }],
    ["an empty idempotency key", { idempotencyKey: "" }],
    ["an idempotency key that is not a string", { idempotencyKey: 7 }],
    ["an Authorization header", { headers: { authorization: "Bearer x" } }],
    ["an Accept header", { headers: { Accept: "text/html" } }],
  ];
  it.each(badOptions)("refuses %s", async (_, options) => {
    const notte = client();
    const stop = notte.agents.stop as (
      params: unknown,
      options: unknown,
    ) => Promise<unknown>;
    const error = await rejectionOf(
      stop.call(notte.agents, { agentId: "a", sessionId: "s" }, options),
    );
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("the raw openapi-fetch client", () => {
  it("shares auth, headers and retries", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 503, headers: { "retry-after-ms": "1" } });
    const { data, response } = await client().raw.DELETE(
      "/agents/{agent_id}/stop",
      {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
      },
    );
    expect(response.status).toBe(200);
    expect(data?.status).toBe("closed");
    expect(server.requests).toHaveLength(2);
    expect(server.requests.every((request) => request.authorized)).toBe(true);
    expect(server.requests[1]?.headers["x-notte-sdk-version"]).toBe(VERSION);
    expect(server.requests[0]?.headers["idempotency-key"]).toBe(
      server.requests[1]?.headers["idempotency-key"],
    );
  });

  it("rejects with this package's errors when no answer comes", async () => {
    server.failNext({ hang: true });
    const controller = new AbortController();
    const call = client().raw.DELETE("/agents/{agent_id}/stop", {
      params: { path: { agent_id: "a" }, query: { session_id: "s" } },
      signal: controller.signal,
    });
    await waitFor(() => server.requests.length === 1);
    controller.abort();
    expect(await rejectionOf(call)).toBeInstanceOf(NotteAbortError);
  });
});

describe("the raw client's guards", () => {
  const stopPath = "/agents/{agent_id}/stop" as const;

  it("refuses a dot-segment path parameter without sending", async () => {
    for (const agent_id of [".", ".."]) {
      const error = await rejectionOf(
        client().raw.DELETE(stopPath, {
          params: { path: { agent_id }, query: { session_id: "s" } },
        }),
      );
      expect(error).toBeInstanceOf(NotteInvalidRequestError);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("turns a success that is not JSON into a NotteApiError", async () => {
    server.failNext({ status: 200, body: "<html>hi</html>" });
    const error = await rejectionOf(
      client().raw.DELETE(stopPath, {
        params: { path: { agent_id: "a" }, query: { session_id: "s" } },
      }),
    );
    expect(error).toBeInstanceOf(NotteApiError);
    expect(error).toMatchObject({ status: 200, body: "<html>hi</html>" });
  });

  it("times out a stalled body and retries it", async () => {
    server.failNext({ stall: true, times: 2 });
    const error = await rejectionOf(
      client({ timeoutMs: 150, maxRetries: 1 }).raw.DELETE(stopPath, {
        params: { path: { agent_id: "a" }, query: { session_id: "s" } },
      }),
    );
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it("reports a request it cannot build as NotteInvalidRequestError", async () => {
    const error = await rejectionOf(
      client().raw.DELETE(stopPath, {
        params: { path: { agent_id: "a" }, query: { session_id: "s" } },
        headers: { "x-bad": "a\nb" },
      }),
    );
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("the fetch option", () => {
  it("is called unbound, with the URL and an init, or with the Request middleware saw", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const seen: string[] = [];
    const notte = client({
      fetch: function (this: unknown, input, init) {
        const method = typeof input === "string" ? init.method : input.method;
        seen.push(
          `${method} ${typeof input} ${init.signal instanceof AbortSignal} ${this === undefined}`,
        );
        return fetch(input, init);
      },
    });
    await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    // Running again before each stop: a closed agent's stop is a 404.
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    await notte.raw.DELETE("/agents/{agent_id}/stop", {
      params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
    });
    notte.raw.use({ onRequest: () => undefined });
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    // stop without middleware: the URL; raw, and stop while middleware is registered: the Request.
    expect(seen).toEqual([
      "DELETE string true true",
      "DELETE object true true",
      "DELETE object true true",
    ]);
    expect(server.requests.every((request) => request.authorized)).toBe(true);
  });

  it("fails the attempt, not hangs, when it resolves to something that is not a response", async () => {
    const notte = client({
      maxRetries: 0,
      fetch: async () => undefined as unknown as Response,
    });
    const error = await rejectionOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteConnectionError);
  });
});

describe("the API key stays secret", () => {
  const key = "sk_live_SECRET_0123456789";

  it("is absent from errors, the client and debug logs", async () => {
    const lines: string[] = [];
    const record = (message: string, details?: Record<string, unknown>) =>
      lines.push(`${message} ${inspect(details)}`);
    const notte = client({
      apiKey: key,
      logLevel: "debug",
      logger: { error: record, warn: record, info: record, debug: record },
    });
    server.failNext({ status: 503, headers: { "retry-after-ms": "1" } });
    const error = await rejectionOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    );
    expect(error).toBeInstanceOf(NotteAuthenticationError);
    expect(lines.some((line) => line.includes("DELETE"))).toBe(true);
    expect(lines.some((line) => line.includes("retrying"))).toBe(true);
    for (const text of [
      (error as Error).message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10, showHidden: true }),
      inspect(notte, { depth: 10, showHidden: true }),
      JSON.stringify(notte),
      ...lines,
    ]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain("SECRET");
    }
  });

  it("a logger that throws changes nothing about the call", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 503, headers: { "retry-after-ms": "1" } });
    const explode = () => {
      throw new Error("logger broke");
    };
    const notte = client({
      logLevel: "debug",
      logger: { error: explode, warn: explode, info: explode, debug: explode },
    });
    const status = await notte.agents.stop({ agentId: "a1", sessionId: "s1" });
    expect(status.status).toBe("closed");
  });

  it("logs nothing by default", async () => {
    const lines: string[] = [];
    const record = (message: string) => lines.push(message);
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    await client({
      logger: { error: record, warn: record, info: record, debug: record },
    }).agents.stop({
      agentId: "a1",
      sessionId: "s1",
    });
    expect(lines).toEqual([]);
  });
});

describe("versions", () => {
  it("VERSION is package.json's version", () => {
    const packageJson = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    );
    expect(VERSION).toBe(packageJson.version);
  });
  it("NOTTE_API_VERSION is openapi.json's info.version", () => {
    const document = JSON.parse(
      readFileSync(new URL("../../openapi.json", import.meta.url), "utf8"),
    );
    expect(NOTTE_API_VERSION).toBe(document.info.version);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(
  condition: () => boolean,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}
