/**
 * A pull's first stages: load the upstream text (a URL or a file, within
 * limits) and parse it (JSON or YAML), saying clearly what a wrong body is.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import YAML, { type ScalarTag } from "yaml";
import {
  BIG_INTEGER_MARK,
  PipelineError,
  describeError,
  isRecord,
  type OpenApiDocument,
} from "./document.js";

/** Limits for {@link loadSource}, and where relative paths start. */
export interface LoadOptions {
  /** For a URL: connection, headers and body together. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly cwd: string;
}

/**
 * The text of an `http(s)://` or `file://` URL or a path (from `cwd`), and its
 * `origin` as messages show it (credentials, sent as Basic auth, and query hidden).
 *
 * @throws PipelineError when it cannot be read, answers non-2xx, takes longer
 *   than `timeoutMs` or is larger than `maxBytes`.
 */
export async function loadSource(
  source: string,
  options: LoadOptions,
): Promise<{ text: string; origin: string }> {
  if (/^https?:\/\//i.test(source)) return loadUrl(source, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^file:/i.test(source))
    throw new PipelineError(
      `unsupported source ${shown(source)}: use an http(s) URL or a file path`,
    );
  const path = /^file:/i.test(source)
    ? fileURLToPath(source)
    : resolve(options.cwd, source);
  // The size first: an enormous file is never read.
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new PipelineError(`${source} not found`);
    throw new PipelineError(`cannot read ${source}: ${describeError(error)}`);
  });
  if (!info.isFile()) throw new PipelineError(`${source} is not a file`);
  if (info.size > options.maxBytes) throw tooLarge(source, info.size, options);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new PipelineError(`cannot read ${source}: ${describeError(error)}`);
  });
  // The file may have grown between stat and read.
  if (bytes.byteLength > options.maxBytes)
    throw tooLarge(source, bytes.byteLength, options);
  return { text: decodeUtf8(bytes, source), origin: source };
}

/** A byte count for messages: `52428800 bytes (50 MB)`. */
export function formatBytes(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb < 1 ? `${bytes} bytes` : `${bytes} bytes (${+mb.toFixed(1)} MB)`;
}

/** A URL without credentials, `?…` for its query (a token may be there); else its scheme only. */
function shown(source: string): string {
  if (!URL.canParse(source)) return `${source.split(":")[0]}://…`;
  const { protocol, host, pathname, search } = new URL(source);
  return `${protocol}//${host}${pathname}${search ? "?…" : ""}`;
}

