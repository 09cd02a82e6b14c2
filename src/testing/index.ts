/**
 * `notte-api-client/testing`: a local stand-in for the Notte API, to test code that calls it.
 *
 * Not imported by the main entry point, so applications that only use the client never load it.
 *
 * @packageDocumentation
 */

export { DEFAULT_TEST_RATE_LIMIT } from "./rate-limit.js";
export { startNotteTestServer } from "./server.js";
export type {
  NotteTestAgent,
  NotteTestFault,
  NotteTestRateLimit,
  NotteTestRequest,
  NotteTestServer,
  NotteTestServerOptions,
} from "./types.js";
