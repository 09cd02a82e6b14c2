/**
 * The attempt loop: each attempt one openapi-fetch call raced against its timer
 * and the caller's signal, every body read under the size cap.
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
import type { Config } from "./options.js";
import {
  isRetryableStatus,
  retryDelay,
  serverDelayMs,
  type AnswerHead,
  type RateWindow,
} from "./policy.js";

/** The limits of one call, all its attempts and waits: the client's, or a call's own. */
export type CallLimits = Config["defaults"]["limits"];

/** What every call of one client shares. */
export interface Shared {
  readonly config: Config;
  /** `undefined` with `rateLimit: "ignore"`. */
  readonly window: RateWindow | undefined;
  /** The middleware registered on the client (openapi-fetch's list holds the same). */
  readonly middleware: readonly object[];
}

/** openapi-fetch's `Request` for a call no middleware sees: `fetch` then builds the attempt's one real one. */
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

/** A call's final answer: openapi-fetch's result and the success body's text. */
type Answer<R> = { result: R; text: string };

// How far an attempt got, which tells what its failure means (see classify);
// past these it has an answer (middleware onResponse, the body, parsing).
const BUILDING = 0; // openapi-fetch serialising, middleware onRequest
const SENDING = 1; // fetch
const REFUSED = 2; // fetch threw at once: never an attempt's stage

/**
 * Sends one call. When `typed` (`run` uses `parseAs: "stream"`), its answer
 * holds the success body's text, and one not a success is thrown as a `NotteApiError`.
 * @param run - one attempt: an openapi-fetch call with the given `fetch`
 * @throws NotteError only
 */
export async function send<R extends { response: Response; error?: unknown }>(
  shared: Shared,
  limits: CallLimits,
  run: (fetch: (request: Request) => Promise<Response>) => Promise<R>,
  typed: boolean,
): Promise<Answer<R>> {
  const { config, window } = shared;
  const { redactor, log } = config;
  const { signal, timeoutMs, maxRetries, fetch } = limits;
  const maxBytes = limits.maxResponseBytes;
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
  const onTimeout = () => interrupt?.(new NotteTimeoutError(timeoutMs));
  /** Waits `ms`, or until `until` settles; the caller's abort ends it. */
  const pause = (ms: number, until?: Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const done = (): void => (clearTimeout(timer), resolve());
      const timer = setTimeout(done, ms);
      until?.then(done);
      interrupt = (reason) => (clearTimeout(timer), reject(reason));
      if (aborted) interrupt(aborted);
    }).finally(() => (interrupt = undefined));

  try {
    if (signal?.aborted) onAbort();
    if (signal) watchAbort(signal, onAbort);
  } catch (cause) {
    throw new NotteInvalidRequestError("signal must be an AbortSignal", {
      cause,
    });
  }
  try {
    if (aborted) throw aborted;
    let last: Answer<R> | NotteConnectionError | undefined;
    attempts: for (let retry = 0; ; retry++) {
      // Waits the API asks for never outlast the call's timeoutMs: none is slept past it.
      const now = Date.now();
      let closed = window?.wait(now) ?? 0;
      const deadline = now + timeoutMs;
      while (window && closed !== 0) {
        const left = deadline - Date.now();
        if (closed === Infinity && left <= 0) {
          // The API never said to wait: this was the client's own caution about a fresh window.
          closed = window.wait(Date.now(), true);
        } else if (closed !== Infinity && closed > left) {
          closed = Math.ceil(closed);
          log.error?.(
            `giving up: the API's rate-limit window stays closed ${closed} ms, more than timeoutMs`,
          );
          if (last) break attempts;
          const message = `the API's rate-limit window opens in ${closed} ms, after timeoutMs (${timeoutMs}); nothing was sent`;
          const headers = redactor.headers(window.closedBy);
          throw new NotteRateLimitError(429, headers, "", message, {
            retryAfterMs: closed,
          });
        } else {
          const ms = Math.min(closed, left);
          const why =
            closed === Infinity
              ? "for the answers in flight to tell the new rate-limit window"
              : "for the API's rate-limit window";
          log.info?.(`waiting up to ${Math.ceil(ms)} ms ${why}`);
          await pause(ms, window.changed());
          closed = window.wait(Date.now());
        }
      }
      last = await attempt(retry);
      const response =
        last instanceof NotteError ? undefined : last.result.response;
      if (response && !isRetryableStatus(response.status)) break;
      const reason = response
        ? `status ${response.status}`
        : (last as NotteError).name;
      const delay = retryDelay(retry, response);
      const windowMs = window?.closedFor(Date.now()) ?? 0;
      const stated = delay.stated ? delay.ms : 0;
      const tooLong = Math.max(stated, windowMs === Infinity ? 0 : windowMs);
      if (retry >= maxRetries || tooLong > timeoutMs) {
        const why =
          retry >= maxRetries
            ? ""
            : `: the API asks to wait ${Math.ceil(tooLong)} ms, more than timeoutMs`;
        log.error?.(`giving up after ${reason}${why}`, { attempts: retry + 1 });
        break;
      }
      log.warn?.(`retrying after ${reason} in ${Math.ceil(delay.ms)} ms`, {
        attempt: retry + 1,
      });
      await pause(delay.ms);
    }
    // The call's outcome from its last attempt: the answer, or what it failed with.
    if (last instanceof NotteError) throw last;
    const { response, error } = last.result;
    if (!typed || response.ok) return last;
    const retryAfterMs = serverDelayMs(response, Date.now());
    throw apiError(response, error ?? "", redactor, { retryAfterMs });
  } finally {
    try {
      if (signal) unwatchAbort(signal, onAbort);
    } catch {}
  }

  /** One attempt, counted by the window: its answer, or the connection error it failed with (others are thrown). */
  async function attempt(retry: number) {
    const controller = new AbortController();
    let stage = BUILDING;
    let answer: AnswerHead | undefined;
    const timer = setTimeout(onTimeout, timeoutMs);
    const attemptFetch = async (request: Request | PlainRequest) => {
      stage = SENDING;
      log.debug?.(`${request.method} ${request.url}`, { attempt: retry + 1 });
      if (aborted) throw aborted;
      // The key goes to the configured API only, whatever a middleware made of the URL.
      if (!request.url.startsWith(prefix))
        throw new NotteInvalidRequestError(
          "the request's URL is outside baseUrl",
        );
      const init = { signal: controller.signal };
      let response: Response;
      let sent = false;
      try {
        // A plain function call: Workers' fetch refuses another `this`.
        const pending =
          request instanceof PlainRequest
            ? fetch(request.url, Object.assign(request.init, init))
            : fetch(request, init);
        sent = true;
        response = await pending;
      } catch (error) {
        // Classified now, so that middleware's onError gets what the caller would.
        throw aborted ?? classify(error, sent ? SENDING : REFUSED, redactor);
      }
      if (!isResponse(response))
        throw new NotteConnectionError("fetch did not resolve to a Response");
      answer = { status: response.status, headers: response.headers };
      // A typed success no middleware sees is read below, by the loop alone.
      const direct = typed && response.ok && shared.middleware.length === 0;
      return direct ? response : capBody(response, maxBytes, redactor);
    };
    try {
      return await new Promise<Answer<R>>((resolve, reject) => {
        interrupt = (reason) => (controller.abort(reason), reject(reason));
        // An abort fired while the attempt was set up is not missed.
        if (aborted) return interrupt(aborted);
        run(attemptFetch)
          .then(async (result) => {
            const { response } = result;
            if (!typed || !response.ok) return { result, text: "" };
            const text = capOf(response)
              ? await response.text()
              : decoder.decode(await readBytes(response, maxBytes, redactor));
            return { result, text };
          })
          .then(resolve, reject);
      });
    } catch (thrown) {
      const failure = aborted ?? classify(thrown, stage, redactor, answer);
      // Free the connection of an attempt that is not read further.
      controller.abort(failure);
      if (!(failure instanceof NotteConnectionError)) throw failure;
      return failure;
    } finally {
      clearTimeout(timer);
      interrupt = undefined;
      window?.settled(answer, Date.now());
    }
  }
}

