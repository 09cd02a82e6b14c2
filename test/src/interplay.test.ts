/**
 * Features against each other: the rate-limit window against calls already
 * waiting, retries and a 429's absurd wait; the "already stopped?" status
 * request against failures; middleware against the body cap; and hostile or
 * unusual inputs against the option checker.
 */
import { execFile } from "node:child_process";
import { inspect, promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  NotteAlreadyStoppedError,
  NotteClient,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteResponseTooLargeError,
  NotteServerError,
  type NotteClientOptions,
} from "../../src/index.js";
import { rejectionOf, usePlainServers, type PlainServer } from "./helpers.js";

const KEY = "sk_test_interplay_0123456789";
const AGENT = { agentId: "a1", sessionId: "s1" };
const statusOf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    agent_id: "a1",
    session_id: "s1",
    task: "t",
    status: "closed",
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  });

const serve = usePlainServers();
const clientOf = (server: PlainServer, options: NotteClientOptions = {}) =>
  new NotteClient({ apiKey: KEY, baseUrl: server.url, ...options });

describe("the window and calls already waiting", () => {
  it("calls waiting for the window wake when an answer reopens it: 300 in parallel against a server that always says 99 remain", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "x-ratelimit-limit": "100",
        "x-ratelimit-remaining": "99",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 59),
      });
      res.end(statusOf());
    });
    const notte = clientOf(server);
    await notte.agents.stop(AGENT);
    const started = Date.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, () => notte.agents.stop(AGENT)),
    );
    expect(outcomes.every((outcome) => outcome.status === "fulfilled")).toBe(
      true,
    );
    // They slept until the reset, 59 s, before.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.requests).toHaveLength(301);
  }, 30_000);

  it("a retry the window would hold longer than timeoutMs gives up with the last answer, not an invented 429", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Date.now() / 1000 + 10),
      });
      res.end('{"message":"down"}');
    });
    const started = Date.now();
    const error = await rejectionOf(
      clientOf(server).agents.stop(AGENT, { timeoutMs: 1000 }),
    );
    expect(error).toBeInstanceOf(NotteServerError);
    expect((error as Error).message).toBe("503 down");
    // No backoff was slept first.
    expect(Date.now() - started).toBeLessThan(300);
    expect(server.requests).toHaveLength(1);
  });
});

describe("the status request after a stop's 404", () => {
  it("when it fails, the 404 says it could not tell, with the status error as cause, and the CLI exits 5", async () => {
    let requests = 0;
    const server = await serve((req, res) => {
      requests += 1;
      if (req.method === "DELETE") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end('{"message":"Agent not found"}');
      } else {
        res.writeHead(503);
        res.end();
      }
    });
    const error = await rejectionOf(clientOf(server).agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteNotFoundError);
    expect(error).not.toBeInstanceOf(NotteAlreadyStoppedError);
    expect((error as Error).message).toBe(
      "404 Agent not found (could not check whether it was already stopped: 503 (no message in the body))",
    );
    expect((error as Error).cause).toBeInstanceOf(NotteServerError);
    expect(requests).toBe(2);
    const cli = await promisify(execFile)(
      process.execPath,
      [
        "dist/esm/src/cli.js",
        "a1",
        "--session-id",
        "s1",
        "--base-url",
        server.url,
        "--api-key",
        KEY,
      ],
      { env: {} },
    ).then(
      () => 0,
      (failed: { code: number }) => failed.code,
    );
    expect(cli).toBe(5);
  });

  it("a stop retried after its answer was lost, that then finds the agent closed, resolves: its own first attempt stopped it", async () => {
    let deletes = 0;
    const server = await serve((req, res) => {
      if (req.method === "DELETE" && ++deletes === 1) {
        req.socket.destroy(); // stopped, and the answer lost
      } else if (req.method === "DELETE") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end('{"message":"Agent not found"}');
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(statusOf());
      }
    });
    const { data, response } = await clientOf(server)
      .agents.stop(AGENT)
      .withResponse();
    expect(data).toMatchObject({ agent_id: "a1", status: "closed" });
    expect(response.status).toBe(200);
    expect(server.requests.map((request) => request.method)).toEqual([
      "DELETE",
      "DELETE",
      "GET",
    ]);
    // The same key for both attempts of the call.
    const [first, second] = server.requests;
    expect(second?.headers["idempotency-key"]).toBe(
      first?.headers["idempotency-key"],
    );
  });

  it("an agent in a state this package does not know yet (not active) counts as already stopped", async () => {
    const server = await serve((req, res) => {
      res.writeHead(req.method === "DELETE" ? 404 : 200, {
        "content-type": "application/json",
      });
      res.end(
        req.method === "DELETE"
          ? '{"message":"Agent not found"}'
          : statusOf({ status: "failed" }),
      );
    });
    const error = await rejectionOf(clientOf(server).agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteAlreadyStoppedError);
    expect((error as NotteAlreadyStoppedError).agent.status as string).toBe(
      "failed",
    );
  });

  it("the agent it reports is redacted of the key", async () => {
    const server = await serve((req, res) => {
      if (req.method === "DELETE") {
        res.writeHead(404);
        res.end();
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(statusOf({ task: `echo ${KEY}` }));
      }
    });
    const error = await rejectionOf(clientOf(server).agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteAlreadyStoppedError);
    expect(inspect(error, { depth: 8 })).not.toContain(KEY);
    expect((error as NotteAlreadyStoppedError).agent.task).toBe(
      "echo [redacted]",
    );
  });
});

