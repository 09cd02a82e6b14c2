/**
 * The client users hold: `NotteClient`, its `agents` (stop, stopMany) and
 * `raw`, the typed openapi-fetch client behind them. Ids and options are
 * checked here, before anything waits or is sent; every request then goes
 * through the one attempt loop.
 */
import createClient, {
  createQuerySerializer,
  mergeHeaders,
  type Client,
  type Middleware,
} from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import {
  apiError,
  isRecord,
  NotteAbortError,
  NotteAlreadyStoppedError,
  NotteError,
  NotteNotFoundError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  safeString,
} from "./errors.js";
import {
  callQuietly,
  checkNumber,
  closestName,
  DEFAULTS,
  failRequest,
  LIMIT_OPTIONS,
  readCallOptions,
  resolveConfig,
  type CallLimits,
  type NotteClientOptions,
  type RequestOptions,
} from "./options.js";
import { RateWindow } from "./policy.js";
import { capBody, capOf, PlainRequest, send, type Shared } from "./send.js";
import { VERSION } from "./version.js";
import type {
  AgentStatus,
  AgentStatusParams,
  AgentStatusResponse,
  LegacyAgentStatusResponse,
  StopAgentParams,
} from "./types.js";

/** The openapi-fetch client behind `notte.raw`, typed with the generated paths. */
export type NotteRawClient = Client<paths>;

/** What `withResponse()` gives: the checked result and the HTTP answer it came from (its body read). */
export interface WithResponse<T> {
  data: T;
  response: Response;
}

/**
 * A call's result that can also give the HTTP answer: `await call` gives the
 * data, `await call.withResponse()` gives `{ data, response }`. The data
 * promise is made only when awaited, so using only `withResponse()` leaves no
 * unhandled rejection behind.
 */
export class NottePromise<T> extends Promise<T> {
  readonly #withResponse: Promise<WithResponse<T>>;
  #data: Promise<T> | undefined;

  constructor(withResponse: Promise<WithResponse<T>>) {
    // The base promise is never used: then, catch and finally go to the data promise.
    super((resolve) => resolve(undefined as T));
    this.#withResponse = withResponse;
  }

  /** The result together with the HTTP answer it came from. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#withResponse;
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#dataPromise().then(onFulfilled, onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#dataPromise().finally(onFinally);
  }

  #dataPromise(): Promise<T> {
    return (this.#data ??= this.#withResponse.then((answer) => answer.data));
  }
}

/**
 * A client of the Notte API.
 *
 * @example
 * const notte = new NotteClient(); // reads NOTTE_API_KEY and NOTTE_API_URL
 * const status = await notte.agents.stop({ agentId, sessionId });
 */
export class NotteClient {
  /** Agent operations. */
  readonly agents: Agents;
  /**
   * The openapi-fetch client, typed with the generated paths, sending through
   * the same auth, headers, timeouts, retries, body cap and rate-limit window
   * as `agents`; everything it throws is one of this package's errors.
   * Middleware registered with `raw.use()` sees every request of the client,
   * `agents` calls included, once per attempt.
   */
  readonly raw: NotteRawClient;
  /** The API's base URL, as checked and normalised. */
  readonly baseUrl: string;

  /**
   * Checks the configuration once; calls then do only per-call work.
   *
   * @throws NotteConfigError naming the option at fault
   */
  constructor(options?: NotteClientOptions) {
    const config = resolveConfig(options, VERSION);
    const shared: Shared = {
      config,
      window: config.waitForRateLimit ? new RateWindow() : undefined,
      middleware: [],
    };
    const client = createClient<paths>({
      baseUrl: config.baseUrl,
      headers: config.headers,
      // Built once: openapi-fetch would otherwise build it on every call.
      querySerializer: createQuerySerializer(),
    });
    this.baseUrl = config.baseUrl;
    this.agents = new Agents(shared, client);
    this.raw = guardRaw(client, shared);
  }
}

const STOP_OPTIONS = [...LIMIT_OPTIONS, "idempotencyKey", "headers"];
const STATUS_OPTIONS = [...LIMIT_OPTIONS, "headers"];
const BATCH_OPTIONS = [
  ...LIMIT_OPTIONS,
  "idempotencyKey",
  "headers",
  "concurrency",
  "onProgress",
];

/** The agent operations: `notte.agents`. */
export class Agents {
  readonly #shared: Shared;
  readonly #client: Client<paths>;

  /** @internal Made by {@link NotteClient}. */
  constructor(shared: Shared, client: Client<paths>) {
    this.#shared = shared;
    this.#client = client;
  }

