/**
 * Where the pipeline's files live, relative to the project root. In a module
 * of their own so the shell can name them without loading the generator.
 */

/** The committed, pruned OpenAPI document. */
export const DOCUMENT_FILE = "openapi.json";
/** The directory owned by the pipeline: `--check` treats any other file in it as stale. */
export const GENERATED_DIR = "generated";
/** openapi-typescript's output: exports `paths`, `components`, `operations`... */
export const TYPES_FILE = `${GENERATED_DIR}/notte-api.ts`;
/** Exports `NOTTE_API_VERSION`. */
export const VERSION_FILE = `${GENERATED_DIR}/api-version.ts`;
