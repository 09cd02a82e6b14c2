/**
 * Stage 3, validate: the document is OpenAPI 3.0/3.1 (see `parse`),
 * self-contained, has the `info` the pipeline prints, and every `$ref`
 * resolves, with operationIds unique. The reference checks are redocly's
 * (@redocly/openapi-core, the linter openapi-typescript itself runs).
 *
 * Deliberately not redocly's structural rules ("minimal"/"struct"): most
 * published documents break a few of them (a trailing slash on a server URL,
 * an unknown keyword in a schema) without any effect on the generated types,
 * and refusing them would make real APIs unusable.
 */
import {
  BaseResolver,
  Source,
  createConfig,
  lintDocument,
  type Config,
  type NormalizedProblem,
} from "@redocly/openapi-core";
import { PipelineError } from "./errors.js";
import {
  decodeRef,
  encodeRef,
  forEachRef,
  getAt,
  isRecord,
  type OpenApiDocument,
} from "./refs.js";

let configPromise: Promise<Config> | undefined;

/**
 * The redocly configuration shared by `validate` and `emit` (which hands it
 * to openapi-typescript, so its own lint applies the same rules): unresolved
 * references and duplicate operationIds are errors, nothing else is checked.
 * Built once per process because building it is not free.
 */
export function redoclyConfig(): Promise<Config> {
  configPromise ??= createConfig({
    rules: {
      "no-unresolved-refs": "error",
      "operation-operationId-unique": "error",
    },
  });
  return configPromise;
}

/**
 * Checks that `doc` can be pruned and generated from.
 *
 * @param doc - The parsed document (see `parseDocument`).
 * @param origin - Where it came from, for messages.
 * @param text - The original text, if any; redocly only uses it for locations.
 * @throws PipelineError with the first error found, its location (a JSON
 *   pointer) and how many more there are.
 */
export async function validateDocument(
  doc: OpenApiDocument,
  origin: string,
  text?: string,
): Promise<void> {
  checkInfo(doc, origin);
  rejectExternalRefs(doc, origin);
  const config = await redoclyConfig();
  const problems = await lintDocument({
    document: {
      source: new Source(
        origin,
        text ?? JSON.stringify(doc),
        "application/json",
      ),
      parsed: doc,
    },
    config: config.styleguide,
    externalRefResolver: new BaseResolver(config.resolve),
  });
  const errors = problems.filter((p) => p.severity === "error" && !p.ignored);
  const first = errors[0];
  if (first === undefined) return;
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})`
      : "";
  throw new PipelineError(
    `${origin} is not a valid OpenAPI document: ${describeProblem(first, doc)}${more}`,
  );
}

function describeProblem(problem: NormalizedProblem, doc: unknown): string {
  const pointer = problem.location[0]?.pointer;
  let message = problem.message.replace(/\.$/, "");
  if (pointer === undefined) return message;
  // "Can't resolve $ref" alone does not say which one; the pointer leads to it.
  if (problem.ruleId === "no-unresolved-refs") {
    const segments = decodeRef(pointer);
    const holder = segments === undefined ? undefined : getAt(doc, segments);
    if (isRecord(holder) && typeof holder["$ref"] === "string") {
      message = `${message} ${JSON.stringify(holder["$ref"])}`;
    }
  }
  // redocly points a duplicate operationId at ".../post/<the id>"; point at
  // the field instead, and say which id it is.
  if (problem.ruleId === "operation-operationId-unique") {
    const segments = decodeRef(pointer);
    const id = segments?.at(-1);
    const operation = segments && getAt(doc, segments.slice(0, -1));
    if (
      id !== undefined &&
      isRecord(operation) &&
      operation["operationId"] === id
    ) {
      return `${message} (${JSON.stringify(id)} is used again) at ${encodeRef([...(segments ?? []).slice(0, -1), "operationId"])}`;
    }
  }
  return `${message} at ${pointer}`;
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

/**
 * Refuses references to other files or URLs: the committed openapi.json must
 * stand alone (a fresh clone has nothing else), and validating must not make
 * redocly read arbitrary files or fetch URLs named by a downloaded document.
 */
function rejectExternalRefs(doc: OpenApiDocument, origin: string): void {
  forEachRef(doc, (ref, at) => {
    if (ref.startsWith("#")) return;
    const where = encodeRef(at);
    throw new PipelineError(
      `${origin} has an external $ref ${JSON.stringify(ref)} at ${where}: only references inside the document (#/...) are supported; bundle the document first`,
    );
  });
}
