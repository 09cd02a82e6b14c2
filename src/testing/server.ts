/**
 * An in-process stand-in for the Notte API's agent operations, for tests and benchmarks:
 * starting it, its state (connections, timers, counters, the request log) and the path of one
 * request through faults, the rate limit and the API's behaviour.
 *
 * It is shipped as `notte-api-client/testing` and is deliberately independent of the client:
 * it only speaks HTTP, so it can check any client (ours, curl, another SDK) the same way.
 * Only Node built-ins are used, so the subpath adds no dependency to the package.
 *
 * @packageDocumentation
 */

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { AgentStore, answerAsApi } from "./api.js";
import { answersItself, FaultQueue, sendFaultAnswer } from "./faults.js";
import {
  checkRateLimit,
  DEFAULT_TEST_RATE_LIMIT,
  RateLimitWindows,
  type RateHeaders,
} from "./rate-limit.js";
import {
  readRequest,
  redactSecrets,
  type ApiRequest,
  type RequestRecord,
} from "./request.js";
import type {
  AgentStatusResponse,
  NotteTestAgent,
  NotteTestFault,
  NotteTestRateLimit,
  NotteTestRequest,
  NotteTestServer,
  NotteTestServerOptions,
} from "./types.js";

/**
 * Starts a Notte test server on 127.0.0.1 that behaves like the Notte API for
 * `DELETE /agents/{agent_id}/stop?session_id=…` and `GET /agents/{agent_id}`, and can inject
 * faults. As Notte documents, only a running agent can be stopped: stopping one that is
 * already closed answers 404, like an unknown agent.
 *
 * @example
 * ```ts
 * const server = await startNotteTestServer();
 * server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
 * const res = await fetch(`${server.url}/agents/a1/stop?session_id=s1`, {
 *   method: "DELETE",
 *   headers: { authorization: `Bearer ${server.apiKey}` },
 * });
 * await server.close();
 * ```
 */
export async function startNotteTestServer(
  options: NotteTestServerOptions = {},
): Promise<NotteTestServer> {
  const apiKey =
    options.apiKey ?? `notte-test-${randomBytes(16).toString("hex")}`;
  if (apiKey === "" || /\s/.test(apiKey)) {
    throw new TypeError("apiKey must be a non-empty string without whitespace");
  }
  const rateLimit = checkRateLimit(
    options.rateLimit ?? DEFAULT_TEST_RATE_LIMIT,
  );
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError("port must be an integer from 0 to 65535");
  }
  const onRequestEnd = options.onRequestEnd;
  if (onRequestEnd !== undefined && typeof onRequestEnd !== "function") {
    throw new TypeError("onRequestEnd must be a function");
  }
  const state = new TestServerState(
    apiKey,
    rateLimit,
    options.recordRequests ?? true,
    onRequestEnd,
  );
  const server = createServer((req, res) => state.onRequest(req, res));
  server.on("connection", (socket: Socket) => state.track(socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    // Cannot happen for a TCP listen; checked so the types below are honest.
    server.close();
    throw new Error("the test server did not get a TCP address");
  }
  return new TestServerHandle(state, server, address.port);
}

/** The public face; kept apart from the state so users only see the documented API. */
class TestServerHandle implements NotteTestServer {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly #state: TestServerState;
  readonly #server: Server;
  #closing: Promise<void> | undefined;

  constructor(state: TestServerState, server: Server, port: number) {
    this.#state = state;
    this.#server = server;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.apiKey = state.apiKey;
  }

  get requests(): readonly NotteTestRequest[] {
    return this.#state.requests;
  }

  get pendingFaults(): number {
    return this.#state.faults.pending;
  }

  get rateLimitedCount(): number {
    return this.#state.rateLimitedCount;
  }

  get inFlight(): number {
    return this.#state.inFlight;
  }

  get maxInFlight(): number {
    return this.#state.maxInFlight;
  }

