/**
 * `agents.stopMany`: a bounded pool over `agents.stop`, one result per item, in input order.
 *
 * It owns no network code: every request goes through the `stop` it is given, so the client's
 * attempt loop (auth, retries, the shared rate-limit window) applies to each call unchanged.
 * One AbortController bounds the whole batch; it is linked once to the caller's signal and its
 * signal goes to every call.
 *
 * @packageDocumentation
 */
import {
  NotteAbortError,
  NotteError,
  NotteInvalidRequestError,
} from "./errors.js";
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
 * Options of `agents.stopMany`. `timeoutMs`, `maxRetries` and `headers` apply to each call,
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

/** What `stopMany` passes to each call of `stop`. */
export type StopCallOptions = Pick<
  StopManyOptions,
  "timeoutMs" | "maxRetries" | "headers"
> & { signal: AbortSignal };

const DEFAULT_CONCURRENCY = 8;
const MAX_CONCURRENCY = 64;

/** One distinct (agentId, sessionId) pair and the input positions that name it. */
interface Task {
  readonly item: unknown;
  readonly positions: number[];
  settled: boolean;
}

/**
 * Stops every agent of `items` through `stop`, at most `concurrency` calls at a time, and
 * resolves to one result per item, in input order. Never rejects because an agent failed:
 * each failure (a bad id included, as `stop` refuses it) is that item's result. The same
 * `(agentId, sessionId)` twice is sent once; both results share the outcome.
 *
 * @param stop - stops one agent (`agents.stop`); called with the batch's signal
 * @param items - the agents to stop
 * @param options - see {@link StopManyOptions}
 * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
 */
export async function stopMany(
  stop: (
    params: StopAgentParams,
    options: StopCallOptions,
  ) => PromiseLike<AgentStatusResponse>,
  items: Iterable<StopAgentParams>,
  options: StopManyOptions = {},
): Promise<StopManyResult[]> {
  const list = readItems(items);
  const { concurrency, signal, onProgress, callOptions } =
    checkOptions(options);
  const tasks = groupDuplicates(list);
  const results: StopManyResult[] = new Array<StopManyResult>(list.length);
  const progress = { done: 0, total: list.length, stopped: 0, failed: 0 };

  const batch = new AbortController();
  const callOptionsWithSignal: StopCallOptions = {
    ...callOptions,
    signal: batch.signal,
  };
  let whenAborted!: () => void;
  const aborted = new Promise<void>((resolve) => (whenAborted = resolve));
  const onAbort = (): void => {
    batch.abort(signal?.reason);
  };
  batch.signal.addEventListener("abort", () => {
    const error = new NotteAbortError({ cause: batch.signal.reason });
    let settledNow = false;
    for (const task of tasks) {
      if (task.settled) continue;
      settle(task, { ok: false, error }, false);
      settledNow = true;
    }
    if (settledNow) report();
    whenAborted();
  });
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });

  function report(): void {
    if (onProgress === undefined) return;
    callQuietly(onProgress, { ...progress });
  }

  function settle(
    task: Task,
    outcome:
      | { ok: true; status: AgentStatusResponse }
      | { ok: false; error: NotteError },
    reportNow = true,
  ): void {
    if (task.settled) return;
    task.settled = true;
    const ids = idsOf(task.item);
    for (const position of task.positions) {
      results[position] = { ...ids, ...outcome };
      progress.done += 1;
      if (outcome.ok) progress.stopped += 1;
      else progress.failed += 1;
    }
    if (reportNow) report();
  }

  let next = 0;
  async function worker(): Promise<void> {
    while (next < tasks.length && !batch.signal.aborted) {
      const task = tasks[next++] as Task;
      const call = callStop(stop, task.item, callOptionsWithSignal);
      // Whichever comes first: the call's outcome, or the batch's abort (which has then
      // settled the task already). The late outcome is consumed either way.
      await Promise.race([
        call.then(
          (status) => settle(task, { ok: true, status }),
          (error: unknown) =>
            settle(task, { ok: false, error: asNotteError(error) }),
        ),
        aborted,
      ]);
    }
  }

  try {
    const workers = Math.min(concurrency, tasks.length);
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return results;
}

/** The items as an array, or a {@link NotteInvalidRequestError} when they are not an iterable. */
function readItems(items: unknown): unknown[] {
  const usage = "stopMany needs an iterable of { agentId, sessionId }";
  if (typeof items === "string") {
    throw new NotteInvalidRequestError(`${usage}, not a string`);
  }
  if (
    items === null ||
    typeof items !== "object" ||
    typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function"
  ) {
    throw new NotteInvalidRequestError(usage);
  }
  try {
    return Array.from(items as Iterable<unknown>);
  } catch (error) {
    throw new NotteInvalidRequestError(`${usage}: iterating it threw`, {
      cause: error,
    });
  }
}

