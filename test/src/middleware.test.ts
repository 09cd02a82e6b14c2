/**
 * Middleware registered with `notte.raw.use()`: it sees every request of the client,
 * `agents.stop` included, once per attempt; its failures are the caller's, as
 * NotteMiddlewareError.
 */
import type { Middleware } from "openapi-fetch";
import { beforeEach, describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteResponseTooLargeError,
  NotteTimeoutError,
} from "../../src/index.js";
import { type NotteTestServer } from "../../src/testing/index.js";
import { AGENT, RAW_STOP, rejectionOf, useNotteTestServer } from "./helpers.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

/** A middleware that adds `x-trace-id` and records what it sees. */
function tracing() {
  const seen = {
    requests: [] as string[],
    statuses: [] as number[],
    errors: [] as unknown[],
  };
  let n = 0;
  const middleware: Middleware = {
    onRequest({ request }) {
      n += 1;
      request.headers.set("x-trace-id", `trace-${n}`);
      seen.requests.push(`${request.method} ${new URL(request.url).pathname}`);
      return undefined;
    },
    onResponse({ response }) {
      seen.statuses.push(response.status);
      return undefined;
    },
    onError({ error }) {
      seen.errors.push(error);
      return undefined;
    },
  };
  return { middleware, seen };
}

beforeEach(() => {
  server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
});

