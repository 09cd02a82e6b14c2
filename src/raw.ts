import { mergeHeaders, type Client, type Middleware } from "openapi-fetch";
import type { paths } from "../generated/notte-api.js";
import { NotteInvalidRequestError, NotteMiddlewareError } from "./errors.js";
import { refuseFetchForbidden } from "./headers.js";
import { redact, redactCause } from "./redact.js";
import { isRecord, readOptions, safeString } from "./values.js";
import { callLimits } from "./request-options.js";
import { send, type CallContext } from "./send.js";

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
];

type AnyFunction = (...args: unknown[]) => Promise<{ response: Response }>;

/**
 * `client` as `notte.raw`: each request method runs through the client's
 * attempt loop (auth, retries, timeouts, the body cap, the rate-limit window,
 * a fresh `Idempotency-Key` unless the call sets one), and throws only this
 * package's errors; `use` and `eject` register middleware whose failures are
 * {@link NotteMiddlewareError}s.
 */
export function guardRawClient(
  client: NotteRawClient,
  context: CallContext,
): NotteRawClient {
  // Its methods as plain functions, so the loop can wrap them; TypeScript
  // cannot carry each method's generic signature through it, hence the casts.
  const methods = { ...client } as unknown as Record<string, AnyFunction>;
  // Each middleware and its guarded twin, so that `eject` finds what `use` registered.
  const guardedMiddleware = new WeakMap<object, Middleware>();
  const guarded: Record<string, unknown> = {
    ...methods,
    use: (...middleware: unknown[]) => {
      const twins = middleware.map(guardMiddleware);
      client.use(...twins);
      // The same list as openapi-fetch's: a twin twice is there twice.
      context.middleware.push(...twins);
    },
    eject: (...middleware: object[]) => {
      const twins = middleware.map(
        (each) => guardedMiddleware.get(each) ?? (each as Middleware),
      );
      client.eject(...twins);
      for (const twin of twins) {
        const at = context.middleware.indexOf(twin);
        if (at !== -1) context.middleware.splice(at, 1);
      }
    },
  };
  for (const name of [...METHODS, "request"]) {
    const method = methods[name] as AnyFunction;
    // `request(method, url, init)` takes one argument more than the verbs.
    const initAt = name === "request" ? 2 : 1;
    guarded[name] = async (...args: unknown[]) => {
      const init = readOptions(
        (args[initAt] ?? {}) as Record<string, unknown>,
        "the request's options",
        NotteInvalidRequestError,
      );
      const { signal, fetch, headers, middleware, ...rest } = init;
      // These decide where the key goes and which path is called: the client's own.
      for (const option of ["baseUrl", "pathSerializer", "Request"]) {
        if (init[option] !== undefined) {
          throw new NotteInvalidRequestError(
            `${option} is the client's: it cannot change per call`,
          );
        }
      }
      const limits = callLimits(
        { signal: signal as AbortSignal | undefined },
        context.config,
      );
      const idempotencyKey = crypto.randomUUID();
      const callMiddleware = Array.isArray(middleware)
        ? middleware.map(guardMiddleware)
        : middleware;
      const { result } = await send(
        context,
        typeof fetch === "function"
          ? { ...limits, fetch: fetch as typeof limits.fetch }
          : limits,
        (attemptFetch) => {
          const attemptArgs = [...args];
          attemptArgs[initAt] = {
            ...rest,
            headers: attemptHeaders(idempotencyKey, headers),
            middleware: callMiddleware,
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

  /**
   * The call's headers, its own `Idempotency-Key` winning over the one every
   * retry of the call repeats; one that fetch refuses is a NotteInvalidRequestError.
   */
  function attemptHeaders(idempotencyKey: string, headers: unknown): Headers {
    const merged = mergeHeaders(
      { "idempotency-key": idempotencyKey },
      headers as Record<string, string>,
    );
    merged.forEach((_, name) =>
      refuseFetchForbidden(name, NotteInvalidRequestError),
    );
    return merged;
  }

  function guardMiddleware(each: unknown): Middleware {
    if (
      !isRecord(each) ||
      !HOOKS.some((hook) => typeof each[hook] === "function")
    ) {
      throw new NotteInvalidRequestError(
        "a middleware needs onRequest, onResponse or onError",
      );
    }
    let twin = guardedMiddleware.get(each);
    if (twin === undefined) {
      const hooks: Record<string, unknown> = {};
      for (const hook of HOOKS) {
        const run = each[hook];
        if (typeof run !== "function") continue;
        hooks[hook] = async (hookContext: unknown) => {
          let returned: unknown;
          try {
            returned = await run.call(each, hookContext);
          } catch (cause) {
            throw new NotteMiddlewareError(
              redact(
                `middleware ${hook} failed: ${safeString(cause)}`,
                context.config.apiKey,
              ),
              { cause: redactCause(cause, context.config.apiKey) },
            );
          }
          // What openapi-fetch accepts from each hook (it ignores a falsy value).
          if (
            returned &&
            !(returned instanceof Response) &&
            !(hook === "onRequest" && returned instanceof Request) &&
            !(hook === "onError" && returned instanceof Error)
          ) {
            throw new NotteMiddlewareError(
              `middleware ${hook} returned something that is not a Request, Response or Error`,
            );
          }
          return returned;
        };
      }
      twin = hooks as Middleware;
      guardedMiddleware.set(each, twin);
    }
    return twin;
  }
}
