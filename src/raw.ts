/**
 * `notte.raw`: the typed openapi-fetch client, each of its methods sent
 * through the client's attempt loop, its middleware guarded. A call's init is
 * read and checked once, before anything waits or is sent.
 */
import {
  defaultPathSerializer,
  mergeHeaders,
  type Client,
  type Middleware,
} from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import {
  isRecord,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  safeString,
} from "./errors.js";
import {
  closestName,
  failRequest,
  isRefusedByFetch,
  LIMIT_OPTIONS,
  readCallOptions,
  type Config,
} from "./options.js";
import { capBody, capOf, send, type Shared } from "./send.js";

/** The openapi-fetch client behind `notte.raw`, typed with the generated paths. */
export type NotteRawClient = Client<paths>;

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
const PARSE_AS = ["json", "text", "blob", "arrayBuffer", "stream"];
type AnyMethod = (...args: unknown[]) => Promise<{ response: Response }>;

/**
 * `client` as `notte.raw`: each method runs through the attempt loop (auth,
 * retries, timeouts, the body cap, the rate-limit window, an `Idempotency-Key`
 * the retries repeat), honouring the call's own `signal`, `timeoutMs`,
 * `maxRetries`, `maxResponseBytes` and `fetch`; middleware is guarded, so its
 * failures are `NotteMiddlewareError`s and a Response it returns is capped too.
 */
export function guardRaw(
  client: NotteRawClient,
  shared: Shared & { readonly config: Config },
): NotteRawClient {
  const { config } = shared;
  const methods = { ...client } as unknown as Record<string, AnyMethod>;
  const twins = new WeakMap<object, Middleware>();
  const registered = shared.middleware as Middleware[];
  const guard = (each: unknown): Middleware => {
    const hooks: Record<string, unknown> = {};
    try {
      const twin = twins.get(each as object);
      if (twin) return twin;
      for (const hook of HOOKS) {
        const run: unknown = isRecord(each) ? each[hook] : undefined;
        if (typeof run === "function") hooks[hook] = guardHook(each, hook, run);
      }
    } catch {}
    if (Object.keys(hooks).length === 0)
      failRequest("a middleware needs onRequest, onResponse or onError");
    twins.set(each as object, hooks as Middleware);
    return hooks as Middleware;
  };
  const guardHook =
    (each: unknown, hook: string, run: Function) =>
    async (context: { response?: Response }) => {
      let returned: unknown;
      try {
        returned = await run.call(each, context);
      } catch (cause) {
        // An error of the client (a capped body read by the middleware) keeps its meaning.
        if (cause instanceof NotteError) throw cause;
        const message = `middleware ${hook} failed: ${safeString(cause)}`;
        throw config.redactor.wrap(NotteMiddlewareError, message, cause);
      }
      // What openapi-fetch takes from each hook (it ignores a falsy value).
      const kinds = {
        onRequest: Request,
        onResponse: Response,
        onError: Error,
      } as const;
      const usable =
        !returned ||
        returned instanceof Response ||
        returned instanceof kinds[hook as keyof typeof kinds];
      if (!usable)
        throw new NotteMiddlewareError(
          `middleware ${hook} returned something that is not a Request, Response or Error`,
        );
      // A header fetch refuses, set by a middleware: refused before sending, not retried as a network failure.
      const request =
        returned instanceof Request
          ? returned
          : (context as { request?: Request }).request;
      request?.headers.forEach((_, name) => {
        if (hook === "onRequest" && isRefusedByFetch(name)) {
          throw new NotteInvalidRequestError(
            `header "${name}" is refused by fetch`,
          );
        }
      });
      const cap = capOf(context.response);
      if (cap && returned instanceof Response)
        capBody(returned, cap.maxBytes, cap.redactor);
      return returned;
    };
  const guarded: Record<string, unknown> = {
    ...methods,
    use: (...added: unknown[]) => {
      const list = added.map(guard);
      client.use(...list);
      registered.push(...list);
    },
    eject: (...removed: object[]) => {
      for (const twin of removed.map(
        (each) => twins.get(each) ?? (each as Middleware),
      )) {
        client.eject(twin);
        if (registered.includes(twin))
          registered.splice(registered.indexOf(twin), 1);
      }
    },
  };
  for (const name of METHODS) {
    // `request(method, url, init)` takes one argument more than the verbs.
    const initAt = name === "request" ? 2 : 1;
    guarded[name] = async (...args: unknown[]) => {
      const { limits, init, headers } = readRawInit(
        args[initAt],
        String(args[initAt - 1]),
        config,
      );
      const { fetch, middleware } = init;
      const { result } = await send(
        shared,
        typeof fetch === "function"
          ? { ...limits, fetch: fetch as never }
          : limits,
        (attemptFetch) => {
          const attemptArgs = [...args];
          const guardedMiddleware = Array.isArray(middleware)
            ? middleware.map(guard)
            : middleware;
          attemptArgs[initAt] = {
            ...init,
            headers,
            middleware: guardedMiddleware,
            fetch: attemptFetch,
          };
          return (methods[name] as AnyMethod)(...attemptArgs);
        },
        false,
      );
      return result;
    };
  }
  return guarded as unknown as NotteRawClient;
}

