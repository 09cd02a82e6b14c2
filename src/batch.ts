/**
 * `agents.stopMany`: a bounded pool over `agents.stop`, one result per item in
 * input order. It owns no network code: every request goes through `stop`,
 * so the attempt loop (retries, the shared rate-limit window, the caller's
 * signal, the already-stopped check) applies to each call unchanged.
 */
import {
  NotteAbortError,
  NotteAlreadyStoppedError,
  type NotteError,
} from "./errors.js";
import {
  callQuietly,
  checkNumber,
  DEFAULTS,
  failRequest,
  LIMIT_OPTIONS,
  readCallOptions,
  type Config,
  type RequestOptions,
} from "./options.js";
import type {
  AgentStatusResponse,
  LegacyAgentStatusResponse,
  StopAgentParams,
} from "./types.js";

const BATCH_OPTIONS = [
  ...LIMIT_OPTIONS,
  "idempotencyKey",
  "headers",
  "concurrency",
  "onProgress",
];

/**
 * Stops many agents, at most `concurrency` calls at a time, and resolves to
 * one result per item, in input order: `{ ok: true, status }` (with
 * `alreadyStopped: true` for an agent that was no longer running) or
 * `{ ok: false, error }`. Never rejects because an agent failed; the same
 * `(agentId, sessionId)` twice is sent once.
 *
 * @param stop - `agents.stop`, which rejects only with `NotteError`s
 * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
 */
export async function stopMany(
  stop: (
    params: StopAgentParams,
    options: RequestOptions,
  ) => Promise<AgentStatusResponse>,
  items: Iterable<StopAgentParams>,
  options: StopManyOptions | undefined,
  config: Config,
): Promise<StopManyResult[]> {
  let list: unknown[] = [];
  try {
    // A string is iterable, but its characters are no agents.
    if (
      typeof items === "string" ||
      typeof items?.[Symbol.iterator] !== "function"
    )
      throw items;
    list = Array.from(items);
  } catch {
    failRequest("stopMany needs an iterable of { agentId, sessionId }");
  }
  // Checked as each call would check them, so that an unusable one rejects the batch.
  const {
    options: read,
    limits,
    headers,
  } = readCallOptions(options, BATCH_OPTIONS, "stopMany options", config);
  if (read.idempotencyKey !== undefined)
    failRequest("stopMany takes no idempotencyKey: each call gets its own");
  const concurrency = checkNumber(
    read.concurrency ?? DEFAULTS.concurrency,
    "concurrency",
    failRequest,
  );
  const { onProgress } = read;
  if (onProgress !== undefined && typeof onProgress !== "function")
    failRequest("onProgress must be a function");
  const { signal, timeoutMs, maxRetries, maxResponseBytes } = limits;
  const callOptions = {
    signal,
    headers,
    timeoutMs,
    maxRetries,
    maxResponseBytes,
  };

  // One task per distinct (agentId, sessionId) with the positions naming it; items without string ids never merge.
  const tasks: Task[] = [];
  const byKey = new Map<string, Task>();
  list.forEach((item, position) => {
    const ids = readIds(item);
    const key =
      typeof ids.agentId === "string" && typeof ids.sessionId === "string"
        ? JSON.stringify([ids.agentId, ids.sessionId])
        : "";
    const known = byKey.get(key);
    if (known) known.positions.push(position);
    else tasks.push({ ids, positions: [position] });
    if (!known && key) byKey.set(key, tasks.at(-1) as Task);
  });
  const results: StopManyResult[] = [];
  const progress = { done: 0, total: list.length, stopped: 0, failed: 0 };
  const report = (): void => {
    const snapshot = { ...progress };
    if (typeof onProgress === "function")
      callQuietly(() => onProgress(snapshot));
  };
  const settle = ({ ids, positions }: Task, outcome: Outcome): void => {
    for (const position of positions) {
      const agentId = typeof ids.agentId === "string" ? ids.agentId : "";
      const sessionId = typeof ids.sessionId === "string" ? ids.sessionId : "";
      results[position] = { agentId, sessionId, ...outcome };
      progress.done++;
      progress[outcome.ok ? "stopped" : "failed"]++;
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length && !signal?.aborted) {
      const task = tasks[next++] as Task;
      try {
        const status = await stop(
          task.ids as unknown as StopAgentParams,
          callOptions,
        );
        settle(task, { ok: true, alreadyStopped: false, status });
      } catch (error) {
        const already = error instanceof NotteAlreadyStoppedError;
        settle(
          task,
          already
            ? { ok: true, alreadyStopped: true, status: error.agent }
            : { ok: false, error: error as NotteError },
        );
      }
      // Reported as each settles, so that each report counts what was known then.
      report();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, worker),
  );
  // What the signal left unsent, reported once.
  if (next < tasks.length) {
    const error = new NotteAbortError({ cause: signal?.reason });
    for (const task of tasks.slice(next)) settle(task, { ok: false, error });
    report();
  }
  return results;
}

type Outcome =
  | { ok: true; alreadyStopped?: false; status: AgentStatusResponse }
  | { ok: true; alreadyStopped: true; status: LegacyAgentStatusResponse }
  | { ok: false; error: NotteError };
type Task = { ids: Record<string, unknown>; positions: number[] };

/** Where a batch stands; handed to {@link StopManyOptions.onProgress}. */
export interface StopManyProgress {
  /** Items whose outcome is known. */
  readonly done: number;
  /** Items in the batch. */
  readonly total: number;
  /** Items whose agent is stopped, or already was. */
  readonly stopped: number;
  /** Items that failed, aborted ones included. */
  readonly failed: number;
}

/**
 * Options of `agents.stopMany`: `timeoutMs`, `maxRetries`, `maxResponseBytes`
 * and `headers` apply to each call as in `agents.stop`; `idempotencyKey` is
 * refused (each call gets its own).
 */
export interface StopManyOptions extends Omit<
  RequestOptions,
  "idempotencyKey"
> {
  /** Calls in flight at most, 1 to 64. Default 8. */
  concurrency?: number | undefined;
  /** Bounds the whole batch: calls in flight are aborted, nothing more is sent, each unfinished item is a `NotteAbortError`; `stopMany` still resolves. */
  signal?: AbortSignal | undefined;
  /** Called as outcomes come in (on abort, once for all unfinished items), the last time before `stopMany` resolves; what it throws is ignored. */
  onProgress?: ((progress: StopManyProgress) => unknown) | undefined;
  /** Refused: every call gets its own `Idempotency-Key`. */
  idempotencyKey?: undefined;
}

/** One item's outcome, in input order; narrows on `ok` (and `alreadyStopped`). */
export type StopManyResult = {
  /** The item's `agentId` (`""` when it had no string one). */
  readonly agentId: string;
  /** The item's `sessionId` (`""` when it had no string one). */
  readonly sessionId: string;
} & Readonly<Outcome>;

/** An item as a plain object, read once: its own fields, and its ids (getters of a class's too). */
function readIds(item: unknown): Record<string, unknown> {
  try {
    const { agentId, sessionId } = item as Record<string, unknown>;
    return { ...(item as object), agentId, sessionId };
  } catch {
    return { agentId: undefined, sessionId: undefined };
  }
}
