/**
 * `notte-api-client`: a typed client for the Notte API's agent-stop operation.
 *
 * @packageDocumentation
 */
export { NotteClient } from "./client.js";
export type { NotteRawClient } from "./raw.js";
/** Middleware for `notte.raw.use()`: `openapi-fetch`'s own type. */
export type { Middleware as NotteMiddleware } from "openapi-fetch";
export type { RequestOptions } from "./request-options.js";
export type {
  StopManyOptions,
  StopManyProgress,
  StopManyResult,
} from "./stop-many.js";
export type { NottePromise, WithResponse } from "./api-promise.js";
export type { FetchLike, NotteClientOptions } from "./config.js";
export type { LogLevel, NotteLogger } from "./log.js";
export {
  NotteAbortError,
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
export { VERSION } from "./version.js";
export { NOTTE_API_VERSION } from "../generated/api-version.js";
export type {
  AgentStatus,
  AgentStatusResponse,
  HTTPValidationError,
  StopAgentParams,
  ValidationError,
} from "./types.js";
