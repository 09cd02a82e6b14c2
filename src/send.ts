import type { ClientConfig } from "./config.js";
import {
  NotteAbortError,
  NotteConnectionError,
  NotteError,
  NotteTimeoutError,
} from "./errors.js";
import { isRetryableStatus, retryDelayMs } from "./retry.js";

/** Marks an attempt aborted by its own timer, as opposed to by the caller. */
const TIMEOUT_REASON = Symbol("timeout");

const IDEMPOTENCY_KEY = "idempotency-key";

/**
 * The state of one call (all its attempts): its limits, and the timer and
 * abort controller of the attempt under way. One object per call, reused by
 * every attempt, so the hot path allocates little.
 */
export class Call {
  /** The current attempt's controller; aborting it ends that attempt's fetch and body. */
  controller: AbortController | undefined;
  /** The current attempt's timer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Stops forwarding the caller's signal to the current attempt. */
  private detachCallerSignal: (() => void) | undefined;

  /**
   * @param timeoutMs - limit of each attempt
   * @param maxRetries - attempts after the first
   * @param signal - the caller's signal, bounding the whole call
   */
  constructor(
    readonly timeoutMs: number,
    readonly maxRetries: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Arms a fresh controller and timer for the next attempt and returns its signal. */
  startAttempt(): AbortSignal {
    const controller = new AbortController();
    this.controller = controller;
    this.timer = setTimeout(abortOnTimeout, this.timeoutMs, controller);
    const callerSignal = this.signal;
    if (callerSignal) {
      // Only a caller who passed a signal pays for forwarding it.
      const forward = (): void => controller.abort(callerSignal.reason);
      callerSignal.addEventListener("abort", forward, { once: true });
      this.detachCallerSignal = () =>
        callerSignal.removeEventListener("abort", forward);
    }
    return controller.signal;
  }

  /** Ends the current attempt's timer and signal forwarding. Safe to call twice. */
  release(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.detachCallerSignal) {
      this.detachCallerSignal();
      this.detachCallerSignal = undefined;
    }
  }

  /**
   * What a failure during this call means to the caller: the caller's abort,
   * this attempt's timeout, or a lost connection. Errors of this package pass through.
   */
  failure(error: unknown): NotteError {
    if (error instanceof NotteError) return error;
    if (this.signal?.aborted)
      return new NotteAbortError({ cause: this.signal.reason });
    if (this.controller?.signal.reason === TIMEOUT_REASON) {
      return new NotteTimeoutError(this.timeoutMs, { cause: error });
    }
    return new NotteConnectionError(
      `Connection failed: ${describeCause(error)}`,
      { cause: error },
    );
  }
}

function abortOnTimeout(controller: AbortController): void {
  controller.abort(TIMEOUT_REASON);
}

/**
 * What every attempt of a call passes to `fetch` besides its input: built
 * once per call and reused, with `signal` replaced by each attempt's own.
 */
export interface AttemptInit {
  method?: string;
  /** Plain-object headers (for a URL input); a `Request` input carries its own. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A final answer: the response, and its body, read to the end. */
export interface Answer {
  /** The response; its body has been read (use `text`). */
  response: Response;
  /** The body as text (`""` when empty). */
  text: string;
}

/**
 * Sends one request with the call's retry policy: the `fetch` behind every
 * request of a client. `agents.stop` passes a URL and its init (one `Request`
 * is then built per attempt, inside `fetch`); `raw` passes the `Request`
 * openapi-fetch built.
 *
 * Each attempt reads the answer's body to its end under the attempt's timer,
 * so a body that stalls times out and one cut off counts as a lost
 * connection: both are retried like any failed attempt. Retries connection
 * errors, timeouts and retryable statuses with backoff; keeps one
 * `Idempotency-Key` across the attempts; stops at once when the caller's
 * signal fires. Returns the last answer (success or not); throws only
 * {@link NotteError}s.
 */
export async function send(
  config: ClientConfig,
  input: Request | string,
  init: AttemptInit,
  call: Call,
): Promise<Answer> {
  // A DELETE retried after a lost answer must not act twice: the key lets the API tell.
  if (typeof input === "string") {
    if (init.headers && !(IDEMPOTENCY_KEY in init.headers)) {
      init.headers[IDEMPOTENCY_KEY] = crypto.randomUUID();
    }
  } else if (!input.headers.has(IDEMPOTENCY_KEY)) {
    input.headers.set(IDEMPOTENCY_KEY, crypto.randomUUID());
  }
  const { log } = config;

  for (let retryIndex = 0; ; retryIndex++) {
    const isLastAttempt = retryIndex >= call.maxRetries;
    if (call.signal?.aborted) {
      throw new NotteAbortError({ cause: call.signal.reason });
    }
    // A request body can be read once: keep the original for the last attempt.
    const attemptInput =
      typeof input !== "string" && input.body !== null && !isLastAttempt
        ? input.clone()
        : input;
    log.debug?.(`${init.method ?? (input as Request).method} ${urlOf(input)}`, {
      attempt: retryIndex + 1,
    });

    let answer: Answer | undefined;
    let failure: NotteError | undefined;
    try {
      init.signal = call.startAttempt();
      const response = await config.fetch(attemptInput, init);
      answer = { response, text: await response.text() };
    } catch (error) {
      // Anything that is not an answer (a custom fetch resolving to something
      // else included) fails the attempt as a lost connection.
      failure = call.failure(error);
      if (failure instanceof NotteAbortError) throw failure;
    } finally {
      call.release();
    }

    if (answer && !isRetryableStatus(answer.response.status)) return answer;
    const reason = answer ? `status ${answer.response.status}` : failure?.name;
    if (isLastAttempt) {
      log.error?.(`giving up after ${reason}`, { attempts: retryIndex + 1 });
      if (answer) return answer;
      throw failure;
    }
    // Wait as the refused answer says, or as the backoff says.
    const delayMs = retryDelayMs(retryIndex, answer?.response);
    log.warn?.(`retrying after ${reason}`, {
      attempt: retryIndex + 1,
      delayMs,
    });
    await waitForRetry(delayMs, call.signal);
  }
}

function urlOf(input: Request | string): string {
  return typeof input === "string" ? input : input.url;
}

/** Resolves after `delayMs`, or rejects with {@link NotteAbortError} as soon as `signal` fires. */
function waitForRetry(
  delayMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new NotteAbortError({ cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    // A signal that has already fired sends no more events: settle now.
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function ignore(): void {}

// undici says "fetch failed" and puts the real reason (ECONNREFUSED, …) in `cause`.
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error
    ? `${String(error)}: ${cause.message}`
    : String(error);
}