/**
 * What an attempt's failure means: before fetch, a bad request; in fetch, no
 * answer (worth a retry) unless fetch refused it; after, a body not JSON or a
 * middleware's doing. An error of this package stays as it is.
 */
function classify(
  error: unknown,
  stage: number,
  redactor: Redactor,
  answer?: AnswerHead,
): NotteError {
  if (error instanceof NotteError) return error;
  if (stage === BUILDING)
    return redactor.wrap(NotteInvalidRequestError, safeString(error), error);
  if (answer) {
    if (!(error instanceof SyntaxError))
      return redactor.wrap(NotteMiddlewareError, safeString(error), error);
    return apiError(answer, bodyTexts.get(answer.headers) ?? "", redactor, {
      message: `${answer.status} answer is not JSON`,
    });
  }
  // undici rejects a request it will not send (a header, a port) asynchronously, as if the network failed.
  const { code, message } =
    stage === SENDING && isRecord(error) && isRecord(error.cause)
      ? error.cause
      : {};
  const refused =
    stage === REFUSED ||
    /^UND_ERR_(NOT_SUPPORTED|INVALID_ARG)$/.test(String(code)) ||
    message === "bad port";
  const Kind = refused ? NotteInvalidRequestError : NotteConnectionError;
  const what = refused ? "fetch refused the request" : "Connection failed";
  return redactor.wrap(Kind, `${what}: ${describe(error)}`, error);
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
const caps = new WeakMap<object, { maxBytes: number; redactor: Redactor }>();

/** `response`, not copied, its body methods made to read at most `maxBytes` (by `Content-Length`, then as it streams). */
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
  caps.set(response, { maxBytes, redactor });
  Object.defineProperties(response, {
    text: { value: text },
    json: { value: async () => JSON.parse(await text()) as unknown },
    arrayBuffer: { value: async () => (await read()).slice().buffer },
    blob: { value: async () => new Blob([await read()], type) },
  });
  return response;
}

/** The cap of a Response {@link capBody} capped, for a Response a middleware returns in its place. */
export const capOf = (response: unknown) => caps.get(response as object);

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
  if (response.bodyUsed || body.locked)
    throw new NotteMiddlewareError(
      "a middleware read the answer's body without returning a Response",
    );
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
    const message = `the answer's body was cut off: ${describe(error)}`;
    throw redactor.wrap(NotteConnectionError, message, error);
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

// One `abort` listener per caller signal however many calls share it (Node warns
// past ten), removed with the last call; weakly keyed, as signals come and go.
class Calls extends Set<() => void> {
  readonly listener = (): void => this.forEach((call) => call());
}
const watchers = new WeakMap<AbortSignal, Calls>();

function watchAbort(signal: AbortSignal, onAbort: () => void): void {
  let calls = watchers.get(signal);
  if (!calls) {
    calls = new Calls();
    signal.addEventListener("abort", calls.listener, { once: true });
    watchers.set(signal, calls);
  }
  calls.add(onAbort);
}

function unwatchAbort(signal: AbortSignal, onAbort: () => void): void {
  const calls = watchers.get(signal);
  if (calls?.delete(onAbort) && calls.size === 0) {
    watchers.delete(signal);
    signal.removeEventListener("abort", calls.listener);
  }
}
