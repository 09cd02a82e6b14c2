/**
 * The Notte API's own behaviour, as the test server plays it: the agents it knows, and how it
 * answers its two routes, in the order its FastAPI app decides (rate limit, route, method, auth,
 * query validation, the agent):
 *
 * - `DELETE /agents/{agent_id}/stop?session_id=…` (`agent_stop`): stops a running agent of that
 *   session. An agent that is not running answers 404, like an unknown one: Notte's reference
 *   (the `agent_stop` description of its 2026-01-10 document) says "you can only stop an agent
 *   if it is still running, otherwise a 404 error will be raised".
 * - `GET /agents/{agent_id}` (`agent_status`): the agent's status, whatever its session (the
 *   operation takes none).
 *
 * @packageDocumentation
 */

import type { ServerResponse } from "node:http";
import { ANSWER_SHAPES } from "../../generated/answer-shapes.js";
import type { components } from "../../generated/notte-api.js";
import { rateLimitHeaders, type RateHeaders } from "./rate-limit.js";
import type { ApiRequest, RequestRecord } from "./request.js";
import type { AgentStatusResponse, NotteTestAgent } from "./types.js";

/**
 * What the server keeps of an agent: one record that is both what `agent_stop` answers and
 * what `agent_status` answers, so the two routes can never disagree about an agent.
 */
type AgentRecord = AgentStatusResponse &
  components["schemas"]["LegacyAgentStatusResponse"];

/** Content-Type of the server's JSON answers. */
export const JSON_TYPE = "application/json";

/** Most agents one `addAgents` call adds: bulk set-up, not a memory test. */
const MAX_BULK_AGENTS = 1_000_000;

/** The server's agents by id; what it hands out are copies. */
export class AgentStore {
  readonly #agents = new Map<string, AgentRecord>();
  #nextBulkId = 1;

  /** Adds an agent, replacing one with the same id; returns a copy of what the API shows. */
  add(input: NotteTestAgent): AgentStatusResponse {
    const agent = agentRecord(input, new Date().toISOString());
    this.#agents.set(input.agentId, agent);
    return structuredClone(agent);
  }

  /** Adds `count` active agents to the session under fresh ids, and returns the ids in order. */
  addMany(count: number, sessionId: string, task: string): string[] {
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_BULK_AGENTS) {
      throw new RangeError(
        `count must be an integer from 0 to ${MAX_BULK_AGENTS}`,
      );
    }
    if (typeof sessionId !== "string" || typeof task !== "string") {
      throw new TypeError("sessionId and task must be strings");
    }
    const ids: string[] = [];
    while (ids.length < count) {
      const agentId = `agent_bulk_${this.#nextBulkId++}`;
      // An id a test chose itself is never replaced.
      if (this.#agents.has(agentId)) continue;
      this.add({ agentId, sessionId, task });
      ids.push(agentId);
    }
    return ids;
  }

  /** A copy of the agent's status, or undefined when unknown. */
  copy(agentId: string): AgentStatusResponse | undefined {
    const found = this.#agents.get(agentId);
    return found === undefined ? undefined : structuredClone(found);
  }

  /** Forgets every agent. */
  clear(): void {
    this.#agents.clear();
  }

  /** The stored record (to serialize at once), or undefined when unknown. */
  find(agentId: string): AgentRecord | undefined {
    return this.#agents.get(agentId);
  }
}

/**
 * A value for each field the document requires of either route's answer, by what it may be:
 * the first of its values, null when it may be null, else an empty value of its first type.
 * Built from the generated answer shapes, so that a field the document comes to require is
 * answered without a change here.
 */
const REQUIRED_DEFAULTS: Record<string, unknown> = {};
for (const { required } of Object.values(ANSWER_SHAPES)) {
  for (const [field, shape] of Object.entries(required) as [
    string,
    { types?: readonly string[]; enum?: readonly unknown[] },
  ][]) {
    const empty: Record<string, unknown> = {
      string: "",
      integer: 0,
      number: 0,
      boolean: false,
      array: [],
      object: {},
    };
    REQUIRED_DEFAULTS[field] = shape.enum
      ? shape.enum[0]
      : shape.types?.includes("null")
        ? null
        : (empty[shape.types?.[0] ?? "null"] ?? null);
  }
}

