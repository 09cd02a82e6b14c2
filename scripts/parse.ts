/**
 * Stage 2, parse: document text → JSON object, with a clear message for the
 * usual wrong bodies (an HTML error page, plain text, Swagger 2.0, a JSON
 * value that is not a document). Pure.
 */
import YAML from "yaml";
import { PipelineError } from "./errors.js";
import { isRecord, type OpenApiDocument } from "./refs.js";

/** OpenAPI versions the pipeline accepts (those openapi-typescript and redocly both support). */
const SUPPORTED_VERSION = /^3\.[01]\.\d+$/;

/**
 * Parses JSON or YAML text into an OpenAPI 3.0/3.1 document object.
 *
 * JSON is recognised by its first character (`{` or `[`); anything else is
 * read as YAML (which is also how most tools tell them apart).
 *
 * @param text - The document text.
 * @param origin - Where it came from, for messages (URL or file path).
 * @throws PipelineError naming `origin` and, for syntax errors, the line and column.
 */
export function parseDocument(text: string, origin: string): OpenApiDocument {
  // A byte order mark is legal before YAML but not before JSON.
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const start = body.trimStart();
  if (start === "") throw new PipelineError(`${origin} is empty`);
  if (start.startsWith("<")) {
    const what = /^<(!doctype\s+html|html)/i.test(start)
      ? "an HTML page"
      : "HTML or XML";
    throw new PipelineError(
      `${origin} is ${what}, not an OpenAPI document (starts with ${JSON.stringify(start.slice(0, 30))})`,
    );
  }
  const value =
    start.startsWith("{") || start.startsWith("[")
      ? parseJson(body, origin)
      : parseYaml(body, origin);
  return checkOpenApi(value, origin);
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PipelineError(
      `invalid JSON in ${origin}: ${message}${jsonPosition(text, message)}`,
    );
  }
}

/**
 * Where the JSON error is, as line and column. V8 reports a character offset
 * for some errors ("at position 42") and only a snippet for others, so the
 * offset comes from {@link jsonErrorOffset} when V8 does not give one.
 */
function jsonPosition(text: string, message: string): string {
  const match = /at position (\d+)/.exec(message);
  const offset =
    match?.[1] !== undefined ? Number(match[1]) : jsonErrorOffset(text);
  if (offset === undefined) return "";
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return ` (line ${line}, column ${column})`;
}

/**
 * The offset of the first syntax error in `text`, found by a minimal JSON
 * recognizer (only run once JSON.parse has failed), or `undefined` if it
 * finds none.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const literal = (word: string): void => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        if (text.charAt(i) === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text.charAt(i)) || i >= text.length) {
          fail();
        }
      }
      i++;
    }
    i++; // closing quote
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(
      text.slice(i, i + 400),
    );
    if (match === null || match[0] === "" || match[0] === "-") fail();
    i += match?.[0].length ?? 0;
  };
  const value = (): void => {
    ws();
    const c = text.charAt(i);
    if (c === "{") {
      i++;
      ws();
      if (text.charAt(i) === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text.charAt(i) !== '"') fail();
        string();
        ws();
        if (text.charAt(i) !== ":") fail();
        i++;
        value();
        ws();
        if (text.charAt(i) === ",") i++;
        else if (text.charAt(i) === "}") {
          i++;
          return;
        } else fail();
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text.charAt(i) === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text.charAt(i) === ",") i++;
        else if (text.charAt(i) === "]") {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (offset) {
    if (typeof offset === "number") return offset;
    throw offset;
  }
}

function parseYaml(text: string, origin: string): unknown {
  try {
    // merge: some hand-written specs share blocks with `<<: *anchor`.
    // The default alias limit stays on: it stops "billion laughs" bodies.
    return YAML.parse(text, { merge: true }) as unknown;
  } catch (error) {
    if (error instanceof YAML.YAMLError) {
      // yaml's message is "<what> at line L, column C:" followed by a code
      // frame on further lines; the first line is the part worth printing.
      const first = (error.message.split("\n")[0] ?? "").replace(/:$/, "");
      throw new PipelineError(`invalid YAML in ${origin}: ${first}`);
    }
    throw new PipelineError(
      `invalid YAML in ${origin}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function checkOpenApi(value: unknown, origin: string): OpenApiDocument {
  if (!isRecord(value)) {
    const shown =
      typeof value === "string"
        ? `text ${JSON.stringify(value.slice(0, 40))}`
        : Array.isArray(value)
          ? "an array"
          : `${JSON.stringify(value)}`;
    throw new PipelineError(
      `${origin} is not an OpenAPI document (it holds ${shown}, not an object)`,
    );
  }
  if ("swagger" in value) {
    throw new PipelineError(
      `${origin} is Swagger ${String(value["swagger"])}, not OpenAPI 3.x: convert it to OpenAPI 3 first`,
    );
  }
  const version = value["openapi"];
  if (version === undefined) {
    const keys = Object.keys(value).slice(0, 5).join(", ");
    throw new PipelineError(
      `${origin} is not an OpenAPI document (no "openapi" field; top-level keys: ${keys || "none"})`,
    );
  }
  if (typeof version !== "string" || !SUPPORTED_VERSION.test(version)) {
    throw new PipelineError(
      `${origin} has unsupported OpenAPI version ${JSON.stringify(version)} (supported: 3.0.x and 3.1.x)`,
    );
  }
  return value;
}
