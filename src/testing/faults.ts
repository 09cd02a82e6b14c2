/**
 * Injected faults: checking one when it is queued, the queue itself, and writing a faulty
 * answer (a given status, a body cut off or stalled). Delays and hangs are timing, handled by
 * the server that owns the timers.
 *
 * @packageDocumentation
 */

import {
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
  type ServerResponse,
} from "node:http";
import { JSON_TYPE } from "./api.js";
import { rateLimitHeaders, type RateHeaders } from "./rate-limit.js";
import type { RequestRecord } from "./request.js";
import type { NotteTestFault } from "./types.js";

interface QueuedFault {
  readonly fault: NotteTestFault;
  remaining: number;
}

/** Faults in the order they were queued, each for its number of requests. */
export class FaultQueue {
  #queue: QueuedFault[] = [];

  /** Checks the fault (throwing in the test, not in the server) and queues a copy. */
  push(fault: NotteTestFault): void {
    const checked = checkFault(fault);
    this.#queue.push({ fault: checked, remaining: checked.times ?? 1 });
  }

  /** The fault for the request that just arrived, if any. */
  take(): NotteTestFault | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.#queue.shift();
    return head.fault;
  }

  /** How many requests the queued faults will still affect. */
  get pending(): number {
    let n = 0;
    for (const queued of this.#queue) n += queued.remaining;
    return n;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#queue = [];
  }
}

/** Whether the fault writes its own answer (rather than only delaying the normal one). */
export function answersItself(fault: NotteTestFault): boolean {
  return (
    fault.status !== undefined ||
    fault.truncate === true ||
    fault.stall === true
  );
}

/** Writes the fault's answer: a status with its headers and body, or a truncated body. */
export function sendFaultAnswer(
  res: ServerResponse,
  record: RequestRecord,
  fault: NotteTestFault,
  rate: RateHeaders,
): void {
  if (fault.truncate === true || fault.stall === true) {
    sendTruncated(res, record, fault, rate);
    return;
  }
  const status = fault.status ?? 200;
  // 204 and 304 cannot carry a body, whatever the fault says.
  const noBody = status === 204 || status === 304;
  const { text, json } = noBody
    ? { text: "", json: false }
    : faultBody(fault, status);
  setFaultHeaders(
    res,
    rate,
    json ? JSON_TYPE : undefined,
    noBody ? undefined : Buffer.byteLength(text),
    fault,
  );
  record.status = status;
  res.writeHead(status);
  res.end(noBody ? undefined : text);
}

/** Sets the headers of a fault answer; the fault's own headers win over ours. */
function setFaultHeaders(
  res: ServerResponse,
  rate: RateHeaders,
  contentType: string | undefined,
  length: number | undefined,
  fault: NotteTestFault,
): void {
  for (const [name, value] of Object.entries(rateLimitHeaders(rate)))
    res.setHeader(name, value);
  if (contentType !== undefined) res.setHeader("Content-Type", contentType);
  if (length !== undefined) res.setHeader("Content-Length", length);
  if (fault.headers !== undefined) {
    // setHeader matches names case-insensitively, so these replace ours rather than
    // duplicating them.
    for (const [name, value] of Object.entries(fault.headers))
      res.setHeader(name, value);
  }
}

function faultBody(
  fault: NotteTestFault,
  status: number,
): { text: string; json: boolean } {
  if (fault.body !== undefined) {
    return typeof fault.body === "string"
      ? { text: fault.body, json: false }
      : { text: JSON.stringify(fault.body), json: true };
  }
  if (status >= 400) {
    return {
      text: JSON.stringify({ message: STATUS_CODES[status] ?? "Error" }),
      json: true,
    };
  }
  return { text: "", json: false };
}

/** Default body of a truncated answer: something shaped like a real stop answer. */
const TRUNCATED_DEFAULT = JSON.stringify({
  agent_id: "truncated",
  session_id: "truncated",
  task: "this answer is cut off before its end",
  status: "closed",
  created_at: "2025-01-01T00:00:00.000Z",
  closed_at: "2025-01-01T00:00:01.000Z",
  saved: false,
  url: null,
  success: null,
  answer: null,
  steps: [],
});

function sendTruncated(
  res: ServerResponse,
  record: RequestRecord,
  fault: NotteTestFault,
  rate: RateHeaders,
): void {
  const status = fault.status ?? 200;
  const { text, json } =
    fault.body !== undefined
      ? faultBody(fault, status)
      : { text: TRUNCATED_DEFAULT, json: true };
  const full = Buffer.from(text, "utf8");
  const part = full.subarray(0, Math.ceil(full.length / 2));
  // Announce at least one byte more than is sent, even for a tiny body.
  const announced = Math.max(full.length, part.length + 1);
  setFaultHeaders(res, rate, json ? JSON_TYPE : undefined, announced, fault);
  record.status = status;
  res.writeHead(status);
  res.flushHeaders();
  const socket = res.socket;
  if (part.length > 0) res.write(part);
  // A stalled body sends nothing more; close() destroys the socket in the end.
  if (fault.stall === true) return;
  // end() flushes what was written, then closes; the client sees the body stop short.
  socket?.end(() => socket.destroy());
}

/** Validates a fault when queued, so mistakes throw in the test rather than in the server. */
function checkFault(fault: NotteTestFault): NotteTestFault {
  const kinds = [fault.hang, fault.drop, fault.truncate, fault.stall].filter(
    (k) => k === true,
  ).length;
  if (kinds > 1)
    throw new TypeError(
      "a fault can only be one of hang, drop, truncate and stall",
    );
  if (
    kinds === 0 &&
    fault.status === undefined &&
    fault.delayMs === undefined
  ) {
    throw new TypeError(
      "a fault needs status, delayMs, hang, drop, truncate or stall",
    );
  }
  if (
    fault.status !== undefined &&
    (!Number.isInteger(fault.status) ||
      fault.status < 200 ||
      fault.status > 599)
  ) {
    throw new RangeError("fault.status must be an integer from 200 to 599");
  }
  if (
    fault.delayMs !== undefined &&
    (!Number.isFinite(fault.delayMs) ||
      fault.delayMs < 0 ||
      fault.delayMs > 2_147_483_647)
  ) {
    throw new RangeError(
      "fault.delayMs must be a non-negative number of milliseconds",
    );
  }
  if (
    fault.times !== undefined &&
    (!Number.isSafeInteger(fault.times) || fault.times < 1)
  ) {
    throw new RangeError("fault.times must be a positive integer");
  }
  if (fault.headers !== undefined) {
    for (const [name, value] of Object.entries(fault.headers)) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    }
  }
  if (fault.body !== undefined && typeof fault.body !== "string") {
    // Fails now (cycles, BigInt) instead of inside the request handler.
    JSON.stringify(fault.body);
  }
  // A copy, so later changes by the caller do not alter what was queued.
  return { ...fault, ...(fault.headers && { headers: { ...fault.headers } }) };
}
