/**
 * Validation: what is kept is what must be valid. One walk over the
 * document finds what makes it unusable as a whole (no `info`, nesting past
 * any real document) and what only matters where it is used (a `$ref` that
 * resolves nowhere or into another file, an operationId used twice).
 *
 * The committed openapi.json must be valid throughout. An upstream document
 * is refused only for the first kind; the second is a warning, and pruning
 * refuses any such problem the kept operations reach. redocly then checks
 * the kept document once more, inside openapi-typescript.
 *
 * Deliberately not redocly's structural rules: most published documents
 * break a few of them (a trailing slash on a server URL, an unknown keyword)
 * without any effect on the types, and refusing them would make real APIs
 * unusable.
 */
import {
  PipelineError,
  decodeRef,
  encodeRef,
  forEachRef,
  getAt,
  isRecord,
  listOperations,
  type OpenApiDocument,
} from "./document.js";

/**
 * Checks that `doc` (the committed openapi.json) can be generated from.
 *
 * @throws PipelineError with the first problem, where it is (a JSON
 *   pointer) and how many more there are.
 */
export function validateDocument(doc: OpenApiDocument, origin: string): void {
  const problems = localProblems(doc, origin);
  const all = [...problems.refs, ...problems.ids];
  if (all.length === 0) return;
  const more =
    all.length > 1
      ? ` (and ${all.length - 1} more error${all.length > 2 ? "s" : ""})`
      : "";
  throw new PipelineError(
    `${origin} is not a valid OpenAPI document: ${all[0]}${more}`,
  );
}

/**
 * Checks an upstream document before it is pruned. What makes it unusable
 * throws; what only matters if the kept operations reach it is returned as
 * warnings (one line each), printed once pruning has succeeded.
 */
export function checkUpstream(doc: OpenApiDocument, origin: string): string[] {
  const { refs, ids } = localProblems(doc, origin);
  const warnings: string[] = [];
  const list = (items: string[], what: string): void => {
    if (items.length === 0) return;
    const more = items.length > 1 ? ", ..." : "";
    warnings.push(
      `${origin} has ${items.length} ${what}${items.length === 1 ? "" : "s"} (${items[0]}${more}), outside what the kept operations use: ignored`,
    );
  };
  list(refs, "unusable $ref");
  list(ids, "duplicate operationId");
  return warnings;
}

/**
 * Throws for what makes `doc` unusable as a whole; returns its references
 * that resolve nowhere or outside the document, and its operationIds used
 * again, one line each.
 */
function localProblems(
  doc: OpenApiDocument,
  origin: string,
): { refs: string[]; ids: string[] } {
  const info = doc["info"];
  for (const field of ["title", "version"] as const) {
    if (!isRecord(info) || typeof info[field] !== "string") {
      throw new PipelineError(
        `${origin} is not a valid OpenAPI document: info.${field} must be a string`,
      );
    }
  }
  if (doc["paths"] !== undefined && !isRecord(doc["paths"])) {
    throw new PipelineError(
      `${origin} is not a valid OpenAPI document: paths must be an object`,
    );
  }
  const refs: string[] = [];
  try {
    forEachRef(doc, (ref, at) => {
      const segments = decodeRef(ref);
      // External references are never followed: the committed openapi.json
      // must stand alone (a fresh clone has nothing else), and nothing may
      // read files or fetch URLs that a downloaded document names.
      if (segments === undefined)
        refs.push(
          `external $ref ${JSON.stringify(ref)} at ${encodeRef(at)}: only references inside the document (#/...) are supported; bundle the document first`,
        );
      else if (getAt(doc, segments) === undefined)
        refs.push(
          `Can't resolve $ref ${JSON.stringify(ref)} at ${encodeRef(at)}`,
        );
    });
  } catch (error) {
    if (error instanceof PipelineError)
      throw new PipelineError(`${origin} ${error.message}`, { cause: error });
    throw error;
  }
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const { container, key, method, operation } of listOperations(doc)) {
    const id = operation["operationId"];
    if (typeof id !== "string") continue;
    if (seen.has(id))
      ids.push(
        `Every operation must have a unique \`operationId\` (${JSON.stringify(id)} is used again) at ${encodeRef([container, key, method, "operationId"])}`,
      );
    seen.add(id);
  }
  return { refs, ids };
}
