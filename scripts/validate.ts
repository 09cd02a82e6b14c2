/**
 * Stage 3, validate: the document is OpenAPI 3.0/3.1 (see `parse`),
 * self-contained, has the `info` the pipeline prints, every `$ref` resolves,
 * and operationIds are unique. Pure, and fast: one walk over the document.
 *
 * What is kept is what must be valid. An upstream document is only checked
 * for what makes it unusable as a whole (no `info`, external references);
 * its broken references and duplicate ids are reported as warnings, and
 * pruning refuses any of them that the kept operations reach. The pruned
 * (or committed) document is then checked in full here, and once more by
 * redocly inside openapi-typescript when the types are emitted.
 *
 * Deliberately not redocly's structural rules ("minimal"/"struct"): most
 * published documents break a few of them (a trailing slash on a server URL,
 * an unknown keyword in a schema) without any effect on the generated types,
 * and refusing them would make real APIs unusable.
 */
import { PipelineError } from "./errors.js";
import {
  decodeRef,
  encodeRef,
  forEachRef,
  NestingError,
  getAt,
  isRecord,
  listOperations,
  type OpenApiDocument,
} from "./refs.js";

/**
 * Checks that `doc` can be generated from: see the module comment.
 *
 * @param doc - The parsed document (see `parseDocument`).
 * @param origin - Where it came from, for messages.
 * @throws PipelineError with the first problem found, its location (a JSON
 *   pointer) and how many more there are.
 */
export function validateDocument(doc: OpenApiDocument, origin: string): void {
  const problems = [...checkUsable(doc, origin), ...duplicateOperationIds(doc)];
  const [first] = problems;
  if (first === undefined) return;
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1} more error${problems.length > 2 ? "s" : ""})`
      : "";
  throw new PipelineError(
    `${origin} is not a valid OpenAPI document: ${first}${more}`,
  );
}

/**
 * Checks an upstream document before it is pruned: what makes it unusable
 * as a whole throws; what only matters if the kept operations reach it (a
 * broken reference, an operationId used twice) is returned, one line, for
 * the shell to print as a warning once pruning has succeeded.
 *
 * @throws PipelineError when `info` is missing or a reference is external.
 */
export function checkUpstream(
  doc: OpenApiDocument,
  origin: string,
): string | undefined {
  const refs = checkUsable(doc, origin);
  const ids = duplicateOperationIds(doc);
  const parts: string[] = [];
  if (refs.length > 0)
    parts.push(
      `${refs.length} $ref${refs.length === 1 ? "" : "s"} resolving nowhere (${refs[0]}${refs.length > 1 ? ", ..." : ""})`,
    );
  if (ids.length > 0)
    parts.push(
      `${ids.length} duplicate operationId${ids.length === 1 ? "" : "s"} (${ids[0]}${ids.length > 1 ? ", ..." : ""})`,
    );
  if (parts.length === 0) return undefined;
  return `${origin} has ${parts.join(" and ")}, outside what the kept operations use: ignored`;
}

/**
 * Refuses what makes a document unusable as a whole, and returns its
 * unresolved references (one walk over the document for both).
 *
 * External references are refused: the committed openapi.json must stand
 * alone (a fresh clone has nothing else), and nothing downstream (redocly
 * inside openapi-typescript) may read arbitrary files or fetch URLs named by
 * a downloaded document.
 */
function checkUsable(doc: OpenApiDocument, origin: string): string[] {
  checkInfo(doc, origin);
  const unresolved: string[] = [];
  try {
    forEachRef(doc, (ref, at) => {
      if (!ref.startsWith("#")) {
        throw new PipelineError(
          `${origin} has an external $ref ${JSON.stringify(ref)} at ${encodeRef(at)}: only references inside the document (#/...) are supported; bundle the document first`,
        );
      }
      const segments = decodeRef(ref);
      if (segments === undefined || getAt(doc, segments) === undefined) {
        unresolved.push(
          `Can't resolve $ref ${JSON.stringify(ref)} at ${encodeRef(at)}`,
        );
      }
    });
  } catch (error) {
    // The first walk over the whole upstream document: it names it.
    if (error instanceof NestingError)
      throw new PipelineError(`${origin} ${error.message}`, { cause: error });
    throw error;
  }
  return unresolved;
}

/** The generated files' header and `NOTTE_API_VERSION` come from `info`. */
function checkInfo(doc: OpenApiDocument, origin: string): void {
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
}

/** One line per operation whose operationId an earlier operation has. */
function duplicateOperationIds(doc: OpenApiDocument): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const { container, key, method, operation } of listOperations(doc)) {
    const id = operation["operationId"];
    if (typeof id !== "string") continue;
    if (seen.has(id)) {
      found.push(
        `Every operation must have a unique \`operationId\` (${JSON.stringify(id)} is used again) at ${encodeRef([container, key, method, "operationId"])}`,
      );
    }
    seen.add(id);
  }
  return found;
}
