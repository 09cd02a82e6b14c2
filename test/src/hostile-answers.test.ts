/**
 * Answers a hostile or broken server may give: bodies too large to read, the API key echoed
 * back, rate-limit resets that lie. Each against a real server on loopback.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { inspect } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  NotteApiError,
  NotteAuthenticationError,
  NotteClient,
  NotteConfigError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteRateLimitError,
  NotteResponseTooLargeError,
  NotteServerError,
  type NotteClientOptions,
} from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";
import {
  rejectionOf,
  startPlainServer,
  writeEndlessBody,
  type PlainServer,
} from "./helpers.js";

const KEY = "sk_hostile_0123456789abcdefKEY";
const MiB = 1024 * 1024;

let server: NotteTestServer;

beforeAll(async () => {
  server = await startNotteTestServer({ apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
});

function client(
  options: NotteClientOptions = {},
  baseUrl = server.url,
): NotteClient {
  return new NotteClient({ apiKey: KEY, baseUrl, ...options });
}

const AGENT = { agentId: "a1", sessionId: "s1" };

/** A plain server answering every request with `handler`, closed after the test. */
const plainServers: PlainServer[] = [];
async function plain(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<PlainServer> {
  const started = await startPlainServer(handler);
  plainServers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(plainServers.splice(0).map((each) => each.close()));
});

/** Whether the server's write loop ended on a connection the client closed, within 5 s. */
async function closedWithin(
  outcome: Promise<{ closedEarly: boolean }>,
): Promise<boolean | "still writing"> {
  const result = await Promise.race([
    outcome,
    new Promise<"still writing">((resolve) =>
      setTimeout(resolve, 5000, "still writing"),
    ),
  ]);
  return result === "still writing" ? result : result.closedEarly;
}

