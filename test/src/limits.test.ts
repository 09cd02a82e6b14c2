/**
 * No call is held longer than the server or the caller asked, and what
 * collaborators and callers get back (issue 14): the window against a server
 * that never refuses, waits against timeouts, bad ids against the window,
 * what middleware and fetch see, statuses outside HTTP's range, misspelt
 * options, and raw's own limits.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteApiError,
  NotteClient,
  NotteConfigError,
  NotteError,
  NotteInvalidRequestError,
  NotteRateLimitError,
  NotteResponseTooLargeError,
  NotteTimeoutError,
  type NotteClientOptions,
  type NotteMiddleware,
} from "../../src/index.js";
import {
  rejectionOf,
  sleep,
  usePlainServers,
  type PlainServer,
} from "./helpers.js";

const KEY = "sk_test_limits_0123456789";
const AGENT = { agentId: "a1", sessionId: "s1" };
const STATUS_BODY = JSON.stringify({
  agent_id: "a1",
  session_id: "s1",
  task: "t",
  status: "closed",
  created_at: "2026-01-01T00:00:00Z",
});

const serve = usePlainServers();
const clientOf = (server: PlainServer, options: NotteClientOptions = {}) =>
  new NotteClient({ apiKey: KEY, baseUrl: server.url, ...options });
/** Answers every request with an agent status and the given rate-limit headers. */
const statusWith =
  (headers: () => Record<string, string>) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json", ...headers() });
    res.end(STATUS_BODY);
  };

describe("the rate-limit window believes the server's latest word", () => {
  it("a server that always says 99 remain (reset 60 s ahead) is never waited for: 1,000 sequential stops sharing one signal", async () => {
    const server = await serve(
      statusWith(() => ({
        "x-ratelimit-limit": "100",
        "x-ratelimit-remaining": "99",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60),
      })),
    );
    const notte = clientOf(server);
    const { signal } = new AbortController();
    const started = Date.now();
    for (let i = 0; i < 1000; i++) {
      await notte.agents.stop(AGENT, { signal });
    }
    // The old window kept its own count under the server's and stalled ~60 s after ~100 calls.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(server.requests).toHaveLength(1000);
  }, 30_000);

  it("a bad id is refused before the window: no wait, no slot used", async () => {
    const resetAt = () => String(Date.now() / 1000 + 3);
    let remaining = 1;
    const server = await serve(
      statusWith(() => ({
        "x-ratelimit-remaining": String(remaining--),
        "x-ratelimit-reset": resetAt(),
      })),
    );
    const notte = clientOf(server);
    await notte.agents.stop(AGENT); // says 1 remains
    for (const agentId of [".", "..", " ", ""]) {
      const started = Date.now();
      const error = await rejectionOf(
        notte.agents.stop({ agentId, sessionId: "s1" }),
      );
      expect(error).toBeInstanceOf(NotteInvalidRequestError);
      expect(Date.now() - started).toBeLessThan(100);
    }
    const dots = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", {
        params: { path: { agent_id: ".." }, query: { session_id: "s1" } },
      }),
    );
    expect(dots).toBeInstanceOf(NotteInvalidRequestError);
    // The one remaining request is still there: this call goes at once.
    const started = Date.now();
    await notte.agents.stop(AGENT);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.requests).toHaveLength(2);
  });

  it("logs each wait for the window at info, with its length", async () => {
    const server = await serve(
      statusWith(() => ({
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Date.now() / 1000 + 0.5),
      })),
    );
    const lines: string[] = [];
    const line = (message: string) => void lines.push(message);
    const logger = { error: line, warn: line, info: line, debug: () => {} };
    const notte = clientOf(server, { logger, logLevel: "info" });
    await notte.agents.stop(AGENT);
    await notte.agents.stop(AGENT);
    expect(
      lines.some((text) =>
        /waiting up to \d+ ms for the API's rate-limit window/.test(text),
      ),
    ).toBe(true);
  });
});

