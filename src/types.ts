/**
 * The Notte API's shapes as TypeScript types, and nothing else.
 *
 * This is the `notte-api-client/types` entry: `import type` from it costs no
 * runtime code (and needs neither `@types/node` nor the DOM library), so a
 * service can describe Notte payloads without loading the client.
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