async function loadUrl(source: string, options: LoadOptions) {
  // The text may hold a password: not shown.
  if (!URL.canParse(source))
    throw new PipelineError("invalid URL given as the source");
  const url = new URL(source);
  const origin = shown(source);
  const accept = "application/json, application/yaml;q=0.9, */*;q=0.5";
  const headers: Record<string, string> = { accept };
  if (url.username !== "" || url.password !== "") {
    let user: string;
    try {
      user = [url.username, url.password].map(decodeURIComponent).join(":");
    } catch {
      throw new PipelineError(
        `the credentials in the source URL ${origin} are not valid percent-encoding (write % as %25)`,
      );
    }
    headers["authorization"] = `Basic ${Buffer.from(user).toString("base64")}`;
    url.username = url.password = "";
  }
  // One controller for the whole exchange: the timeout covers a stalled body.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let failure = `cannot reach ${origin}`;
  try {
    const { signal } = controller;
    const response = await fetch(url, { signal, redirect: "follow", headers });
    failure = `connection to ${origin} failed while reading the body`;
    // Content-Length refuses early; it can lie, so the bytes are counted too.
    const declared = Number(response.headers.get("content-length"));
    if (!response.ok || declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) throw tooLarge(origin, declared, options);
      const { status, statusText: text } = response;
      throw new PipelineError(
        `HTTP ${status}${text ? ` ${text}` : ""} from ${origin}`,
      );
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    // Leaving the loop by a throw cancels the body.
    for await (const chunk of response.body ?? []) {
      total += chunk.byteLength;
      if (total > options.maxBytes)
        throw new PipelineError(
          `${origin} is larger than ${formatBytes(options.maxBytes)} (the --max-bytes limit); stopped reading`,
        );
      chunks.push(chunk);
    }
    return { text: decodeUtf8(Buffer.concat(chunks), origin), origin };
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    if (controller.signal.aborted)
      throw new PipelineError(
        `timed out after ${options.timeoutMs} ms loading ${origin} (--timeout)`,
      );
    throw new PipelineError(`${failure}: ${describeError(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

function decodeUtf8(bytes: Uint8Array, origin: string): string {
  try {
    // fatal: a binary body fails here, not as a confusing parse error.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new PipelineError(`${origin} is not valid UTF-8 text`);
  }
}

function tooLarge(origin: string, size: number, options: LoadOptions) {
  return new PipelineError(
    `${origin} is ${formatBytes(size)}, over the ${formatBytes(options.maxBytes)} limit (--max-bytes)`,
  );
}

/** OpenAPI versions the pipeline accepts (those openapi-typescript and redocly both support). */
const SUPPORTED_VERSION = /^3\.[01]\.\d+$/;

/**
 * An OpenAPI 3.0/3.1 document from JSON (starting with `{` or `[`) or YAML;
 * integers beyond 2^53 as `bigint`s (see `jsonText`).
 *
 * @throws PipelineError naming `origin` (and for a syntax error, where).
 */
export function parseDocument(text: string, origin: string): OpenApiDocument {
  const fail = (message: string) => new PipelineError(`${origin} ${message}`);
  // A byte order mark is legal before YAML but not before JSON.
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const start = body.trimStart();
  if (start === "") throw fail("is empty");
  const page = /^<(!doctype\s+html|html)/i.test(start)
    ? "an HTML page"
    : "HTML or XML";
  if (start.startsWith("<"))
    throw fail(
      `is ${page}, not an OpenAPI document (starts with ${JSON.stringify(start.slice(0, 30))})`,
    );
  const value = (/^[[{]/.test(start) ? parseJson : parseYaml)(body, origin);
  if (!isRecord(value)) {
    const shown = Array.isArray(value)
      ? "an array"
      : typeof value === "string"
        ? `text ${JSON.stringify(value.slice(0, 40))}`
        : String(value);
    throw fail(`is not an OpenAPI document (it holds ${shown}, not an object)`);
  }
  if ("swagger" in value)
    throw fail(
      `is Swagger ${String(value["swagger"])}, not OpenAPI 3.x: convert it to OpenAPI 3 first`,
    );
  const { openapi: version, info, paths } = value;
  const keys = Object.keys(value).slice(0, 5).join(", ") || "none";
  if (version === undefined)
    throw fail(
      `is not an OpenAPI document (no "openapi" field; top-level keys: ${keys})`,
    );
  if (typeof version !== "string" || !SUPPORTED_VERSION.test(version))
    throw fail(
      `has unsupported OpenAPI version ${JSON.stringify(version)} (supported: 3.0.x and 3.1.x)`,
    );
  // The generated files' header and NOTTE_API_VERSION come from `info`.
  for (const field of ["title", "version"])
    if (!isRecord(info) || typeof info[field] !== "string")
      throw fail(
        `is not a valid OpenAPI document: info.${field} must be a string`,
      );
  if (paths !== undefined && !isRecord(paths))
    throw fail("is not a valid OpenAPI document: paths must be an object");
  return value;
}

/** Strings (skipped whole) and integers of 16 digits or more, not in a fraction or an exponent. */
const LONG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

function parseJson(text: string, origin: string): unknown {
  try {
    if (!/\d{16}/.test(text)) return JSON.parse(text) as unknown;
    // Integers JSON.parse would round travel as marked strings, then become bigints.
    const marked = text.replace(LONG_INTEGER, (token) =>
      token.startsWith('"') || typeof bigInteger(token) === "number"
        ? token
        : `"${BIG_INTEGER_MARK}${token}"`,
    );
    return JSON.parse(marked, (_key, value: unknown) =>
      typeof value === "string" && value.startsWith(BIG_INTEGER_MARK)
        ? bigInteger(value.slice(BIG_INTEGER_MARK.length))
        : value,
    ) as unknown;
  } catch (error) {
    // The position in the text as given, not as marked.
    let message = String(error instanceof Error ? error.message : error);
    try {
      JSON.parse(text);
    } catch (original) {
      if (original instanceof Error) message = original.message;
    }
    throw new PipelineError(
      `invalid JSON in ${origin}: ${message}${jsonPosition(text, message)}`,
    );
  }
}

/** ` (line L, column C)` of a JSON syntax error, from V8's offset or the ten characters it quotes each side. */
function jsonPosition(text: string, message: string): string {
  let offset = Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  const context = /, (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON$/.exec(
    message,
  );
  if (Number.isNaN(offset) && context !== null) {
    const [, before, snippet = "", after] = context;
    if (before !== undefined) offset = text.indexOf(snippet) + 10;
    else if (after !== undefined) offset = snippet.length - 10;
  }
  if (!(offset >= 0)) return "";
  const lines = text.slice(0, offset).split("\n");
  return ` (line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1})`;
}

/** An integer as written: a number if it is one exactly, else a bigint. */
function bigInteger(digits: string): number | bigint {
  return Number.isSafeInteger(Number(digits)) ? Number(digits) : BigInt(digits);
}

function parseYaml(text: string, origin: string): unknown {
  try {
    return YAML.parse(text, {
      // `<<: *anchor` merges; the default alias limit stops "billion laughs".
      merge: true,
      // Decimal integers beyond 2^53 as bigints, as JSON's (see parseJson).
      customTags: (tags) =>
        tags.map((tag) =>
          typeof tag === "object" &&
          tag.tag === "tag:yaml.org,2002:int" &&
          tag.format === undefined
            ? ({ ...tag, resolve: bigInteger } as ScalarTag)
            : tag,
        ),
    }) as unknown;
  } catch (error) {
    // The first line: "<what> at line L, column C:" (a code frame follows).
    const first = error instanceof Error ? error.message.split("\n")[0] : "";
    throw new PipelineError(
      `invalid YAML in ${origin}: ${(first || String(error)).replace(/:$/, "")}`,
    );
  }
}
