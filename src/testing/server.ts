/**
 * An in-process stand-in for the Notte API's agent-stop operation, for tests and benchmarks.
 *
 * It is shipped as `notte-api-client/testing` and is deliberately independent of the client:
 * it only speaks HTTP, so it can check any client (ours, curl, another SDK) the same way.
 * Only Node built-ins are used, so the subpath adds no dependency to the package.
 *
 * @packageDocumentation
 */

import { randomBytes } from "node:crypto";
import {
  createServer,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
} from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { components } from "../../generated/notte-api.js";

type AgentStatusResponse = components["schemas"]["AgentStatusResponse"];
type AgentStatus = components["schemas"]["AgentStatus"];

/** Rate-limit window the test server applies to every request it receives. */
export interface NotteTestRateLimit {
  /** Requests allowed per window; the next one is answered with 429. */
  limit: number;
  /** Length of the fixed window, in seconds. */
  windowSeconds: number;
}

/** Options of {@link startNotteTestServer}. */
export interface NotteTestServerOptions {
  /** API key the server accepts as `Authorization: Bearer <key>`. Default: a random key. */
  apiKey?: string;
  /** Port to listen on, on 127.0.0.1. Default: 0 (a free port chosen by the system). */
  port?: number;
  /**
   * Rate limit, enforced with 429 answers and reported in the `X-RateLimit-*` headers.
   * Default: {@link DEFAULT_TEST_RATE_LIMIT}, high enough that benchmarks never reach it.
   */
  rateLimit?: NotteTestRateLimit;
  /**
   * Whether to keep every request in {@link NotteTestServer.requests}. Default: true.
   * Turn it off for long benchmarks, where the log would only grow.
   */
  recordRequests?: boolean;
}

/** An agent to put on the test server with {@link NotteTestServer.addAgent}. */
export interface NotteTestAgent {
  /** The agent's id (`agent_id`), as it appears decoded in the request path. */
  agentId: string;
  /** The session the agent belongs to (`session_id`); other sessions get 404. */
  sessionId: string;
  /** The agent's task. */
  task: string;
  /** Default: `"active"`. A closed agent keeps its `closed_at` when stopped again. */
  status?: AgentStatus;
  /** Default: the time of the call. A string is sent as given. */
  createdAt?: Date | string;
  /** Default: null while active, the time of the call when added as closed. */
  closedAt?: Date | string | null;
  /** Default: null. */
  url?: string | null;
  /** Default: false. */
  saved?: boolean;
  /** Default: null. */
  success?: boolean | null;
  /** Default: null. */
  answer?: string | null;
  /** Default: an empty list. */
  steps?: Array<Record<string, unknown>>;
}

/**
 * A fault injected with {@link NotteTestServer.failNext}. Faults are taken in the order they
 * were queued, one per request, when a request arrives, before rate limiting and auth.
 *
 * At least one of `status`, `delayMs`, `hang`, `drop`, `truncate` or `stall` is
 * required; `hang`, `drop`, `truncate` and `stall` exclude each other.
 */
export interface NotteTestFault {
  /** Answer with this status (200–599) instead of the normal answer. */
  status?: number;
  /** Extra or replacing headers for the `status` or `truncate` answer (names case-insensitive). */
  headers?: Record<string, string>;
  /**
   * Body of the `status` or `truncate` answer: a string is sent as is (no Content-Type added
   * unless given in `headers`), any other value is sent as JSON. Default for `status` >= 400:
   * `{"message": <reason phrase>}`; below 400: empty.
   */
  body?: unknown;
  /** Wait this long before answering: with the fault, or normally when no fault kind is given. */
  delayMs?: number;
  /** Never answer; the connection stays open until the client gives up or the server closes. */
  hang?: boolean;
  /** Destroy the connection without sending anything. */
  drop?: boolean;
  /**
   * Send the headers (status 200 unless `status` is given) with a Content-Length larger than
   * the body, send part of the body, then close the connection: a body cut off.
   */
  truncate?: boolean;
  /**
   * Like `truncate`, but the connection then stays open with nothing more sent: a body
   * that stalls, until the client gives up or the server closes.
   */
  stall?: boolean;
  /** How many consecutive requests get this fault. Default: 1. */
  times?: number;
}

