import type { operations, paths } from "../generated/notte-api.js";
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
import {
  stopMany,
  type StopManyOptions,
  type StopManyResult,
} from "./stop-many.js";
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

// The operation's URL, written out once so a call only concatenates. The
// annotations tie each name to the generated types: if the document renames
// the path or a parameter, or drops the DELETE, this stops compiling.
type StopParameters = operations["agent_stop"]["parameters"];
const STOP_PATH: PathWithDelete = "/agents/{agent_id}/stop";
const AGENT_ID: keyof StopParameters["path"] = "agent_id";
const SESSION_ID: keyof StopParameters["query"] = "session_id";
type PathWithDelete = {
  [P in keyof paths]: paths[P]["delete"] extends operations["agent_stop"]
    ? P
    : never;
}[keyof paths];
const AGENT_ID_AT = STOP_PATH.indexOf(`{${AGENT_ID}}`);
const STOP_PATH_HEAD = STOP_PATH.slice(0, AGENT_ID_AT);
const STOP_PATH_TAIL = STOP_PATH.slice(AGENT_ID_AT + AGENT_ID.length + 2);
const STOP_QUERY = `?${SESSION_ID}=`;

/**
 * `DELETE` URL of the stop operation. Each id is percent-encoded whole, so it
 * stays one path segment (or one query value) whatever it holds; the dot
 * segments that encoding cannot protect are refused earlier, in {@link checkStopParams}.
 */
export function stopUrl(
  baseUrl: string,
  agentId: string,
  sessionId: string,
): string {
  return `${baseUrl}${STOP_PATH_HEAD}${encodeURIComponent(agentId)}${STOP_PATH_TAIL}${STOP_QUERY}${encodeURIComponent(sessionId)}`;
}

// The required fields and the statuses of the generated type, checked on
// every answer. The two type assertions below fail to compile when the
// document changes which fields are required or which statuses exist, so
// these lists cannot drift from it.
type RequiredKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : K;
}[keyof T];
const REQUIRED_STRING_FIELDS = [
  "agent_id",
  "created_at",
  "session_id",
  "task",
] as const;
const AGENT_STATUSES = ["active", "closed"] as const satisfies AgentStatus[];
type CheckedKeys = (typeof REQUIRED_STRING_FIELDS)[number] | "status";
const requiredFieldsAreAllChecked: [
  Exclude<RequiredKeys<AgentStatusResponse>, CheckedKeys>,
] extends [never]
  ? true
  : never = true;
const everyStatusIsListed: [
  Exclude<AgentStatus, (typeof AGENT_STATUSES)[number]>,
] extends [never]
  ? true
  : never = true;
void requiredFieldsAreAllChecked;
void everyStatusIsListed;

/** The agent operations: `notte.agents`. */
export class Agents {
  readonly #config: ClientConfig;

  /** @internal Made by {@link NotteClient}; not meant to be built by hand. */
  constructor(config: ClientConfig) {
    this.#config = config;
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

  /**
   * Stops many agents, at most `concurrency` calls at a time (default 8), and resolves to one
   * result per item, in input order: `{ ok: true, status }` or `{ ok: false, error }`. Never
   * rejects because an agent failed; the same `(agentId, sessionId)` twice is sent once.
   *
   * @example
   * const results = await notte.agents.stopMany(items, { concurrency: 16 });
   * const failed = results.filter((r) => !r.ok);
   *
   * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
   */
  stopMany(
    items: Iterable<StopAgentParams>,
    options?: StopManyOptions,
  ): Promise<StopManyResult[]> {
    return stopMany((params, opts) => this.stop(params, opts), items, options);
  }

  async #stop(
    params: StopAgentParams,
    options: RequestOptions | undefined,
  ): Promise<WithResponse<AgentStatusResponse>> {
    const { agentId, sessionId } = checkStopParams(params);
    const config = this.#config;
    const call =
      options === undefined
        ? new Call(config.timeoutMs, config.maxRetries, undefined)
        : callFromOptions(options, config);
    const { response, text } = await send(
      config,
      stopUrl(config.baseUrl, agentId, sessionId),
      {
        method: "DELETE",
        // A copy per call: send adds this call's Idempotency-Key to it.
        headers: {
          ...config.headers,
          ...(options && headersFromOptions(options)),
        },
      },
      call,
    );
    if (!response.ok) {
      throw apiErrorFromResponse(
        response.status,
        response.headers,
        parseBody(text),
      );
    }
    return { data: parseAgentStatus(response, text), response };
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
      "agents.stop needs { agentId, sessionId }",
    );
  }
  const agentId = checkId(params.agentId, "agentId");
  checkNotDotSegment(agentId, "agentId");
  return { agentId, sessionId: checkId(params.sessionId, "sessionId") };
}

/**
 * Refuses `.` and `..` as a path parameter: percent-encoding leaves them as
 * they are, and URL parsing then turns `/agents/../stop` into `/stop`.
 */
export function checkNotDotSegment(value: unknown, name: string): void {
  if (value === "." || value === "..") {
    throw new NotteInvalidRequestError(
      `${name} ${JSON.stringify(value)} is a dot segment, not an id`,
    );
  }
}

// Node 20 has String.prototype.isWellFormed; TypeScript's ES2022 library does not list it.
type MaybeWellFormed = string & { isWellFormed(): boolean };

function checkId(value: unknown, name: string): string {
  if (value === undefined || value === null)
    throw new NotteInvalidRequestError(`${name} is required`);
  if (typeof value !== "string") {
    throw new NotteInvalidRequestError(`${name} must be a string`);
  }
  if (value.trim() === "")
    throw new NotteInvalidRequestError(
      `${name} must not be empty or only whitespace`,
    );
  // A lone UTF-16 surrogate cannot be percent-encoded (encodeURIComponent throws URIError).
  if (!(value as MaybeWellFormed).isWellFormed()) {
    throw new NotteInvalidRequestError(`${name} is not well-formed Unicode`);
  }
  return value;
}

function callFromOptions(options: RequestOptions, config: ClientConfig): Call {
  if (!isRecord(options))
    throw new NotteInvalidRequestError("request options must be an object");
  const { signal } = options;
  if (signal !== undefined && !isSignal(signal)) {
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
  );
}

// The shape, not instanceof: signals from polyfills or other realms are fine.
function isSignal(value: unknown): value is AbortSignal {
  return (
    isRecord(value) &&
    typeof value.aborted === "boolean" &&
    typeof value.addEventListener === "function"
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

/** A body's JSON when it is JSON, else its text as is (`""` when empty). */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The success body, checked to be an `AgentStatusResponse`, or a {@link NotteApiError} saying why not. */
function parseAgentStatus(
  response: Response,
  text: string,
): AgentStatusResponse {
  const body = parseBody(text);
  // parseBody hands back the very same string only when it is not JSON.
  const problem =
    text === ""
      ? "the body is empty"
      : body === text
        ? "the body is not JSON"
        : agentStatusProblem(body);
  if (problem !== undefined) {
    const { status, headers } = response;
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
    !(AGENT_STATUSES as readonly string[]).includes(body.status)
  ) {
    return `field status is ${JSON.stringify(body.status) ?? "missing"}, expected one of ${AGENT_STATUSES.join(", ")}`;
  }
  return undefined;
}