/**
 * A raw call's init, read once and checked before anything waits or is sent:
 * its limits taken out, what decides where the key goes refused, its path
 * free of dot segments, its headers with the `Idempotency-Key` its retries repeat.
 */
function readRawInit(given: unknown, path: string, config: Config) {
  if (given !== undefined && !isRecord(given))
    failRequest("the request's options must be an object");
  let init: Record<string, unknown> = {};
  try {
    init = { ...(given as object) };
  } catch {
    failRequest("the request's options could not be read");
  }
  const limitOptions: Record<string, unknown> = {};
  for (const name of Object.keys(init)) {
    // openapi-fetch passes names it does not know on to fetch; one close to a limit's is a typo.
    const limit = LIMIT_OPTIONS.includes(name)
      ? name
      : closestName(name, LIMIT_OPTIONS.slice(1));
    if (limit !== undefined && limit !== name)
      failRequest(
        `unknown option ${JSON.stringify(name)} (did you mean ${limit}?)`,
      );
    if (limit !== undefined) limitOptions[name] = init[name];
    if (limit !== undefined) delete init[name];
  }
  for (const option of ["baseUrl", "pathSerializer", "Request"]) {
    if (init[option] !== undefined)
      failRequest(`${option} is the client's: it cannot change per call`);
  }
  if (init.fetch !== undefined && typeof init.fetch !== "function")
    failRequest("fetch must be a function");
  if (
    init.parseAs !== undefined &&
    !PARSE_AS.includes(init.parseAs as string)
  ) {
    failRequest(`parseAs must be one of ${PARSE_AS.join(", ")}`);
  }
  let pathname = "";
  let headers: Headers | undefined;
  try {
    // As openapi-fetch will serialise it: `..` would make another endpoint of the path.
    const params = isRecord(init.params) ? init.params : {};
    pathname = defaultPathSerializer(
      path,
      isRecord(params.path) ? params.path : {},
    );
    headers = mergeHeaders(
      { "idempotency-key": crypto.randomUUID() },
      init.headers as Record<string, string>,
    );
  } catch (cause) {
    failRequest(
      `the request's path parameters or headers are unusable: ${safeString(cause)}`,
    );
  }
  if (
    pathname
      .split(/[/?#]/)
      .some((segment) => segment === "." || segment === "..")
  ) {
    failRequest("a path parameter is a dot segment, not an id");
  }
  const { limits } = readCallOptions(
    limitOptions,
    LIMIT_OPTIONS,
    "the request's options",
    config,
  );
  return { limits, init, headers };
}