describe("body cap (maxResponseBytes)", () => {
  /** A server whose every answer is `status` with an endless body; `outcomes` says how each write loop ended. */
  async function endlessServer(
    status: number,
    extraHeaders: Record<string, string> = {},
    bound = 512 * MiB,
  ) {
    const outcomes: Array<Promise<{ written: number; closedEarly: boolean }>> =
      [];
    const started = await plain((_req, res) => {
      res.writeHead(status, {
        "content-type": "application/json",
        ...extraHeaders,
      });
      outcomes.push(writeEndlessBody(res, 64 * 1024, bound));
    });
    return { ...started, outcomes };
  }

  it("a 200 with an endless body fails with NotteResponseTooLargeError, promptly, once, and the connection is closed", async () => {
    const endless = await endlessServer(200);
    const started = Date.now();
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, endless.url).agents.stop(AGENT),
    );
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect(error).toBeInstanceOf(NotteApiError);
    expect(error).toBeInstanceOf(NotteError);
    const tooLarge = error as NotteResponseTooLargeError;
    expect(tooLarge.status).toBe(200);
    expect(tooLarge.headers).toBeInstanceOf(Headers);
    expect(tooLarge.headers.get("content-type")).toBe("application/json");
    expect(tooLarge.maxResponseBytes).toBe(MiB);
    expect(tooLarge.name).toBe("NotteResponseTooLargeError");
    expect(elapsed).toBeLessThan(5000);
    // Not retried.
    expect(endless.requests).toHaveLength(1);
    // The client cancelled the body: the server's write loop ended on a closed connection,
    // well before its bound.
    const outcome = await Promise.race([
      endless.outcomes[0],
      new Promise<"still writing">((resolve) =>
        setTimeout(resolve, 5000, "still writing"),
      ),
    ]);
    expect(outcome).toMatchObject({ closedEarly: true });
    expect((outcome as { written: number }).written).toBeLessThan(256 * MiB);
  });

  it("defaults to 10 MiB", async () => {
    const endless = await endlessServer(200);
    const error = await rejectionOf(client({}, endless.url).agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect((error as NotteResponseTooLargeError).maxResponseBytes).toBe(
      10 * MiB,
    );
    expect(endless.requests).toHaveLength(1);
    expect(await closedWithin(endless.outcomes[0]!)).toBe(true);
  });

  it("a body just under the default cap is read", async () => {
    // A valid agent status padded to 9 MiB.
    const status = {
      agent_id: "a1",
      session_id: "s1",
      task: "x".repeat(9 * MiB),
      status: "closed",
      created_at: "2025-01-01T00:00:00.000Z",
    };
    const body = JSON.stringify(status);
    const big = await plain((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    const result = await client({}, big.url).agents.stop(AGENT);
    expect(result.task).toHaveLength(9 * MiB);
  });

  it("the per-call option overrides the client's, both ways", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    // The test server's normal answer is a few hundred bytes.
    const tiny = client({ maxResponseBytes: 50 });
    const refused = await rejectionOf(tiny.agents.stop(AGENT));
    expect(refused).toBeInstanceOf(NotteResponseTooLargeError);
    expect((refused as NotteResponseTooLargeError).maxResponseBytes).toBe(50);

    // The server did stop it: running again, as a closed agent's stop is a 404.
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    const allowed = await tiny.agents.stop(AGENT, {
      maxResponseBytes: 100_000,
    });
    expect(allowed.status).toBe("closed");

    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    const perCall = await rejectionOf(
      client().agents.stop(AGENT, { maxResponseBytes: 50 }),
    );
    expect(perCall).toBeInstanceOf(NotteResponseTooLargeError);
    expect((perCall as NotteResponseTooLargeError).maxResponseBytes).toBe(50);
    // Three calls, one request each: nothing retried.
    expect(server.requests).toHaveLength(3);
  });

  it("a Content-Length above the cap fails before reading the body", async () => {
    // Headers announce 50 MiB, a few bytes follow, then nothing: a client that reads
    // would wait until its timeout.
    const lying = await plain((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(50 * MiB),
      });
      res.write("{");
    });
    const started = Date.now();
    const error = await rejectionOf(
      client(
        { maxResponseBytes: MiB, timeoutMs: 10_000 },
        lying.url,
      ).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lying.requests).toHaveLength(1);
  });

  it("a 500 with a huge body is capped too, and not retried for being too large", async () => {
    server.failNext({ status: 500, body: "x".repeat(2 * MiB), times: 3 });
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect((error as NotteResponseTooLargeError).status).toBe(500);
    expect(server.requests).toHaveLength(1);
  });

  it("a 500 with an endless streamed body is capped, not retried", async () => {
    const endless = await endlessServer(500);
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, endless.url).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect((error as NotteResponseTooLargeError).status).toBe(500);
    expect(endless.requests).toHaveLength(1);
    expect(await closedWithin(endless.outcomes[0]!)).toBe(true);
  });

  it("the cap is inclusive: a body of exactly maxResponseBytes is read, one byte more is not", async () => {
    const body = Buffer.from(
      JSON.stringify({
        agent_id: "a1",
        session_id: "s1",
        task: "t",
        status: "closed",
        created_at: "2025-01-01T00:00:00.000Z",
      }),
    );
    // Streamed in two writes, without a Content-Length: counted, not announced.
    const exact = await plain((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(body.subarray(0, 10));
      res.end(body.subarray(10));
    });
    const status = await client(
      { maxResponseBytes: body.length },
      exact.url,
    ).agents.stop(AGENT);
    expect(status.task).toBe("t");
    const error = await rejectionOf(
      client({ maxResponseBytes: body.length - 1 }, exact.url).agents.stop(
        AGENT,
      ),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
  });

  it("a gzip bomb (small Content-Length, huge decoded body) is capped on the decoded bytes", async () => {
    const bomb = gzipSync(Buffer.alloc(50 * MiB));
    const bomber = await plain((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.length),
      });
      res.end(bomb);
    });
    expect(bomb.length).toBeLessThan(MiB);
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, bomber.url).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
  });

  it("a body streamed in pieces that split a multi-byte character is decoded whole", async () => {
    const body = Buffer.from(
      JSON.stringify({
        agent_id: "a1",
        session_id: "s1",
        task: "café ☕ 日本",
        status: "closed",
        created_at: "2025-01-01T00:00:00.000Z",
      }),
    );
    // Split inside "é" (0xc3 0xa9) and inside "☕" (3 bytes).
    const cutA = body.indexOf(0xc3) + 1;
    const cutB = body.indexOf(0xe2) + 2;
    const split = await plain((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(body.subarray(0, cutA));
      setTimeout(() => {
        res.write(body.subarray(cutA, cutB));
        setTimeout(() => res.end(body.subarray(cutB)), 30);
      }, 30);
    });
    const status = await client({}, split.url).agents.stop(AGENT);
    expect(status.task).toBe("café ☕ 日本");
  });

  it("after a too-large streamed answer, the next call on the same client and server works", async () => {
    let n = 0;
    const body = JSON.stringify({
      agent_id: "a1",
      session_id: "s1",
      task: "second",
      status: "closed",
      created_at: "2025-01-01T00:00:00.000Z",
    });
    const flaky = await plain((_req, res) => {
      n += 1;
      res.writeHead(200, { "content-type": "application/json" });
      if (n === 1) void writeEndlessBody(res, 64 * 1024, 256 * MiB);
      else res.end(body);
    });
    const notte = client({ maxResponseBytes: MiB }, flaky.url);
    expect(await rejectionOf(notte.agents.stop(AGENT))).toBeInstanceOf(
      NotteResponseTooLargeError,
    );
    const status = await notte.agents.stop(AGENT);
    expect(status.task).toBe("second");
  });

  it.each([0, -1, 1.5, "10", Number.NaN, Infinity])(
    "maxResponseBytes %j is refused: NotteConfigError for the client, NotteInvalidRequestError per call",
    async (value) => {
      expect(() => client({ maxResponseBytes: value as number })).toThrow(
        NotteConfigError,
      );
      const error = await rejectionOf(
        client().agents.stop(AGENT, { maxResponseBytes: value as number }),
      );
      expect(error).toBeInstanceOf(NotteInvalidRequestError);
      expect((error as Error).message).toContain("maxResponseBytes");
      expect(server.requests).toHaveLength(0);
    },
  );

  it("memory stays bounded: a 200 MiB body at a 1 MiB cap barely moves RSS", async () => {
    const endless = await endlessServer(200, {}, 200 * MiB);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, endless.url).agents.stop(AGENT),
    );
    const grown = process.memoryUsage().rss - before;
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect(grown).toBeLessThan(100 * MiB);
  });

  it("notte.raw.DELETE is capped the same way", async () => {
    const endless = await endlessServer(200);
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, endless.url).raw.DELETE(
        "/agents/{agent_id}/stop",
        {
          params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        },
      ),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect((error as NotteResponseTooLargeError).maxResponseBytes).toBe(MiB);
    expect(endless.requests).toHaveLength(1);
    expect(await closedWithin(endless.outcomes[0]!)).toBe(true);
  });

  it("raw's failure body is capped too (500, not retried)", async () => {
    const endless = await endlessServer(500);
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, endless.url).raw.DELETE(
        "/agents/{agent_id}/stop",
        {
          params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
        },
      ),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expect(endless.requests).toHaveLength(1);
    expect(await closedWithin(endless.outcomes[0]!)).toBe(true);
  });
});

