/**
 * `NotteClient`: its `agents` (stop, status, stopMany) and `raw`, the typed
 * openapi-fetch client behind them. Ids and options are checked here, before
 * anything waits or is sent; every request goes through the one attempt loop.
 */
import createClient, {
  createQuerySerializer,
  type Client,
} from "openapi-fetch";
import { ANSWER_SHAPES } from "../generated/answer-shapes.js";
import type { paths } from "../generated/notte-api.js";
import {
  stopMany,
  type StopManyOptions,
  type StopManyResult,
} from "./batch.js";
import {
  apiError,
  isRecord,
  NotteAbortError,
  NotteAlreadyStoppedError,
  NotteError,
  NotteNotFoundError,
} from "./errors.js";
import {
  checkHeaderValue,
  closestName,
  failRequest,
  LIMIT_OPTIONS,
  readCallOptions,
  resolveConfig,
  type NotteClientOptions,
  type RequestOptions,
} from "./options.js";
import { RateWindow } from "./policy.js";
import { guardRaw, type NotteRawClient } from "./raw.js";
import { PlainRequest, send, type CallLimits, type Shared } from "./send.js";
import type {
  AgentStatusParams,
  AgentStatusResponse,
  LegacyAgentStatusResponse,
  StopAgentParams,
} from "./types.js";
import { VERSION } from "./version.js";

/** What `withResponse()` gives: the checked result and the HTTP answer it came from (its body read). */
export interface WithResponse<T> {
  data: T;
  response: Response;
}

/**
 * A call's result: `await call` gives the data, `await call.withResponse()`
 * `{ data, response }`. The data promise is made only when awaited: using only
 * `withResponse()` leaves no unhandled rejection behind.
 */
export class NottePromise<T> extends Promise<T> {
  // `catch` and `finally` then build plain promises from `then`.
  static override get [Symbol.species]() {
    return Promise;
  }
  readonly #answer: Promise<WithResponse<T>>;
  #data: Promise<T> | undefined;

  constructor(answer: Promise<WithResponse<T>>) {
    super((resolve) => resolve(undefined as T));
    this.#answer = answer;
  }

  /** The result together with the HTTP answer it came from. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#answer;
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#data ??= this.#answer.then((answer) => answer.data);
    return this.#data.then(onFulfilled, onRejected);
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
   * The typed openapi-fetch client, sending as `agents` does and throwing only
   * this package's errors. Middleware added with `raw.use()` sees every
   * request of the client, `agents` calls included, once per attempt.
   */
  readonly raw: NotteRawClient;
  /** The API's base URL, as checked and normalised. */
  readonly baseUrl: string;

  /** @throws NotteConfigError naming the option at fault */
  constructor(options?: NotteClientOptions) {
    const config = resolveConfig(options, VERSION);
    const window = config.waitForRateLimit ? new RateWindow() : undefined;
    const shared: Shared = { config, window, middleware: [] };
    // The query serializer built once: openapi-fetch would build one per call.
    const client = createClient<paths>({
      baseUrl: config.baseUrl,
      headers: config.headers,
      querySerializer: createQuerySerializer(),
    });
    this.baseUrl = config.baseUrl;
    this.agents = new Agents(shared, client);
    this.raw = guardRaw(client, shared);
  }
}

