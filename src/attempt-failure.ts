import {
  NotteApiError,
  NotteConnectionError,
  NotteError,
  NotteInvalidRequestError,
  NotteMiddlewareError,
} from "./errors.js";
import { redact } from "./redact.js";
import { safeString } from "./values.js";

// How far an attempt got, which tells what a failure means.
export const BUILDING = 0; // openapi-fetch serialising, middleware onRequest: a bad request
export const SENDING = 1; // fetch, and a failure's body read inside it: no answer
export const ANSWERED = 2; // middleware onResponse, openapi-fetch parsing
export const READING = 3; // the loop reading a success body: cut off

/** How far an attempt got: one of the stages above. */
export type Stage =
  typeof BUILDING | typeof SENDING | typeof ANSWERED | typeof READING;

/**
 * What an attempt's failure means to the caller, from how far it got (its
 * timer and the caller's abort are the attempt loop's to tell): an error of
 * this package passes as it is; before fetch, a request that could not be
 * built; from fetch on, no answer (a connection error, worth a retry); after
 * the answer, a body openapi-fetch could not parse, or a middleware's doing.
 * Every text is redacted of `secret`.
 *
 * @param error - what was thrown, its key already redacted
 * @param stage - how far the attempt got
 * @param answer - the answer fetch gave, when it gave one
 * @param answerText - that answer's body, when it was read
 * @param secret - the API key
 */
export function attemptFailure(
  error: unknown,
  stage: Stage,
  answer: Response | undefined,
  answerText: string,
  secret: string,
): NotteError {
  if (error instanceof NotteError) return error;
  const text = redact(safeString(error), secret);
  if (stage === BUILDING)
    return new NotteInvalidRequestError(text, { cause: error });
  if (stage !== ANSWERED || answer === undefined) {
    return new NotteConnectionError(
      redact(`Connection failed: ${describeCause(error)}`, secret),
      {
        cause: error,
      },
    );
  }
  // After the answer, openapi-fetch only parses it; anything else is a middleware's doing.
  return error instanceof SyntaxError
    ? new NotteApiError(
        answer.status,
        answer.headers,
        answerText,
        "answer is not JSON",
        secret,
      )
    : new NotteMiddlewareError(text, { cause: error });
}

// undici says "fetch failed" and puts the real reason (ECONNREFUSED, …) in `cause`.
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error
    ? `${safeString(error)}: ${safeString(cause.message)}`
    : safeString(error);
}
