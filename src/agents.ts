import type { Client } from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { NottePromise, type WithResponse } from "./api-promise.js";
import { parseBody } from "./body.js";
import {
  apiErrorFromResponse,
  NotteApiError,
  NotteInvalidRequestError,
} from "./errors.js";
import { isRecord, readOptions } from "./values.js";
import {
  callHeaders,
  callLimits,
  type RequestOptions,
} from "./request-options.js";
import { PlainRequest } from "./plain-request.js";
import { send, type CallContext, type CallLimits } from "./send.js";
import {
  readIds,
  stopMany,
  type StopManyOptions,
  type StopManyResult,
} from "./stop-many.js";
import type {
  AgentStatus,
  AgentStatusResponse,
  StopAgentParams,
} from "./types.js";

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
  readonly #context: CallContext;
  readonly #client: Client<paths>;
  readonly #defaultLimits: CallLimits;

  /** @internal Made by {@link NotteClient}; not meant to be built by hand. */
  constructor(
    context: CallContext,
    client: Client<paths>,
    defaultLimits: CallLimits,
  ) {
    this.#context = context;
    this.#client = client;
    this.#defaultLimits = defaultLimits;
  }

  /**
   * Stops a running agent: `DELETE /agents/{agent_id}/stop?session_id=…`,
   * one call of the typed openapi-fetch client per attempt (so middleware
   * registered with `notte.raw.use()` sees it).
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
    given: RequestOptions | undefined,
  ): Promise<WithResponse<AgentStatusResponse>> {
    const { agentId, sessionId } = checkStopParams(params);
    const context = this.#context;
    // Read once, so that a getter of the caller's runs once and cannot throw later.
    const options =
      given && readOptions(given, "request options", NotteInvalidRequestError);
    const headers = callHeaders(options);
    const { result, text } = await send(
      context,
      options === undefined
        ? this.#defaultLimits
        : callLimits(options, context.config),
      (fetch) =>
        this.#client.DELETE("/agents/{agent_id}/stop", {
          params: {
            path: { agent_id: agentId },
            query: { session_id: sessionId },
          },
          headers,
          parseAs: "stream",
          fetch,
          // openapi-fetch's own option, untyped per call: a Request nobody
          // but fetch will see need not be built twice.
          ...((context.middleware.length === 0 && {
            Request: PlainRequest,
          }) as object),
        }),
      true,
    );
    const { response } = result;
    const secret = context.config.apiKey;
    if (!response.ok) {
      throw apiErrorFromResponse(
        response.status,
        response.headers,
        result.error ?? "",
        secret,
      );
    }
    const body = parseBody(text);
    // parseBody hands back the very same string only when it is not JSON.
    const problem =
      text === ""
        ? "the body is empty"
        : body === text
          ? "the body is not JSON"
          : agentStatusProblem(body);
    if (problem !== undefined) {
      const { status } = response;
      throw new NotteApiError(
        status,
        response.headers,
        body,
        `${status} answer is not an agent status: ${problem}`,
        secret,
      );
    }
    return { data: body as AgentStatusResponse, response };
  }
}

/**
 * The checked ids, or a {@link NotteInvalidRequestError}: non-empty strings,
 * not only whitespace, well-formed Unicode. Every such string is sent
 * percent-encoded as exactly one path segment (the dot segments `.` and `..`,
 * which encoding leaves as they are, are refused by the client's path
 * serializer).
 */
function checkStopParams(params: unknown): StopAgentParams {
  const ids = isRecord(params) ? readIds(params) : undefined;
  if (ids === undefined) {
    throw new NotteInvalidRequestError(
      "agents.stop needs { agentId, sessionId }",
    );
  }
  return {
    agentId: checkId(ids.agentId, "agentId"),
    sessionId: checkId(ids.sessionId, "sessionId"),
  };
}

// Node 20 has String.prototype.isWellFormed; TypeScript's ES2022 library does not list it.
type MaybeWellFormed = string & { isWellFormed(): boolean };

function checkId(value: unknown, name: string): string {
  // A lone UTF-16 surrogate cannot be percent-encoded (encodeURIComponent throws URIError).
  if (
    typeof value !== "string" ||
    value.trim() === "" ||
    !(value as MaybeWellFormed).isWellFormed()
  ) {
    throw new NotteInvalidRequestError(
      `${name} must be a non-blank, well-formed string`,
    );
  }
  return value;
}

function agentStatusProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return "the body is not a JSON object";
  for (const field of REQUIRED_STRING_FIELDS) {
    if (typeof body[field] !== "string")
      return `field ${field} is missing or not a string`;
  }
  if (!(AGENT_STATUSES as readonly unknown[]).includes(body.status)) {
    return `field status is ${JSON.stringify(body.status) ?? "missing"}`;
  }
  return undefined;
}