const STOP_IDS = ["agentId", "sessionId"] as const;
const STOP_OPTIONS = [...LIMIT_OPTIONS, "idempotencyKey", "headers"];
const STATUS_IDS = ["agentId"] as const;
const STATUS_OPTIONS = [...LIMIT_OPTIONS, "headers"];
const PLAIN_REQUEST = { Request: PlainRequest };

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
   * Stops a running agent (`DELETE /agents/{agent_id}/stop?session_id=…`) and
   * resolves to its status (`"closed"`) without waiting for it to finish. A 404
   * is followed by one status request: no longer running, or unknown?
   *
   * @example
   * const status = await notte.agents.stop({ agentId, sessionId });
   * @throws NotteInvalidRequestError for unusable ids or options, before anything waits or is sent
   * @throws NotteAlreadyStoppedError when the agent was no longer running (a `NotteNotFoundError`)
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
   * The agent's status (`GET /agents/{agent_id}`), sent as `stop` is. Any
   * session's agent answers; an unknown one is a `NotteNotFoundError`.
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
        const { agentId } = checkIds(params, "agents.status", STATUS_IDS);
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

  /**
   * Stops many agents, at most `concurrency` at a time, resolving to one result
   * per item in input order: `{ ok: true, status }` (`alreadyStopped: true` for
   * one no longer running) or `{ ok: false, error }`; never rejects because an
   * agent failed. The same `(agentId, sessionId)` twice is sent once.
   *
   * @example
   * const failed = (await notte.agents.stopMany(items, { concurrency: 16 })).filter((r) => !r.ok);
   * @throws NotteInvalidRequestError when `items` is not an iterable, or an option is unusable
   */
  stopMany(
    items: Iterable<StopAgentParams>,
    options?: StopManyOptions,
  ): Promise<StopManyResult[]> {
    return stopMany(
      (params, given) => this.stop(params, given),
      items,
      options,
      this.#shared.config,
    );
  }

  async #stop(
    params: StopAgentParams,
    given: RequestOptions | undefined,
  ): Promise<WithResponse<AgentStatusResponse>> {
    const { agentId, sessionId } = checkIds(params, "agents.stop", STOP_IDS);
    const { limits, headers, options } = readCallOptions(
      given,
      STOP_OPTIONS,
      "agents.stop options",
      this.#shared.config,
    );
    // The same key for every retry, so that a DELETE retried after a lost answer does not act twice.
    const key = options.idempotencyKey;
    if (key === "") failRequest("idempotencyKey must not be empty");
    const idempotencyKey =
      key === undefined
        ? crypto.randomUUID()
        : checkHeaderValue(
            "idempotency-key",
            key,
            failRequest,
            "idempotencyKey",
          );
    let attempts = 0;
    try {
      return (await this.#send("agent_stop", limits, (fetch, Request) => {
        attempts++;
        return this.#client.DELETE("/agents/{agent_id}/stop", {
          params: {
            path: { agent_id: agentId },
            query: { session_id: sessionId },
          },
          headers: { ...headers, "idempotency-key": idempotencyKey },
          ...{ parseAs: "stream", fetch, ...Request },
        });
      })) as WithResponse<AgentStatusResponse>;
    } catch (notFound) {
      if (!(notFound instanceof NotteNotFoundError)) throw notFound;
      // One status request, not retried, tells a stopped agent from an unknown one.
      let error: unknown;
      const limitsOnce = { ...limits, maxRetries: 0 };
      const answer = await this.#status(agentId, limitsOnce, headers).catch(
        (thrown: unknown) => {
          error = thrown;
        },
      );
      if (error instanceof NotteAbortError) throw error;
      const data = answer?.data;
      // Not running in that session (closed, or a state this package does not know yet).
      if (data && data.status !== "active" && data.session_id === sessionId) {
        const agent = this.#shared.config.redactor.json(data);
        // Retried, this call's own earlier attempt may have stopped it (its answer lost): a success.
        if (attempts > 1) return { data: agent, response: answer.response };
        throw new NotteAlreadyStoppedError(notFound, agent);
      }
      if (!(error instanceof NotteError) || error instanceof NotteNotFoundError)
        throw notFound;
      const message = `${notFound.message} (could not check whether it was already stopped: ${error.message})`;
      const { status, body } = notFound;
      throw new NotteNotFoundError(status, notFound.headers, body, message, {
        cause: error,
      });
    }
  }

  #status(
    agentId: string,
    limits: CallLimits,
    headers: Record<string, string>,
  ) {
    return this.#send("agent_status", limits, (fetch, Request) =>
      this.#client.GET("/agents/{agent_id}", {
        params: { path: { agent_id: agentId } },
        ...{ headers, parseAs: "stream", fetch, ...Request },
      }),
    ) as Promise<WithResponse<LegacyAgentStatusResponse>>;
  }

  /** One call whose success answer must be an agent status; `run` is its openapi-fetch call. */
  #send(
    operation: keyof typeof ANSWER_SHAPES,
    limits: CallLimits,
    run: (
      fetch: (request: Request) => Promise<Response>,
      Request: object,
    ) => Promise<{ response: Response }>,
  ): Promise<WithResponse<unknown>> {
    // While no middleware sees the Request, openapi-fetch builds a plain one (its own option, untyped per call).
    const plain = this.#shared.middleware.length === 0 ? PLAIN_REQUEST : {};
    return send(this.#shared, limits, (fetch) => run(fetch, plain), true).then(
      ({ result: { response }, text }) => ({
        data: checkAgentStatus(response, text, SHAPES[operation], this.#shared),
        response,
      }),
    );
  }
}

