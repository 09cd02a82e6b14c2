/**
 * What a second, adversarial read of the client found: collaborators and inputs that
 * broke a promise of the README. Each case failed before its fix.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteClient,
  NotteConfigError,
  NotteConnectionError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  type NotteClientOptions,
  type StopManyProgress,
} from "../../src/index.js";
import { type NotteTestServer } from "../../src/testing/index.js";
import {
  AGENT,
  RAW_STOP,
  rejectionOf,
  startPlainServer,
  useNotteTestServer,
} from "./helpers.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

const throwingGetter = (): Record<string, unknown> =>
  Object.defineProperty({}, "timeoutMs", {
    enumerable: true,
    get() {
      throw new RangeError("getter threw");
    },
  });
const throwingProxy = (): Record<string, unknown> =>
  new Proxy(
    {},
    {
      ownKeys() {
        throw new RangeError("proxy threw");
      },
      get() {
        throw new RangeError("proxy threw");
      },
    },
  );

describe("a cause the client wraps", () => {
  it("with a cycle (and aliases) does not freeze the process: the call ends", async () => {
    const request: Record<string, unknown> = {};
    const error = Object.assign(new Error("socket hang up"), {
      request,
      req: request,
    });
    request.error = error;
    // A process frozen by walking the cause would never get here: the test's own timeout could not fire either.
    const started = Date.now();
    const notte = client({
      maxRetries: 0,
      fetch: () => Promise.reject(error),
    });
    const failure = await rejectionOf(notte.agents.stop(AGENT));
    expect(failure).toBeInstanceOf(NotteConnectionError);
    expect((failure as Error).cause).toBe(error);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("holding the key in a Headers, Map, symbol key, non-enumerable property, AggregateError or Request: never printed", async () => {
    const key = server.apiKey;
    const secretHeaders = new Headers({ authorization: `Bearer ${key}` });
    const causes: unknown[] = [
      Object.assign(new Error("a"), { config: { headers: secretHeaders } }),
      Object.assign(new Error("b"), { meta: new Map([["auth", key]]) }),
      Object.assign(new Error("c"), { [Symbol("config")]: { key } }),
      Object.defineProperty(new Error("d"), "hidden", { value: key }),
      new AggregateError([new Error(`inner ${key}`)], "many"),
      Object.assign(new Error("e"), {
        request: new Request("http://127.0.0.1/", { headers: secretHeaders }),
      }),
    ];
    for (const cause of causes) {
      const notte = client({
        maxRetries: 0,
        fetch: () => Promise.reject(cause),
      });
      const failure = await rejectionOf(notte.agents.stop(AGENT));
      expect(failure).toBeInstanceOf(NotteConnectionError);
      const printed = inspect(failure, { depth: 10, showHidden: true });
      expect(printed).not.toContain(key);
    }
  });

  it("in any form the server echoes: a key with a quote is redacted JSON-escaped too", async () => {
    const key = 'sk_live_"quote"_\\slash_SECRET';
    const echoing = await startPlainServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          agent_id: "a1",
          session_id: "s1",
          task: [key],
          created_at: "2026-01-01T00:00:00Z",
          status: "closed",
        }),
      );
    });
    try {
      const notte = new NotteClient({ apiKey: key, baseUrl: echoing.url });
      const failure = await rejectionOf(notte.agents.stop(AGENT));
      const printed = `${(failure as Error).message}\n${inspect(failure, { depth: 10 })}`;
      expect(printed).not.toContain(key);
      expect(printed).not.toContain(JSON.stringify(key).slice(1, -1));
      expect((failure as Error).message).toContain("[redacted]");
    } finally {
      await echoing.close();
    }
  });
});

describe("middleware", () => {
  it("used twice and ejected once is still registered: it sees a real Request, its header reaches the wire", async () => {
    server.addAgent({ ...AGENT, task: "t" });
    const notte = client();
    const seen: boolean[] = [];
    const tracing = {
      onRequest({ request }: { request: Request }) {
        seen.push(request instanceof Request);
        request.headers.set("x-trace", "1");
      },
    };
    notte.raw.use(tracing);
    notte.raw.use(tracing);
    notte.raw.eject(tracing);
    await notte.agents.stop(AGENT);
    expect(seen).toEqual([true]);
    expect(server.requests[0]?.headers["x-trace"]).toBe("1");
  });

  it("that aborts the caller's signal while the attempt is built: NotteAbortError at once, nothing sent", async () => {
    server.addAgent({ ...AGENT, task: "t" });
    server.failNext({ hang: true });
    const notte = client({ timeoutMs: 5_000 });
    const controller = new AbortController();
    notte.raw.use({
      onRequest() {
        controller.abort();
      },
    });
    const started = Date.now();
    const failure = await rejectionOf(
      notte.agents.stop(AGENT, { signal: controller.signal }),
    );
    expect(failure).toBeInstanceOf(NotteAbortError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(0);
  });

  it("that throws a value String() cannot convert: NotteMiddlewareError with that cause", async () => {
    const thrown = Object.create(null) as object;
    const notte = client();
    notte.raw.use({
      onRequest() {
        throw thrown;
      },
    });
    const failure = await rejectionOf(notte.agents.stop(AGENT));
    expect(failure).toBeInstanceOf(NotteMiddlewareError);
    expect((failure as Error).cause).toBe(thrown);
  });
});

describe("a fetch that misbehaves", () => {
  it("rejecting with a value String() cannot convert: NotteConnectionError", async () => {
    const strange = [
      Object.create(null),
      Object.assign(new Error("x"), {
        toString() {
          throw new RangeError("no");
        },
      }),
    ];
    for (const thrown of strange) {
      const notte = client({
        maxRetries: 0,
        fetch: () => Promise.reject(thrown),
      });
      expect(await rejectionOf(notte.agents.stop(AGENT))).toBeInstanceOf(
        NotteConnectionError,
      );
    }
  });

  it("resolving to something that is not a Response: NotteConnectionError, whatever rateLimit", async () => {
    for (const rateLimit of ["wait", "ignore"] as const) {
      const notte = client({
        maxRetries: 0,
        rateLimit,
        fetch: async () => ({ status: 200 }) as unknown as Response,
      });
      const failure = await rejectionOf(notte.agents.stop(AGENT));
      expect(failure).toBeInstanceOf(NotteConnectionError);
      expect((failure as Error).message).toMatch(/not resolve to a Response/);
    }
  });
});

describe("options that are hard to read", () => {
  it("a getter or Proxy that throws is the call's NotteInvalidRequestError (the constructor's NotteConfigError)", async () => {
    const notte = client();
    for (const options of [throwingGetter(), throwingProxy()]) {
      await expect(notte.agents.stop(AGENT, options)).rejects.toBeInstanceOf(
        NotteInvalidRequestError,
      );
      await expect(
        notte.agents.stopMany([AGENT], options),
      ).rejects.toBeInstanceOf(NotteInvalidRequestError);
      await expect(
        notte.raw.DELETE(
          "/agents/{agent_id}/stop",
          options as unknown as typeof RAW_STOP,
        ),
      ).rejects.toBeInstanceOf(NotteInvalidRequestError);
      expect(() => new NotteClient(options as NotteClientOptions)).toThrow(
        NotteConfigError,
      );
    }
    await expect(
      notte.agents.stop(AGENT, {
        headers: throwingProxy() as Record<string, string>,
      }),
    ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    await expect(
      notte.agents.stopMany([AGENT], {
        signal: throwingProxy() as unknown as AbortSignal,
      }),
    ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });

  it("stopMany rejects for an unusable per-call option instead of failing every item", async () => {
    const notte = client();
    for (const options of [
      { timeoutMs: -1 },
      { maxRetries: 99 },
      { maxResponseBytes: 0 },
      { headers: { authorization: "x" } },
    ]) {
      await expect(
        notte.agents.stopMany([AGENT, AGENT], options),
      ).rejects.toBeInstanceOf(NotteInvalidRequestError);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe("raw requests", () => {
  it("that fetch cannot build are NotteInvalidRequestErrors, not retried connection errors", async () => {
    let calls = 0;
    const notte = client({
      fetch: (input, init) => {
        calls += 1;
        return fetch(input, init);
      },
    });
    const failure = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", {
        ...RAW_STOP,
        redirect: "bogus" as "follow",
      }),
    );
    expect(failure).toBeInstanceOf(NotteInvalidRequestError);
    expect(calls).toBe(0);
  });

  it("never send the key outside baseUrl, whatever a per-call option or a middleware says", async () => {
    const other = await startPlainServer((_req, res) => res.end("{}"));
    try {
      const notte = client();
      for (const option of [
        { baseUrl: other.url },
        { pathSerializer: () => `${other.url}/x` },
      ]) {
        const failure = await rejectionOf(
          notte.raw.DELETE("/agents/{agent_id}/stop", {
            ...RAW_STOP,
            ...option,
          } as typeof RAW_STOP),
        );
        expect(failure).toBeInstanceOf(NotteInvalidRequestError);
      }
      notte.raw.use({
        onRequest: ({ request }) => new Request(`${other.url}/x`, request),
      });
      for (const call of [
        notte.agents.stop(AGENT),
        notte.raw.DELETE("/agents/{agent_id}/stop", RAW_STOP),
      ]) {
        const failure = await rejectionOf(call);
        expect(failure).toBeInstanceOf(NotteInvalidRequestError);
        expect((failure as Error).message).toMatch(/outside baseUrl/);
      }
      expect(other.requests).toHaveLength(0);
      expect(server.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("answer with the response's url", async () => {
    server.addAgent({ ...AGENT, task: "t" });
    const { response } = await client().raw.DELETE(
      "/agents/{agent_id}/stop",
      RAW_STOP,
    );
    expect(response.url).toBe(`${server.url}/agents/a1/stop?session_id=s1`);
  });
});

describe("stopMany progress", () => {
  it("counts what was known when each item settled, even when many settle at once", async () => {
    const ids = server.addAgents(12, "s1");
    const seen: StopManyProgress[] = [];
    await client().agents.stopMany(
      ids.map((agentId) => ({ agentId, sessionId: "s1" })),
      { concurrency: 12, onProgress: (p) => seen.push(p) },
    );
    expect(seen.map((p) => p.done)).toEqual(ids.map((_, i) => i + 1));
  });
});
