/**
 * `agents.stopMany`: a bounded pool over `agents.stop`, one result per item, in input order.
 *
 * It owns no network code: every request goes through the `stop` it is given, so the client's
 * attempt loop (auth, retries, the shared rate-limit window) applies to each call unchanged.
 * The caller's signal goes to every call: the attempt loop ends each one at once when it
 * fires, and watches one signal with one listener however many calls share it.
 *
 * @packageDocumentation
 */
import { checkNumber } from "./config.js";
import { checkHeaders } from "./headers.js";
import {
  NotteAbortError,
  NotteInvalidRequestError,
  type NotteError,
} from "./errors.js";
import { callQuietly } from "./quietly.js";
import { readOptions } from "./values.js";
import { checkLimitOptions, type RequestOptions } from "./request-options.js";
import type { AgentStatusResponse, StopAgentParams } from "./types.js";

/** Where a batch stands; handed to {@link StopManyOptions.onProgress}. */
export interface StopManyProgress {
  /** Items whose outcome is known (stopped or failed). */
  readonly done: number;
  /** Items in the batch. */
  readonly total: number;
  /** Items whose agent is stopped (or already was). */
  readonly stopped: number;
  /** Items that failed, aborted ones included. */
  readonly failed: number;
}

/**
 * Options of `agents.stopMany`. `timeoutMs`, `maxRetries`, `maxResponseBytes` and `headers` apply to each call,
 * as in `agents.stop`; `idempotencyKey` is refused (each call gets its own).
 */
export interface StopManyOptions {
  /** Calls in flight at most, 1 to 64. Default: 8. */
  concurrency?: number | undefined;
  /**
   * Bounds the whole batch: when it fires, calls in flight are aborted, nothing more is sent,
   * and every unfinished item's result is a `NotteAbortError`. `stopMany` still resolves.
   */
  signal?: AbortSignal | undefined;
  /**
   * Called each time an outcome is known (duplicates settle together; on abort, every
   * unfinished item at once); the last call comes before `stopMany` resolves. What it throws
   * or rejects with is ignored.
   */
  onProgress?: ((progress: StopManyProgress) => unknown) | undefined;
  /** Limit for each attempt of each call, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of each call. */
  maxRetries?: number | undefined;
  /** Largest answer body read for each call, in bytes. */
  maxResponseBytes?: number | undefined;
  /** Extra headers for each call. */
  headers?: Record<string, string> | undefined;
  /** Refused: every call gets its own `Idempotency-Key`. */
  idempotencyKey?: undefined;
}

/** One item's outcome; narrows on `ok`. */
export type StopManyResult =
  | {
      /** The item's `agentId` (`""` when it had no string one). */
      readonly agentId: string;
      /** The item's `sessionId` (`""` when it had no string one). */
      readonly sessionId: string;
      readonly ok: true;
      /** The agent's status, as `agents.stop` resolves it. */
      readonly status: AgentStatusResponse;
    }
  | {
      /** The item's `agentId` (`""` when it had no string one). */
      readonly agentId: string;
      /** The item's `sessionId` (`""` when it had no string one). */
      readonly sessionId: string;
      readonly ok: false;
      /** Why this agent is not stopped: what `agents.stop` rejected with. */
      readonly error: NotteError;
    };

/**
 * Stops every agent of `items` through `stop`, at most `concurrency` calls at a time, and
 * resolves to one result per item, in input order. Never rejects because an agent failed:
 * each failure (a bad id included, as `stop` refuses it) is that item's result. The same
 * `(agentId, sessionId)` twice is sent once; both results share the outcome.
 *
 * @param stop - stops one agent (`agents.stop`, which rejects only with a NotteError)
 * @param items - the agents to stop
 * @param options - see {@link StopManyOptions}
 * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
 */
