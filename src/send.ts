import { watchAbort } from "./abort-watch.js";
import { readCappedText } from "./body.js";
import type { ClientConfig, FetchLike } from "./config.js";
import {
  ANSWERED,
  attemptFailure,
  BUILDING,
  READING,
  SENDING,
  type Stage,
} from "./attempt-failure.js";
import {
  NotteAbortError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteTimeoutError,
} from "./errors.js";
import { PlainRequest } from "./plain-request.js";
import { ignore } from "./quietly.js";
import type { RateWindow } from "./rate-window.js";
import { redactCause } from "./redact.js";
import { isRetryableStatus, retryDelayMs } from "./retry.js";
import { isRecord } from "./values.js";

/** The limits of one call (all its attempts), settled from the client's and the call's options. */
export interface CallLimits {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** The caller's signal, bounding the whole call. */
  readonly signal: AbortSignal | undefined;
  /** The `fetch` of this call (the client's unless a `raw` call names its own). */
  readonly fetch: FetchLike;
}

/** The client-wide pieces every call shares. */
export interface CallContext {
  readonly config: ClientConfig;
  /** `undefined` when the client was made with `rateLimit: "ignore"`. */
  readonly rateWindow: RateWindow | undefined;
  /** The middleware registered with `raw.use()`: the same list as openapi-fetch's. */
  readonly middleware: object[];
}

/** A final answer: openapi-fetch's result, and for a streamed success its body's text. */
export interface Answer<R extends { response: Response }> {
  readonly result: R;
  /** The success body, read by the loop when `readSuccessBody` was set; else `""`. */
  readonly text: string;
}

/** An attempt: one openapi-fetch call, given the `fetch` the attempt sends with. */
type RunAttempt<R> = (
  fetch: (request: Request) => Promise<Response>,
) => Promise<R>;

// Why an attempt or a wait ended early: its timer, or the caller's signal.
const TIMED_OUT = Symbol("timeout");
const ABORTED = Symbol("abort");

/**
 * Sends one call: attempts of one openapi-fetch call each (so middleware runs
 * once per attempt), with the call's retry policy, the client's rate-limit
 * window, and every limit: each attempt ends at its timeout or the caller's
 * abort whatever `fetch`, the body or a middleware does (the late outcome is
 * consumed), and no body is read past `maxResponseBytes`.
 *
 * @param context - the client's configuration and rate-limit window
 * @param limits - this call's limits
 * @param run - one attempt
 * @param readSuccessBody - true when `run` leaves a success body unread
 *   (`parseAs: "stream"`): the loop then reads it under the cap itself and
 *   only failures' bodies are copied for openapi-fetch; otherwise every body
 *   is read under the cap and openapi-fetch gets a copy
 * @returns the last answer, success or not
 * @throws NotteError only
 */