describe("middleware sees agents.stop and raw", () => {
  it("onRequest adds a header that reaches the wire for agents.stop; onResponse sees the answer", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    const status = await notte.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers["x-trace-id"]).toBe("trace-1");
    expect(seen.requests).toEqual(["DELETE /agents/a1/stop"]);
    expect(seen.statuses).toEqual([200]);
    expect(seen.errors).toEqual([]);
  });

  it("the same for raw.DELETE", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    const { data, response } = await notte.raw.DELETE(
      "/agents/{agent_id}/stop",
      RAW_STOP,
    );
    expect(response.status).toBe(200);
    expect(data?.status).toBe("closed");
    expect(server.requests[0]!.headers["x-trace-id"]).toBe("trace-1");
    expect(seen.statuses).toEqual([200]);
  });

  it("onResponse sees an error answer too", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    await rejectionOf(notte.agents.stop({ agentId: "nope", sessionId: "s1" }));
    // The stop's 404, then the 404 of the one status request that follows it.
    expect(seen.statuses).toEqual([404, 404]);
  });

  it("each retry attempt passes through the middleware once (503, then 200)", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    server.failNext({ status: 503 });
    const status = await notte.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(seen.requests).toHaveLength(2);
    expect(seen.statuses).toEqual([503, 200]);
    // Each attempt carries its own trace header on the wire.
    expect(server.requests.map((r) => r.headers["x-trace-id"])).toEqual([
      "trace-1",
      "trace-2",
    ]);
  });

  it("raw's retries pass through the middleware once each too", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    server.failNext({ status: 503 });
    const { response } = await notte.raw.DELETE(
      "/agents/{agent_id}/stop",
      RAW_STOP,
    );
    expect(response.status).toBe(200);
    expect(seen.statuses).toEqual([503, 200]);
  });

  it("onError sees a connection failure (a dropped connection)", async () => {
    const notte = client({ maxRetries: 0 });
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    server.failNext({ drop: true });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteConnectionError);
    expect(seen.errors).toHaveLength(1);
    expect(seen.statuses).toEqual([]);
  });

  it("a dropped attempt then a good one: onError once, onResponse once", async () => {
    const notte = client({ maxRetries: 1 });
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    server.failNext({ drop: true });
    const status = await notte.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(seen.requests).toHaveLength(2);
    expect(seen.errors).toHaveLength(1);
    expect(seen.statuses).toEqual([200]);
  });

  it("after eject the middleware sees nothing", async () => {
    const notte = client();
    const { middleware, seen } = tracing();
    notte.raw.use(middleware);
    notte.raw.eject(middleware);
    await notte.agents.stop(AGENT);
    await notte.raw.DELETE("/agents/{agent_id}/stop", RAW_STOP);
    expect(seen.requests).toEqual([]);
    expect(seen.statuses).toEqual([]);
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests)
      expect(request.headers["x-trace-id"]).toBeUndefined();
  });

  it("onRequest may return a new Request: that one is sent", async () => {
    const notte = client();
    notte.raw.use({
      onRequest({ request }) {
        const headers = new Headers(request.headers);
        headers.set("x-trace-id", "replaced");
        return new Request(request, { headers });
      },
    });
    const status = await notte.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(server.requests[0]!.headers["x-trace-id"]).toBe("replaced");
  });

  it("onResponse may replace the answer: stop resolves to the replacement", async () => {
    const notte = client();
    notte.raw.use({
      async onResponse({ response }) {
        const body = (await response.json()) as Record<string, unknown>;
        return new Response(JSON.stringify({ ...body, task: "rewritten" }), {
          status: response.status,
          headers: response.headers,
        });
      },
    });
    const status = await notte.agents.stop(AGENT);
    expect(status.task).toBe("rewritten");
  });

  it("onRequest may answer itself (a Response): nothing is sent, stop resolves to it", async () => {
    const notte = client();
    notte.raw.use({
      onRequest() {
        return new Response(
          JSON.stringify({
            agent_id: "a1",
            session_id: "s1",
            task: "from the cache",
            status: "closed",
            created_at: "2025-01-01T00:00:00.000Z",
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        );
      },
    });
    const status = await notte.agents.stop(AGENT);
    expect(status.task).toBe("from the cache");
    expect(server.requests).toHaveLength(0);
  });

  it("onError may recover from a dropped connection with a Response", async () => {
    const notte = client({ maxRetries: 0 });
    notte.raw.use({
      onError() {
        return new Response(
          JSON.stringify({
            agent_id: "a1",
            session_id: "s1",
            task: "recovered",
            status: "closed",
            created_at: "2025-01-01T00:00:00.000Z",
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        );
      },
    });
    server.failNext({ drop: true });
    const status = await notte.agents.stop(AGENT);
    expect(status.task).toBe("recovered");
  });

  it("a replacement answer from onResponse is capped by maxResponseBytes", async () => {
    const notte = client({ maxResponseBytes: 1000 });
    notte.raw.use({
      onResponse() {
        return new Response("x".repeat(5000), { status: 200 });
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
  });

  it("use() refuses something that is not a middleware", () => {
    const notte = client();
    expect(() => notte.raw.use({} as Middleware)).toThrow(
      NotteInvalidRequestError,
    );
  });

  it("a middleware of one client does not see another client's calls", async () => {
    const { middleware, seen } = tracing();
    client().raw.use(middleware);
    await client().agents.stop(AGENT);
    expect(seen.requests).toEqual([]);
    expect(server.requests[0]!.headers["x-trace-id"]).toBeUndefined();
  });
});

describe("a middleware that never settles is bounded like fetch", () => {
  const never = (): Promise<undefined> => new Promise(() => {});

  it("onRequest that never settles: NotteTimeoutError at timeoutMs, nothing sent", async () => {
    const notte = client({ timeoutMs: 200, maxRetries: 0 });
    notte.raw.use({ onRequest: never });
    const started = Date.now();
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(0);
  });

  it("onResponse that never settles: NotteTimeoutError at timeoutMs", async () => {
    const notte = client({ timeoutMs: 200, maxRetries: 0 });
    notte.raw.use({ onResponse: never });
    const started = Date.now();
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("onRequest that never settles: the caller's signal ends the call", async () => {
    const notte = client();
    notte.raw.use({ onRequest: never });
    const started = Date.now();
    const error = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", {
        ...RAW_STOP,
        signal: AbortSignal.timeout(100),
      }),
    );
    expect(error).toBeInstanceOf(NotteAbortError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("a failing middleware is a NotteMiddlewareError", () => {
  function expectMiddlewareError(error: unknown, cause: unknown): void {
    expect(error).toBeInstanceOf(NotteMiddlewareError);
    expect(error).toBeInstanceOf(NotteError);
    expect(error).not.toBeInstanceOf(NotteInvalidRequestError);
    expect(error).not.toBeInstanceOf(NotteConnectionError);
    expect((error as Error).name).toBe("NotteMiddlewareError");
    expect((error as Error).cause).toBe(cause);
  }

  it("onRequest throws: the call rejects with its cause, nothing sent, not retried", async () => {
    const thrown = new TypeError("tracing agent not initialised");
    let calls = 0;
    const notte = client();
    notte.raw.use({
      onRequest() {
        calls += 1;
        throw thrown;
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expectMiddlewareError(error, thrown);
    expect(calls).toBe(1);
    expect(server.requests).toHaveLength(0);
  });

  it("onRequest throws a non-Error value: it is the cause as is", async () => {
    const notte = client();
    notte.raw.use({
      onRequest() {
        throw "boom";
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expectMiddlewareError(error, "boom");
  });

  it("onResponse rejects: the call rejects with its cause, sent once, not retried", async () => {
    const thrown = new Error("metrics sink down");
    let calls = 0;
    const notte = client();
    notte.raw.use({
      async onResponse() {
        calls += 1;
        throw thrown;
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expectMiddlewareError(error, thrown);
    expect(calls).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("onResponse throws a SyntaxError: still the middleware's error, not a bad answer", async () => {
    const thrown = new SyntaxError("bad JSON in my own code");
    const notte = client();
    notte.raw.use({
      onResponse() {
        throw thrown;
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expectMiddlewareError(error, thrown);
    expect(server.requests).toHaveLength(1);
  });

  it("onError throws after a dropped connection: the middleware's error, not retried", async () => {
    const thrown = new Error("error reporter down");
    const notte = client();
    notte.raw.use({
      onError() {
        throw thrown;
      },
    });
    server.failNext({ drop: true, times: 3 });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expectMiddlewareError(error, thrown);
    expect(server.requests).toHaveLength(1);
  });

  // An onResponse that reads the body without returning a replacement (a logging
  // middleware that forgot to clone) reads the client's capped copy: the call still
  // gets the body, and the DELETE is sent once.
  it("onResponse reads the body with text(): the call still gets it, sent once", async () => {
    const logged: string[] = [];
    const reading: Middleware = {
      async onResponse({ response }) {
        logged.push(await response.text());
        return undefined;
      },
    };
    const rawClient = client();
    rawClient.raw.use(reading);
    const { data } = await rawClient.raw.DELETE(
      "/agents/{agent_id}/stop",
      RAW_STOP,
    );
    expect(data?.status).toBe("closed");
    server.reset();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    const status = await rawClient.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(server.requests).toHaveLength(1);
    expect(logged).toHaveLength(2);
    expect(JSON.parse(logged[1] ?? "")).toEqual(status);
  });

  // Regression: a middleware that drains the stream itself once made agents.stop fail as
  // a NotteConnectionError ("ReadableStream is locked") and retry: the DELETE, already
  // answered 200, was sent 3 times.
  it("onResponse drains response.body itself: stop fails as raw does, sent once, not as a connection error", async () => {
    const consuming: Middleware = {
      async onResponse({ response }) {
        const reader = response.body?.getReader();
        while (reader && !(await reader.read()).done);
        return undefined;
      },
    };
    const rawClient = client();
    rawClient.raw.use(consuming);
    const rawError = await rejectionOf(
      rawClient.raw.DELETE("/agents/{agent_id}/stop", RAW_STOP),
    );
    expect(rawError).toBeInstanceOf(NotteMiddlewareError);
    expect(server.requests).toHaveLength(1);

    server.reset();
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    const stopClient = client();
    stopClient.raw.use(consuming);
    const stopError = await rejectionOf(stopClient.agents.stop(AGENT));
    expect(server.requests).toHaveLength(1);
    expect(stopError).not.toBeInstanceOf(NotteConnectionError);
    expect((stopError as Error).name).toBe((rawError as Error).name);
  });

  it("onResponse returns something that is not a Response: NotteMiddlewareError, not retried", async () => {
    const notte = client();
    notte.raw.use({ onResponse: () => "not a response" as never });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteMiddlewareError);
    expect(server.requests).toHaveLength(1);
  });

  // Regression: the same mistake in onRequest (openapi-fetch then throws "onRequest: must
  // return new Request() or Response() when modifying the request") once surfaced as a
  // NotteInvalidRequestError, the mislabelling issue 8 rules out.
  it("onRequest returns something that is not a Request: NotteMiddlewareError, not an invalid request", async () => {
    const notte = client();
    notte.raw.use({ onRequest: () => "not a request" as never });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(server.requests).toHaveLength(0);
    expect(error).not.toBeInstanceOf(NotteInvalidRequestError);
    expect(error).toBeInstanceOf(NotteMiddlewareError);
  });

  it("raw.DELETE with a throwing onRequest: the same", async () => {
    const thrown = new Error("nope");
    const notte = client();
    notte.raw.use({
      onRequest() {
        throw thrown;
      },
    });
    const error = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", RAW_STOP),
    );
    expectMiddlewareError(error, thrown);
    expect(server.requests).toHaveLength(0);
  });

  it("a per-call raw middleware that throws: the same", async () => {
    const thrown = new Error("per call");
    const error = await rejectionOf(
      client().raw.DELETE("/agents/{agent_id}/stop", {
        ...RAW_STOP,
        middleware: [
          {
            onRequest() {
              throw thrown;
            },
          },
        ],
      }),
    );
    expectMiddlewareError(error, thrown);
    expect(server.requests).toHaveLength(0);
  });
});
