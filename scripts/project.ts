/**
 * Reading the project the pipeline runs in: the `openapi` settings of
 * package.json and the committed openapi.json.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PipelineError, describeError } from "./errors.js";
import { DOCUMENT_FILE } from "./files.js";
import { parseDocument } from "./parse.js";
import { isRecord, type OpenApiDocument } from "./refs.js";
import { validateDocument } from "./validate.js";

/** `openapi` settings of package.json. */
export interface ProjectConfig {
  readonly source: string | undefined;
  readonly operations: readonly string[];
}

/** The `openapi` settings of `root`/package.json. */
export async function readProjectConfig(root: string): Promise<ProjectConfig> {
  let pkg: unknown;
  try {
    pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  } catch (error) {
    throw new PipelineError(
      `cannot read package.json in ${root}: ${describeError(error)}`,
    );
  }
  const config = isRecord(pkg) ? pkg["openapi"] : undefined;
  const operations = isRecord(config) ? config["operations"] : undefined;
  if (
    !Array.isArray(operations) ||
    operations.length === 0 ||
    !operations.every((id): id is string => typeof id === "string")
  ) {
    throw new PipelineError(
      'package.json needs "openapi": { "operations": ["<operationId>", ...] }',
    );
  }
  const source =
    isRecord(config) && typeof config["source"] === "string"
      ? config["source"]
      : undefined;
  return { source, operations };
}

/** Reads, parses and validates the committed openapi.json. */
export async function readCommitted(root: string): Promise<OpenApiDocument> {
  let text: string;
  try {
    text = await readFile(join(root, DOCUMENT_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new PipelineError(
        `${DOCUMENT_FILE} not found in ${root}: run \`npm run generate -- --pull\` first`,
      );
    }
    throw new PipelineError(
      `cannot read ${DOCUMENT_FILE}: ${describeError(error)}`,
    );
  }
  const doc = parseDocument(text, DOCUMENT_FILE);
  validateDocument(doc, DOCUMENT_FILE);
  return doc;
}

/** The committed openapi.json before a pull, if it can be read. */
export interface PreviousDocument {
  readonly doc: OpenApiDocument | undefined;
  /** Its text, to tell whether the pull changes it. */
  readonly text: string | undefined;
  /** Why there is nothing to compare with, when the file is there but unreadable. */
  readonly note?: string;
}

/** Reads the committed openapi.json for comparison; a missing or broken one is no error. */
export async function readPrevious(root: string): Promise<PreviousDocument> {
  let text: string;
  try {
    text = await readFile(join(root, DOCUMENT_FILE), "utf8");
  } catch {
    return { doc: undefined, text: undefined };
  }
  try {
    return { doc: parseDocument(text, DOCUMENT_FILE), text };
  } catch (error) {
    // A broken committed file must not block replacing it; it only means
    // there is nothing to compare with.
    return {
      doc: undefined,
      text,
      note: `The previous ${DOCUMENT_FILE} could not be read (${describeError(error)}); nothing to compare with.`,
    };
  }
}