export async function stopMany(
  stop: (
    params: StopAgentParams,
    options: RequestOptions,
  ) => Promise<AgentStatusResponse>,
  items: Iterable<StopAgentParams>,
  options: StopManyOptions = {},
): Promise<StopManyResult[]> {
  let list: unknown[];
  try {
    // A string is iterable, but its characters are no agents.
    if (
      typeof items === "string" ||
      typeof items?.[Symbol.iterator] !== "function"
    )
      throw 0;
    list = Array.from(items);
  } catch (cause) {
    throw new NotteInvalidRequestError(
      "stopMany needs an iterable of { agentId, sessionId }",
      {
        cause,
      },
    );
  }
  // Read once: a getter of the caller's runs once, and one that throws is a NotteInvalidRequestError.
  const given = readOptions(
    options,
    "stopMany options",
    NotteInvalidRequestError,
  );
  const { signal, onProgress, headers } = given;
  if (given.idempotencyKey !== undefined) {
    throw new NotteInvalidRequestError(
      "stopMany takes no idempotencyKey: each call gets its own",
    );
  }
  const concurrency = checkNumber(
    given.concurrency ?? 8,
    "concurrency",
    1,
    64,
    true,
    NotteInvalidRequestError,
  );
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new NotteInvalidRequestError("onProgress must be a function");
  }
  // Checked as `stop` checks them, so that an unusable one rejects the batch instead of failing every item.
  const callOptions: RequestOptions = {
    ...checkLimitOptions(given),
    headers: headers && checkHeaders(headers, NotteInvalidRequestError),
  };

  // One task per distinct (agentId, sessionId), with the positions that name it;
  // items without string ids are never merged.
  const tasks: {
    ids: { agentId: unknown; sessionId: unknown };
    positions: number[];
  }[] = [];
  const taskByKey = new Map<string, (typeof tasks)[number]>();
  list.forEach((item, position) => {
    // Read once: a getter of the caller's runs once, and cannot change between the check and the call.
    const ids = readIds(item) ?? { agentId: undefined, sessionId: undefined };
    const { agentId, sessionId } = ids;
    const key =
      typeof agentId === "string" && typeof sessionId === "string"
        ? JSON.stringify([agentId, sessionId])
        : undefined;
    const known = key === undefined ? undefined : taskByKey.get(key);
    if (known) known.positions.push(position);
    else {
      const task = { ids, positions: [position] };
      tasks.push(task);
      if (key !== undefined) taskByKey.set(key, task);
    }
  });

  const results: StopManyResult[] = [];
  const report = (): void => {
    const snapshot = { ...progress };
    if (onProgress) callQuietly(() => onProgress(snapshot));
  };
  const progress = { done: 0, total: list.length, stopped: 0, failed: 0 };
  const settle = (
    task: (typeof tasks)[number],
    outcome:
      | { ok: true; status: AgentStatusResponse }
      | { ok: false; error: NotteError },
  ): void => {
    const { agentId, sessionId } = task.ids;
    for (const position of task.positions) {
      results[position] = {
        agentId: typeof agentId === "string" ? agentId : "",
        sessionId: typeof sessionId === "string" ? sessionId : "",
        ...outcome,
      };
      progress.done++;
      progress[outcome.ok ? "stopped" : "failed"]++;
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length && !signal?.aborted) {
      const task = tasks[next++] as (typeof tasks)[number];
      // Reported as it settles, so that each report counts what was known then.
      await stop(task.ids as StopAgentParams, callOptions).then(
        (status) => {
          settle(task, { ok: true, status });
          report();
        },
        (error: NotteError) => {
          settle(task, { ok: false, error });
          report();
        },
      );
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, worker),
  );
  // What the signal left unsent.
  if (next < tasks.length) {
    const error = new NotteAbortError({ cause: signal?.reason });
    for (const task of tasks.slice(next)) settle(task, { ok: false, error });
    report();
  }
  return results;
}

/**
 * The two ids of `item`, read once, or `undefined` when reading them threw (a
 * getter or a Proxy of the caller's).
 */
export function readIds(
  item: unknown,
): { agentId: unknown; sessionId: unknown } | undefined {
  try {
    const { agentId, sessionId } = (item ?? {}) as Record<string, unknown>;
    return { agentId, sessionId };
  } catch {
    return undefined;
  }
}