/**
 * The one place an agent's answer is built from what a test gave: every field the documents
 * require, the defaults of the others.
 */
function agentRecord(input: NotteTestAgent, now: string): AgentRecord {
  if (
    typeof input.agentId !== "string" ||
    typeof input.sessionId !== "string"
  ) {
    throw new TypeError("agentId and sessionId must be strings");
  }
  const status = input.status ?? "active";
  const closedAt =
    input.closedAt === undefined
      ? status === "closed"
        ? now
        : null
      : input.closedAt;
  const known = {
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
  } satisfies Partial<AgentRecord>;
  // The generated shapes give the fields the document requires beyond these: after a pull
  // that adds some, the type requires them too, and only the shapes know their values.
  return { ...structuredClone(REQUIRED_DEFAULTS), ...known } as AgentRecord;
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toISOString();
}

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

/** The only method each route takes (sent as `Allow` with a 405). */
const ROUTE_METHOD = { agent_stop: "DELETE", agent_status: "GET" } as const;

/** Answers a request the way the API would (no fault involved). */
export function answerAsApi(
  res: ServerResponse,
  request: ApiRequest,
  record: RequestRecord,
  rate: RateHeaders,
  agents: AgentStore,
  limit: number,
): void {
  const send = (status: number, body: string, extra?: ExtraHeaders): void =>
    sendJson(res, record, status, rate, body, extra);
  if (rate.limited) {
    send(429, rateLimitedBody(limit), {
      "Retry-After": String(Math.ceil(rate.retryAfterMs / 1000)),
      // The precise wait: a window shorter than a second would otherwise read as 1 s.
      "retry-after-ms": String(rate.retryAfterMs),
    });
    return;
  }
  const { route, agentId } = request;
  if (route === undefined || agentId === undefined) {
    send(404, NOT_FOUND_BODY);
    return;
  }
  if (request.method !== ROUTE_METHOD[route]) {
    send(405, METHOD_NOT_ALLOWED_BODY, { Allow: ROUTE_METHOD[route] });
    return;
  }
  if (!request.authorized) {
    const body = request.authorizationSent ? WRONG_KEY_BODY : MISSING_KEY_BODY;
    send(401, body, { "WWW-Authenticate": "Bearer" });
    return;
  }
  const agent = agents.find(agentId);
  if (route === "agent_status") {
    if (agent === undefined) send(404, agentNotFoundBody(agentId));
    else send(200, JSON.stringify(agent));
    return;
  }
  const sessionId = request.sessionId;
  if (sessionId === undefined) {
    send(422, MISSING_SESSION_BODY);
    return;
  }
  if (sessionId === "") {
    send(422, EMPTY_SESSION_BODY);
    return;
  }
  // Another session's agent, and one that is no longer running, are reported exactly like an
  // unknown one: to the API all three are the same 404, and ids do not leak across sessions.
  if (
    agent === undefined ||
    agent.session_id !== sessionId ||
    agent.status !== "active"
  ) {
    send(404, agentNotFoundBody(agentId, sessionId));
    return;
  }
  agent.status = "closed";
  agent.closed_at = new Date().toISOString();
  send(200, JSON.stringify(agent));
}

type ExtraHeaders = Record<string, string>;

/** The API's 404 for an agent: `{ message, detail }`, like its other errors. */
function agentNotFoundBody(agentId: string, sessionId?: string): string {
  return JSON.stringify({
    message: "Agent not found",
    detail:
      sessionId === undefined
        ? `Agent ${agentId} not found`
        : `Agent ${agentId} not found in session ${sessionId}`,
  });
}

function rateLimitedBody(limit: number): string {
  return JSON.stringify({
    message: "Rate limit exceeded",
    detail: `More than ${limit} requests in the current window`,
  });
}

/** Sends a JSON answer with the rate-limit headers; the normal path, one writeHead call. */
function sendJson(
  res: ServerResponse,
  record: RequestRecord,
  status: number,
  rate: RateHeaders,
  body: string,
  extra?: ExtraHeaders,
): void {
  record.status = status;
  res.writeHead(status, {
    "Content-Type": JSON_TYPE,
    "Content-Length": Buffer.byteLength(body),
    ...rateLimitHeaders(rate),
    ...extra,
  });
  res.end(body);
}
