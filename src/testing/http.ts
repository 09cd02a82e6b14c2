/**
 * Writing the test server's answers: the rate-limit headers every answer carries, and the
 * normal JSON answer.
 *
 * @packageDocumentation
 */

import type { ServerResponse } from "node:http";
import type { RequestRecord } from "./request.js";

/** The `X-RateLimit-*` values of one answer, and whether the request is over the limit. */
export interface RateHeaders {
  readonly limited: boolean;
  readonly limit: string;
  readonly remaining: string;
  /** Unix seconds, possibly fractional, when the window ends. */
  readonly reset: string;
  /** Milliseconds until the window ends (at least 1). */
  readonly retryAfterMs: number;
}

/** Content-Type of the server's JSON answers. */
export const JSON_TYPE = "application/json";
/** The `X-RateLimit-*` headers, to spread into an answer's headers. */
export function rateLimitHeaders(rate: RateHeaders): Record<string, string> {
  return {
    "X-RateLimit-Limit": rate.limit,
    "X-RateLimit-Remaining": rate.remaining,
    "X-RateLimit-Reset": rate.reset,
  };
}

/** Sends a JSON answer with the rate-limit headers; the normal path, one writeHead call. */
export function sendJson(
  res: ServerResponse,
  record: RequestRecord,
  status: number,
  rate: RateHeaders,
  body: string,
  extra?: Record<string, string>,
): void {
  record.status = status;
  res.writeHead(status, {
    "Content-Type": JSON_TYPE,
    "Content-Length": Buffer.byteLength(body),
    ...rateLimitHeaders(rate),
    ...extra,
  });
  res.end(body);
}
