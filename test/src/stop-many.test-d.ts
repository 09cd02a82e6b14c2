import { describe, expectTypeOf, it } from "vitest";
import type {
  AgentStatusResponse,
  NotteClient,
  NotteError,
  RequestOptions,
  StopManyOptions,
  StopManyProgress,
  StopManyResult,
} from "../../src/index.js";

// Compile-time only (vitest does not run *.test-d.ts): `npm run typecheck` fails on a broken
// type, and on any `@ts-expect-error` line that starts to compile.
declare const notte: NotteClient;

describe("stopMany types", () => {
  it("results narrow on ok", async () => {
    const results = await notte.agents.stopMany([
      { agentId: "a1", sessionId: "s1" },
    ]);
    expectTypeOf(results).toEqualTypeOf<StopManyResult[]>();
    const result = results[0];
    if (result === undefined) return;
    expectTypeOf(result.agentId).toEqualTypeOf<string>();
    expectTypeOf(result.sessionId).toEqualTypeOf<string>();
    if (result.ok) {
      expectTypeOf(result.status).toEqualTypeOf<AgentStatusResponse>();
      // @ts-expect-error a stopped agent has no error
      void result.error;
    } else {
      expectTypeOf(result.error).toEqualTypeOf<NotteError>();
      // @ts-expect-error a failed item has no status
      void result.status;
    }
  });

  it("takes any iterable of stop params, and only the documented options", () => {
    void notte.agents.stopMany(new Set([{ agentId: "a", sessionId: "s" }]));
    // @ts-expect-error sessionId is required in every item
    void notte.agents.stopMany([{ agentId: "a" }]);
    // @ts-expect-error each call gets its own Idempotency-Key
    void notte.agents.stopMany([], { idempotencyKey: "k" });
    // @ts-expect-error unknown option
    void notte.agents.stopMany([], { retries: 3 });
    expectTypeOf<StopManyOptions["onProgress"]>().toEqualTypeOf<
      ((progress: StopManyProgress) => unknown) | undefined
    >();
  });

  it("the per-call options are exactly stop's", () => {
    type PerCall = "timeoutMs" | "maxRetries" | "headers" | "signal";
    expectTypeOf<Pick<StopManyOptions, PerCall>>().toEqualTypeOf<
      Pick<RequestOptions, PerCall>
    >();
  });
});