// Node 20 has String.prototype.isWellFormed; TypeScript's ES2022 library does not list it.
type MaybeWellFormed = string & { isWellFormed(): boolean };

/**
 * The ids `names` of `params`: each a non-blank, well-formed string, sent as
 * one path segment, never a dot segment (`/agents/../stop` is another
 * endpoint). A missing id the object spells otherwise (`agent_id`) is named.
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
    let spelling: string | undefined;
    try {
      value = params[name];
      if (value === undefined)
        spelling = closestName(name, Object.keys(params));
    } catch {}
    if (value === undefined)
      failRequest(
        `${what} needs ${name}${spelling ? ` (the object has ${spelling}: spell it ${name})` : ""}`,
      );
    if (
      typeof value !== "string" ||
      value.trim() === "" ||
      !(value as MaybeWellFormed).isWellFormed()
    )
      failRequest(`${name} must be a non-blank, well-formed string`);
    if (value === "." || value === "..")
      failRequest(
        `${name} ${JSON.stringify(value)} is a dot segment, not an id`,
      );
    ids[name] = value;
  }
  return ids;
}

type FieldShape = { types?: readonly string[]; enum?: readonly unknown[] };
/** Each required field of an answer, and the JSON types it may have (any when `undefined`). */
type Shape = (readonly [string, readonly string[] | undefined])[];
/** A JSON value's type, as JSON Schema names it ("integer" for a whole number). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return Number.isInteger(value) ? "integer" : typeof value;
}
/** The JSON types a field may have ("integer" wherever "number" is); an enum's values' (a status Notte adds later passes). */
function typesOf({ types, enum: values }: FieldShape) {
  const all = values ? values.map(jsonType) : types;
  return (
    all && [...new Set(all.includes("number") ? [...all, "integer"] : all)]
  );
}
/** What each operation's success answer must hold, from the document: a field it comes to require is checked. */
const SHAPES = Object.fromEntries(
  Object.entries(ANSWER_SHAPES).map(([operation, { required }]) => [
    operation,
    Object.entries(required as Record<string, FieldShape>).map(
      ([field, shape]) => [field, typesOf(shape)] as const,
    ),
  ]),
) as Record<keyof typeof ANSWER_SHAPES, Shape>;

/** The agent status a success body holds, or the `NotteApiError` that says why it is not one. */
function checkAgentStatus(
  response: Response,
  text: string,
  shape: Shape,
  shared: Shared,
): unknown {
  let body: unknown;
  let problem: string | undefined;
  try {
    body = JSON.parse(text);
    if (!isRecord(body)) problem = "the body is not a JSON object";
  } catch {
    body = text;
    problem = text === "" ? "the body is empty" : "the body is not JSON";
  }
  for (const [field, types] of problem ? [] : shape) {
    const value = (body as Record<string, unknown>)[field];
    const type = jsonType(value);
    if (!types || types.includes(type)) continue;
    problem = `field ${field} is ${value === undefined ? "missing" : (JSON.stringify(value) ?? type).slice(0, 80)}`;
    break;
  }
  if (problem === undefined) return body;
  const message = `${response.status} answer is not an agent status: ${problem}`;
  throw apiError(response, body, shared.config.redactor, { message });
}
