/**
 * The attempt loop: one call, from the first wait for the rate-limit window to
 * the last answer. Each attempt is one openapi-fetch call (so middleware runs
 * once per attempt), raced against its timer and the caller's signal, every
 * body read under the size cap; between attempts the retry policy decides,
 * and no wait the API asks for is longer than the call's `timeoutMs`.
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
  isRetryableStatus,
  retryDelay,
  serverDelayMs,
  type AnswerHead,
  type RateWindow,
} from "./policy.js";

/** The limits of one call: all its attempts and waits. */
export interface CallLimits {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** The caller's signal: it ends the whole call. */
  readonly signal: AbortSignal | undefined;
  readonly fetch: (
    input: string | Request,
    init: RequestInit & { signal: AbortSignal },
  ) => Promise<Response>;
}

type LogLine = (message: string, details?: Record<string, unknown>) => void;

/** What every call of one client shares. */
export interface Shared {
  readonly config: {
    readonly baseUrl: string;
    readonly redactor: Redactor;
    /** One function per enabled level, none for the others. */
    readonly log: Partial<Record<"error" | "warn" | "info" | "debug", LogLine>>;
  };
  /** `undefined` with `rateLimit: "ignore"`. */
  readonly window: RateWindow | undefined;
  /** The middleware registered on the client (openapi-fetch's list holds the same). */
  readonly middleware: readonly object[];
}

/**
 * What openapi-fetch builds as its `Request` for a call no middleware sees:
 * the URL and init only, so that `fetch` builds the attempt's one real
 * `Request` instead of copying openapi-fetch's to add the signal.
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
 * when `typed` (`run` then uses `parseAs: "stream"`), the success body's
 * text; a `typed` call's final answer that is not a success is thrown as its
 * `NotteApiError`.
 *
 * @param run - one attempt: an openapi-fetch call with the given `fetch`
 * @throws NotteError only
 */
