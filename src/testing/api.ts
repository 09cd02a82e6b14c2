/**
 * The Notte API's own behaviour for `DELETE /agents/{agent_id}/stop?session_id=…`, in the order
 * its FastAPI app applies it: rate limit, route, method, auth, query validation, the agent.
 *
 * @packageDocumentation
 */

import type { ServerResponse } from "node:http";
import type { AgentStore } from "./agent-store.js";
import { sendJson, type RateHeaders } from "./http.js";
import type { ApiRequest, RequestRecord } from "./request.js";

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

/** Answers a request the way the API would (no fault involved). */
export function answerAsApi(
  res: ServerResponse,
  request: ApiRequest,
  record: RequestRecord,
  rate: RateHeaders,
  agents: AgentStore,
  limit: number,
): void {
  if (rate.limited) {
    sendJson(res, record, 429, rate, rateLimitedBody(limit), {
      "Retry-After": String(Math.ceil(rate.retryAfterMs / 1000)),
      // The precise wait: a window shorter than a second would otherwise read as 1 s.
      "retry-after-ms": String(rate.retryAfterMs),
    });
    return;
  }
  const agentId = request.agentId;
  if (agentId === undefined) {
    sendJson(res, record, 404, rate, NOT_FOUND_BODY);
    return;
  }
  if (request.method !== "DELETE") {
    sendJson(res, record, 405, rate, METHOD_NOT_ALLOWED_BODY, {
      Allow: "DELETE",
    });
    return;
  }
  if (!request.authorized) {
    const body = request.authorizationSent ? WRONG_KEY_BODY : MISSING_KEY_BODY;
    sendJson(res, record, 401, rate, body, { "WWW-Authenticate": "Bearer" });
    return;
  }
  const sessionId = request.sessionId;
  if (sessionId === undefined) {
    sendJson(res, record, 422, rate, MISSING_SESSION_BODY);
    return;
  }
  if (sessionId === "") {
    sendJson(res, record, 422, rate, EMPTY_SESSION_BODY);
    return;
  }
  const agent = agents.stop(agentId, sessionId);
  // Another session's agent is reported exactly like an unknown one: ids do not leak.
  if (agent === undefined) {
    const body = JSON.stringify({
      message: "Agent not found",
      detail: `Agent ${agentId} not found in session ${sessionId}`,
    });
    sendJson(res, record, 404, rate, body);
    return;
  }
  sendJson(res, record, 200, rate, JSON.stringify(agent));
}

function rateLimitedBody(limit: number): string {
  return JSON.stringify({
    message: "Rate limit exceeded",
    detail: `More than ${limit} requests in the current window`,
  });
}
