/**
 * Stage 5, diff: what a pull changes, compared with the previous (pruned)
 * openapi.json, which of those changes break callers of the kept operations
 * (see `schemas.ts` for the rules inside schemas, `operations.ts` for the
 * rest), and the semver bump that calls for (`bump.ts`). Pure.
 *
 * Not breaking: descriptions, titles, examples, formats; new operations,
 * optional parameters, optional request properties, response properties;
 * request types widened (an enum value added to a request parameter, `null`
 * now accepted); constraints loosened; a `default` added where there was none.
 */
import {
  describeOperation,
  listOperations,
  operationName,
  type OpenApiDocument,
  type OperationLocation,
} from "../refs.js";
import { bumpFor, type Bump } from "./bump.js";
import type { Change, ChangeKind } from "./change.js";
import { Fingerprints } from "./fingerprints.js";
import { compareOperations } from "./operations.js";
import { SchemaComparer } from "./schemas.js";
import {
  compareMaps,
  documentKeysOf,
  infoOf,
  otherComponentsOf,
  schemasOf,
  type ChangeSet,
  type DocumentInfo,
} from "./sections.js";

export type { Bump } from "./bump.js";
export type { Change, ChangeKind } from "./change.js";
export type { ChangeSet, DocumentInfo } from "./sections.js";

/** The result of {@link diffDocuments}. */
export interface DocumentDiff {
  /** `info` of the previous document, or `undefined` when there was none. */
  readonly previous: DocumentInfo | undefined;
  /** `info` of the new document. */
  readonly current: DocumentInfo;
  /** Operations by operationId (or `METHOD /path` without one). Changed: anything in the operation or what it references. */
  readonly operations: ChangeSet;
  /** Entries of `components.schemas`. */
  readonly schemas: ChangeSet;
  /** Entries of the other `components` sections, as `section/name` (e.g. `securitySchemes/OAuth2`). */
  readonly otherComponents: ChangeSet;
  /** Top-level keys other than `paths`, `webhooks` and `components` (`info`, `servers`, `security`, `tags`...). */
  readonly document: ChangeSet;
  /** The changes that break callers, in the order found (see the module comments for the rules). */
  readonly breaking: readonly Change[];
  /** Every change: the breaking ones, then one per name in the change sets above. */
  readonly changes: readonly Change[];
  /** The semver bump the changes call for. */
  readonly bump: Bump;
}

/**
 * Compares the previous document with the new one.
 *
 * @param previous - The committed openapi.json, or `undefined` on a first pull.
 * @param current - The new (pruned) document.
 */
export function diffDocuments(
  previous: OpenApiDocument | undefined,
  current: OpenApiDocument,
): DocumentDiff {
  const newOps = indexOperations(current);
  const oldOps = previous === undefined ? new Map() : indexOperations(previous);
  const before = previous ?? {};
  const breaking: Change[] = [];
  const operations = {
    added: [...newOps.keys()].filter((name) => !oldOps.has(name)),
    removed: [] as string[],
    changed: [] as string[],
  };
  if (previous !== undefined) {
    const comparer = new SchemaComparer(previous, current);
    const oldFingerprints = new Fingerprints(previous);
    const newFingerprints = new Fingerprints(current);
    const seen = new Set<string>();
    for (const [name, oldOp] of oldOps) {
      const newOp = newOps.get(name);
      if (newOp === undefined) {
        operations.removed.push(name);
        breaking.push({
          kind: "operation-removed",
          location: name,
          message: `operation ${name} (${describeOperation(oldOp)}) removed`,
          breaking: true,
        });
        continue;
      }
      if (oldFingerprints.of(oldOp) !== newFingerprints.of(newOp)) {
        operations.changed.push(name);
      }
      const found = compareOperations({
        name,
        before: oldOp,
        after: newOp,
        oldDoc: previous,
        newDoc: current,
        comparer,
      });
      // A schema shared by two parameters is reported once per place, but
      // the same place is never reported twice.
      for (const change of found) {
        if (seen.has(change.message)) continue;
        seen.add(change.message);
        breaking.push(change);
      }
    }
  }
  const schemas = compareMaps(schemasOf(before), schemasOf(current));
  const otherComponents = compareMaps(
    otherComponentsOf(before),
    otherComponentsOf(current),
  );
  const document = compareMaps(documentKeysOf(before), documentKeysOf(current));
  const changes: Change[] = [
    ...breaking,
    ...listed("operation", operations),
    ...listed("schema", schemas),
    ...listed("component", otherComponents),
    ...listed("document-key", document),
  ];
  return {
    previous: previous === undefined ? undefined : infoOf(previous),
    current: infoOf(current),
    operations,
    schemas,
    otherComponents,
    document,
    breaking,
    changes,
    bump: bumpFor(previous, current, breaking.length > 0, {
      operations,
      schemas,
      otherComponents,
      document,
    }),
  };
}

/**
 * One non-breaking change per name of a change set. (A removed operation is
 * among the breaking changes already.)
 */
function listed(
  noun: "operation" | "schema" | "component" | "document-key",
  set: ChangeSet,
): Change[] {
  const result: Change[] = [];
  for (const verb of ["added", "removed", "changed"] as const) {
    if (noun === "operation" && verb === "removed") continue;
    for (const name of set[verb]) {
      result.push({
        kind: `${noun}-${verb}` satisfies ChangeKind,
        location: name,
        message: `${noun.replace("-", " ")} ${name} ${verb}`,
        breaking: false,
      });
    }
  }
  return result;
}

function indexOperations(doc: OpenApiDocument): Map<string, OperationLocation> {
  const index = new Map<string, OperationLocation>();
  for (const location of listOperations(doc)) {
    index.set(operationName(location), location);
  }
  return index;
}
