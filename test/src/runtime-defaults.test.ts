/**
 * Runtime defaults (issue 10) and class identity: `fetch` called as a plain function, an
 * environment that cannot be read, options that are not looked up, error classes that stay
 * one across copies of the module.
 */
import { describe, expect, it, vi } from "vitest";
import {
  NotteApiError,
  NotteClient,
  NotteConfigError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteNotFoundError,
  NotteServerError,
  type FetchLike,
} from "../../src/index.js";
import { type NotteTestServer } from "../../src/testing/index.js";
import { AGENT, RAW_STOP, rejectionOf, useNotteTestServer } from "./helpers.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

describe("fetch is called as a plain function", () => {
  /** A fetch that, like the platform's in Workers, refuses to be called as a method. */
  function strictFetch() {
    const seen = { calls: 0, thisValues: [] as unknown[] };
    const strict = function (
      this: unknown,
      input: Parameters<FetchLike>[0],
      init: Parameters<FetchLike>[1],
    ): Promise<Response> {
      seen.calls += 1;
      seen.thisValues.push(this);
      if (this !== undefined && this !== globalThis)
        throw new TypeError("Illegal invocation");
      return fetch(input, init);
    };
    return { strict, seen };
  }

  it("agents.stop works with a fetch that refuses another `this`", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { strict, seen } = strictFetch();
    const status = await client({ fetch: strict }).agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(seen.calls).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("raw.DELETE works with it too, as the client's fetch and as a per-call fetch", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { strict, seen } = strictFetch();
    const viaClient = await client({ fetch: strict }).raw.DELETE(
      "/agents/{agent_id}/stop",
      RAW_STOP,
    );
    expect(viaClient.response.status).toBe(200);
    // Running again: a closed agent's stop is a 404.
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const perCall = strictFetch();
    const viaCall = await client().raw.DELETE("/agents/{agent_id}/stop", {
      ...RAW_STOP,
      fetch: perCall.strict as never,
    });
    expect(viaCall.response.status).toBe(200);
    expect(seen.calls).toBe(1);
    expect(perCall.seen.calls).toBe(1);
  });

  it("a fetch that throws synchronously refused the request: a NotteInvalidRequestError, not retried", async () => {
    let calls = 0;
    const thrown = new TypeError("Failed to parse URL");
    const notte = client({
      fetch: () => {
        calls += 1;
        throw thrown;
      },
    });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteInvalidRequestError);
    expect((error as Error).message).toContain("Failed to parse URL");
    expect((error as Error).cause).toBe(thrown);
    // The default maxRetries is 2: a refused call is not worth them.
    expect(calls).toBe(1);

    calls = 0;
    const rawError = await rejectionOf(
      notte.raw.DELETE("/agents/{agent_id}/stop", RAW_STOP),
    );
    expect(rawError).toBeInstanceOf(NotteInvalidRequestError);
    expect(calls).toBe(1);
  });
});

describe("nothing outlives a call", () => {
  const timeouts = (): number =>
    process
      .getActiveResourcesInfo()
      .filter((resource) => resource === "Timeout").length;

  it("no timer is left once calls settle (success, retry, API error, abort)", async () => {
    const ids = server.addAgents(21, "s1");
    const notte = client({ timeoutMs: 60_000 });
    // Warm the connection pool first: fetch keeps a timer of its own.
    await notte.agents.stop({ agentId: ids[0]!, sessionId: "s1" });
    const before = timeouts();

    await Promise.all(
      ids
        .slice(1, 20)
        .map((agentId) => notte.agents.stop({ agentId, sessionId: "s1" })),
    );
    server.failNext({ status: 503 });
    await notte.agents.stop({ agentId: ids[20]!, sessionId: "s1" });
    await rejectionOf(notte.agents.stop({ agentId: "nope", sessionId: "s1" }));
    server.failNext({ hang: true });
    const controller = new AbortController();
    const aborted = rejectionOf(
      notte.agents.stop(
        { agentId: ids[1]!, sessionId: "s1" },
        { signal: controller.signal },
      ),
    );
    setTimeout(() => controller.abort(), 50);
    await aborted;

    // A 60 s timer per call left running would show here (and keep a CLI alive for 60 s).
    expect(timeouts()).toBeLessThanOrEqual(before + 2);
  });
});

