import type { Client } from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { NottePromise, type WithResponse } from "./api-promise.js";
import {
  checkHeaders,
  checkHeaderValue,
  checkMaxRetries,
  checkTimeoutMs,
  type ClientConfig,
} from "./config.js";
import {
  apiErrorFromResponse,
  isRecord,
  NotteApiError,
  NotteInvalidRequestError,
} from "./errors.js";
import { Call, send } from "./send.js";
import type {
  AgentStatus,
  AgentStatusResponse,
  StopAgentParams,
} from "./types.js";

/** Options of one call; each overrides the client's setting for that call only. */
export interface RequestOptions {
  /** Cancels the whole call (every attempt and every wait between them); no retry follows. */
  signal?: AbortSignal | undefined;
  /** Limit for each attempt of this call, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of this call. */
  maxRetries?: number | undefined;
  /** `Idempotency-Key` for this call (default: a random UUID, the same across retries). */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
}

const STOP_PATH = "/agents/{agent_id}/stop";

// The required fields of the generated type, checked on every answer. The two
// type assertions below fail to compile when the document changes which fields
// are required or which statuses exist, so this list cannot drift from it.
type RequiredKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : K;
}[keyof T];
const REQUIRED_STRING_FIELDS = [
  "agent_id",
  "created_at",
  "session_id",
  "task",
] as const;
const AGENT_STATUSES: readonly string[] = [
  "active",
  "closed",
] satisfies AgentStatus[];
type CheckedKeys = (typeof REQUIRED_STRING_FIELDS)[number] | "status";
const requiredFieldsAreAllChecked: [
  Exclude<RequiredKeys<AgentStatusResponse>, CheckedKeys>,
] extends [never]
  ? true
  : never = true;
const everyStatusIsKnown: [Exclude<AgentStatus, "active" | "closed">] extends [
  never,
]
  ? true
  : never = true;
void requiredFieldsAreAllChecked;
void everyStatusIsKnown;

/** The agent operations: `notte.agents`. */
export class Agents {
  readonly #config: ClientConfig;
  readonly #raw: Client<paths>;

  /** @internal Made by {@link NotteClient}; not meant to be built by hand. */
  constructor(config: ClientConfig, raw: Client<paths>) {
    this.#config = config;
    this.#raw = raw;
  }

  /**
   * Stops a running agent: `DELETE /agents/{agent_id}/stop?session_id=…`.
   *
   * Resolves to the agent's status (`status: "closed"` once stopped; stopping a
   * closed agent again answers the same). Does not wait for the agent to finish.
   *
   * @example
   * const status = await notte.agents.stop({ agentId, sessionId });
   * const { data, response } = await notte.agents.stop({ agentId, sessionId }).withResponse();
   *
   * @throws NotteInvalidRequestError before sending, for a missing, empty or dot-segment id
   * @throws NotteApiError (or a subclass by status) when the API refuses or answers nonsense
   * @throws NotteConnectionError, NotteTimeoutError or NotteAbortError when no answer came
   */
  stop(
    params: StopAgentParams,
    options?: RequestOptions,
  ): NottePromise<AgentStatusResponse> {
    return new NottePromise(this.#stop(params, options));
  }

  async #stop(
    params: StopAgentParams,
    options: RequestOptions | undefined,
  ): Promise<WithResponse<AgentStatusResponse>> {
    const { agentId, sessionId } = checkStopParams(params);
    const config = this.#config;
    const call =
      options === undefined
        ? new Call(config.timeoutMs, config.maxRetries, undefined, true)
        : callFromOptions(options, config);

    const headers =
      options === undefined ? undefined : headersFromOptions(options);

    let result;
    try {
      result = await this.#raw.DELETE(STOP_PATH, {
        params: {
          path: { agent_id: agentId },
          query: { session_id: sessionId },
        },
        parseAs: "text",
        ...(headers && { headers }),
        fetch: (request) => send(config, request, call),
      });
    } catch (error) {
      throw call.failure(error);
    } finally {
      // The body has been read (or failed): end the attempt's timer only now.
      call.release();
    }
    const { response } = result;
    if (!response.ok) {
      // openapi-fetch gives no error body for an empty answer; the error says "" for it.
      throw apiErrorFromResponse(
        response.status,
        response.headers,
        result.error ?? "",
      );
    }
    return { data: parseAgentStatus(response, result.data), response };
  }
}