export async function send<R extends { response: Response }>(
  context: CallContext,
  limits: CallLimits,
  run: RunAttempt<R>,
  readSuccessBody: boolean,
): Promise<Answer<R>> {
  const { config, rateWindow } = context;
  const { signal, timeoutMs, maxResponseBytes } = limits;
  const secret = config.apiKey;
  const baseUrlPrefix = `${config.baseUrl}/`;
  const abortError = (): NotteAbortError =>
    new NotteAbortError({ cause: signal?.reason });
  let aborted = false;
  // Ends what is under way (an attempt, or a wait): set by each in turn.
  let interrupt: ((why: symbol) => void) | undefined;
  // Settles as what `start` returns does, or as soon as `interrupt` is
  // called: from the moment `start` runs, so that an abort fired while it
  // runs (by a middleware, a logger, fetch itself) is not missed.
  const interruptible = <T>(
    start: () => Promise<T>,
    onInterrupt: (why: symbol) => void,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      interrupt = (why) => {
        onInterrupt(why);
        reject(why);
      };
      start().then(resolve, reject);
    });
  // Waits `delayMs`, or for `until` to settle, or until the caller aborts.
  const sleep = async (until: number | Promise<void>): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (!aborted) {
        await interruptible(
          () =>
            typeof until === "number"
              ? new Promise((resolve) => (timer = setTimeout(resolve, until)))
              : until,
          ignore,
        );
      }
    } catch {}
    clearTimeout(timer);
    if (aborted) throw abortError();
  };

  if (signal?.aborted) throw abortError();
  let unwatch: (() => void) | undefined;
  try {
    unwatch =
      signal &&
      watchAbort(signal, () => {
        aborted = true;
        interrupt?.(ABORTED);
      });
  } catch (cause) {
    // A signal-shaped object whose addEventListener throws.
    throw new NotteInvalidRequestError("signal must be an AbortSignal", {
      cause,
    });
  }
  try {
    for (let retryIndex = 0; ; retryIndex++) {
      if (rateWindow) {
        for (let until; (until = rateWindow.wait(Date.now())) !== 0;)
          await sleep(until);
      }
      const controller = new AbortController();
      let stage: Stage = BUILDING;
      let why: symbol | undefined;
      let refusedCall = false;
      let answer: Response | undefined;
      let failureText = "";
      let result: R | undefined;
      let text = "";
      let failure: NotteError | undefined;
      const stopAttempt = (reason: symbol): void => {
        why ??= reason;
        controller.abort(reason);
      };
      const timer = setTimeout(() => interrupt?.(TIMED_OUT), timeoutMs);

      // The fetch openapi-fetch calls for this attempt.
      const attemptFetch = async (request: Request): Promise<Response> => {
        stage = SENDING;
        config.log.debug?.(`${request.method} ${request.url}`, {
          attempt: retryIndex + 1,
        });
        if (aborted) throw abortError();
        // The key goes to the configured API only, whatever a path or a middleware made of the URL.
        if (!request.url.startsWith(baseUrlPrefix)) {
          throw new NotteInvalidRequestError(
            "the request's URL is outside baseUrl",
          );
        }
        const fetchImpl = limits.fetch;
        let pending: Promise<Response>;
        try {
          // Called as a plain function: the platform's fetch (Workers) refuses another `this`.
          pending =
            request instanceof PlainRequest
              ? fetchImpl(
                  request.url,
                  // openapi-fetch's init of this attempt: ours to complete.
                  Object.assign(request.init, { signal: controller.signal }),
                )
              : fetchImpl(request, { signal: controller.signal });
        } catch (error) {
          refusedCall = error instanceof TypeError;
          throw error;
        }
        let response = await pending;
        if (!isResponseLike(response)) {
          throw new TypeError("fetch did not resolve to a Response");
        }
        if (!readSuccessBody || !response.ok) {
          const { url, redirected } = response;
          failureText = await readCappedText(
            response,
            maxResponseBytes,
            secret,
          );
          // openapi-fetch reads the body again: give it the bytes already read.
          response = Object.defineProperties(
            new Response(failureText || null, response),
            { url: { value: url }, redirected: { value: redirected } },
          );
        }
        answer = response;
        stage = ANSWERED;
        return answer;
      };

      try {
        // One interruptible span for the call and the body read: the attempt
        // ends when either stalls, whatever fetch, a middleware or the body does.
        result = await interruptible(async () => {
          const answered = await run(attemptFetch);
          const { response } = answered;
          if (readSuccessBody && response.ok) {
            if (response.bodyUsed) {
              throw new NotteMiddlewareError(
                "a middleware read the body without returning a Response",
              );
            }
            stage = READING;
            text = await readCappedText(response, maxResponseBytes, secret);
          }
          return answered;
        }, stopAttempt);
      } catch (thrown) {
        const error = redactCause(thrown, secret);
        failure = aborted
          ? abortError()
          : why === TIMED_OUT
            ? // The cause is what the attempt failed with, if anything did before the timer.
              new NotteTimeoutError(timeoutMs, {
                cause: typeof error === "symbol" ? undefined : error,
              })
            : attemptFailure(error, stage, answer, failureText, secret);
        // Free the connection of an attempt that will not be read further.
        controller.abort();
      } finally {
        clearTimeout(timer);
        interrupt = undefined;
        rateWindow?.settled(answer, Date.now());
      }

      if (
        failure &&
        (!(failure instanceof NotteConnectionError) || refusedCall)
      ) {
        throw failure;
      }
      // A success whose body failed to arrive is a failure, not an answer.
      const response = failure ? undefined : result?.response;
      if (response && !isRetryableStatus(response.status)) {
        return { result: result as R, text };
      }
      const reason = response ? `status ${response.status}` : failure?.name;
      if (retryIndex >= limits.maxRetries) {
        config.log.error?.(`giving up after ${reason}`, {
          attempts: retryIndex + 1,
        });
        if (response) return { result: result as R, text };
        throw failure;
      }
      // Wait as the refused answer says, or as the backoff says.
      const delayMs = retryDelayMs(retryIndex, response);
      config.log.warn?.(`retrying after ${reason}`, {
        attempt: retryIndex + 1,
        delayMs,
      });
      await sleep(delayMs);
    }
  } finally {
    unwatch?.();
  }
}

// By its shape, not instanceof: a Response of another realm (a VM context) is fine.
function isResponseLike(value: unknown): value is Response {
  return (
    isRecord(value) &&
    typeof value.status === "number" &&
    typeof (value.headers as Headers | undefined)?.get === "function"
  );
}
