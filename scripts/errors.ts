/**
 * The one error type of the generation pipeline.
 *
 * Every stage throws a {@link PipelineError} for a failure the user can act on
 * (a bad source, an invalid document, an unknown operation...). The shell in
 * `generate.ts` prints its message as a single line and exits non-zero, so the
 * message has to carry everything: what went wrong and where.
 */
export class PipelineError extends Error {
  override readonly name = "PipelineError";

  /**
   * @param message - What went wrong and where, e.g.
   *   `HTTP 404 Not Found from https://example.test/openapi.json`. Line breaks
   *   are folded into spaces: the shell promises one line on stderr.
   * @param options - `cause`: the underlying error, kept for debugging only.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(oneLine(message), options);
  }
}

/** Collapses every run of whitespace (line breaks included) into one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Describes any thrown value in one line, for messages that wrap a cause. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // Node's fetch hides the useful part ("connect ECONNREFUSED ...") in `cause`.
    const cause = error.cause;
    const detail =
      cause instanceof Error && cause.message !== ""
        ? `: ${cause.message}`
        : "";
    return oneLine(`${error.message}${detail}`);
  }
  return oneLine(String(error));
}
