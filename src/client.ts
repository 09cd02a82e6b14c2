import createClient, {
  createQuerySerializer,
  defaultPathSerializer,
} from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { Agents } from "./agents.js";
import { resolveConfig, type NotteClientOptions } from "./config.js";
import { NotteInvalidRequestError } from "./errors.js";
import { RateWindow } from "./rate-window.js";
import { guardRawClient, type NotteRawClient } from "./raw.js";
import { defaultLimits } from "./request-options.js";
import type { CallContext } from "./send.js";

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
   * as `agents`. Its answers follow openapi-fetch's `{ data, error, response }`
   * shape; everything it throws is one of this package's errors.
   * Middleware registered with `raw.use()` sees every request of the client,
   * `agents.stop` included, once per attempt.
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
    const context: CallContext = {
      config,
      rateWindow: config.waitForRateLimit ? new RateWindow() : undefined,
      middleware: [],
    };
    const client = createClient<paths>({
      baseUrl: config.baseUrl,
      headers: config.headers,
      // Built once: openapi-fetch would otherwise build it on every call.
      querySerializer: createQuerySerializer(),
      // `.` and `..` survive percent-encoding, and URL parsing would then turn
      // `/agents/../stop` into `/stop`: another endpoint.
      pathSerializer: (pathname, pathParams) => {
        for (const [name, value] of Object.entries(pathParams)) {
          if (value === "." || value === "..") {
            throw new NotteInvalidRequestError(
              `${name} ${JSON.stringify(value)} is a dot segment, not an id`,
            );
          }
        }
        return defaultPathSerializer(pathname, pathParams);
      },
    });
    this.baseUrl = config.baseUrl;
    this.agents = new Agents(context, client, defaultLimits(config));
    this.raw = guardRawClient(client, context);
  }
}
