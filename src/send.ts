/**
 * The attempt loop: one call, from the first wait for the rate-limit window to
 * the last answer. Each attempt is one openapi-fetch call (so middleware runs
 * once per attempt), raced against its timer and the caller's signal, with
 * every body read under the size cap; between attempts the retry policy
 * decides, and no wait the API asks for is longer than the call allows.
 */
import {
  apiError,
  isRecord,
  NotteAbortError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteRateLimitError,
  NotteResponseTooLargeError,
  NotteTimeoutError,
  safeString,
  type Redactor,
} from "./errors.js";
import {
  ignore,
  isRefusedByFetch,
  type CallLimits,
  type Config,
} from "./options.js";
import {
  isRetryableStatus,
  retryDelay,
  serverDelayMs,
  type RateWindow,
} from "./policy.js";

/** What every call of one client shares. */
export interface Shared {
  readonly config: Config;
  /** `undefined` with `rateLimit: "ignore"`. */
  readonly window: RateWindow | undefined;
  /** The middleware registered on the client (openapi-fetch's own list holds the same). */
  readonly middleware: readonly object[];
}

/** One attempt: an openapi-fetch call, given the `fetch` of that attempt. */
type Attempt<R> = (
  fetch: (request: Request) => Promise<Response>,
) => Promise<R>;

/**
 * What openapi-fetch builds as its `Request` for a call no middleware will
 * see: the URL and init only, so that `fetch` builds the attempt's one real
 * `Request` (instead of a copy of openapi-fetch's carrying the signal).
 */
export class PlainRequest {
  constructor(
    readonly url: string,
    readonly init: RequestInit,
  ) {}
  /** Read by openapi-fetch and the debug log. */
  get method(): string | undefined {
    return this.init.method;
  }
}

// How far an attempt got, which tells what its failure means.
const BUILDING = 0; // openapi-fetch serialising, middleware onRequest: a bad request
const SENDING = 1; // fetch: no answer
const ANSWERED = 2; // middleware onResponse, the body, openapi-fetch parsing

/**
 * Sends one call and returns its final answer: openapi-fetch's result and,
 * when `typed`, the success body's text (`run` must then use `parseAs:
 * "stream"`); a `typed` call's final answer that is not a success is thrown
 * as its `NotteApiError`.
 *
 * @throws NotteError only
 */