describe("reading the environment", () => {
  /** Runs `body` with `process.env` replaced by `env`, restoring it whatever happens. */
  function withEnv<T>(env: object, body: () => T): T {
    const original = Object.getOwnPropertyDescriptor(process, "env")!;
    Object.defineProperty(process, "env", {
      value: env,
      configurable: true,
      writable: true,
      enumerable: true,
    });
    try {
      return body();
    } finally {
      Object.defineProperty(process, "env", original);
    }
  }

  const throwingEnv = new Proxy(
    {},
    {
      get() {
        throw new Error("Requires env access (like Deno without --allow-env)");
      },
      has() {
        throw new Error("Requires env access");
      },
    },
  );

  it("an environment whose reads throw: explicit options work, defaults apply, a missing key is a NotteConfigError", () => {
    const { explicit, defaulted, missing } = withEnv(throwingEnv, () => {
      const explicit = new NotteClient({
        apiKey: "k",
        baseUrl: "http://127.0.0.1:1",
      });
      const defaulted = new NotteClient({ apiKey: "k" });
      let missing: unknown;
      try {
        new NotteClient();
      } catch (error) {
        missing = error;
      }
      return { explicit, defaulted, missing };
    });
    expect(explicit.baseUrl).toBe("http://127.0.0.1:1");
    expect(defaulted.baseUrl).toBe("https://api.notte.cc");
    expect(missing).toBeInstanceOf(NotteConfigError);
  });

  it("a process whose env property itself throws", () => {
    const original = Object.getOwnPropertyDescriptor(process, "env")!;
    Object.defineProperty(process, "env", {
      get() {
        throw new Error("no env here");
      },
      configurable: true,
    });
    let made: NotteClient | undefined;
    let missing: unknown;
    try {
      made = new NotteClient({ apiKey: "k" });
      try {
        new NotteClient();
      } catch (error) {
        missing = error;
      }
    } finally {
      Object.defineProperty(process, "env", original);
    }
    expect(made?.baseUrl).toBe("https://api.notte.cc");
    expect(missing).toBeInstanceOf(NotteConfigError);
  });

  /** An environment holding `values` that records which names were read. */
  function recordingEnv(values: Record<string, string>) {
    const read: string[] = [];
    const env = new Proxy(values, {
      get(target, name) {
        read.push(String(name));
        return Reflect.get(target, name);
      },
      has(target, name) {
        read.push(String(name));
        return Reflect.has(target, name);
      },
      getOwnPropertyDescriptor(target, name) {
        read.push(String(name));
        return Reflect.getOwnPropertyDescriptor(target, name);
      },
    });
    return { env, read };
  }

  it("an option given is not looked up in the environment", () => {
    const { env, read } = recordingEnv({
      NOTTE_API_KEY: "from-env",
      NOTTE_API_URL: "http://127.0.0.1:9",
    });
    const notte = withEnv(
      env,
      () => new NotteClient({ apiKey: "k", baseUrl: "http://127.0.0.1:1" }),
    );
    expect(notte.baseUrl).toBe("http://127.0.0.1:1");
    expect(read).not.toContain("NOTTE_API_KEY");
    expect(read).not.toContain("NOTTE_API_URL");
  });

  it("an option left out is looked up (the recorder works)", () => {
    const { env, read } = recordingEnv({
      NOTTE_API_KEY: "from-env",
      NOTTE_API_URL: "http://127.0.0.1:9",
    });
    const fromEnv = withEnv(env, () => new NotteClient());
    expect(fromEnv.baseUrl).toBe("http://127.0.0.1:9");
    expect(read).toContain("NOTTE_API_KEY");
    expect(read).toContain("NOTTE_API_URL");

    read.length = 0;
    const urlOnly = withEnv(env, () => new NotteClient({ apiKey: "k" }));
    expect(urlOnly.baseUrl).toBe("http://127.0.0.1:9");
    expect(read).not.toContain("NOTTE_API_KEY");
    expect(read).toContain("NOTTE_API_URL");
  });

  it("an empty NOTTE_API_URL counts as unset", () => {
    const { env } = recordingEnv({ NOTTE_API_URL: "" });
    const notte = withEnv(env, () => new NotteClient({ apiKey: "k" }));
    expect(notte.baseUrl).toBe("https://api.notte.cc");
  });

  it("the key read from the environment is used on the wire", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const { env } = recordingEnv({ NOTTE_API_KEY: server.apiKey });
    const notte = withEnv(env, () => new NotteClient({ baseUrl: server.url }));
    const status = await notte.agents.stop(AGENT);
    expect(status.status).toBe("closed");
    expect(server.requests[0]!.authorized).toBe(true);
  });
});

