import { watchAbort } from "./abort-watch.js";
import { readCappedText } from "./body.js";
import type { ClientConfig, FetchLike } from "./config.js";
import {
  NotteAbortError,
  NotteApiError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
  NotteTimeoutError,
} from "./errors.js";
import type { RateWindow } from "./rate-window.js";
import { redact } from "./redact.js";
import { isRetryableStatus, retryDelayMs } from "./retry.js";

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

/** What one openapi-fetch call resolves to. */
interface FetchResult {
  readonly response: Response;
  readonly error?: unknown;
}

/** A final answer: openapi-fetch's result, and for a streamed success its body's text. */
export interface Answer<R extends FetchResult> {
  readonly result: R;
  /** The success body, read by the loop when `readSuccessBody` was set; else `""`. */
  readonly text: string;
}

/** The client-wide pieces every call shares. */
export interface CallContext {
  readonly config: ClientConfig;
  /** `undefined` when the client was made with `rateLimit: "ignore"`. */
  readonly rateWindow: RateWindow | undefined;
}

// Why an attempt ended early: its timer, or the caller's signal.
const TIMED_OUT = Symbol("timeout");
const ABORTED = Symbol("abort");
type Interruption = typeof TIMED_OUT | typeof ABORTED;

// How far an attempt got, for telling what a failure means.
const BUILDING = 0; // openapi-fetch serialising, middleware onRequest
const SENDING = 1; // fetch called; for a failure, the answer's body read inside it
const ANSWERED = 2; // middleware onResponse, openapi-fetch parsing
const READING = 3; // the loop reading a success body

/**
 * One attempt: its timer, its abort controller, and how far it got. Its
 * `fetch` is what openapi-fetch calls: it sends with the attempt's signal
 * and, unless the loop reads the body itself, reads the body under the cap
 * and hands openapi-fetch those bytes.
 */
class Attempt {
  readonly controller = new AbortController();
  stage = BUILDING;
  /** The answer as `fetch` gave it, before middleware. */
  response: Response | undefined;
  /** Its body, when read inside `fetch`. */
  text = "";
  /** Set when the timer fired or the caller aborted. */
  interruption: Interruption | undefined;
  /** `fetch` threw a `TypeError` instead of returning a promise: a bad call, not a network fault. */
  refusedCall = false;
  readonly #timer: ReturnType<typeof setTimeout>;
  #reject: ((reason: unknown) => void) | undefined;

  constructor(
    readonly call: Call,
    readonly number: number,
  ) {
    this.#timer = setTimeout(interrupt, call.limits.timeoutMs, this, TIMED_OUT);
  }

  /** Settles as `promise` does, or at once when the attempt is interrupted. */
  guard<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(resolve, reject);
    });
  }

  /** Ends the attempt now: its fetch and body are aborted, its guarded promise rejects. */
  interrupt(why: Interruption): void {
    this.interruption ??= why;
    this.controller.abort(why);
    this.#reject?.(why);
  }

  /** The fetch openapi-fetch calls for this attempt. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const { call } = this;
    const { limits, context } = call;
    this.stage = SENDING;
    context.config.log.debug?.(`${request.method} ${request.url}`, {
      attempt: this.number,
    });
    const fetchImpl = limits.fetch;
    let pending: Promise<Response>;
    try {
      // Called as a plain function: the platform's fetch (Workers) refuses another `this`.
      pending = fetchImpl(request, { signal: this.controller.signal });
    } catch (error) {
      this.refusedCall = error instanceof TypeError;
      throw error;
    }
    let response = await pending;
    if (!call.readSuccessBody || !response.ok) {
      this.text = await readCappedText(response, limits.maxResponseBytes);
      const { status, statusText, headers } = response;
      // openapi-fetch reads the body again: give it the bytes already read.
      response = new Response(this.text === "" ? null : this.text, {
        status,
        statusText,
        headers,
      });
    }
    this.response = response;
    this.stage = ANSWERED;
    return response;
  };

  /** What a failure of this attempt means to the caller. */
  failure(error: unknown): NotteError {
    const { limits, context } = this.call;
    const secret = context.config.apiKey;
    if (this.interruption === ABORTED) {
      return new NotteAbortError({ cause: limits.signal?.reason });
    }
    if (this.interruption === TIMED_OUT) {
      return new NotteTimeoutError(limits.timeoutMs, { cause: error });
    }
    if (error instanceof NotteError) return error;
    const text = redact(String(error), secret);
    if (this.stage === BUILDING) {
      return new NotteInvalidRequestError(text, { cause: error });
    }
    if (this.stage === ANSWERED) {
      const { status, headers } = this.response as Response;
      // After the answer, openapi-fetch only parses it; anything else is a middleware's doing.
      return error instanceof SyntaxError
        ? new NotteApiError(
            status,
            headers,
            this.text,
            `${status} answer is not JSON`,
            secret,
          )
        : new NotteMiddlewareError(text, { cause: error });
    }
    return new NotteConnectionError(
      redact(`Connection failed: ${describeCause(error)}`, secret),
      {
        cause: error,
      },
    );
  }

  /** Stops the timer. */
  end(): void {
    clearTimeout(this.#timer);
  }
}

