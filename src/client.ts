import createClient, {
  defaultPathSerializer,
  type Client,
} from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { Agents, checkNotDotSegment, parseBody } from "./agents.js";
import {
  resolveConfig,
  type ClientConfig,
  type NotteClientOptions,
} from "./config.js";
import {
  NotteApiError,
  NotteError,
  NotteInvalidRequestError,
} from "./errors.js";
import { Call, send } from "./send.js";

/** The openapi-fetch client behind `notte.raw`, typed with the generated paths. */
export type NotteRawClient = Client<paths>;

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
   * the same auth, headers, timeouts and retries as `agents`. Its answers follow
   * openapi-fetch's `{ data, error, response }` shape; everything else it
   * throws is one of this package's errors.
   */
  readonly raw: NotteRawClient;
  /** The API's base URL, as checked and normalised. */
  readonly baseUrl: string;

  /**
   * Checks the configuration once; calls then do only per-call work.
   *
   * @throws NotteConfigError when there is no key, the key or URL is malformed,
   *   or the URL is plain http to a host that is not loopback.
   */
  constructor(options?: NotteClientOptions) {
    const config = resolveConfig(options);
    this.baseUrl = config.baseUrl;
    this.raw = guardRawClient(createRawClient(config));
    this.agents = new Agents(config);
  }
}

function createRawClient(config: ClientConfig): NotteRawClient {
  return createClient<paths>({
    baseUrl: config.baseUrl,
    headers: config.headers,
    // The same guard as agents.stop: `..` in a path parameter must not reach another endpoint.
    pathSerializer: (pathname, pathParams) => {
      for (const [name, value] of Object.entries(pathParams)) {
        checkNotDotSegment(value, name);
      }
      return defaultPathSerializer(pathname, pathParams);
    },
    fetch: async (request) => {
      const { response, text } = await send(
        config,
        request,
        {},
        new Call(config.timeoutMs, config.maxRetries, request.signal),
      );
      const { status, statusText, headers } = response;
      // The API answers JSON: a success that is not JSON is the API's fault,
      // not a SyntaxError for openapi-fetch to throw while parsing it.
      if (response.ok && text !== "" && parseBody(text) === text) {
        throw new NotteApiError(
          status,
          headers,
          text,
          `${status} answer is not JSON`,
        );
      }
      // send read the body (under the attempt's timer); hand openapi-fetch the same bytes.
      return new Response(text === "" ? null : text, {
        status,
        statusText,
        headers,
      });
    },
  });
}

/**
 * `client` with every request method wrapped so that what is left to throw
 * after `send` (openapi-fetch refusing to build a request from bad arguments)
 * is a {@link NotteInvalidRequestError}, not a bare `TypeError` or `Error`.
 */
function guardRawClient(client: NotteRawClient): NotteRawClient {
  // Its methods as plain functions, so the loop can wrap them; TypeScript
  // cannot carry each method's generic signature through it, hence the casts.
  const methods = { ...client } as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  // The request methods: `request` and the upper-case HTTP verbs (not `use`/`eject`).
  for (const [name, method] of Object.entries(methods)) {
    if (name === "request" || name === name.toUpperCase()) {
      methods[name] = (...args) =>
        method(...args).catch((error: unknown) => {
          throw error instanceof NotteError
            ? error
            : new NotteInvalidRequestError(String(error), { cause: error });
        });
    }
  }
  return methods as unknown as NotteRawClient;
}