export async function send<R extends { response: Response; error?: unknown }>(
  shared: Shared,
  limits: CallLimits,
  run: (fetch: (request: Request) => Promise<Response>) => Promise<R>,
  typed: boolean,
): Promise<{ result: R; text: string }> {
  const { config, window } = shared;
  const { redactor, log } = config;
  const { signal, timeoutMs, maxRetries, maxResponseBytes, fetch } = limits;
  const prefix = `${config.baseUrl}/`;
  let aborted: NotteAbortError | undefined;
  // Ends what is under way (the attempt's race, or a wait) with the call's error.
  let interrupt: ((reason: NotteError) => void) | undefined;
  const onAbort = (): void => {
    let cause: unknown;
    try {
      cause = signal?.reason;
    } catch {}
    aborted ??= new NotteAbortError({ cause });
    interrupt?.(aborted);
  };
  /** Waits `ms`, or until `until` settles; the caller's abort ends it. */
  const pause = (ms: number, until?: Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const done = (): void => (clearTimeout(timer), resolve());
      const timer = setTimeout(done, ms);
      until?.then(done);
      interrupt = (reason) => (clearTimeout(timer), reject(reason));
      if (aborted) interrupt(aborted);
    }).finally(() => (interrupt = undefined));

  let unwatch: (() => void) | undefined;
  try {
    if (signal?.aborted) onAbort();
    unwatch = signal && watchAbort(signal, onAbort);
  } catch (cause) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal", {
      cause,
    });
  }
  if (aborted) throw aborted;
  try {
    let last: { failure?: NotteError; result?: R; text: string } | undefined;
    for (let retry = 0; ; retry++) {
      // Waits the API asks for never last longer than the call allows (and none is slept past it).
      const first = window?.wait(Date.now()) ?? 0;
      const closed = first === 0 ? undefined : await waitForWindow(first);
      if (closed !== undefined) {
        log.error?.(
          `giving up: the API's rate-limit window stays closed ${closed} ms, more than timeoutMs`,
        );
        if (last) return finish(last);
        const message = `the API's rate-limit window opens in ${closed} ms, after timeoutMs (${timeoutMs}); nothing was sent`;
        throw new NotteRateLimitError(
          429,
          redactor.headers(window?.closedBy ?? new Headers()),
          "",
          message,
          { retryAfterMs: closed },
        );
      }
      last = await attempt(retry);
      const response = last.failure ? undefined : last.result?.response;
      if (last.failure && !(last.failure instanceof NotteConnectionError))
        throw last.failure;
      if (response && !isRetryableStatus(response.status)) return finish(last);
      const reason = response
        ? `status ${response.status}`
        : (last.failure as NotteError).name;
      const delay = retryDelay(retry, response);
      const windowMs = window?.closedFor(Date.now()) ?? 0;
      const tooLong = Math.max(
        delay.stated ? delay.ms : 0,
        windowMs === Infinity ? 0 : windowMs,
      );
      if (retry >= maxRetries || tooLong > timeoutMs) {
        const why =
          retry >= maxRetries
            ? ""
            : `: the API asks to wait ${Math.ceil(tooLong)} ms, more than timeoutMs`;
        log.error?.(`giving up after ${reason}${why}`, { attempts: retry + 1 });
        return finish(last);
      }
      log.warn?.(`retrying after ${reason} in ${Math.ceil(delay.ms)} ms`, {
        attempt: retry + 1,
      });
      await pause(delay.ms);
    }
  } finally {
    try {
      unwatch?.();
    } catch {}
  }

  /** The call's outcome from its last attempt: the answer, or what it failed with. */
  function finish(last: { failure?: NotteError; result?: R; text: string }): {
    result: R;
    text: string;
  } {
    const { failure, result, text } = last;
    if (failure || !result) throw failure;
    const { response } = result;
    if (!typed || response.ok) return { result, text };
    const retryAfterMs = serverDelayMs(response, Date.now());
    throw apiError(response, result.error ?? "", redactor, { retryAfterMs });
  }

  /**
   * Waits until the window lets an attempt through, waking whenever an answer
   * may have changed it; the milliseconds it would still stay closed when that
   * is longer than the time left of `timeoutMs` (nothing is waited then).
   *
   * @param first - what the window said first: closed for so long
   */
  async function waitForWindow(first: number): Promise<number | undefined> {
    const rateWindow = window as RateWindow;
    const deadline = Date.now() + timeoutMs;
    for (
      let closed = first;
      closed !== 0;
      closed = rateWindow.wait(Date.now())
    ) {
      const left = deadline - Date.now();
      if (closed === Infinity && left <= 0) {
        // The API never said to wait: this was the client's own caution about a fresh window.
        rateWindow.wait(Date.now(), true);
        return undefined;
      }
      if (closed !== Infinity && closed > left) return Math.ceil(closed);
      const why =
        closed === Infinity
          ? "for the answers in flight to tell the new"
          : "for the API's";
      log.info?.(
        `waiting up to ${Math.ceil(Math.min(closed, left))} ms ${why} rate-limit window`,
      );
      await pause(Math.min(closed, left), rateWindow.changed());
    }
    return undefined;
  }

  /** One attempt, counted by the window: its answer, or the `NotteError` it failed with. */
  async function attempt(
    retry: number,
  ): Promise<{ failure?: NotteError; result?: R; text: string }> {
    const controller = new AbortController();
    let stage = BUILDING;
    let answer: AnswerHead | undefined;
    let text = "";
    const timer = setTimeout(
      () => interrupt?.(new NotteTimeoutError(timeoutMs)),
      timeoutMs,
    );
    const attemptFetch = async (
      request: Request | PlainRequest,
    ): Promise<Response> => {
      stage = SENDING;
      log.debug?.(`${request.method} ${request.url}`, { attempt: retry + 1 });
      if (aborted) throw aborted;
      // The key goes to the configured API only, whatever a middleware made of the URL.
      if (!request.url.startsWith(prefix))
        throw new NotteInvalidRequestError(
          "the request's URL is outside baseUrl",
        );
      const init = { signal: controller.signal };
      let pending: Promise<Response>;
      try {
        // A plain function call: Workers' fetch refuses another `this`.
        pending =
          request instanceof PlainRequest
            ? fetch(request.url, Object.assign(request.init, init))
            : fetch(request, init);
      } catch (error) {
        throw error instanceof NotteError ? error : refused(error);
      }
      let response: Response;
      try {
        response = await pending;
      } catch (error) {
        // Classified now, so that middleware's onError gets what the caller would.
        throw aborted ?? classify(error, SENDING);
      }
      if (!isResponse(response))
        throw new NotteConnectionError("fetch did not resolve to a Response");
      answer = { status: response.status, headers: response.headers };
      stage = ANSWERED;
      // A typed success no middleware sees is read below, by the loop alone.
      const direct = typed && response.ok && shared.middleware.length === 0;
      return direct ? response : capBody(response, maxResponseBytes, redactor);
    };
    try {
      const result = await new Promise<R>((resolve, reject) => {
        interrupt = (reason) => (controller.abort(reason), reject(reason));
        // An abort fired while the attempt was set up is not missed.
        if (aborted) return interrupt(aborted);
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
      return { result, text };
    } catch (thrown) {
      const failure = aborted ?? classify(thrown, stage, answer);
      // Free the connection of an attempt that is not read further.
      controller.abort(failure);
      return { failure, text };
    } finally {
      clearTimeout(timer);
      interrupt = undefined;
      window?.settled(answer, Date.now());
    }
  }

  /**
   * What an attempt's failure means, from how far it got: an error of this
   * package as it is; before fetch, a request that could not be built; in
   * fetch, no answer (worth a retry) unless fetch refused the request; after
   * the answer, a body that is not JSON, or a middleware's doing.
   */
  function classify(
    error: unknown,
    stage: number,
    answer?: AnswerHead,
  ): NotteError {
    if (error instanceof NotteError) return error;
    if (stage === BUILDING)
      return redactor.wrap(NotteInvalidRequestError, safeString(error), error);
    if (stage === SENDING || !answer) {
      // undici rejects a request it will not send (a header, a port) asynchronously, as if the network failed.
      const { code, message } =
        isRecord(error) && isRecord(error.cause) ? error.cause : {};
      if (
        /^UND_ERR_(NOT_SUPPORTED|INVALID_ARG)$/.test(String(code)) ||
        message === "bad port"
      )
        return refused(error);
      return redactor.wrap(
        NotteConnectionError,
        `Connection failed: ${describe(error)}`,
        error,
      );
    }
    if (!(error instanceof SyntaxError))
      return redactor.wrap(NotteMiddlewareError, safeString(error), error);
    const text = bodyTexts.get(answer.headers) ?? "";
    return apiError(answer, text, redactor, {
      message: `${answer.status} answer is not JSON`,
    });
  }

  function refused(error: unknown): NotteInvalidRequestError {
    return redactor.wrap(
      NotteInvalidRequestError,
      `fetch refused the request: ${describe(error)}`,
      error,
    );
  }
}

// undici says "fetch failed" and puts the reason (ECONNREFUSED, …) in `cause`.
function describe(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error
    ? `${safeString(error)}: ${safeString(cause.message)}`
    : safeString(error);
}

// By its shape, not instanceof: a Response of another realm is fine; a Node stream body is not a web one.
function isResponse(value: unknown): value is Response {
  if (!isRecord(value) || typeof value.status !== "number") return false;
  const { headers, body } = value as Partial<Response>;
  return (
    typeof headers?.get === "function" &&
    (body === null || typeof body?.getReader === "function")
  );
}

const decoder = new TextDecoder();
/** Each capped body's text once read, by its answer's headers: the error of a body that is not JSON quotes it. */
const bodyTexts = new WeakMap<Headers, string>();
const CAPPED = Symbol("capped");

/**
 * `response`, its body methods made to read at most `maxBytes` (by
 * `Content-Length`, then counted as it streams): past that the body is
 * cancelled and a `NotteResponseTooLargeError` thrown; a body cut off is a
 * `NotteConnectionError`. The answer is not copied. A Response a middleware
 * returns in its place is capped the same way (a clone it makes is not).
 */
export function capBody(
  response: Response,
  maxBytes: number,
  redactor: Redactor,
): Response {
  if (capOf(response)) return response;
  let bytes: Promise<Uint8Array> | undefined;
  const read = (): Promise<Uint8Array> =>
    (bytes ??= readBytes(response, maxBytes, redactor));
  const text = async (): Promise<string> => {
    const value = decoder.decode(await read());
    bodyTexts.set(response.headers, value);
    return value;
  };
  const type = { type: response.headers.get("content-type") ?? "" };
  Object.defineProperties(response, {
    [CAPPED]: { value: { maxBytes, redactor } },
    text: { value: text },
    json: { value: async () => JSON.parse(await text()) as unknown },
    arrayBuffer: { value: async () => (await read()).slice().buffer },
    blob: { value: async () => new Blob([await read()], type) },
  });
  return response;
}

/** The cap of a Response {@link capBody} capped, to pass on to one that replaces it. */
export function capOf(
  response: unknown,
): { maxBytes: number; redactor: Redactor } | undefined {
  return isRecord(response)
    ? (response[CAPPED as never] as { maxBytes: number; redactor: Redactor })
    : undefined;
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
    body?.cancel().catch(() => {});
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
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    if (error instanceof NotteError) throw error;
    throw redactor.wrap(
      NotteConnectionError,
      `the answer's body was cut off: ${describe(error)}`,
      error,
    );
  }
  // Most answers come in one chunk: no copy then.
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(size);
  chunks.reduce(
    (offset, chunk) => (all.set(chunk, offset), offset + chunk.byteLength),
    0,
  );
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