function interrupt(attempt: Attempt, why: Interruption): void {
  attempt.interrupt(why);
}

/** One call: its limits, the attempt under way, and the wait between attempts. */
class Call {
  attempt: Attempt | undefined;
  aborted = false;
  #endWait: ((aborted: boolean) => void) | undefined;

  constructor(
    readonly context: CallContext,
    readonly limits: CallLimits,
    readonly readSuccessBody: boolean,
  ) {}

  /** The caller's signal fired: end whatever is under way. */
  readonly abort = (): void => {
    this.aborted = true;
    this.attempt?.interrupt(ABORTED);
    this.#endWait?.(true);
  };

  /** Resolves after `delayMs`, or rejects with a {@link NotteAbortError} as soon as the caller aborts. */
  async sleep(delayMs: number): Promise<void> {
    const aborted =
      this.aborted ||
      (await new Promise<boolean>((resolve) => {
        const timer = setTimeout(resolve, delayMs, false);
        this.#endWait = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
      }));
    this.#endWait = undefined;
    if (aborted) throw this.abortError();
  }

  abortError(): NotteAbortError {
    return new NotteAbortError({ cause: this.limits.signal?.reason });
  }
}

/**
 * Sends one call: attempts of one openapi-fetch call each (so middleware runs
 * once per attempt), with the call's retry policy, the client's rate-limit
 * window, and every limit: each attempt ends at its timeout or the caller's
 * abort whatever `fetch`, the body or a middleware does, and no body is read
 * past `maxResponseBytes`.
 *
 * @param context - the client's configuration and rate-limit window
 * @param limits - this call's limits
 * @param run - one attempt: the openapi-fetch call, given the attempt's `fetch`
 * @param readSuccessBody - true when `run` leaves a success body unread
 *   (`parseAs: "stream"`): the loop then reads it under the cap itself, and
 *   only failures' bodies are copied for openapi-fetch
 * @returns the last answer, success or not
 * @throws NotteError only
 */
export async function send<R extends FetchResult>(
  context: CallContext,
  limits: CallLimits,
  run: (fetch: (request: Request) => Promise<Response>) => Promise<R>,
  readSuccessBody: boolean,
): Promise<Answer<R>> {
  const call = new Call(context, limits, readSuccessBody);
  const { signal } = limits;
  if (signal?.aborted) throw call.abortError();
  const unwatch = signal && watchAbort(signal, call.abort);
  try {
    for (let retryIndex = 0; ; retryIndex++) {
      const answer = await sendAttempt(call, retryIndex + 1, run);
      const response =
        answer instanceof NotteError ? undefined : answer.result.response;
      if (response && !isRetryableStatus(response.status))
        return answer as Answer<R>;
      const reason = response
        ? `status ${response.status}`
        : (answer as NotteError).name;
      if (retryIndex >= limits.maxRetries) {
        context.config.log.error?.(`giving up after ${reason}`, {
          attempts: retryIndex + 1,
        });
        if (response) return answer as Answer<R>;
        throw answer;
      }
      // Wait as the refused answer says, or as the backoff says.
      const delayMs = retryDelayMs(retryIndex, response);
      context.config.log.warn?.(`retrying after ${reason}`, {
        attempt: retryIndex + 1,
        delayMs,
      });
      await call.sleep(delayMs);
    }
  } finally {
    unwatch?.();
  }
}

/**
 * One attempt, after waiting for the rate-limit window: its answer, or the
 * error that ended it when that is worth a retry. Other errors are thrown.
 */
async function sendAttempt<R extends FetchResult>(
  call: Call,
  number: number,
  run: (fetch: (request: Request) => Promise<Response>) => Promise<R>,
): Promise<Answer<R> | NotteError> {
  const { rateWindow } = call.context;
  if (call.aborted) throw call.abortError();
  if (rateWindow) {
    for (let delayMs; (delayMs = rateWindow.delayMs(Date.now())) > 0;)
      await call.sleep(delayMs);
  }
  const attempt = new Attempt(call, number);
  call.attempt = attempt;
  try {
    const result = await attempt.guard(run(attempt.fetch));
    let text = "";
    if (call.readSuccessBody && result.response.ok) {
      attempt.stage = READING;
      text = await attempt.guard(
        readCappedText(result.response, call.limits.maxResponseBytes),
      );
    }
    return { result, text };
  } catch (error) {
    // The caller may have aborted between attempts' checks: that wins.
    const failure = call.aborted ? call.abortError() : attempt.failure(error);
    // Free the connection of an attempt that will not be read further.
    attempt.controller.abort();
    if (!(failure instanceof NotteConnectionError) || attempt.refusedCall)
      throw failure;
    return failure;
  } finally {
    attempt.end();
    call.attempt = undefined;
    rateWindow?.settled(attempt.response, Date.now());
  }
}

// undici says "fetch failed" and puts the real reason (ECONNREFUSED, …) in `cause`.
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error
    ? `${String(error)}: ${cause.message}`
    : String(error);
}