function checkOptions(options: unknown): {
  concurrency: number;
  signal: AbortSignal | undefined;
  onProgress: ((progress: StopManyProgress) => unknown) | undefined;
  callOptions: Omit<StopCallOptions, "signal">;
} {
  if (options === null || typeof options !== "object") {
    throw new NotteInvalidRequestError("stopMany options must be an object");
  }
  const given = options as StopManyOptions;
  if (given.idempotencyKey !== undefined) {
    throw new NotteInvalidRequestError(
      "stopMany takes no idempotencyKey: each call gets its own",
    );
  }
  const concurrency = given.concurrency ?? DEFAULT_CONCURRENCY;
  if (
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > MAX_CONCURRENCY
  ) {
    throw new NotteInvalidRequestError(
      `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`,
    );
  }
  const { signal, onProgress } = given;
  if (
    signal !== undefined &&
    (signal === null ||
      typeof signal !== "object" ||
      typeof signal.aborted !== "boolean" ||
      typeof signal.addEventListener !== "function")
  ) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal");
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new NotteInvalidRequestError("onProgress must be a function");
  }
  const callOptions: Omit<StopCallOptions, "signal"> = {};
  // Checked by stop itself, so a bad value is each item's error, in stop's own words.
  if (given.timeoutMs !== undefined) callOptions.timeoutMs = given.timeoutMs;
  if (given.maxRetries !== undefined) callOptions.maxRetries = given.maxRetries;
  if (given.headers !== undefined) callOptions.headers = given.headers;
  return { concurrency, signal, onProgress, callOptions };
}

/** One task per distinct (agentId, sessionId); items without string ids are never merged. */
function groupDuplicates(list: readonly unknown[]): Task[] {
  const tasks: Task[] = [];
  const byKey = new Map<string, Task>();
  list.forEach((item, position) => {
    const { agentId, sessionId } = fieldsOf(item);
    const key =
      typeof agentId === "string" && typeof sessionId === "string"
        ? JSON.stringify([agentId, sessionId])
        : undefined;
    const known = key === undefined ? undefined : byKey.get(key);
    if (known !== undefined) {
      known.positions.push(position);
      return;
    }
    const task: Task = { item, positions: [position], settled: false };
    tasks.push(task);
    if (key !== undefined) byKey.set(key, task);
  });
  return tasks;
}

function fieldsOf(item: unknown): { agentId: unknown; sessionId: unknown } {
  if (item === null || typeof item !== "object") {
    return { agentId: undefined, sessionId: undefined };
  }
  const { agentId, sessionId } = item as Record<string, unknown>;
  return { agentId, sessionId };
}

function idsOf(item: unknown): { agentId: string; sessionId: string } {
  const { agentId, sessionId } = fieldsOf(item);
  return {
    agentId: typeof agentId === "string" ? agentId : "",
    sessionId: typeof sessionId === "string" ? sessionId : "",
  };
}

/** The call as a promise, whatever `stop` does (throws at once, returns a bare thenable). */
function callStop(
  stop: (
    params: StopAgentParams,
    options: StopCallOptions,
  ) => PromiseLike<AgentStatusResponse>,
  item: unknown,
  options: StopCallOptions,
): Promise<AgentStatusResponse> {
  try {
    // Unchecked on purpose: stop's own check turns a bad item into its error.
    return Promise.resolve(stop(item as StopAgentParams, options));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What `stop` rejected with, as a NotteError (anything else would be a bug in the client). */
function asNotteError(error: unknown): NotteError {
  if (error instanceof NotteError) return error;
  return new NotteError(
    `agents.stop failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/** Calls the user's callback; what it throws, or a promise it returns that rejects, is ignored. */
function callQuietly(
  callback: (progress: StopManyProgress) => unknown,
  progress: StopManyProgress,
): void {
  try {
    const returned: unknown = callback(progress);
    if (
      returned !== null &&
      (typeof returned === "object" || typeof returned === "function") &&
      typeof (returned as PromiseLike<unknown>).then === "function"
    ) {
      Promise.resolve(returned).catch(ignore);
    }
  } catch {
    // A progress callback's failure changes nothing about the batch.
  }
}

function ignore(): void {}