export async function send<R extends { response: Response; error?: unknown }>(
  shared: Shared,
  limits: CallLimits,
  run: Attempt<R>,
  typed: boolean,
): Promise<{ result: R; text: string }> {
  const { config, window } = shared;
  const { redactor, log } = config;
  const { signal, timeoutMs, maxRetries, maxResponseBytes, fetch } = limits;
  const prefix = `${config.baseUrl}/`;
  let abortError: NotteAbortError | undefined;
  const aborted = (): NotteAbortError =>
    (abortError ??= new NotteAbortError({ cause: signal?.reason }));
  // Ends what is under way: the attempt's race, or a wait.
  let interrupt: ((reason: NotteError) => void) | undefined;
  const pause = (ms: number, until?: Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, ms);
      until?.then(done);
      interrupt = (reason) => (clearTimeout(timer), reject(reason));
      if (abortError) interrupt(abortError);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (interrupt = undefined));

  if (signal?.aborted) throw aborted();
  let unwatch: (() => void) | undefined;
  try {
    unwatch = signal && watchAbort(signal, () => interrupt?.(aborted()));
  } catch (cause) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal", {
      cause,
    });
  }
  try {
    for (let retry = 0; ; retry++) {
      if (window) await waitForWindow(window);
      const controller = new AbortController();
      let stage = BUILDING;
      let answer: Response | undefined;
      let result: R | undefined;
      let text = "";
      let failure: NotteError | undefined;
      const timer = setTimeout(
        () => interrupt?.(new NotteTimeoutError(timeoutMs)),
        timeoutMs,
      );
      const attemptFetch = async (
        request: Request | PlainRequest,
      ): Promise<Response> => {
        stage = SENDING;
        log.debug?.(`${request.method} ${request.url}`, { attempt: retry + 1 });
        if (abortError) throw abortError;
        // The key goes to the configured API only, whatever a middleware made of the URL.
        if (!request.url.startsWith(prefix)) {
          throw new NotteInvalidRequestError(
            "the request's URL is outside baseUrl",
          );
        }
        const { signal: attemptSignal } = controller;
        let pending: Promise<Response>;
        try {
          // A plain function call: Workers' fetch refuses another `this`.
          pending =
            request instanceof PlainRequest
              ? fetch(
                  request.url,
                  Object.assign(request.init, { signal: attemptSignal }),
                )
              : (refuseHeaders(request.headers),
                fetch(request, { signal: attemptSignal }));
        } catch (error) {
          throw error instanceof NotteError ? error : refused(error, redactor);
        }
        let response: unknown;
        try {
          response = await pending;
        } catch (error) {
          // Classified now, so that middleware's onError gets what the caller would.
          throw abortError ?? classify(error, SENDING, undefined, redactor);
        }
        if (!isResponse(response))
          throw new NotteConnectionError("fetch did not resolve to a Response");
        answer = response;
        stage = ANSWERED;
        // A typed success no middleware sees is read below, by the loop alone.
        const direct = typed && response.ok && shared.middleware.length === 0;
        return direct
          ? response
          : capBody(response, maxResponseBytes, redactor);
      };
      try {
        result = await new Promise<R>((resolve, reject) => {
          interrupt = (reason) => {
            controller.abort(reason);
            reject(reason);
          };
          // An abort fired while the attempt was set up is not missed.
          if (abortError) return interrupt(abortError);
          run(attemptFetch)
            .then(async (answered) => {
              const { response } = answered;
              if (typed && response.ok) {
                text = capOf(response)
                  ? await response.text()
                  : decoder.decode(
                      await readBytes(response, maxResponseBytes, redactor),
                    );
              }
              return answered;
            })
            .then(resolve, reject);
        });
      } catch (thrown) {
        failure = abortError ?? classify(thrown, stage, answer, redactor);
        // Free the connection of an attempt that is not read further.
        controller.abort(failure);
      } finally {
        clearTimeout(timer);
        interrupt = undefined;
        window?.settled(answer, Date.now());
      }

      if (failure && !(failure instanceof NotteConnectionError)) throw failure;
      const response = failure ? undefined : result?.response;
      const finish = (): { result: R; text: string } => {
        const { status, headers } = response as Response;
        if (!typed || (response as Response).ok)
          return { result: result as R, text };
        const retryAfterMs = serverDelayMs(response as Response, Date.now());
        throw apiError(response as Response, result?.error ?? "", redactor, {
          retryAfterMs,
        });
      };
      if (response && !isRetryableStatus(response.status)) return finish();
      const reason = response
        ? `status ${response.status}`
        : (failure as NotteError).name;
      const delay = retryDelay(retry, response);
      const giveUp =
        retry >= maxRetries
          ? `giving up after ${reason}`
          : delay.stated && delay.ms > timeoutMs
            ? `giving up after ${reason}: the API asks to wait ${Math.ceil(delay.ms)} ms, more than timeoutMs`
            : undefined;
      if (giveUp) {
        log.error?.(giveUp, { attempts: retry + 1 });
        if (failure) throw failure;
        return finish();
      }
      log.warn?.(`retrying after ${reason} in ${Math.ceil(delay.ms)} ms`, {
        attempt: retry + 1,
      });
      await pause(delay.ms);
    }
  } finally {
    unwatch?.();
  }

  /** Waits until the window lets an attempt through: never longer than `timeoutMs`. */
  async function waitForWindow(rateWindow: RateWindow): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let wait; (wait = rateWindow.wait(Date.now())) !== 0;) {
      const left = deadline - Date.now();
      if (typeof wait === "number") {
        if (wait > left) {
          throw new NotteRateLimitError(
            429,
            redactor.headers(rateWindow.closedBy ?? new Headers()),
            "",
            `the API's rate-limit window opens in ${Math.ceil(wait)} ms, more than timeoutMs (${timeoutMs}); nothing was sent`,
            wait,
          );
        }
        log.info?.(
          `waiting ${Math.ceil(wait)} ms for the API's rate-limit window`,
        );
        await pause(wait);
      } else if (left > 0) {
        log.info?.(
          "waiting for answers in flight to learn the API's new rate-limit window",
        );
        await pause(left, wait);
      } else {
        // Nothing the API said forbids sending: the wait was the client's own caution.
        rateWindow.wait(Date.now(), true);
        return;
      }
    }
  }
}

/**
 * What an attempt's failure means to the caller, from how far it got: an
 * error of this package passes as it is; before fetch, a request that could
 * not be built; in fetch, no answer (worth a retry) unless fetch refused the
 * request; after the answer, a body openapi-fetch could not parse, or a
 * middleware's doing.
 */
function classify(
  error: unknown,
  stage: number,
  answer: Response | undefined,
  redactor: Redactor,
): NotteError {
  if (error instanceof NotteError) return error;
  const cause = redactor.cause(error);
  if (stage === BUILDING)
    return new NotteInvalidRequestError(redactor.text(safeString(error)), {
      cause,
    });
  if (stage === SENDING || !answer) {
    // undici rejects a request it will not send (a header, a port) asynchronously, as if the network failed.
    const reason =
      isRecord(error) && isRecord(error.cause) ? error.cause : undefined;
    if (
      /^UND_ERR_(NOT_SUPPORTED|INVALID_ARG)$/.test(String(reason?.code)) ||
      reason?.message === "bad port"
    ) {
      return refused(error, redactor);
    }
    return new NotteConnectionError(
      redactor.text(`Connection failed: ${describe(error)}`),
      { cause },
    );
  }
  return error instanceof SyntaxError
    ? apiError(answer, bodyTexts.get(answer) ?? "", redactor, {
        message: `${answer.status} answer is not JSON`,
      })
    : new NotteMiddlewareError(redactor.text(safeString(error)), { cause });
}

