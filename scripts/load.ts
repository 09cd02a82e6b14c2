/**
 * Stage 1, load: the upstream document's text, from a URL or a file, within a
 * time limit and a size limit. The only stage (with `write`) that touches the
 * outside world.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PipelineError, describeError } from "./errors.js";

/** Limits for {@link loadSource}. */
export interface LoadOptions {
  /** Give up on a URL after this many milliseconds (connection, headers and body together). */
  readonly timeoutMs: number;
  /** Refuse a document larger than this many bytes (after decompression). */
  readonly maxBytes: number;
  /** Directory that relative file paths are resolved against. */
  readonly cwd: string;
}

/** What {@link loadSource} read. */
export interface LoadedSource {
  /** The document text (UTF-8 decoded, byte order mark removed). */
  readonly text: string;
  /** The source as shown in messages: the URL (without credentials) or the file path as given. */
  readonly origin: string;
}

/** Whether `source` names a URL rather than a file (`http:`/`https:`; `file:` URLs count as files). */
export function isHttpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Reads the document named by `source`: an `http(s)://` URL, a `file://` URL,
 * or a file path (relative to `options.cwd`).
 *
 * @throws PipelineError when the source cannot be read, answers with a non-2xx
 *   status, takes longer than `timeoutMs`, or is larger than `maxBytes`.
 */
export async function loadSource(
  source: string,
  options: LoadOptions,
): Promise<LoadedSource> {
  if (isHttpUrl(source)) return loadUrl(source, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^file:/i.test(source)) {
    throw new PipelineError(
      `unsupported source ${source}: use an http(s) URL or a file path`,
    );
  }
  return loadFile(source, options);
}

/** Formats a byte count for messages: `52428800 bytes (50 MB)`. */
export function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${bytes} bytes (${Number(mb.toFixed(1))} MB)`;
  return `${bytes} bytes`;
}

async function loadFile(
  source: string,
  options: LoadOptions,
): Promise<LoadedSource> {
  let path: string;
  try {
    path = /^file:/i.test(source)
      ? fileURLToPath(source)
      : resolve(options.cwd, source);
  } catch (error) {
    throw new PipelineError(
      `invalid file URL ${source}: ${describeError(error)}`,
    );
  }
  let bytes: Buffer;
  try {
    // Check the size first so an enormous file is never read into memory.
    const info = await stat(path);
    if (!info.isFile()) throw new PipelineError(`${source} is not a file`);
    if (info.size > options.maxBytes)
      throw tooLarge(source, info.size, options);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new PipelineError(`${source} not found`);
    throw new PipelineError(`cannot read ${source}: ${describeError(error)}`, {
      cause: error,
    });
  }
  // The file may have grown between stat and read.
  if (bytes.byteLength > options.maxBytes) {
    throw tooLarge(source, bytes.byteLength, options);
  }
  return { text: decodeUtf8(bytes, source), origin: source };
}

async function loadUrl(
  source: string,
  options: LoadOptions,
): Promise<LoadedSource> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new PipelineError(`invalid URL ${source}`);
  }
  const origin = redactUrl(url);
  // One controller for the whole exchange: the timeout covers a server that
  // accepts the connection and then never answers, or stalls mid-body.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        signal: controller.signal,
        redirect: "follow",
        headers: {
          accept:
            "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5",
        },
      });
    } catch (error) {
      if (timedOut) throw timeout(origin, options);
      throw new PipelineError(
        `cannot reach ${origin}: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const reason = response.statusText ? ` ${response.statusText}` : "";
      throw new PipelineError(
        `HTTP ${response.status}${reason} from ${origin}`,
      );
    }
    // Content-Length lets us refuse early; it can lie or be absent, so the
    // streamed bytes are counted as well.
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(origin, declared, options);
    }
    const bytes = await readLimited(response, origin, options, () => timedOut);
    return { text: decodeUtf8(bytes, origin), origin };
  } finally {
    clearTimeout(timer);
  }
}

async function readLimited(
  response: Response,
  origin: string,
  options: LoadOptions,
  timedOut: () => boolean,
): Promise<Uint8Array> {
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new PipelineError(
          `${origin} is larger than ${formatBytes(options.maxBytes)} (the --max-bytes limit); stopped reading`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    if (timedOut()) throw timeout(origin, options);
    throw new PipelineError(
      `connection to ${origin} failed while reading the body: ${describeError(error)}`,
      { cause: error },
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function decodeUtf8(bytes: Uint8Array, origin: string): string {
  try {
    // fatal: a binary or mis-encoded body fails here with a clear message
    // instead of turning into a confusing parse error later.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new PipelineError(`${origin} is not valid UTF-8 text`);
  }
}

function tooLarge(
  origin: string,
  size: number,
  options: LoadOptions,
): PipelineError {
  return new PipelineError(
    `${origin} is ${formatBytes(size)}, over the ${formatBytes(options.maxBytes)} limit (--max-bytes)`,
  );
}

function timeout(origin: string, options: LoadOptions): PipelineError {
  return new PipelineError(
    `timed out after ${options.timeoutMs} ms loading ${origin} (--timeout)`,
  );
}

/** The URL without a password, which must never reach a terminal or a CI log. */
function redactUrl(url: URL): string {
  if (url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}
