/**
 * `notte-api-client`: a typed client for the Notte API's agent operations.
 *
 * @packageDocumentation
 */
export { VERSION } from "./version.js";
export {
  NotteClient,
  type Agents,
  type NottePromise,
  type WithResponse,
} from "./client.js";
export type { NotteRawClient } from "./raw.js";
export type {
  StopManyOptions,
  StopManyProgress,
  StopManyResult,
} from "./batch.js";
/** Middleware for `notte.raw.use()`: openapi-fetch's own type. */
export type { Middleware as NotteMiddleware } from "openapi-fetch";
export type {
  FetchLike,
  LogLevel,
  NotteClientOptions,
  NotteLogger,
  RequestOptions,
} from "./options.js";
export {
  NotteAbortError,
  NotteAlreadyStoppedError,
  NotteApiError,
  NotteAuthenticationError,
  NotteConfigError,
  NotteConflictError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteNotFoundError,
  NotteOverloadedError,
  NottePermissionDeniedError,
  NotteRateLimitError,
  NotteResponseTooLargeError,
  NotteServerError,
  NotteTimeoutError,
  NotteValidationError,
} from "./errors.js";
export { NOTTE_API_VERSION } from "../generated/api-version.js";
export type {
  AgentStatus,
  AgentStatusParams,
  AgentStatusResponse,
  LegacyAgentStatusResponse,
  HTTPValidationError,
  StopAgentParams,
  ValidationError,
} from "./types.js";
