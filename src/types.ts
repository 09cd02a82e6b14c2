/**
 * The package's types, and nothing else: the Notte API's shapes, generated
 * from its OpenAPI document, and the client's options.
 *
 * This is the `notte-api-client/types` entry: `import type` from it costs no
 * runtime code, so a service can describe Notte payloads, or the client's
 * configuration, without loading the client.
 *
 * @packageDocumentation
 */
import type { components, operations } from "../generated/notte-api.js";

export type {
  components,
  operations,
  paths,
  webhooks,
} from "../generated/notte-api.js";

/** What `DELETE /agents/{agent_id}/stop` answers with on success. */
export type AgentStatusResponse = components["schemas"]["AgentStatusResponse"];

/** Whether an agent is still running (`"active"`) or stopped (`"closed"`). */
export type AgentStatus = components["schemas"]["AgentStatus"];

/** One entry of a FastAPI validation error's `detail` list (status 422). */
export type ValidationError = components["schemas"]["ValidationError"];

/** The body of a 422 answer. */
export type HTTPValidationError = components["schemas"]["HTTPValidationError"];

/** What `GET /agents/{agent_id}` (`agents.status`) answers with on success. */
export type LegacyAgentStatusResponse =
  components["schemas"]["LegacyAgentStatusResponse"];

type AgentStopParameters = operations["agent_stop"]["parameters"];

/** Which agent to stop, and the session it runs in. */
export interface StopAgentParams {
  /** The agent's id (`agent_id` path parameter); sent as exactly one path segment. */
  agentId: AgentStopParameters["path"]["agent_id"];
  /** The id of the session the agent runs in (`session_id` query parameter). */
  sessionId: AgentStopParameters["query"]["session_id"];
}

/** Which agent to ask about. */
export interface AgentStatusParams {
  /** The agent's id (`agent_id` path parameter); sent as exactly one path segment. */
  agentId: operations["agent_status"]["parameters"]["path"]["agent_id"];
}

/**
 * The `fetch` the client sends through; the global `fetch` fits. Called as a
 * plain function once per attempt, with an init holding the attempt's
 * `signal`: `fetch(url, init)` for `agents` calls while no middleware is
 * registered, else `fetch(request, { signal })` with the `Request`
 * openapi-fetch built. Forward both unchanged.
 */
export type FetchLike = (
  input: string | Request,
  init: RequestInit & { signal: AbortSignal },
) => Promise<Response>;

/** How much the client tells its logger; `"off"` (the default) tells nothing. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/** Where log lines go; `console` fits. Lines never hold the API key; a throw or rejection changes nothing. */
export interface NotteLogger {
  error(message: string, details?: Record<string, unknown>): unknown;
  warn(message: string, details?: Record<string, unknown>): unknown;
  info(message: string, details?: Record<string, unknown>): unknown;
  debug(message: string, details?: Record<string, unknown>): unknown;
}

/** Options of `new NotteClient(options)`, all optional; an unknown name is a `NotteConfigError`. */
export interface NotteClientOptions {
  /** The API key. Default: `NOTTE_API_KEY`; required one way or the other. */
  apiKey?: string | undefined;
  /** Where the API lives. Default: `NOTTE_API_URL`, else `https://api.notte.cc`. */
  baseUrl?: string | undefined;
  /** Limit of each attempt, and of each wait the API asks for, in milliseconds. Default 60000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, 0 to 10. Default 2. */
  maxRetries?: number | undefined;
  /** Largest answer body read, in bytes. Default 10 MiB. */
  maxResponseBytes?: number | undefined;
  /** `"wait"` (default): hold attempts back while the API's rate-limit window is closed; `"ignore"`: never. */
  rateLimit?: "wait" | "ignore" | undefined;
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Value of `x-notte-request-origin`. Default `"notte-api-client"`. */
  requestOrigin?: string | undefined;
  /** Allow plain `http://` to a host that is not loopback (the key would travel unencrypted). Default false. */
  allowInsecureHttp?: boolean | undefined;
  /** Where log lines go. Default: none. */
  logger?: NotteLogger | undefined;
  /** How much to log. Default `"off"`. */
  logLevel?: LogLevel | undefined;
}

/** Options of one call, each overriding the client's for that call; an unknown name is a `NotteInvalidRequestError`. */
export interface RequestOptions {
  /** Ends the whole call (every attempt and wait) at once; nothing is retried after it fires. */
  signal?: AbortSignal | undefined;
  /** Limit of each attempt of this call, and of each wait the API asks for, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of this call. */
  maxRetries?: number | undefined;
  /** Largest answer body read for this call, in bytes. */
  maxResponseBytes?: number | undefined;
  /** `Idempotency-Key` of a stop. Default: a random UUID, the same for every retry. */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
}