  /**
   * Stops a running agent: `DELETE /agents/{agent_id}/stop?session_id=…`, one
   * call of the typed openapi-fetch client per attempt. Resolves to the
   * agent's status (`status: "closed"`); does not wait for the agent to finish.
   *
   * @example
   * const status = await notte.agents.stop({ agentId, sessionId });
   * const { data, response } = await notte.agents.stop({ agentId, sessionId }).withResponse();
   *
   * @throws NotteInvalidRequestError before anything is sent or waited for, for unusable ids or options
   * @throws NotteApiError (a subclass by status) when the API refuses or answers nonsense
   * @throws NotteConnectionError, NotteTimeoutError or NotteAbortError when no answer came
   */
  stop(
    params: StopAgentParams,
    options?: RequestOptions,
  ): NottePromise<AgentStatusResponse> {
    return new NottePromise(this.#stop(params, options));
  }

  /**
   * Stops many agents, at most `concurrency` calls at a time (default 8), and
   * resolves to one result per item, in input order: `{ ok: true, status }` or
   * `{ ok: false, error }`. Never rejects because an agent failed; the same
   * `(agentId, sessionId)` twice is sent once.
   *
   * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
   */
  async stopMany(
    items: Iterable<StopAgentParams>,
    options?: StopManyOptions,
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
    // Checked here as each call would check them, so that an unusable one rejects the batch.
    const {
      options: read,
      limits,
      headers,
    } = readCallOptions(
      options ?? {},
      BATCH_OPTIONS,
      "stopMany options",
      this.#shared.config,
    );
    if (read.idempotencyKey !== undefined) {
      failRequest("stopMany takes no idempotencyKey: each call gets its own");
    }
    const { signal } = limits;
    const concurrency = checkNumber(
      read.concurrency ?? DEFAULTS.concurrency,
      "concurrency",
      failRequest,
    );
    const { onProgress } = read;
    if (onProgress !== undefined && typeof onProgress !== "function") {
      failRequest("onProgress must be a function");
    }
    const { timeoutMs, maxRetries, maxResponseBytes } = limits;
    const callOptions = {
      signal,
      headers,
      timeoutMs,
      maxRetries,
      maxResponseBytes,
    };

    // One task per distinct (agentId, sessionId), with the positions that name it;
    // items without string ids are never merged.
    const tasks: Task[] = [];
    const byKey = new Map<string, Task>();
    list.forEach((item, position) => {
      const ids = readIds(item);
      const key =
        typeof ids.agentId === "string" && typeof ids.sessionId === "string"
          ? JSON.stringify([ids.agentId, ids.sessionId])
          : undefined;
      const known = key === undefined ? undefined : byKey.get(key);
      if (known) known.positions.push(position);
      else {
        const task = { ids, positions: [position] };
        tasks.push(task);
        if (key !== undefined) byKey.set(key, task);
      }
    });

    const results: StopManyResult[] = [];
    const progress = { done: 0, total: list.length, stopped: 0, failed: 0 };
    const report = (): void => {
      const snapshot = { ...progress };
      if (typeof onProgress === "function")
        callQuietly(() => onProgress(snapshot));
    };
    const settle = (task: Task, outcome: Outcome): void => {
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
        const task = tasks[next++] as Task;
        // Reported as each settles, so that each report counts what was known then.
        try {
          const params = task.ids as unknown as StopAgentParams;
          const status = await this.stop(params, callOptions);
          settle(task, { ok: true, alreadyStopped: false, status });
        } catch (error) {
          settle(
            task,
            error instanceof NotteAlreadyStoppedError
              ? { ok: true, alreadyStopped: true, status: error.agent }
              : { ok: false, error: error as NotteError },
          );
        }
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

  /**
   * The agent's status: `GET /agents/{agent_id}`, through the same attempt
   * loop, options, errors and middleware as `stop`. Any session's agent
   * answers (the operation takes no session); an unknown one is a
   * `NotteNotFoundError`.
   *
   * @example
   * const { status, session_id } = await notte.agents.status({ agentId });
   */
  status(
    params: AgentStatusParams,
    options?: Omit<RequestOptions, "idempotencyKey">,
  ): NottePromise<LegacyAgentStatusResponse> {
    return new NottePromise(
      (async () => {
        const { agentId } = checkIds(params, "agents.status", ["agentId"]);
        const { limits, headers } = readCallOptions(
          options,
          STATUS_OPTIONS,
          "agents.status options",
          this.#shared.config,
        );
        return this.#status(agentId, limits, headers);
      })(),
    );
  }

  #status(
    agentId: string,
    limits: CallLimits,
    headers: Record<string, string>,
  ): Promise<WithResponse<LegacyAgentStatusResponse>> {
    return this.#send(limits, AGENT_STATUS_SHAPE, (fetch, Request) =>
      this.#client.GET("/agents/{agent_id}", {
        params: { path: { agent_id: agentId } },
        ...{ headers, parseAs: "stream", fetch, ...Request },
      }),
    ) as Promise<WithResponse<LegacyAgentStatusResponse>>;
  }

