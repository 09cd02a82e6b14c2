/**
 * The public types of `notte-api-client/testing`: what a test passes to the server and what it
 * reads back. No code here.
 *
 * @packageDocumentation
 */

import type { components } from "../../generated/notte-api.js";

/** The agent status the API answers, as generated from its OpenAPI document. */
export type AgentStatusResponse = components["schemas"]["AgentStatusResponse"];
/** An agent's status value, as generated from the OpenAPI document. */
export type AgentStatus = components["schemas"]["AgentStatus"];

/**
 * Rate-limit window the test server applies, counted per key: requests that present the same
 * `Authorization` token share one window; requests without one share another.
 */
export interface NotteTestRateLimit {
  /** Requests allowed per window; the next one in the same window is answered with 429. */
  limit: number;
  /** Length of the fixed window, in milliseconds; it starts at the key's first request. */
  windowMs: number;
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
  /**
   * Called once per request when it is over: answered, dropped, or cut off by the client or by
   * `close()`. It gets the request as the log records it (secrets redacted; `status` undefined
   * when nothing was answered), with `recordRequests` off too. What it throws or rejects with
   * is ignored: the server keeps serving.
   */
  onRequestEnd?: (request: NotteTestRequest) => unknown;
}

/** An agent to put on the test server with {@link NotteTestServer.addAgent}. */
export interface NotteTestAgent {
  /** The agent's id (`agent_id`), as it appears decoded in the request path. */
  agentId: string;
  /** The session the agent belongs to (`session_id`); other sessions get 404. */
  sessionId: string;
  /** The agent's task. */
  task: string;
  /**
   * Default: `"active"`. Only an active agent can be stopped: stopping a closed one answers
   * 404, as Notte documents (the `agent_stop` description of its 2026-01-10 document).
   */
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

/**
 * One request as the test server received it, kept in {@link NotteTestServer.requests}.
 * The server's API key, and the token the request presented, appear nowhere in it: each
 * occurrence (raw or percent-encoded) is replaced by `[redacted]`.
 */
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
   * Headers, lower-case names; repeated headers joined with ", ". A non-empty
   * `authorization` is `"[redacted]"` whole.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether `authorization` was exactly `Bearer <the server's key>` (scheme case-insensitive). */
  readonly authorized: boolean;
  /** The decoded agent id when the path is `/agents/{agent_id}/stop` or `/agents/{agent_id}`, otherwise undefined. */
  readonly agentId: string | undefined;
  /** The body as UTF-8 text ("" when none); filled in once the body has been read. */
  readonly body: string;
  /** Arrival time, in milliseconds since the epoch. */
  readonly time: number;
  /** The fault this request consumed, if any. */
  readonly fault: NotteTestFault | undefined;
  /** Whether the rate limit refused this request (answered 429 unless a fault answered). */
  readonly rateLimited: boolean;
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
  /** 429 answers the rate limit has sent (fault answers not included), kept with `recordRequests` off too. */
  readonly rateLimitedCount: number;
  /** Requests received and not yet answered (or dropped) right now. */
  readonly inFlight: number;
  /** The highest {@link inFlight} seen: how many requests a client had open at once. */
  readonly maxInFlight: number;
  /** Adds an agent (replacing one with the same id) and returns its status as the API shows it. */
  addAgent(agent: NotteTestAgent): AgentStatusResponse;
  /**
   * Adds `count` active agents to the session, with ids no agent on the server has yet, and
   * returns those ids in order. For bulk set-up; `task` defaults to `"bulk test agent"`.
   */
  addAgents(count: number, sessionId: string, task?: string): string[];
  /** The agent's current status (a copy), or undefined when unknown. */
  agent(agentId: string): AgentStatusResponse | undefined;
  /** Queues a fault for the next `fault.times` (default 1) requests, after faults queued before. */
  failNext(fault: NotteTestFault): void;
  /**
   * Forgets agents, recorded requests and queued faults, restarts every rate-limit window and
   * zeroes the counters ({@link rateLimitedCount}, {@link maxInFlight}).
   */
  reset(): void;
  /**
   * Stops listening and destroys every open connection at once (hanging and idle keep-alive
   * ones included). Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}