describe("class identity across copies of the module", () => {
  async function twoCopies() {
    const A = await import("../../src/errors.js");
    vi.resetModules();
    const B = await import("../../src/errors.js");
    // Two module instances, or the test proves nothing.
    expect(A.NotteNotFoundError).not.toBe(B.NotteNotFoundError);
    expect(A.NotteError).not.toBe(B.NotteError);
    return { A, B };
  }

  it("an error made by one copy is an instance of the other copy's classes, and only of its own kinds", async () => {
    const { A, B } = await twoCopies();
    const error = new A.NotteNotFoundError(404, new Headers(), "");
    expect(error instanceof B.NotteNotFoundError).toBe(true);
    expect(error instanceof B.NotteApiError).toBe(true);
    expect(error instanceof B.NotteError).toBe(true);
    expect(error instanceof B.NotteServerError).toBe(false);
    expect(error instanceof B.NotteConnectionError).toBe(false);
    expect(error.name).toBe("NotteNotFoundError");

    const timeout = new B.NotteTimeoutError(100);
    expect(timeout instanceof A.NotteConnectionError).toBe(true);
    expect(timeout instanceof A.NotteTimeoutError).toBe(true);
    expect(timeout instanceof A.NotteAbortError).toBe(false);
    expect(timeout instanceof A.NotteApiError).toBe(false);
  });

  it("the client's own errors are instances of a second copy's classes", async () => {
    const { B } = await twoCopies();
    const error = await rejectionOf(
      client().agents.stop({ agentId: "nope", sessionId: "s1" }),
    );
    expect(error).toBeInstanceOf(NotteNotFoundError);
    expect(error instanceof B.NotteNotFoundError).toBe(true);
    expect(error instanceof B.NotteError).toBe(true);
    expect(error instanceof B.NotteServerError).toBe(false);
  });

  it("a user's own subclass works with ordinary instanceof", async () => {
    const { A, B } = await twoCopies();
    class Mine extends A.NotteApiError {}
    class Other extends A.NotteApiError {}
    const mine = new Mine(418, new Headers(), "");
    expect(mine instanceof Mine).toBe(true);
    expect(mine instanceof A.NotteApiError).toBe(true);
    expect(mine instanceof B.NotteApiError).toBe(true);
    expect(mine instanceof A.NotteError).toBe(true);
    expect(mine instanceof Other).toBe(false);
    expect(mine instanceof A.NotteNotFoundError).toBe(false);
    expect(new A.NotteApiError(418, new Headers(), "") instanceof Mine).toBe(
      false,
    );
    // Not even a plain NotteApiError of the other copy.
    expect(new B.NotteApiError(418, new Headers(), "") instanceof Mine).toBe(
      false,
    );
  });

  it("non-errors are instances of nothing", async () => {
    const { B } = await twoCopies();
    for (const value of [null, undefined, 1, "NotteError", {}, new Error("x")])
      expect(value instanceof B.NotteError).toBe(false);
    // A look-alike with the right name is not one either.
    const fake = Object.assign(new Error("fake"), {
      name: "NotteNotFoundError",
    });
    expect(fake instanceof B.NotteNotFoundError).toBe(false);
    expect(fake instanceof NotteApiError).toBe(false);
    expect(new NotteServerError(500, new Headers(), "")).toBeInstanceOf(
      NotteError,
    );
  });
});