describe("the API key is never in an error", () => {
  /** Every way an error can be printed or read, as one string. */
  function everythingOf(error: unknown): string {
    const e = error as Error & {
      body?: unknown;
      headers?: Headers;
      cause?: unknown;
    };
    const headers: string[] = [];
    e.headers?.forEach((value, name) => headers.push(`${name}: ${value}`));
    return [
      e.message,
      e.stack,
      String(e),
      JSON.stringify(e),
      inspect(e, { depth: 10 }),
      inspect(e, { depth: 10, showHidden: true }),
      typeof e.body === "string" ? e.body : JSON.stringify(e.body),
      headers.join("\n"),
    ].join("\n");
  }

  function expectKeyless(error: unknown): void {
    expect(error).toBeInstanceOf(NotteError);
    const all = everythingOf(error);
    expect(all).not.toContain(KEY);
    expect(all).toContain("[redacted]");
  }

  const echo = (status: number) => ({
    status,
    headers: { "x-echo": `Bearer ${KEY}` },
    body: {
      message: `Invalid API key: Bearer ${KEY}`,
      detail: { nested: [`token=${KEY}`, { deeper: `${KEY}!` }] },
      [`key-${KEY}`]: true,
    },
  });

  it("401 echoing the key in the message, nested JSON strings, a JSON key and a header", async () => {
    server.failNext(echo(401));
    const error = await rejectionOf(client().agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteAuthenticationError);
    expectKeyless(error);
    const apiError = error as NotteAuthenticationError;
    expect(apiError.message).toContain("Invalid API key: Bearer [redacted]");
    expect(apiError.headers.get("x-echo")).toBe("Bearer [redacted]");
    expect(apiError.body).toEqual({
      message: "Invalid API key: Bearer [redacted]",
      detail: { nested: ["token=[redacted]", { deeper: "[redacted]!" }] },
      "key-[redacted]": true,
    });
  });

  it("500 echoing the key (after retries)", async () => {
    server.failNext({ ...echo(500), times: 2 });
    const error = await rejectionOf(
      client({ maxRetries: 1 }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteServerError);
    expect(server.requests).toHaveLength(2);
    expectKeyless(error);
  });

  it("429 echoing the key", async () => {
    server.failNext({ ...echo(429), headers: { "x-echo": KEY } });
    const error = await rejectionOf(
      client({ maxRetries: 0 }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteRateLimitError);
    expectKeyless(error);
  });

  it("the key in x-error-class and deep in a nested body", async () => {
    let deep: unknown = { secret: `Bearer ${KEY}` };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    server.failNext({
      status: 500,
      headers: { "x-error-class": `KeyError(${KEY})` },
      body: { message: "failed", detail: deep },
    });
    const error = await rejectionOf(
      client({ maxRetries: 0 }).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteServerError);
    expectKeyless(error);
    expect((error as NotteServerError).errorClass).toBe("KeyError([redacted])");
  });

  it("a 200 whose task field holds the key: the 'not an agent status' message is redacted", async () => {
    server.failNext({
      status: 200,
      body: {
        agent_id: "a1",
        session_id: "s1",
        task: [KEY],
        created_at: "2025-01-01T00:00:00.000Z",
        status: "closed",
      },
    });
    const error = await rejectionOf(client().agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteApiError);
    expect((error as Error).message).toContain("[redacted]");
    expectKeyless(error);
  });

  it("a plain-text body holding the key", async () => {
    server.failNext({
      status: 401,
      body: `Invalid API key: Bearer ${KEY}\n`,
      headers: { "content-type": "text/plain" },
    });
    const error = await rejectionOf(client().agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteAuthenticationError);
    expectKeyless(error);
    expect((error as NotteApiError).body).toBe(
      "Invalid API key: Bearer [redacted]\n",
    );
  });

  it("a 200 that is not an agent status and echoes the key", async () => {
    server.failNext({
      status: 200,
      body: { message: `hello ${KEY}` },
      headers: { "x-echo": KEY },
    });
    const error = await rejectionOf(client().agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteApiError);
    expectKeyless(error);
  });

  it("a 200 whose body is not JSON and echoes the key", async () => {
    server.failNext({
      status: 200,
      body: `<html>${KEY}</html>`,
      headers: { "content-type": "application/json" },
    });
    const error = await rejectionOf(client().agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteApiError);
    expectKeyless(error);
  });

  // Regression: NotteResponseTooLargeError was once built without the key, so the answer's
  // headers were kept unredacted in `error.headers`.
  it("a too-large answer whose header echoes the key", async () => {
    const big = await plain((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(2 * MiB),
        "x-echo": `Bearer ${KEY}`,
      });
      res.end("x".repeat(2 * MiB));
    });
    const error = await rejectionOf(
      client({ maxResponseBytes: MiB }, big.url).agents.stop(AGENT),
    );
    expect(error).toBeInstanceOf(NotteResponseTooLargeError);
    expectKeyless(error);
  });

  const leakyFetch = () =>
    Promise.reject(
      new Error(`connect failed for Authorization: Bearer ${KEY}`, {
        cause: new Error(`inner ${KEY}`),
      }),
    );

  it("a cause that holds the key outside its text (a plain object, an HTTP library's request config)", async () => {
    const axiosLike = Object.assign(new Error("Request failed"), {
      code: "ECONNRESET",
      config: { headers: { authorization: `Bearer ${KEY}` } },
    });
    for (const thrown of [{ detail: `Bearer ${KEY}` }, axiosLike]) {
      const notte = client({
        maxRetries: 0,
        fetch: () => Promise.reject(thrown),
      });
      const error = await rejectionOf(notte.agents.stop(AGENT));
      expect(error).toBeInstanceOf(NotteConnectionError);
      expectKeyless(error);
    }
    // What holds no key is kept as it was thrown.
    const clean = new Error("refused");
    const notte = client({ maxRetries: 0, fetch: () => Promise.reject(clean) });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect((error as Error).cause).toBe(clean);
  });

  it("a NotteConnectionError whose cause's text holds the key: message, stack, JSON", async () => {
    const notte = client({ maxRetries: 0, fetch: leakyFetch });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteConnectionError);
    const e = error as NotteConnectionError;
    const own = [e.message, e.stack, String(e), JSON.stringify(e)].join("\n");
    expect(own).not.toContain(KEY);
    expect(e.message).toContain("Bearer [redacted]");
    expect(e.message).toContain("inner [redacted]");
  });

  // Regression: the client once kept the fetch's own error, unredacted, as `cause`, and
  // util.inspect printed the cause chain with the key in it.
  it("a NotteConnectionError whose cause's text holds the key: util.inspect", async () => {
    const notte = client({ maxRetries: 0, fetch: leakyFetch });
    const error = await rejectionOf(notte.agents.stop(AGENT));
    expect(error).toBeInstanceOf(NotteConnectionError);
    expectKeyless(error);
  });

  it("log lines never hold the key (debug level, key in the ids, an echoing 500)", async () => {
    const lines: unknown[] = [];
    const record =
      (level: string) =>
      (message: string, details?: Record<string, unknown>) => {
        lines.push({ level, message, details });
      };
    const notte = client({
      logLevel: "debug",
      maxRetries: 1,
      logger: {
        error: record("error"),
        warn: record("warn"),
        info: record("info"),
        debug: record("debug"),
      },
    });
    server.failNext({ ...echo(500), times: 2 });
    const error = await rejectionOf(
      notte.agents.stop({ agentId: `agent-${KEY}`, sessionId: `s-${KEY}` }),
    );
    expect(error).toBeInstanceOf(NotteServerError);
    // The request URL (which holds the ids) is logged at debug level, redacted.
    const text = JSON.stringify(lines);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain(KEY);
    expect(text).toContain("[redacted]");
  });
});