/**
 * The checked ids, or a {@link NotteInvalidRequestError}. `.` and `..` are refused
 * because URL parsing would turn `/agents/../stop` into `/stop`: another endpoint.
 * Every other string is sent percent-encoded as exactly one path segment.
 */
export function checkStopParams(params: unknown): StopAgentParams {
  if (!isRecord(params)) {
    throw new NotteInvalidRequestError(
      "agents.stop needs an object { agentId, sessionId }",
    );
  }
  const agentId = checkId(params.agentId, "agentId");
  if (agentId === "." || agentId === "..") {
    throw new NotteInvalidRequestError(
      `agentId ${JSON.stringify(agentId)} is a dot segment, not an agent id`,
    );
  }
  return { agentId, sessionId: checkId(params.sessionId, "sessionId") };
}

// A lone UTF-16 surrogate cannot be percent-encoded (encodeURIComponent throws URIError).
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkId(value: unknown, name: string): string {
  if (value === undefined || value === null)
    throw new NotteInvalidRequestError(`${name} is required`);
  if (typeof value !== "string") {
    throw new NotteInvalidRequestError(
      `${name} must be a string, not ${Array.isArray(value) ? "array" : typeof value}`,
    );
  }
  if (value.trim() === "")
    throw new NotteInvalidRequestError(
      `${name} must not be empty or only whitespace`,
    );
  if (LONE_SURROGATE.test(value)) {
    throw new NotteInvalidRequestError(
      `${name} holds a lone UTF-16 surrogate and cannot be encoded`,
    );
  }
  return value;
}

function callFromOptions(options: RequestOptions, config: ClientConfig): Call {
  if (!isRecord(options))
    throw new NotteInvalidRequestError("request options must be an object");
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal");
  }
  return new Call(
    options.timeoutMs === undefined
      ? config.timeoutMs
      : checkTimeoutMs(options.timeoutMs, NotteInvalidRequestError),
    options.maxRetries === undefined
      ? config.maxRetries
      : checkMaxRetries(options.maxRetries, NotteInvalidRequestError),
    signal,
    true,
  );
}

function headersFromOptions(
  options: RequestOptions,
): Record<string, string> | undefined {
  const { headers, idempotencyKey } = options;
  if (headers === undefined && idempotencyKey === undefined) return undefined;
  const merged = checkHeaders(headers ?? {}, NotteInvalidRequestError);
  if (idempotencyKey !== undefined) {
    if (idempotencyKey === "") {
      throw new NotteInvalidRequestError("idempotencyKey must not be empty");
    }
    merged["idempotency-key"] = checkHeaderValue(
      "idempotency-key",
      idempotencyKey,
      NotteInvalidRequestError,
    );
  }
  return merged;
}

/** The success body, checked to be an `AgentStatusResponse`, or a {@link NotteApiError} saying why not. */
function parseAgentStatus(
  response: Response,
  text: string | undefined,
): AgentStatusResponse {
  const { status, headers } = response;
  if (text === undefined || text === "") {
    throw new NotteApiError(
      status,
      headers,
      "",
      `${status} answer has an empty body, expected an agent status`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new NotteApiError(
      status,
      headers,
      text,
      `${status} answer is not JSON, expected an agent status`,
    );
  }
  const problem = agentStatusProblem(body);
  if (problem !== undefined) {
    throw new NotteApiError(
      status,
      headers,
      body,
      `${status} answer is not an agent status: ${problem}`,
    );
  }
  return body as AgentStatusResponse;
}

function agentStatusProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return "the body is not a JSON object";
  for (const field of REQUIRED_STRING_FIELDS) {
    if (typeof body[field] !== "string")
      return `field ${field} is missing or not a string`;
  }
  if (
    typeof body.status !== "string" ||
    !AGENT_STATUSES.includes(body.status)
  ) {
    return `field status is ${JSON.stringify(body.status) ?? "missing"}, expected one of ${AGENT_STATUSES.join(", ")}`;
  }
  return undefined;
}