  async #stop(
    params: StopAgentParams,
    given: RequestOptions | undefined,
  ): Promise<WithResponse<AgentStatusResponse>> {
    const { agentId, sessionId } = checkIds(params, "agents.stop", [
      "agentId",
      "sessionId",
    ]);
    const { limits, headers, options } = readCallOptions(
      given,
      STOP_OPTIONS,
      "agents.stop options",
      this.#shared.config,
    );
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    if (typeof idempotencyKey !== "string" || idempotencyKey === "")
      failRequest("idempotencyKey must be a non-empty string");
    try {
      return (await this.#send(limits, AGENT_STATUS_SHAPE, (fetch, Request) =>
        this.#client.DELETE("/agents/{agent_id}/stop", {
          params: {
            path: { agent_id: agentId },
            query: { session_id: sessionId },
          },
          headers: { ...headers, "idempotency-key": idempotencyKey },
          ...{ parseAs: "stream", fetch, ...Request },
        }),
      )) as WithResponse<AgentStatusResponse>;
    } catch (error) {
      if (!(error instanceof NotteNotFoundError)) throw error;
      // Notte answers 404 to a stop of an agent that is no longer running, as to
      // an unknown one: one status request (no retry) tells which.
      const agent = await this.#status(
        agentId,
        { ...limits, maxRetries: 0 },
        headers,
      ).then(
        (answer) => answer.data,
        (statusError: unknown) => {
          if (statusError instanceof NotteAbortError) throw statusError;
        },
      );
      if (agent?.status === "closed" && agent.session_id === sessionId) {
        throw new NotteAlreadyStoppedError(error, agent);
      }
      throw error;
    }
  }

  /** One call whose success answer must hold `shape`; `run` is its openapi-fetch call. */
  async #send(
    limits: CallLimits,
    shape: AnswerShape,
    run: (
      fetch: (request: Request) => Promise<Response>,
      Request: object,
    ) => Promise<{ response: Response; error?: unknown }>,
  ): Promise<WithResponse<unknown>> {
    const shared = this.#shared;
    // openapi-fetch's own option, untyped per call: while no middleware will
    // see the Request, openapi-fetch builds a plain one and fetch the only real one.
    const plain =
      shared.middleware.length === 0 ? { Request: PlainRequest } : {};
    const { result, text } = await send(
      shared,
      limits,
      (fetch) => run(fetch, plain),
      true,
    );
    const { response } = result;
    return { data: checkAnswer(response, text, shape, shared), response };
  }
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
  /** Items whose agent is stopped. */
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
  /**
   * Bounds the whole batch: when it fires, calls in flight are aborted,
   * nothing more is sent, every unfinished item's result is a
   * `NotteAbortError`, and `stopMany` still resolves.
   */
  signal?: AbortSignal | undefined;
  /**
   * Called as outcomes come in (on abort, once for every unfinished item);
   * the last call comes before `stopMany` resolves. What it throws or rejects
   * with is ignored.
   */
  onProgress?: ((progress: StopManyProgress) => unknown) | undefined;
  /** Refused: every call gets its own `Idempotency-Key`. */
  idempotencyKey?: undefined;
}

/** One item's outcome, in input order; narrows on `ok`. */
export type StopManyResult = {
  /** The item's `agentId` (`""` when it had no string one). */
  readonly agentId: string;
  /** The item's `sessionId` (`""` when it had no string one). */
  readonly sessionId: string;
} & Readonly<Outcome>;

/** The two ids of an item, read once (a getter runs once; one that throws reads as nothing). */
function readIds(item: unknown): Record<string, unknown> {
  try {
    const { agentId, sessionId } = (item ?? {}) as Record<string, unknown>;
    return { agentId, sessionId, item };
  } catch {
    return { agentId: undefined, sessionId: undefined, item };
  }
}