function refused(error: unknown, redactor: Redactor): NotteInvalidRequestError {
  return new NotteInvalidRequestError(
    redactor.text(`fetch refused the request: ${describe(error)}`),
    {
      cause: redactor.cause(error),
    },
  );
}

// undici says "fetch failed" and puts the reason (ECONNREFUSED, …) in `cause`.
function describe(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error
    ? `${safeString(error)}: ${safeString(cause.message)}`
    : safeString(error);
}

/** Headers `fetch` would refuse, once a middleware may have set them, refused before sending. */
function refuseHeaders(headers: Headers): void {
  headers.forEach((_, name) => {
    if (isRefusedByFetch(name))
      throw new NotteInvalidRequestError(
        `header ${JSON.stringify(name)} is refused by fetch`,
      );
  });
}

// By its shape, not instanceof: a Response of another realm is fine.
function isResponse(value: unknown): value is Response {
  return (
    isRecord(value) &&
    typeof value.status === "number" &&
    typeof (value.headers as Headers)?.get === "function"
  );
}

const decoder = new TextDecoder();
/** The text of each capped body once read, for the error of a body that is not JSON. */
const bodyTexts = new WeakMap<Response, string>();
const CAPPED = Symbol("capped");

/**
 * `response`, its body methods (`text`, `json`, `arrayBuffer`, `blob`) made to
 * read at most `maxBytes` (by `Content-Length`, then counted as it streams):
 * past that, the body is cancelled and a `NotteResponseTooLargeError` thrown;
 * a body cut off is a `NotteConnectionError`. No copy of the answer is made.
 * A Response a middleware returns in its place is capped the same way.
 */
export function capBody(
  response: Response,
  maxBytes: number,
  redactor: Redactor,
): Response {
  if ((response as { [CAPPED]?: unknown })[CAPPED]) return response;
  let bytes: Promise<Uint8Array> | undefined;
  const read = (): Promise<Uint8Array> =>
    (bytes ??= readBytes(response, maxBytes, redactor));
  const text = async (): Promise<string> => {
    const value = decoder.decode(await read());
    bodyTexts.set(response, value);
    return value;
  };
  Object.defineProperties(response, {
    [CAPPED]: { value: { maxBytes, redactor } },
    text: { value: text },
    json: { value: async () => JSON.parse(await text()) as unknown },
    arrayBuffer: { value: async () => (await read()).slice().buffer },
    blob: {
      value: async () =>
        new Blob([await read()], {
          type: response.headers.get("content-type") ?? "",
        }),
    },
  });
  return response;
}

/** The cap of a Response that {@link capBody} capped, to pass on to one that replaces it. */
export function capOf(
  response: unknown,
): { maxBytes: number; redactor: Redactor } | undefined {
  return (
    response as
      { [CAPPED]?: { maxBytes: number; redactor: Redactor } } | undefined
  )?.[CAPPED];
}

async function readBytes(
  response: Response,
  maxBytes: number,
  redactor: Redactor,
): Promise<Uint8Array> {
  const { body, status, headers } = response;
  const tooLarge = (): NotteResponseTooLargeError =>
    new NotteResponseTooLargeError(status, redactor.headers(headers), maxBytes);
  if (Number(headers.get("content-length")) > maxBytes) {
    body?.cancel().catch(ignore);
    throw tooLarge();
  }
  if (body === null) return new Uint8Array();
  if (response.bodyUsed || body.locked) {
    throw new NotteMiddlewareError(
      "a middleware read the answer's body without returning a Response",
    );
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk; !(chunk = await reader.read()).done;) {
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(ignore);
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    if (error instanceof NotteError) throw error;
    throw new NotteConnectionError(
      redactor.text(`the answer's body was cut off: ${describe(error)}`),
      {
        cause: redactor.cause(error),
      },
    );
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

// One `abort` listener per caller signal, however many calls share it (Node
// warns past ten), removed with the last call; weakly keyed, so a signal
// nobody holds takes its entry with it.
const watchers = new WeakMap<
  AbortSignal,
  { calls: Set<() => void>; listener: () => void }
>();

function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let entry = watchers.get(signal);
  if (!entry) {
    const calls = new Set<() => void>();
    entry = { calls, listener: () => calls.forEach((call) => call()) };
    watchers.set(signal, entry);
    signal.addEventListener("abort", entry.listener, { once: true });
  }
  const { calls, listener } = entry;
  calls.add(onAbort);
  return () => {
    calls.delete(onAbort);
    if (calls.size === 0 && watchers.get(signal) === entry) {
      watchers.delete(signal);
      signal.removeEventListener("abort", listener);
    }
  };
}