describe("every wait fits the call's own limits", () => {
  it("a 429 asking for 30 s on a call with timeoutMs 1000 and retries left ends at once with its NotteRateLimitError", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { "retry-after": "30" });
      res.end('{"message":"slow down"}');
    });
    const started = Date.now();
    const error = await rejectionOf(
      clientOf(server).agents.stop(AGENT, { timeoutMs: 1000 }),
    );
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(NotteRateLimitError);
    expect((error as NotteRateLimitError).retryAfterMs).toBe(30_000);
    expect((error as Error).message).toBe("429 slow down");
    expect(server.requests).toHaveLength(1);
  });

  it("a backoff is logged with its reason and length, and the caller's signal ends it", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const lines: string[] = [];
    const line = (message: string) => void lines.push(message);
    const logger = { error: line, warn: line, info: line, debug: () => {} };
    const notte = clientOf(server, { logger, logLevel: "info" });
    const controller = new AbortController();
    const call = rejectionOf(
      notte.agents.stop(AGENT, { signal: controller.signal }),
    );
    await sleep(100);
    controller.abort(new Error("shutting down"));
    const error = await call;
    expect(error).toBeInstanceOf(NotteAbortError);
    expect((error as Error).cause).toEqual(new Error("shutting down"));
    expect(
      lines.some((text) => /retrying after status 503 in \d+ ms/.test(text)),
    ).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe("what collaborators get back", () => {
  it("onError gets a NotteTimeoutError for a timeout, and a NotteAbortError carrying the caller's reason", async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const seen: unknown[] = [];
    const notte = clientOf(server, { maxRetries: 0 });
    const watching: NotteMiddleware = {
      onError({ error }) {
        seen.push(error);
        // A template literal must not throw (a Symbol did).
        void `${String(error)}`;
      },
    };
    notte.raw.use(watching);
    const timedOut = await rejectionOf(
      notte.agents.stop(AGENT, { timeoutMs: 100 }),
    );
    expect(timedOut).toBeInstanceOf(NotteTimeoutError);
    const controller = new AbortController();
    const call = rejectionOf(
      notte.agents.stop(AGENT, { signal: controller.signal }),
    );
    await sleep(50);
    const reason = new Error("request handler gone");
    controller.abort(reason);
    const aborted = await call;
    expect(aborted).toBeInstanceOf(NotteAbortError);
    expect((aborted as Error).cause).toBe(reason);
    await sleep(20);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(NotteTimeoutError);
    expect(seen[1]).toBeInstanceOf(NotteAbortError);
    expect((seen[1] as Error).cause).toBe(reason);
  });

  it("a header fetch refuses, set by a middleware or added by a fetch wrapper, is one attempt and a NotteInvalidRequestError", async () => {
    const server = await serve(statusWith(() => ({})));
    const viaMiddleware = clientOf(server);
    viaMiddleware.raw.use({
      onRequest({ request }) {
        request.headers.set("expect", "100-continue");
      },
    });
    const first = await rejectionOf(viaMiddleware.agents.stop(AGENT));
    expect(first).toBeInstanceOf(NotteInvalidRequestError);
    expect((first as Error).message).toMatch(/expect/);
    // Node's fetch itself rejects such a request asynchronously, as if the network failed.
    let calls = 0;
    const viaFetch = clientOf(server, {
      fetch: (input, init) => {
        calls += 1;
        const request = new Request(input, init);
        request.headers.set("expect", "100-continue");
        return fetch(request);
      },
    });
    const second = await rejectionOf(viaFetch.agents.stop(AGENT));
    expect(second).toBeInstanceOf(NotteInvalidRequestError);
    expect(calls).toBe(1);
    expect(server.requests).toHaveLength(0);
  });

  it("any status the server sends is a NotteApiError with that status, not retried", async () => {
    for (const status of [600, 999]) {
      const server = await serve((_req, res) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end('{"message":"odd"}');
      });
      const error = await rejectionOf(clientOf(server).agents.stop(AGENT));
      expect(error).toBeInstanceOf(NotteApiError);
      expect((error as NotteApiError).status).toBe(status);
      expect((error as Error).message).toBe(`${status} odd`);
      expect(server.requests).toHaveLength(1);
      const raw = await clientOf(server).raw.DELETE("/agents/{agent_id}/stop", {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
      });
      expect(raw.response.status).toBe(status);
      expect(raw.error).toEqual({ message: "odd" });
    }
  });
});

