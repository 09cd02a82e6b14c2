/**
 * Comparing one kept operation in the previous and the new document: where
 * it lives, its parameters, its request body and its success responses. The
 * schemas inside are compared by {@link SchemaComparer}. Pure.
 */
import {
  deref,
  describeOperation,
  entriesOf,
  isRecord,
  type JsonObject,
  type OpenApiDocument,
  type OperationLocation,
} from "../refs.js";
import { breakingChange, type Change, type Direction } from "./change.js";
import type { SchemaComparer } from "./schemas.js";

/** The two versions of one operation, and what compares their schemas. */
export interface OperationPair {
  /** The operation's name in messages (its operationId). */
  readonly name: string;
  readonly before: OperationLocation;
  readonly after: OperationLocation;
  readonly oldDoc: OpenApiDocument;
  readonly newDoc: OpenApiDocument;
  readonly comparer: SchemaComparer;
}

/** The breaking changes between two versions of an operation. */
export function compareOperations(pair: OperationPair): Change[] {
  const { name, before, after, oldDoc, newDoc } = pair;
  const out: Change[] = [];
  if (describeOperation(before) !== describeOperation(after)) {
    out.push(
      breakingChange(
        "operation-moved",
        name,
        `moved from ${describeOperation(before)} to ${describeOperation(after)}`,
      ),
    );
  }
  compareParameters(pair, out);

  const oldBody = deref(oldDoc, before.operation["requestBody"]).value;
  const newBody = deref(newDoc, after.operation["requestBody"]).value;
  if (isRecord(oldBody) && !isRecord(newBody)) {
    out.push(
      breakingChange("request-body-removed", name, "request body removed"),
    );
  } else if (!isRecord(oldBody) && isRecord(newBody)) {
    if (newBody["required"] === true)
      out.push(
        breakingChange(
          "request-body-added-required",
          name,
          "new required request body",
        ),
      );
  } else if (isRecord(oldBody) && isRecord(newBody)) {
    if (oldBody["required"] !== true && newBody["required"] === true) {
      out.push(
        breakingChange(
          "request-body-became-required",
          name,
          "request body became required",
        ),
      );
    }
    compareContent(pair, "request body", oldBody, newBody, "request", out);
  }

  const newResponses = isRecord(after.operation["responses"])
    ? after.operation["responses"]
    : {};
  for (const [status, item] of entriesOf(before.operation["responses"])) {
    const oldResponse = deref(oldDoc, item).value;
    const newResponse = Object.hasOwn(newResponses, status)
      ? deref(newDoc, newResponses[status]).value
      : undefined;
    if (!isRecord(oldResponse)) continue;
    if (!isRecord(newResponse)) {
      // Only success responses shape what the caller gets as data; a removed
      // error response changes nothing a caller could rely on.
      if (status.startsWith("2"))
        out.push(
          breakingChange(
            "response-removed",
            name,
            `response ${status} removed`,
          ),
        );
      continue;
    }
    compareContent(
      pair,
      `response ${status}`,
      oldResponse,
      newResponse,
      "response",
      out,
    );
  }
  return out;
}

interface Parameter {
  readonly label: string;
  readonly required: boolean;
  readonly schema: unknown;
}

function compareParameters(pair: OperationPair, out: Change[]): void {
  const { name, comparer } = pair;
  const oldParams = parametersOf(pair.oldDoc, pair.before);
  const newParams = parametersOf(pair.newDoc, pair.after);
  for (const [key, before] of oldParams) {
    const after = newParams.get(key);
    if (after === undefined) {
      out.push(
        breakingChange("parameter-removed", name, `${before.label} removed`),
      );
      continue;
    }
    if (!before.required && after.required) {
      out.push(
        breakingChange(
          "parameter-became-required",
          name,
          `${before.label} became required`,
        ),
      );
    }
    comparer.compare(
      before.schema,
      after.schema,
      "request",
      `${name}: ${before.label}`,
      out,
    );
  }
  for (const [key, after] of newParams) {
    if (!oldParams.has(key) && after.required) {
      out.push(
        breakingChange(
          "parameter-added-required",
          name,
          `new required ${after.label}`,
        ),
      );
    }
  }
}

function parametersOf(
  doc: OpenApiDocument,
  location: OperationLocation,
): Map<string, Parameter> {
  const result = new Map<string, Parameter>();
  // Path-level parameters first; an operation-level one with the same name
  // and location overrides it (OpenAPI's rule).
  for (const list of [
    location.pathItem["parameters"],
    location.operation["parameters"],
  ]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const parameter = deref(doc, item).value;
      if (!isRecord(parameter)) continue;
      const name = String(parameter["name"]);
      const where = String(parameter["in"]);
      // Header names are case-insensitive.
      const key = `${where}:${where === "header" ? name.toLowerCase() : name}`;
      let schema = parameter["schema"];
      if (schema === undefined) {
        const [first] = entriesOf(parameter["content"]);
        schema = isRecord(first?.[1]) ? first[1]["schema"] : undefined;
      }
      result.set(key, {
        label: `${where} parameter "${name}"`,
        required: where === "path" || parameter["required"] === true,
        schema,
      });
    }
  }
  return result;
}

function compareContent(
  pair: OperationPair,
  label: string,
  before: JsonObject,
  after: JsonObject,
  direction: Direction,
  out: Change[],
): void {
  const newContent = isRecord(after["content"]) ? after["content"] : {};
  for (const [mediaType, oldMedia] of entriesOf(before["content"])) {
    const newMedia = Object.hasOwn(newContent, mediaType)
      ? newContent[mediaType]
      : undefined;
    if (!isRecord(newMedia)) {
      out.push(
        breakingChange(
          "media-type-removed",
          pair.name,
          `${label} media type ${mediaType} removed`,
        ),
      );
      continue;
    }
    if (!isRecord(oldMedia)) continue;
    pair.comparer.compare(
      oldMedia["schema"],
      newMedia["schema"],
      direction,
      `${pair.name}: ${label} (${mediaType})`,
      out,
    );
  }
}
