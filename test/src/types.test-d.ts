import createClient, { type Middleware } from "openapi-fetch";
import { describe, expectTypeOf, it } from "vitest";
import {
  NotteClient,
  type AgentStatus,
  type AgentStatusResponse,
  type NotteApiError,
  type NotteClientOptions,
  type NotteError,
  type NotteMiddleware,
  type NotteMiddlewareError,
  type NotteRawClient,
  type NotteResponseTooLargeError,
  type RequestOptions,
  type NotteValidationError,
  type StopAgentParams,
  type ValidationError,
} from "../../src/index.js";
import type * as TypesOnly from "../../src/types.js";
import type { paths } from "../../generated/notte-api.js";

// Compile-time only (vitest does not run *.test-d.ts): `npm run typecheck` (tsc over test/) fails
// on a broken type, and on any `@ts-expect-error` line that starts to compile.
declare const notte: NotteClient;

describe("types", () => {
  it("stop needs both ids", () => {
    // @ts-expect-error sessionId is required
    void notte.agents.stop({ agentId: "a" });
    // @ts-expect-error agentId is required
    void notte.agents.stop({ sessionId: "s" });
    // @ts-expect-error ids are strings
    void notte.agents.stop({ agentId: 1, sessionId: "s" });
    // @ts-expect-error unknown request option
    void notte.agents.stop({ agentId: "a", sessionId: "s" }, { retries: 3 });
    expectTypeOf(notte.agents.stop)
      .parameter(0)
      .toEqualTypeOf<StopAgentParams>();
  });

  it("stop resolves to the generated AgentStatusResponse", () => {
    expectTypeOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }),
    ).resolves.toEqualTypeOf<AgentStatusResponse>();
    expectTypeOf<AgentStatusResponse["status"]>().toEqualTypeOf<
      "active" | "closed"
    >();
    expectTypeOf<AgentStatus>().toEqualTypeOf<"active" | "closed">();
    expectTypeOf<AgentStatusResponse["closed_at"]>().toEqualTypeOf<
      string | null | undefined
    >();
    expectTypeOf(
      notte.agents.stop({ agentId: "a", sessionId: "s" }).withResponse(),
    ).resolves.toEqualTypeOf<{
      data: AgentStatusResponse;
      response: Response;
    }>();
  });

  it("raw knows the generated paths", () => {
    expectTypeOf(notte.raw).toEqualTypeOf<NotteRawClient>();
    expectTypeOf(notte.raw).toEqualTypeOf(createClient<paths>());
    void notte.raw.DELETE("/agents/{agent_id}/stop", {
      params: { path: { agent_id: "a" }, query: { session_id: "s" } },
    });
    // @ts-expect-error the API has no such path
    void notte.raw.DELETE("/agents/{agent_id}/start", {
      params: { path: { agent_id: "a" } },
    });
    void notte.raw.DELETE("/agents/{agent_id}/stop", {
      // @ts-expect-error session_id is required
      params: { path: { agent_id: "a" } },
    });
  });

  it("a 422 error carries the generated ValidationError list", () => {
    expectTypeOf<NotteValidationError["detail"]>().toEqualTypeOf<
      ValidationError[] | undefined
    >();
  });

  it("the types entry exports the generated shapes", () => {
    expectTypeOf<TypesOnly.AgentStatusResponse>().toEqualTypeOf<AgentStatusResponse>();
    expectTypeOf<
      TypesOnly.components["schemas"]["AgentStatus"]
    >().toEqualTypeOf<AgentStatus>();
    expectTypeOf<TypesOnly.paths>().toEqualTypeOf<paths>();
    expectTypeOf<keyof TypesOnly.operations>().toEqualTypeOf<
      "agent_stop" | "agent_status"
    >();
  });

  it("middleware is openapi-fetch's, and raw.use takes it", () => {
    expectTypeOf<NotteMiddleware>().toEqualTypeOf<Middleware>();
    expectTypeOf(notte.raw.use).parameter(0).toEqualTypeOf<Middleware>();
  });

  it("the options of this pass are typed", () => {
    expectTypeOf<NotteClientOptions["rateLimit"]>().toEqualTypeOf<
      "wait" | "ignore" | undefined
    >();
    expectTypeOf<RequestOptions["maxResponseBytes"]>().toEqualTypeOf<
      number | undefined
    >();
    // @ts-expect-error not one of the two modes
    new NotteClient({ rateLimit: "retry" });
    expectTypeOf<NotteResponseTooLargeError>().toMatchTypeOf<NotteApiError>();
    expectTypeOf<NotteResponseTooLargeError["maxResponseBytes"]>().toBeNumber();
    expectTypeOf<NotteMiddlewareError>().toMatchTypeOf<NotteError>();
  });
});
