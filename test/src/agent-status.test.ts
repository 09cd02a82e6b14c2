/**
 * `agents.status`, and what a stop of an agent that is no longer running gives
 * (issue 16), against the package's own test server, which answers as Notte
 * documents: a second stop is a 404, as for an unknown agent.
 */
import { describe, expect, it } from "vitest";
import {
  NotteAbortError,
  NotteAlreadyStoppedError,
  NotteAuthenticationError,
  NotteClient,
  NotteInvalidRequestError,
  NotteNotFoundError,
  type NotteTimeoutError,
} from "../../src/index.js";
import type { NotteTestServer } from "../../src/testing/index.js";
import { rejectionOf, useNotteTestServer } from "./helpers.js";

let server: NotteTestServer;
const client = useNotteTestServer((started) => (server = started));

describe("agents.status", () => {
  it("answers a known agent's status, whatever its session, through the same middleware", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
    server.addAgent({
      agentId: "b1",
      sessionId: "s2",
      task: "t",
      status: "closed",
    });
    const notte = client();
    const seen: string[] = [];
    notte.raw.use({
      onRequest: ({ request }) =>
        void seen.push(`${request.method} ${new URL(request.url).pathname}`),
    });
    const active = await notte.agents.status({ agentId: "a1" });
    expect(active).toMatchObject({
      agent_id: "a1",
      session_id: "s1",
      status: "active",
      task: "find a dog",
    });
    const { data, response } = await notte.agents
      .status({ agentId: "b1" })
      .withResponse();
    expect(data).toMatchObject({ session_id: "s2", status: "closed" });
    expect(response.status).toBe(200);
    expect(seen).toEqual(["GET /agents/a1", "GET /agents/b1"]);
  });

  it("an unknown agent is a NotteNotFoundError, a wrong key a NotteAuthenticationError", async () => {
    const unknown = await rejectionOf(
      client().agents.status({ agentId: "nobody" }),
    );
    expect(unknown).toBeInstanceOf(NotteNotFoundError);
    expect(unknown).not.toBeInstanceOf(NotteAlreadyStoppedError);
    const wrongKey = new NotteClient({
      apiKey: "sk_wrong_0123456789",
      baseUrl: server.url,
    });
    expect(
      await rejectionOf(wrongKey.agents.status({ agentId: "nobody" })),
    ).toBeInstanceOf(NotteAuthenticationError);
  });

  it("checks its id and options as stop does, before anything is sent", async () => {
    const notte = client();
    for (const params of [
      { agentId: ".." },
      { agentId: "" },
      { agent_id: "a1" },
      null,
    ]) {
      expect(
        await rejectionOf(notte.agents.status(params as never)),
      ).toBeInstanceOf(NotteInvalidRequestError);
    }
    const withKey = await rejectionOf(
      notte.agents.status({ agentId: "a1" }, { idempotencyKey: "k" } as never),
    );
    expect((withKey as Error).message).toMatch(
      /unknown option "idempotencyKey"/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("retries and times out like stop", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    server.failNext({ status: 503, headers: { "retry-after": "0" } });
    expect((await client().agents.status({ agentId: "a1" })).status).toBe(
      "active",
    );
    expect(server.requests.map((request) => request.status)).toEqual([
      503, 200,
    ]);
    server.failNext({ hang: true });
    const error = await rejectionOf(
      client().agents.status(
        { agentId: "a1" },
        { timeoutMs: 100, maxRetries: 0 },
      ),
    );
    expect((error as NotteTimeoutError).name).toBe("NotteTimeoutError");
  });
});

describe("stopping an agent that is no longer running", () => {
  it("a second stop is the API's 404, which the client tells apart: NotteAlreadyStoppedError with the agent's status", async () => {
    server.addAgent({ agentId: "a1", sessionId: "s1", task: "t" });
    const notte = client();
    expect(
      (await notte.agents.stop({ agentId: "a1", sessionId: "s1" })).status,
    ).toBe("closed");
    const again = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }),
    );
    expect(again).toBeInstanceOf(NotteAlreadyStoppedError);
    // Still a 404 to code that treats every 404 alike.
    expect(again).toBeInstanceOf(NotteNotFoundError);
    expect((again as NotteAlreadyStoppedError).status).toBe(404);
    expect((again as NotteAlreadyStoppedError).agent).toMatchObject({
      agent_id: "a1",
      status: "closed",
    });
    expect((again as Error).message).toMatch(
      /^404 agent a1 is already stopped$/,
    );
    // One extra request per 404, never more: the status, once, not retried.
    expect(
      server.requests.map((request) => `${request.method} ${request.status}`),
    ).toEqual(["DELETE 200", "DELETE 404", "GET 200"]);
  });

  it("an unknown agent, another session's, or a status that fails stays a plain NotteNotFoundError, with one status request at most", async () => {
    server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "t",
      status: "closed",
    });
    server.addAgent({ agentId: "live", sessionId: "s1", task: "t" });
    const notte = client();
    for (const params of [
      { agentId: "nobody", sessionId: "s1" },
      { agentId: "a1", sessionId: "s2" },
    ]) {
      const error = await rejectionOf(notte.agents.stop(params));
      expect(error).toBeInstanceOf(NotteNotFoundError);
      expect(error).not.toBeInstanceOf(NotteAlreadyStoppedError);
    }
    server.reset();
    server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "t",
      status: "closed",
    });
    server.failNext({ status: 404 });
    server.failNext({ status: 503, times: 3 });
    const failedStatus = await rejectionOf(
      notte.agents.stop({ agentId: "a1", sessionId: "s1" }),
    );
    expect(failedStatus).toBeInstanceOf(NotteNotFoundError);
    expect(failedStatus).not.toBeInstanceOf(NotteAlreadyStoppedError);
    expect(
      server.requests.map((request) => `${request.method} ${request.status}`),
    ).toEqual(["DELETE 404", "GET 503"]);
  });

  it("the caller's abort during the status request is the call's NotteAbortError", async () => {
    server.addAgent({
      agentId: "a1",
      sessionId: "s1",
      task: "t",
      status: "closed",
    });
    server.failNext({ status: 404 });
    server.failNext({ hang: true });
    const controller = new AbortController();
    const call = rejectionOf(
      client().agents.stop(
        { agentId: "a1", sessionId: "s1" },
        { signal: controller.signal },
      ),
    );
    while (server.requests.length < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await call).toBeInstanceOf(NotteAbortError);
  });

  it("stopMany over a running, an already-stopped and an unknown agent gives three distinguishable results", async () => {
    server.addAgent({ agentId: "run", sessionId: "s1", task: "t" });
    server.addAgent({
      agentId: "done",
      sessionId: "s1",
      task: "t",
      status: "closed",
    });
    const progress: number[] = [];
    const results = await client().agents.stopMany(
      [
        { agentId: "run", sessionId: "s1" },
        { agentId: "done", sessionId: "s1" },
        { agentId: "nobody", sessionId: "s1" },
      ],
      { onProgress: (p) => void progress.push(p.stopped) },
    );
    const [running, stopped, unknown] = results;
    expect(running).toMatchObject({
      ok: true,
      alreadyStopped: false,
      status: { status: "closed" },
    });
    expect(stopped).toMatchObject({
      ok: true,
      alreadyStopped: true,
      status: { agent_id: "done", status: "closed" },
    });
    expect(unknown).toMatchObject({ ok: false, agentId: "nobody" });
    if (unknown?.ok === false)
      expect(unknown.error).toBeInstanceOf(NotteNotFoundError);
    // The already stopped one counts as stopped: the batch's goal is "not running".
    expect(progress.at(-1)).toBe(2);
  });
});
