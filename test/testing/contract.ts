/**
 * Checks answers against the contract in the repository's openapi.json, for any test
 * (server or client) that wants to know that a body has the documented shape.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, so ajv's 2020 build reads them as they are.
 * References to `#/components/schemas/X` are rewritten to `#/$defs/X` of one wrapper schema
 * per response, which keeps the document itself untouched and ajv strict about keywords.
 */

import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";

const OPENAPI_URL = new URL("../../openapi.json", import.meta.url);

/** The part of an OpenAPI document this module reads. */
interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, unknown> };
}

interface OperationObject {
  operationId?: string;
  responses?: Record<
    string,
    { content?: Record<string, { schema?: unknown }> }
  >;
}

/** The outcome of {@link validateAgainstContract}. */
export type ContractResult = { valid: true } | { valid: false; errors: string };

const SCHEMA_REF = "#/components/schemas/";

/** Rewrites `#/components/schemas/X` refs to `#/$defs/X`; copies, never mutates. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === "$ref" &&
      typeof inner === "string" &&
      inner.startsWith(SCHEMA_REF)
        ? `#/$defs/${inner.slice(SCHEMA_REF.length)}`
        : rewriteRefs(inner);
  }
  return out;
}

// RFC 3339 date-time, the meaning of `format: date-time`; ajv-formats is not a dependency.
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function loadValidators(): Map<string, Map<number, ValidateFunction>> {
  const doc = JSON.parse(readFileSync(OPENAPI_URL, "utf8")) as OpenApiDocument;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat("date-time", {
    type: "string",
    validate: (text: string) =>
      DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)),
  });
  const defs = rewriteRefs(doc.components?.schemas ?? {});
  const byOperation = new Map<string, Map<number, ValidateFunction>>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const id = operation.operationId ?? `${method.toUpperCase()} ${path}`;
      const byStatus = new Map<number, ValidateFunction>();
      for (const [status, response] of Object.entries(
        operation.responses ?? {},
      )) {
        const schema = response.content?.["application/json"]?.schema;
        if (schema === undefined || !/^\d{3}$/.test(status)) continue;
        byStatus.set(
          Number(status),
          ajv.compile({ $defs: defs, ...(rewriteRefs(schema) as object) }),
        );
      }
      byOperation.set(id, byStatus);
    }
  }
  return byOperation;
}

let validators: Map<string, Map<number, ValidateFunction>> | undefined;

function operationValidators(
  operationId: string,
): Map<number, ValidateFunction> {
  validators ??= loadValidators();
  const found = validators.get(operationId);
  if (found === undefined)
    throw new Error(`openapi.json has no operation ${operationId}`);
  return found;
}

/** The statuses for which openapi.json documents a JSON body of the operation. */
export function contractStatuses(operationId = "agent_stop"): number[] {
  return [...operationValidators(operationId).keys()].sort((a, b) => a - b);
}

/**
 * Validates a parsed JSON body against the schema openapi.json gives the operation for that
 * status. Throws when the contract documents no JSON body for the status (a test mistake).
 */
export function validateAgainstContract(
  status: number,
  body: unknown,
  operationId = "agent_stop",
): ContractResult {
  const validate = operationValidators(operationId).get(status);
  if (validate === undefined) {
    throw new Error(
      `openapi.json documents no JSON body for ${operationId} ${status}`,
    );
  }
  if (validate(body)) return { valid: true };
  const errors = (validate.errors ?? [])
    .map((e) => `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}`)
    .join("; ");
  return { valid: false, errors };
}

/** Like {@link validateAgainstContract}, but throws with the errors when the body is invalid. */
export function assertMatchesContract(
  status: number,
  body: unknown,
  operationId = "agent_stop",
): void {
  const result = validateAgainstContract(status, body, operationId);
  if (!result.valid) {
    throw new Error(
      `${operationId} ${status} body breaks the contract: ${result.errors}`,
    );
  }
}
