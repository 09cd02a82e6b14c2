/**
 * What a request says (route, query, bearer token) and how the request log records it: every
 * secret redacted, whoever sent it where.
 *
 * @packageDocumentation
 */

import type { IncomingMessage } from "node:http";
import type { NotteTestFault } from "./types.js";

/** The mutable record behind a logged request (`NotteTestRequest`). */
export interface RequestRecord {
  method: string;
  path: string;
  pathname: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  authorized: boolean;
  agentId: string | undefined;
  body: string;
  time: number;
  fault: NotteTestFault | undefined;
  rateLimited: boolean;
  status: number | undefined;
}

/** The API's routes the test server plays, by operation id. */
type ApiRoute = "agent_stop" | "agent_status";

/** What the API's behaviour reads of a request: real values, never the redacted log's. */
export interface ApiRequest {
  readonly method: string;
  /** The route the path names, whatever the method, or undefined for any other path. */
  readonly route: ApiRoute | undefined;
  /** The decoded agent id when the path is one of the routes, otherwise undefined. */
  readonly agentId: string | undefined;
  /** The `session_id` query parameter, decoded, when given. */
  readonly sessionId: string | undefined;
  /** Whether the key was presented exactly as `Bearer <key>`. */
  readonly authorized: boolean;
  /** Whether a non-empty `Authorization` header was sent at all. */
  readonly authorizationSent: boolean;
}

/** The mark that replaces a secret in the request log. */
const REDACTED = "[redacted]";

const AGENTS_PREFIX = "/agents/";
const STOP_SUFFIX = "/stop";

/**
 * Replaces each secret, as written and percent-encoded, with {@link REDACTED}. Empty secrets
 * are skipped; longer ones go first so a key containing another is replaced whole.
 */
export function redactSecrets(
  text: string,
  secrets: readonly string[],
): string {
  let result = text;
  const forms = secrets
    .filter((secret) => secret !== "")
    .flatMap((secret) => [secret, encodeURIComponent(secret)])
    .sort((a, b) => b.length - a.length);
  for (const form of forms) {
    if (result.includes(form)) result = result.split(form).join(REDACTED);
  }
  return result;
}

/**
 * The route of `/agents/{agent_id}/stop` or `/agents/{agent_id}` (the id exactly one non-empty
 * segment) and the decoded id, or undefined for any other path.
 */
function matchRoute(
  pathname: string,
): { route: ApiRoute; agentId: string } | undefined {
  if (!pathname.startsWith(AGENTS_PREFIX)) return undefined;
  const rest = pathname.slice(AGENTS_PREFIX.length);
  const stop = rest.endsWith(STOP_SUFFIX);
  const segment = stop ? rest.slice(0, -STOP_SUFFIX.length) : rest;
  if (segment === "" || segment.includes("/")) return undefined;
  let agentId: string;
  try {
    agentId = decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%zz`) is kept as written, as uvicorn does.
    agentId = segment;
  }
  return { route: stop ? "agent_stop" : "agent_status", agentId };
}

/** Query parameters, decoded; the last value of a repeated name wins. */
function parseQuery(raw: string): Record<string, string> {
  // No prototype: a parameter named `__proto__` must be just a parameter.
  const query = Object.create(null) as Record<string, string>;
  if (raw === "") return query;
  for (const [name, value] of new URLSearchParams(raw)) query[name] = value;
  return query;
}

/**
 * The request's headers with lower-case names, repeated ones joined with ", ", the whole
 * `authorization` value replaced by {@link REDACTED} and the secrets redacted from the rest.
 */
function loggedHeaders(
  req: IncomingMessage,
  secrets: readonly string[],
): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : value;
    headers[name] =
      name === "authorization"
        ? text === ""
          ? ""
          : REDACTED
        : redactSecrets(text, secrets);
  }
  return headers;
}

/** The token of `Bearer <token>` (scheme case-insensitive, as FastAPI reads it), or undefined. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(" ");
  if (space === -1 || header.slice(0, space).toLowerCase() !== "bearer")
    return undefined;
  // Like FastAPI, everything after the first space is the token, spaces included.
  return header.slice(space + 1);
}

/** A request as read on arrival: what the API acts on, and what the log keeps. */
interface ArrivedRequest {
  readonly request: ApiRequest;
  /** The log's copy, with every secret redacted; the body is filled in once read. */
  readonly record: RequestRecord;
  /** Whose rate-limit window the request counts in: the presented token, or "" for none. */
  readonly rateKey: string;
  /** What must never reach the log: the server's key, and the token presented. */
  readonly secrets: readonly string[];
}

// A presented token shorter than this is not treated as a secret to redact (a test's
// "wrong" key would otherwise blank out ordinary words of the log).
const MIN_REDACTED_TOKEN_LENGTH = 8;

/** Reads a request's line and headers (not its body) when it arrives. */
export function readRequest(
  req: IncomingMessage,
  apiKey: string,
  time: number,
): ArrivedRequest {
  const authorization = req.headers.authorization;
  const token = bearerToken(authorization);
  const path = req.url ?? "/";
  const q = path.indexOf("?");
  const pathname = q === -1 ? path : path.slice(0, q);
  const query = parseQuery(q === -1 ? "" : path.slice(q + 1));
  const matched = matchRoute(pathname);
  const request: ApiRequest = {
    method: req.method ?? "GET",
    route: matched?.route,
    agentId: matched?.agentId,
    sessionId: query.session_id,
    authorized: token === apiKey,
    authorizationSent: authorization !== undefined && authorization !== "",
  };
  const secrets = [apiKey];
  if (token !== undefined && token.length >= MIN_REDACTED_TOKEN_LENGTH)
    secrets.push(token);
  const loggedQuery = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(query))
    loggedQuery[redactSecrets(name, secrets)] = redactSecrets(value, secrets);
  const record: RequestRecord = {
    method: request.method,
    path: redactSecrets(path, secrets),
    pathname: redactSecrets(pathname, secrets),
    query: loggedQuery,
    headers: loggedHeaders(req, secrets),
    authorized: request.authorized,
    agentId:
      request.agentId === undefined
        ? undefined
        : redactSecrets(request.agentId, secrets),
    body: "",
    time,
    fault: undefined,
    rateLimited: false,
    status: undefined,
  };
  return { request, record, rateKey: token ?? authorization ?? "", secrets };
}
