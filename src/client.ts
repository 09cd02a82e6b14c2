import createClient, { type Client } from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { Agents } from "./agents.js";
import { resolveConfig, type NotteClientOptions } from "./config.js";
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
   * openapi-fetch's `{ data, error, response }` shape; failures to get an answer
   * reject with this package's errors.
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
    this.raw = createClient<paths>({
      baseUrl: config.baseUrl,
      headers: config.headers,
      // `raw` calls bring their signal on the Request; the timer stops at the headers
      // because openapi-fetch reads the body after this returns.
      fetch: (request) =>
        send(
          config,
          request,
          {},
          new Call(config.timeoutMs, config.maxRetries, request.signal, false),
        ),
    });
    this.agents = new Agents(config);
  }
}