describe("what callers get back", () => {
  it("unusable batch options reject the batch", async () => {
    const server = await serve(statusWith(() => ({})));
    const notte = clientOf(server);
    for (const headers of [null, 0, "", "x-a: b"]) {
      const error = await rejectionOf(
        notte.agents.stopMany([AGENT], { headers } as never),
      );
      expect(error).toBeInstanceOf(NotteInvalidRequestError);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("misspelt options are refused, naming the likely one", async () => {
    const server = await serve(statusWith(() => ({})));
    expect(() => clientOf(server, { timeout: 5000 } as never)).toThrow(
      /unknown option "timeout" \(did you mean timeoutMs\?\)/,
    );
    const config = (() => {
      try {
        clientOf(server, { timeout: 5000 } as never);
      } catch (error) {
        return error;
      }
    })();
    expect(config).toBeInstanceOf(NotteConfigError);
    expect((config as NotteConfigError).option).toBe("timeout");
    const notte = clientOf(server);
    const call = await rejectionOf(
      notte.agents.stop(AGENT, { timeout: 5 } as never),
    );
    expect(call).toBeInstanceOf(NotteInvalidRequestError);
    expect((call as Error).message).toMatch(
      /"timeout" \(did you mean timeoutMs\?\)/,
    );
    const batch = await rejectionOf(
      notte.agents.stopMany([AGENT], { concurency: 4 } as never),
    );
    expect(batch).toBeInstanceOf(NotteInvalidRequestError);
    expect((batch as Error).message).toMatch(
      /"concurency" \(did you mean concurrency\?\)/,
    );
    const unknown = await rejectionOf(
      notte.agents.stop(AGENT, { colour: "red" } as never),
    );
    expect((unknown as Error).message).toMatch(/unknown option "colour"$/);
    expect(server.requests).toHaveLength(0);
  });

  it("snake_case ids (the API's spelling) get a message naming the spelling", async () => {
    const server = await serve(statusWith(() => ({})));
    const error = await rejectionOf(
      clientOf(server).agents.stop({
        agent_id: "a1",
        session_id: "s1",
      } as never),
    );
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect((error as Error).message).toBe(
      "agents.stop needs agentId (the object has agent_id: spell it agentId)",
    );
  });

  it("raw honours its per-call timeoutMs, maxRetries and maxResponseBytes", async () => {
    const hanging = await serve(() => {});
    const started = Date.now();
    const timeout = await rejectionOf(
      clientOf(hanging).raw.GET("/agents/{agent_id}", {
        params: { path: { agent_id: "a1" } },
        timeoutMs: 150,
        maxRetries: 0,
      } as never),
    );
    expect(timeout).toBeInstanceOf(NotteTimeoutError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hanging.requests).toHaveLength(1);

    const failing = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const { response } = await clientOf(failing).raw.GET("/agents/{agent_id}", {
      params: { path: { agent_id: "a1" } },
      maxRetries: 0,
    } as never);
    expect(response.status).toBe(503);
    expect(failing.requests).toHaveLength(1);

    const big = await serve(statusWith(() => ({})));
    const tooLarge = await rejectionOf(
      clientOf(big).raw.GET("/agents/{agent_id}", {
        params: { path: { agent_id: "a1" } },
        maxResponseBytes: 10,
      } as never),
    );
    expect(tooLarge).toBeInstanceOf(NotteResponseTooLargeError);
    const bad = await rejectionOf(
      clientOf(big).raw.GET("/agents/{agent_id}", {
        params: { path: { agent_id: "a1" } },
        maxRetries: -1,
      } as never),
    );
    expect(bad).toBeInstanceOf(NotteInvalidRequestError);
  });

  it("a very short key (a test's 'k') is redacted where it stands alone, and messages stay readable", async () => {
    const server = await serve((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ message: `bad key: ${req.headers.authorization}` }),
      );
    });
    expect(
      () => new NotteClient({ apiKey: "k", baseUrl: "http://example.com" }),
    ).toThrow(
      "baseUrl http://example.com would send the key unencrypted: use https, or allowInsecureHttp",
    );
    const error = await rejectionOf(
      new NotteClient({ apiKey: "k", baseUrl: server.url }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteError);
    expect((error as Error).message).toBe("401 bad key: Bearer [redacted]");
  });
});
