import { NotteResponseTooLargeError } from "./errors.js";
import { ignore } from "./quietly.js";

const decoder = new TextDecoder();

/**
 * The answer's body as text, read to its end but never past `maxBytes`:
 * beyond that (by `Content-Length`, or counted while it streams) reading
 * stops, the body is cancelled and a {@link NotteResponseTooLargeError} is
 * thrown (its headers with `secret` redacted). Memory stays within about `maxBytes`.
 */
export async function readCappedText(
  response: Response,
  maxBytes: number,
  secret: string,
): Promise<string> {
  const { body, status, headers } = response;
  const tooLarge = (): NotteResponseTooLargeError =>
    new NotteResponseTooLargeError(status, headers, maxBytes, secret);
  if (Number(headers.get("content-length")) > maxBytes) {
    body?.cancel().catch(ignore);
    throw tooLarge();
  }
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(ignore);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(all);
}

/** A body's JSON when it is JSON, else its text as is (`""` when empty). */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