  addAgent(agent: NotteTestAgent): AgentStatusResponse {
    return this.#state.agents.add(agent);
  }

  addAgents(
    count: number,
    sessionId: string,
    task = "bulk test agent",
  ): string[] {
    return this.#state.agents.addMany(count, sessionId, task);
  }

  agent(agentId: string): AgentStatusResponse | undefined {
    return this.#state.agents.copy(agentId);
  }

  failNext(fault: NotteTestFault): void {
    this.#state.faults.push(fault);
  }

  reset(): void {
    this.#state.reset();
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      // The callback fires once every connection is gone; destroying them right after makes
      // that immediate instead of waiting for hung requests or keep-alive timeouts.
      this.#server.close(() => resolve());
      this.#state.shutDown();
    });
    return this.#closing;
  }
}

class TestServerState {
  readonly apiKey: string;
  readonly agents = new AgentStore();
  readonly faults = new FaultQueue();
  requests: RequestRecord[] = [];
  rateLimitedCount = 0;
  inFlight = 0;
  maxInFlight = 0;

  readonly #record: boolean;
  readonly #onRequestEnd: ((request: NotteTestRequest) => unknown) | undefined;
  readonly #windows: RateLimitWindows;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    apiKey: string,
    rateLimit: NotteTestRateLimit,
    record: boolean,
    onRequestEnd: ((request: NotteTestRequest) => unknown) | undefined,
  ) {
    this.apiKey = apiKey;
    this.#record = record;
    this.#onRequestEnd = onRequestEnd;
    this.#windows = new RateLimitWindows(rateLimit);
  }

  track(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }

  reset(): void {
    this.agents.clear();
    this.faults.clear();
    this.requests = [];
    this.#windows.reset();
    this.rateLimitedCount = 0;
    this.maxInFlight = this.inFlight;
  }

  shutDown(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const time = Date.now();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Taken at arrival so queued faults follow the order requests came in.
    const fault = this.faults.take();
    const { request, record, rateKey, secrets } = readRequest(
      req,
      this.apiKey,
      time,
    );
    // "close" comes once per request: after the answer, or when the connection went first.
    res.once("close", () => {
      this.inFlight -= 1;
      const onRequestEnd = this.#onRequestEnd;
      if (onRequestEnd === undefined) return;
      try {
        // An async callback's rejection must not become an unhandled one in the test run.
        Promise.resolve(onRequestEnd(record)).catch(ignore);
      } catch {
        // The server keeps serving whatever the callback does (documented).
      }
    });
    const rate = this.#windows.count(rateKey, time);
    record.fault = fault;
    record.rateLimited = rate.limited;
    if (this.#record) this.requests.push(record);

    // The body is read before answering so the log holds it even for faulted requests.
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("error", () => {
      // The client went away mid-request; nothing is left to answer.
    });
    req.on("end", () => {
      record.body = redactSecrets(body, secrets);
      this.#dispatch(req, res, request, record, rate);
    });
  }

  #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    request: ApiRequest,
    record: RequestRecord,
    rate: RateHeaders,
  ): void {
    const fault = record.fault;
    if (fault?.hang === true) return;
    const act = (): void => {
      if (this.#closed || res.destroyed) return;
      try {
        if (fault?.drop === true) {
          req.socket.destroy();
        } else if (fault !== undefined && answersItself(fault)) {
          sendFaultAnswer(res, record, fault, rate);
        } else {
          if (rate.limited) this.rateLimitedCount += 1;
          answerAsApi(
            res,
            request,
            record,
            rate,
            this.agents,
            this.#windows.limit,
          );
        }
      } catch {
        // A fault that Node refuses to write (checked in failNext, so unexpected): never
        // let it crash the test process, just cut the connection.
        req.socket.destroy();
      }
    };
    const delayMs = fault?.delayMs ?? 0;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        act();
      }, delayMs);
      this.#timers.add(timer);
    } else {
      act();
    }
  }
}

function ignore(): void {}