// Node 20 has String.prototype.isWellFormed; TypeScript's ES2022 library does not list it.
type MaybeWellFormed = string & { isWellFormed(): boolean };

/**
 * The ids `names` of `params`, each a non-blank, well-formed string, and no
 * `agentId` a dot segment (`..` would make `/agents/../stop` another
 * endpoint). Every such string is sent percent-encoded as one path segment.
 * A missing id that the object holds under another spelling (`agent_id`) is
 * named in the message.
 */
function checkIds<K extends string>(
  params: unknown,
  what: string,
  names: readonly K[],
): Record<K, string> {
  if (!isRecord(params)) failRequest(`${what} needs { ${names.join(", ")} }`);
  const ids = {} as Record<K, string>;
  for (const name of names) {
    let value: unknown;
    let keys: string[] = [];
    try {
      value = params[name];
      keys = value === undefined ? Object.keys(params) : [];
    } catch {}
    if (value === undefined) {
      const spelling = closestName(name, keys);
      failRequest(
        `${what} needs ${name}${spelling ? ` (the object has ${spelling}: spell it ${name})` : ""}`,
      );
    }
    if (
      typeof value !== "string" ||
      value.trim() === "" ||
      !(value as MaybeWellFormed).isWellFormed()
    ) {
      failRequest(`${name} must be a non-blank, well-formed string`);
    }
    if (name === "agentId" && (value === "." || value === "..")) {
      failRequest(
        `agentId ${JSON.stringify(value)} is a dot segment, not an id`,
      );
    }
    ids[name] = value;
  }
  return ids;
}

/** What a success answer must hold: each required field's JSON types, or its values. */
type AnswerShape = Readonly<
  Record<
    string,
    { readonly types?: readonly string[]; readonly enum?: readonly unknown[] }
  >
>;
const AGENT_STATUS_SHAPE: AnswerShape = {
  agent_id: { types: ["string"] },
  created_at: { types: ["string"] },
  session_id: { types: ["string"] },
  status: { enum: ["active", "closed"] satisfies AgentStatus[] },
  task: { types: ["string"] },
};

/** The JSON body of a success answer that holds what `shape` requires, or the `NotteApiError` that says why not. */
function checkAnswer(
  response: Response,
  text: string,
  shape: AnswerShape,
  shared: Shared,
): unknown {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  let problem =
    text === ""
      ? "the body is empty"
      : body === text
        ? "the body is not JSON"
        : !isRecord(body)
          ? "the body is not a JSON object"
          : undefined;
  for (const [field, { types, enum: values }] of isRecord(body)
    ? Object.entries(shape)
    : []) {
    const value = (body as Record<string, unknown>)[field];
    const type =
      value === null
        ? "null"
        : Array.isArray(value)
          ? "array"
          : Number.isInteger(value)
            ? "integer"
            : typeof value;
    const fits = values
      ? values.includes(value)
      : !types ||
        types.includes(type) ||
        (type === "integer" && types.includes("number"));
    if (!fits) {
      problem = `field ${field} is ${value === undefined ? "missing" : (JSON.stringify(value) ?? type).slice(0, 80)}`;
      break;
    }
  }
  if (problem === undefined) return body;
  const { status, headers } = response;
  const message = `${status} answer is not an agent status: ${problem}`;
  throw apiError(response, body, shared.config.redactor, { message });
}

const HOOKS = ["onRequest", "onResponse", "onError"] as const;
const METHODS = [
  "GET",
  "PUT",
  "POST",
  "DELETE",
  "OPTIONS",
  "HEAD",
  "PATCH",
  "TRACE",
  "request",
];
type AnyMethod = (...args: unknown[]) => Promise<{ response: Response }>;

/**
 * `client` as `notte.raw`: each method runs through the attempt loop (auth,
 * retries, timeouts, the body cap, the rate-limit window, an
 * `Idempotency-Key` the retries repeat), with the call's own limit options
 * honoured; middleware is guarded so that its failures are
 * `NotteMiddlewareError`s and a Response it returns is capped too.
 */