/** One request as the test server received it, kept in {@link NotteTestServer.requests}. */
export interface NotteTestRequest {
  /** The method, as sent (upper case for standard methods). */
  readonly method: string;
  /** The request target as on the wire: raw path and query, not decoded. */
  readonly path: string;
  /** The raw path without the query, not decoded. */
  readonly pathname: string;
  /** Query parameters, decoded; for a repeated name the last value wins (as in FastAPI). */
  readonly query: Readonly<Record<string, string>>;
  /**
   * Headers, lower-case names; repeated headers joined with ", ". The credentials of
   * `authorization` are redacted: `"Bearer [redacted]"`.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether `authorization` was exactly `Bearer <the server's key>` (scheme case-insensitive). */
  readonly authorized: boolean;
  /** The decoded agent id when the path is `/agents/{agent_id}/stop`, otherwise undefined. */
  readonly agentId: string | undefined;
  /** The body as UTF-8 text ("" when none); filled in once the body has been read. */
  readonly body: string;
  /** Arrival time, in milliseconds since the epoch. */
  readonly time: number;
  /** The fault this request consumed, if any. */
  readonly fault: NotteTestFault | undefined;
  /** The status sent, once sent; stays undefined for hung and dropped requests. */
  readonly status: number | undefined;
}

/** A running test server; see {@link startNotteTestServer}. */
export interface NotteTestServer {
  /** Base URL without a trailing slash, e.g. `"http://127.0.0.1:41234"`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The API key the server accepts. */
  readonly apiKey: string;
  /** Requests received so far, in arrival order (empty when `recordRequests` is false). */
  readonly requests: readonly NotteTestRequest[];
  /** Number of requests that the queued faults will still affect. */
  readonly pendingFaults: number;
  /** Adds an agent (replacing one with the same id) and returns its status as the API shows it. */
  addAgent(agent: NotteTestAgent): AgentStatusResponse;
  /** The agent's current status (a copy), or undefined when unknown. */
  agent(agentId: string): AgentStatusResponse | undefined;
  /** Queues a fault for the next `fault.times` (default 1) requests, after faults queued before. */
  failNext(fault: NotteTestFault): void;
  /** Forgets agents, recorded requests and queued faults, and restarts the rate-limit window. */
  reset(): void;
  /**
   * Stops listening and destroys every open connection at once (hanging and idle keep-alive
   * ones included). Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}

/** Rate limit used when {@link NotteTestServerOptions.rateLimit} is not given. */
export const DEFAULT_TEST_RATE_LIMIT: Readonly<NotteTestRateLimit> =
  Object.freeze({
    // A one-second window with a limit no local client on a few cores can reach, so the
    // headers are realistic without a benchmark ever running into 429.
    limit: 100_000,
    windowSeconds: 1,
  });

/**
 * Starts a Notte test server on 127.0.0.1 that behaves like the Notte API for
 * `DELETE /agents/{agent_id}/stop?session_id=…` and can inject faults.
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
  const rateLimit = options.rateLimit ?? DEFAULT_TEST_RATE_LIMIT;
  if (!Number.isSafeInteger(rateLimit.limit) || rateLimit.limit < 0) {
    throw new RangeError("rateLimit.limit must be a non-negative integer");
  }
  if (
    !(rateLimit.windowSeconds > 0) ||
    !Number.isFinite(rateLimit.windowSeconds)
  ) {
    throw new RangeError("rateLimit.windowSeconds must be a positive number");
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError("port must be an integer from 0 to 65535");
  }
  const state = new TestServerState(
    apiKey,
    rateLimit,
    options.recordRequests ?? true,
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
    let n = 0;
    for (const queued of this.#state.faults) n += queued.remaining;
    return n;
  }

  addAgent(agent: NotteTestAgent): AgentStatusResponse {
    return this.#state.addAgent(agent);
  }

  agent(agentId: string): AgentStatusResponse | undefined {
    const found = this.#state.agents.get(agentId);
    return found === undefined ? undefined : copyAgent(found);
  }

  failNext(fault: NotteTestFault): void {
    this.#state.faults.push({
      fault: checkFault(fault),
      remaining: fault.times ?? 1,
    });
  }

  reset(): void {
    this.#state.reset();
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#state.closed = true;
      for (const timer of this.#state.timers) clearTimeout(timer);
      this.#state.timers.clear();
      // The callback fires once every connection is gone; destroying them right after makes
      // that immediate instead of waiting for hung requests or keep-alive timeouts.
      this.#server.close(() => resolve());
      for (const socket of this.#state.sockets) socket.destroy();
      this.#state.sockets.clear();
    });
    return this.#closing;
  }
}

/** The mutable record behind {@link NotteTestRequest}. */
interface RequestRecord {
  method: string;
  path: string;
  pathname: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  authorized: boolean;
  agentId: string | undefined;
  body: string;
  time: number;
  fault: NotteTestFault | undefined;
  status: number | undefined;
}

interface QueuedFault {
  fault: NotteTestFault;
  remaining: number;
}

const JSON_TYPE = "application/json";
const STOP_PREFIX = "/agents/";
const STOP_SUFFIX = "/stop";

// Bodies that never change are serialized once, not per request.
const NOT_FOUND_BODY = JSON.stringify({ message: "Not Found" });
const METHOD_NOT_ALLOWED_BODY = JSON.stringify({
  message: "Method Not Allowed",
});
const MISSING_KEY_BODY = JSON.stringify({
  message: "Authentication failed: missing API key",
  detail: "Not authenticated",
});
const WRONG_KEY_BODY = JSON.stringify({
  message: "Authentication failed: invalid API key",
  detail: "Invalid API key",
});
// FastAPI's exact bodies for a required `str` query parameter with `min_length=1`.
const MISSING_SESSION_BODY = JSON.stringify({
  detail: [
    {
      type: "missing",
      loc: ["query", "session_id"],
      msg: "Field required",
      input: null,
    },
  ],
});
const EMPTY_SESSION_BODY = JSON.stringify({
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

class TestServerState {
  readonly apiKey: string;
  readonly agents = new Map<string, AgentStatusResponse>();
  readonly faults: QueuedFault[] = [];
  readonly sockets = new Set<Socket>();
  readonly timers = new Set<NodeJS.Timeout>();
  requests: RequestRecord[] = [];
  closed = false;

  readonly #record: boolean;
  readonly #limit: number;
  readonly #limitText: string;
  readonly #windowMs: number;
  #windowEnd = 0;
  #resetText = "";
  #count = 0;

  constructor(apiKey: string, rateLimit: NotteTestRateLimit, record: boolean) {
    this.apiKey = apiKey;
    this.#record = record;
    this.#limit = rateLimit.limit;
    this.#limitText = String(rateLimit.limit);
    this.#windowMs = rateLimit.windowSeconds * 1000;
  }

  track(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  reset(): void {
    this.agents.clear();
    this.faults.length = 0;
    this.requests = [];
    this.#windowEnd = 0;
    this.#count = 0;
  }

  addAgent(input: NotteTestAgent): AgentStatusResponse {
    if (
      typeof input.agentId !== "string" ||
      typeof input.sessionId !== "string"
    ) {
      throw new TypeError("agentId and sessionId must be strings");
    }
    const now = new Date().toISOString();
    const status = input.status ?? "active";
    const closedAt =
      input.closedAt === undefined
        ? status === "closed"
          ? now
          : null
        : input.closedAt;
    const agent: AgentStatusResponse = {
      agent_id: input.agentId,
      session_id: input.sessionId,
      task: input.task,
      status,
      created_at: toIso(input.createdAt) ?? now,
      closed_at: closedAt === null ? null : (toIso(closedAt) ?? null),
      url: input.url ?? null,
      saved: input.saved ?? false,
      success: input.success ?? null,
      answer: input.answer ?? null,
      steps: input.steps === undefined ? [] : structuredClone(input.steps),
    };
    this.agents.set(input.agentId, agent);
    return copyAgent(agent);
  }

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const time = Date.now();
    // Taken at arrival so queued faults follow the order requests came in.
    const fault = this.#takeFault();
    const rateHeaders = this.#countRequest(time);
    const path = req.url ?? "/";
    const q = path.indexOf("?");
    const pathname = q === -1 ? path : path.slice(0, q);
    const record: RequestRecord = {
      method: req.method ?? "GET",
      path,
      pathname,
      query: parseQuery(q === -1 ? "" : path.slice(q + 1)),
      headers: copyHeaders(req),
      authorized: bearerToken(req.headers.authorization) === this.apiKey,
      agentId: matchStopPath(pathname),
      body: "",
      time,
      fault,
      status: undefined,
    };
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
      record.body = body;
      this.#dispatch(req, res, record, rateHeaders);
    });
  }

  #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    rateHeaders: RateHeaders,
  ): void {
    const fault = record.fault;
    if (fault === undefined) {
      this.#answer(res, record, rateHeaders);
      return;
    }
    if (fault.hang === true) return;
    const act = (): void => {
      if (this.closed || res.destroyed) return;
      try {
        if (fault.drop === true) {
          req.socket.destroy();
        } else if (fault.truncate === true || fault.stall === true) {
          sendTruncated(res, record, fault, rateHeaders);
        } else if (fault.status !== undefined) {
          sendFault(res, record, fault, fault.status, rateHeaders);
        } else {
          this.#answer(res, record, rateHeaders);
        }
      } catch {
        // A fault that Node refuses to write (checked in failNext, so unexpected): never
        // let it crash the test process, just cut the connection.
        req.socket.destroy();
      }
    };
    if (fault.delayMs !== undefined && fault.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        act();
      }, fault.delayMs);
      this.timers.add(timer);
    } else {
      act();
    }
  }

  /** The API's own behaviour: rate limit, route, auth, validation, then the agent. */
  #answer(
    res: ServerResponse,
    record: RequestRecord,
    rateHeaders: RateHeaders,
  ): void {
    if (rateHeaders.limited) {
      const retryAfter = Math.max(
        1,
        Math.ceil((this.#windowEnd - Date.now()) / 1000),
      );
      send(res, record, 429, rateHeaders, rateLimitedBody(this.#limit), {
        "Retry-After": String(retryAfter),
      });
      return;
    }
    const agentId = record.agentId;
    if (agentId === undefined) {
      send(res, record, 404, rateHeaders, NOT_FOUND_BODY);
      return;
    }
    if (record.method !== "DELETE") {
      send(res, record, 405, rateHeaders, METHOD_NOT_ALLOWED_BODY, {
        Allow: "DELETE",
      });
      return;
    }
    if (!record.authorized) {
      const sent = record.headers.authorization;
      const body =
        sent === undefined || sent === "" ? MISSING_KEY_BODY : WRONG_KEY_BODY;
      send(res, record, 401, rateHeaders, body, {
        "WWW-Authenticate": "Bearer",
      });
      return;
    }
    const sessionId = record.query.session_id;
    if (sessionId === undefined) {
      send(res, record, 422, rateHeaders, MISSING_SESSION_BODY);
      return;
    }
    if (sessionId === "") {
      send(res, record, 422, rateHeaders, EMPTY_SESSION_BODY);
      return;
    }
    const agent = this.agents.get(agentId);
    // Another session's agent is reported exactly like an unknown one: ids do not leak.
    if (agent === undefined || agent.session_id !== sessionId) {
      const body = JSON.stringify({
        message: "Agent not found",
        detail: `Agent ${agentId} not found in session ${sessionId}`,
      });
      send(res, record, 404, rateHeaders, body);
      return;
    }
    if (agent.status === "active") {
      agent.status = "closed";
      agent.closed_at = new Date().toISOString();
    }
    send(res, record, 200, rateHeaders, JSON.stringify(agent));
  }

  #takeFault(): NotteTestFault | undefined {
    const head = this.faults[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.faults.shift();
    return head.fault;
  }

  /** Counts the request in the fixed window and returns the headers every answer carries. */
  #countRequest(now: number): RateHeaders {
    if (now >= this.#windowEnd) {
      this.#windowEnd = now + this.#windowMs;
      this.#resetText = String(Math.ceil(this.#windowEnd / 1000));
      this.#count = 0;
    }
    this.#count += 1;
    const limited = this.#count > this.#limit;
    return {
      limited,
      limit: this.#limitText,
      remaining: limited ? "0" : String(this.#limit - this.#count),
      reset: this.#resetText,
    };
  }
}

interface RateHeaders {
  limited: boolean;
  limit: string;
  remaining: string;
  reset: string;
}

function rateLimitedBody(limit: number): string {
  return JSON.stringify({
    message: "Rate limit exceeded",
    detail: `More than ${limit} requests in the current window`,
  });
}

/** Sends a JSON answer; the normal path, kept to one writeHead call. */
function send(
  res: ServerResponse,
  record: RequestRecord,
  status: number,
  rate: RateHeaders,
  body: string,
  extra?: Record<string, string>,
): void {
  const headers: Record<string, string | number> = {
    "Content-Type": JSON_TYPE,
    "Content-Length": Buffer.byteLength(body),
    "X-RateLimit-Limit": rate.limit,
    "X-RateLimit-Remaining": rate.remaining,
    "X-RateLimit-Reset": rate.reset,
    ...extra,
  };
  record.status = status;
  res.writeHead(status, headers);
  res.end(body);
}

/** Sets the headers of a fault answer; the fault's own headers win over ours. */
function setFaultHeaders(
  res: ServerResponse,
  rate: RateHeaders,
  contentType: string | undefined,
  length: number | undefined,
  fault: NotteTestFault,
): void {
  res.setHeader("X-RateLimit-Limit", rate.limit);
  res.setHeader("X-RateLimit-Remaining", rate.remaining);
  res.setHeader("X-RateLimit-Reset", rate.reset);
  if (contentType !== undefined) res.setHeader("Content-Type", contentType);
  if (length !== undefined) res.setHeader("Content-Length", length);
  if (fault.headers !== undefined) {
    // setHeader matches names case-insensitively, so these replace ours rather than
    // duplicating them.
    for (const [name, value] of Object.entries(fault.headers))
      res.setHeader(name, value);
  }
}

function faultBody(
  fault: NotteTestFault,
  status: number,
): { text: string; json: boolean } {
  if (fault.body !== undefined) {
    return typeof fault.body === "string"
      ? { text: fault.body, json: false }
      : { text: JSON.stringify(fault.body), json: true };
  }
  if (status >= 400) {
    return {
      text: JSON.stringify({ message: STATUS_CODES[status] ?? "Error" }),
      json: true,
    };
  }
  return { text: "", json: false };
}

function sendFault(
  res: ServerResponse,
  record: RequestRecord,
  fault: NotteTestFault,
  status: number,
  rate: RateHeaders,
): void {
  // 204 and 304 cannot carry a body, whatever the fault says.
  const noBody = status === 204 || status === 304;
  const { text, json } = noBody
    ? { text: "", json: false }
    : faultBody(fault, status);
  setFaultHeaders(
    res,
    rate,
    json ? JSON_TYPE : undefined,
    noBody ? undefined : Buffer.byteLength(text),
    fault,
  );
  record.status = status;
  res.writeHead(status);
  res.end(noBody ? undefined : text);
}

/** Default body of a truncated answer: something shaped like a real stop answer. */
const TRUNCATED_DEFAULT = JSON.stringify({
  agent_id: "truncated",
  session_id: "truncated",
  task: "this answer is cut off before its end",
  status: "closed",
  created_at: "2025-01-01T00:00:00.000Z",
  closed_at: "2025-01-01T00:00:01.000Z",
  saved: false,
  url: null,
  success: null,
  answer: null,
  steps: [],
});

function sendTruncated(
  res: ServerResponse,
  record: RequestRecord,
  fault: NotteTestFault,
  rate: RateHeaders,
): void {
  const status = fault.status ?? 200;
  const { text, json } =
    fault.body !== undefined
      ? faultBody(fault, status)
      : { text: TRUNCATED_DEFAULT, json: true };
  const full = Buffer.from(text, "utf8");
  const part = full.subarray(0, Math.ceil(full.length / 2));
  // Announce at least one byte more than is sent, even for a tiny body.
  const announced = Math.max(full.length, part.length + 1);
  setFaultHeaders(res, rate, json ? JSON_TYPE : undefined, announced, fault);
  record.status = status;
  res.writeHead(status);
  res.flushHeaders();
  const socket = res.socket;
  if (part.length > 0) res.write(part);
  // A stalled body sends nothing more; close() destroys the socket in the end.
  if (fault.stall === true) return;
  // end() flushes what was written, then closes; the client sees the body stop short.
  socket?.end(() => socket.destroy());
}

/** Validates a fault when queued, so mistakes throw in the test rather than in the server. */
function checkFault(fault: NotteTestFault): NotteTestFault {
  const kinds = [fault.hang, fault.drop, fault.truncate, fault.stall].filter(
    (k) => k === true,
  ).length;
  if (kinds > 1)
    throw new TypeError(
      "a fault can only be one of hang, drop, truncate and stall",
    );
  if (
    kinds === 0 &&
    fault.status === undefined &&
    fault.delayMs === undefined
  ) {
    throw new TypeError(
      "a fault needs status, delayMs, hang, drop, truncate or stall",
    );
  }
  if (
    fault.status !== undefined &&
    (!Number.isInteger(fault.status) ||
      fault.status < 200 ||
      fault.status > 599)
  ) {
    throw new RangeError("fault.status must be an integer from 200 to 599");
  }
  if (
    fault.delayMs !== undefined &&
    (!Number.isFinite(fault.delayMs) ||
      fault.delayMs < 0 ||
      fault.delayMs > 2_147_483_647)
  ) {
    throw new RangeError(
      "fault.delayMs must be a non-negative number of milliseconds",
    );
  }
  if (
    fault.times !== undefined &&
    (!Number.isSafeInteger(fault.times) || fault.times < 1)
  ) {
    throw new RangeError("fault.times must be a positive integer");
  }
  if (fault.headers !== undefined) {
    for (const [name, value] of Object.entries(fault.headers)) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    }
  }
  if (fault.body !== undefined && typeof fault.body !== "string") {
    // Fails now (cycles, BigInt) instead of inside the request handler.
    JSON.stringify(fault.body);
  }
  // A copy, so later changes by the caller do not alter what was queued.
  return { ...fault, ...(fault.headers && { headers: { ...fault.headers } }) };
}