describe("middleware and the body cap", () => {
  it("a middleware reading the body keeps the client's errors: too large stays too large, cut off is retried", async () => {
    let call = 0;
    const server = await serve((_req, res) => {
      call += 1;
      if (call === 1) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ big: "x".repeat(5000) }));
      } else if (call === 2) {
        res.writeHead(200, { "content-length": "1000" });
        res.write("{");
        setTimeout(() => res.destroy(), 10);
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(statusOf());
      }
    });
    const notte = clientOf(server);
    notte.raw.use({
      async onResponse({ response }) {
        await response.text();
      },
    });
    const tooLarge = await rejectionOf(
      notte.agents.stop(AGENT, { maxResponseBytes: 1000 }),
    );
    expect(tooLarge).toBeInstanceOf(NotteResponseTooLargeError);
    expect((await notte.agents.stop(AGENT)).status).toBe("closed");
    expect(call).toBe(3);
  });
});

describe("inputs that are hard to read", () => {
  it("options of a class with getters are read, not ignored (the environment's key never replaces them)", async () => {
    const server = await serve((req, res) => {
      res.writeHead(req.headers.authorization === `Bearer ${KEY}` ? 200 : 401, {
        "content-type": "application/json",
      });
      res.end(statusOf());
    });
    class Settings {
      get apiKey() {
        return KEY;
      }
      get baseUrl() {
        return server.url;
      }
    }
    const notte = new NotteClient(new Settings() as NotteClientOptions);
    expect(notte.baseUrl).toBe(server.url);
    expect((await notte.agents.stop(AGENT)).status).toBe("closed");
  });

  it("each option is read once: a getter's second answer is never used", async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(statusOf({ session_id: String(req.headers["x-seen"]) }));
    });
    const notte = new NotteClient({ apiKey: KEY, baseUrl: server.url });
    let reads = 0;
    const options = {
      get headers() {
        reads += 1;
        // A second read would send this, refused as a client header.
        return reads === 1 ? { "x-seen": "first" } : { accept: "x" };
      },
    };
    const status = await notte.agents.stop(AGENT, options);
    expect(status.session_id).toBe("first");
    expect(reads).toBe(1);
  });

  it("headers named like Object's own properties are plain headers, not the client's", async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(statusOf({ session_id: String(req.headers["constructor"]) }));
    });
    // Node's fetch does not put a `__proto__` header on the wire: that it is
    // not refused is what is checked of it.
    const headers = JSON.parse('{"constructor":"c","__proto__":"p"}');
    const notte = new NotteClient({
      apiKey: KEY,
      baseUrl: server.url,
      headers,
    });
    expect((await notte.agents.stop(AGENT)).session_id).toBe("c");
  });

  it("revoked Proxies and throwing getters anywhere are NotteErrors, never bare", async () => {
    const server = await serve((_req, res) => res.end(statusOf()));
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const throwing = new Proxy(
      {},
      {
        get: () => {
          throw new Error("boom");
        },
        ownKeys: () => {
          throw new Error("boom");
        },
      },
    );
    const notte = clientOf(server);
    expect(() => new NotteClient(revoked.proxy)).toThrow(NotteError);
    for (const attempt of [
      () => notte.agents.stop(revoked.proxy as never),
      () => notte.agents.stop(AGENT, revoked.proxy as never),
      () => notte.agents.status(throwing as never),
      () => notte.agents.stopMany([AGENT], revoked.proxy as never),
      () => notte.raw.GET("/agents/{agent_id}", revoked.proxy as never),
      () => notte.raw.GET("/agents/{agent_id}", { params: throwing } as never),
    ]) {
      expect(await rejectionOf(attempt())).toBeInstanceOf(NotteError);
    }
    expect(() => notte.raw.use(throwing as never)).toThrow(
      NotteInvalidRequestError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("stopMany names the API's spelling of an item's ids, as stop does", async () => {
    const server = await serve((_req, res) => res.end(statusOf()));
    const [result] = await clientOf(server).agents.stopMany([
      { agent_id: "a1", session_id: "s1" } as never,
    ]);
    expect(result?.ok).toBe(false);
    if (result?.ok === false) {
      expect(result.error.message).toBe(
        "agents.stop needs agentId (the object has agent_id: spell it agentId)",
      );
    }
  });

  it("an unusable idempotencyKey is refused before the window, as the ids are", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { "retry-after": "5" });
      res.end();
    });
    const notte = clientOf(server);
    await rejectionOf(notte.agents.stop(AGENT, { maxRetries: 0 }));
    const started = Date.now();
    const error = await rejectionOf(
      notte.agents.stop(AGENT, { idempotencyKey: "a\nb", timeoutMs: 10_000 }),
    );
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect((error as Error).message).toBe(
      'header "idempotency-key" is invalid',
    );
    expect(Date.now() - started).toBeLessThan(200);
    expect(server.requests).toHaveLength(1);
  });

  it("raw refuses a dot segment however the path parameter is written, a parseAs it does not know, and misspelt limits", async () => {
    const server = await serve((_req, res) => res.end(statusOf()));
    const raw = clientOf(server).raw;
    for (const init of [
      { params: { path: { agent_id: [".."] }, query: { session_id: "s1" } } },
      { params: { path: { agent_id: ".." }, query: { session_id: "s1" } } },
      {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        parseAs: "yaml",
      },
      {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        timeout: 5,
      },
      {
        params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        retries: 0,
      },
    ]) {
      expect(
        await rejectionOf(raw.DELETE("/agents/{agent_id}/stop", init as never)),
      ).toBeInstanceOf(NotteInvalidRequestError);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("a fetch resolving to a Node-stream Response is a connection error, not a middleware's", async () => {
    const server = await serve((_req, res) => res.end(statusOf()));
    const { Readable } = await import("node:stream");
    const error = await rejectionOf(
      clientOf(server, {
        maxRetries: 0,
        fetch: async () =>
          ({
            status: 200,
            ok: true,
            headers: new Headers(),
            body: Readable.from(["{}"]),
          }) as unknown as Response,
      }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteConnectionError);
  });

  it("null is not 'no options', and a null key does not fall back to the environment's", async () => {
    const server = await serve((_req, res) => res.end(statusOf()));
    const notte = clientOf(server);
    expect(
      await rejectionOf(notte.agents.stop(AGENT, null as never)),
    ).toBeInstanceOf(NotteInvalidRequestError);
    expect(
      await rejectionOf(notte.agents.stopMany([AGENT], null as never)),
    ).toBeInstanceOf(NotteInvalidRequestError);
    const saved = process.env.NOTTE_API_KEY;
    process.env.NOTTE_API_KEY = "sk_from_the_environment_0123";
    try {
      expect(
        () => new NotteClient({ apiKey: null as never, baseUrl: server.url }),
      ).toThrow(/API key/);
    } finally {
      if (saved === undefined) delete process.env.NOTTE_API_KEY;
      else process.env.NOTTE_API_KEY = saved;
    }
  });
});