describe("rate-limit reset sanity", () => {
  function gapMs(): number {
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    return second!.time - first!.time;
  }

  it("a 429 whose X-RateLimit-Reset is in the past waits at least the backoff minimum", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({
      status: 429,
      headers: { "x-ratelimit-reset": String(Date.now() / 1000 - 10) },
    });
    const result = await client().agents.stop(AGENT);
    expect(result.status).toBe("closed");
    expect(server.requests[0]!.status).toBe(429);
    expect(gapMs()).toBeGreaterThanOrEqual(350);
  });

  it("a 429 whose X-RateLimit-Reset is a small number waits at least the backoff minimum", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 429, headers: { "x-ratelimit-reset": "3" } });
    const result = await client().agents.stop(AGENT);
    expect(result.status).toBe("closed");
    expect(gapMs()).toBeGreaterThanOrEqual(350);
  });

  it("with rateLimit: ignore too", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 429, headers: { "x-ratelimit-reset": "0.5" } });
    await client({ rateLimit: "ignore" }).agents.stop(AGENT);
    expect(gapMs()).toBeGreaterThanOrEqual(350);
  });

  it("a plausible X-RateLimit-Reset 1.5 s ahead is waited for", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({
      status: 429,
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Date.now() / 1000 + 1.5),
      },
    });
    await client().agents.stop(AGENT);
    expect(gapMs()).toBeGreaterThanOrEqual(1300);
  });

  it("a Retry-After longer than timeoutMs is not slept: the 429 ends the call at once", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({
      status: 429,
      headers: {
        "retry-after": "30",
        "x-ratelimit-reset": String(Date.now() / 1000 - 10),
      },
    });
    const started = Date.now();
    const error = await rejectionOf(
      client().agents.stop(AGENT, { timeoutMs: 1000 }),
    );
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(NotteRateLimitError);
    expect((error as NotteRateLimitError).retryAfterMs).toBe(30_000);
    expect(server.requests).toHaveLength(1);
  });

  it("Retry-After: 0 may retry at once", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({
      status: 429,
      headers: {
        "retry-after": "0",
        "x-ratelimit-reset": String(Date.now() / 1000 - 10),
      },
    });
    const result = await client().agents.stop(AGENT);
    expect(result.status).toBe("closed");
    // The backoff would be at least 375 ms.
    expect(gapMs()).toBeLessThan(350);
  });
});