/** Decoded agent id of `/agents/{agent_id}/stop` (exactly one non-empty segment), or undefined. */
function matchStopPath(pathname: string): string | undefined {
  if (
    pathname.length <= STOP_PREFIX.length + STOP_SUFFIX.length ||
    !pathname.startsWith(STOP_PREFIX) ||
    !pathname.endsWith(STOP_SUFFIX)
  ) {
    return undefined;
  }
  const segment = pathname.slice(
    STOP_PREFIX.length,
    pathname.length - STOP_SUFFIX.length,
  );
  if (segment.includes("/")) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%zz`) is kept as written, as uvicorn does.
    return segment;
  }
}

function parseQuery(raw: string): Record<string, string> {
  // No prototype: a parameter named `__proto__` must be just a parameter.
  const query: Record<string, string> = Object.create(null) as Record<
    string,
    string
  >;
  if (raw === "") return query;
  for (const [name, value] of new URLSearchParams(raw)) query[name] = value;
  return query;
}

function copyHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<
    string,
    string
  >;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const auth = headers.authorization;
  if (auth !== undefined && auth !== "") {
    // Keep the scheme so tests can check it, never the secret.
    const space = auth.indexOf(" ");
    headers.authorization =
      space > 0 ? `${auth.slice(0, space)} [redacted]` : "[redacted]";
  }
  return headers;
}

/** The token of `Bearer <token>` (scheme case-insensitive, as FastAPI reads it), or undefined. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(" ");
  if (space === -1 || header.slice(0, space).toLowerCase() !== "bearer")
    return undefined;
  // Like FastAPI, everything after the first space is the token, spaces included.
  return header.slice(space + 1);
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toISOString();
}

function copyAgent(agent: AgentStatusResponse): AgentStatusResponse {
  return structuredClone(agent);
}