function guardRaw(client: NotteRawClient, shared: Shared): NotteRawClient {
  const { config } = shared;
  const methods = { ...client } as unknown as Record<string, AnyMethod>;
  const twins = new WeakMap<object, Middleware>();
  const middleware = shared.middleware as Middleware[];
  const guard = (each: unknown): Middleware => {
    if (
      !isRecord(each) ||
      !HOOKS.some((hook) => typeof each[hook] === "function")
    ) {
      failRequest("a middleware needs onRequest, onResponse or onError");
    }
    let twin = twins.get(each);
    if (twin) return twin;
    const hooks: Record<string, unknown> = {};
    for (const hook of HOOKS) {
      const run = each[hook];
      if (typeof run !== "function") continue;
      hooks[hook] = async (context: { response?: Response }) => {
        let returned: unknown;
        try {
          returned = await run.call(each, context);
        } catch (cause) {
          const { redactor } = config;
          const message = redactor.text(
            `middleware ${hook} failed: ${safeString(cause)}`,
          );
          throw new NotteMiddlewareError(message, {
            cause: redactor.cause(cause),
          });
        }
        // What openapi-fetch takes from each hook (it ignores a falsy value).
        const usable =
          !returned ||
          returned instanceof Response ||
          (hook === "onRequest" && returned instanceof Request) ||
          (hook === "onError" && returned instanceof Error);
        if (!usable)
          throw new NotteMiddlewareError(
            `middleware ${hook} returned something that is not a Request, Response or Error`,
          );
        const cap = capOf(context.response);
        if (cap && returned instanceof Response)
          capBody(returned, cap.maxBytes, cap.redactor);
        return returned;
      };
    }
    twins.set(each, (twin = hooks as Middleware));
    return twin;
  };
  const guarded: Record<string, unknown> = {
    ...methods,
    use: (...added: unknown[]) => {
      const list = added.map(guard);
      client.use(...list);
      middleware.push(...list);
    },
    eject: (...removed: object[]) => {
      for (const twin of removed.map(
        (each) => twins.get(each) ?? (each as Middleware),
      )) {
        client.eject(twin);
        const at = middleware.indexOf(twin);
        if (at !== -1) middleware.splice(at, 1);
      }
    },
  };
  for (const name of METHODS) {
    const method = methods[name] as AnyMethod;
    // `request(method, url, init)` takes one argument more than the verbs.
    const initAt = name === "request" ? 2 : 1;
    guarded[name] = async (...args: unknown[]) => {
      const init = readRawInit(args[initAt]);
      for (const option of ["baseUrl", "pathSerializer", "Request"]) {
        if (init[option] !== undefined)
          failRequest(`${option} is the client's: it cannot change per call`);
      }
      const { fetch, middleware: callMiddleware, headers, ...rest } = init;
      const limitOptions: Record<string, unknown> = {};
      for (const name of LIMIT_OPTIONS) {
        if (name in rest) limitOptions[name] = rest[name];
        delete rest[name];
      }
      const { limits } = readCallOptions(
        limitOptions,
        LIMIT_OPTIONS,
        "the request's options",
        config,
      );
      if (fetch !== undefined && typeof fetch !== "function")
        failRequest("fetch must be a function");
      // Dot segments would make another endpoint of the path: refused before anything waits.
      const params =
        isRecord(rest.params) && isRecord(rest.params.path)
          ? rest.params.path
          : {};
      for (const [key, value] of Object.entries(params)) {
        if (value === "." || value === "..")
          failRequest(
            `${key} ${JSON.stringify(value)} is a dot segment, not an id`,
          );
      }
      let attemptHeaders: Headers | undefined;
      try {
        // Its own Idempotency-Key wins over the one every retry of the call repeats.
        const given = headers as ConstructorParameters<typeof Headers>[0];
        attemptHeaders = mergeHeaders(
          { "idempotency-key": crypto.randomUUID() },
          given,
        );
      } catch (cause) {
        throw new NotteInvalidRequestError(
          `the request's headers are unusable: ${safeString(cause)}`,
          { cause },
        );
      }
      const { result } = await send(
        shared,
        typeof fetch === "function"
          ? { ...limits, fetch: fetch as typeof limits.fetch }
          : limits,
        (attemptFetch) => {
          const attemptArgs = [...args];
          attemptArgs[initAt] = {
            ...rest,
            headers: attemptHeaders,
            middleware: Array.isArray(callMiddleware)
              ? callMiddleware.map(guard)
              : callMiddleware,
            fetch: attemptFetch,
          };
          return method(...attemptArgs);
        },
        false,
      );
      return result;
    };
  }
  return guarded as unknown as NotteRawClient;
}

/** A raw call's init, read once (a getter runs once; one that throws fails cleanly). */
function readRawInit(init: unknown): Record<string, unknown> {
  if (init === undefined) return {};
  if (!isRecord(init)) failRequest("the request's options must be an object");
  try {
    return { ...init };
  } catch {
    return failRequest("the request's options could not be read");
  }
}
