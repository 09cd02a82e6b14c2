/**
 * generated/answer-shapes.ts: for each kept operation, the fields its
 * success answer must have, derived from openapi.json, so that the client's
 * run-time check of an answer (and the test server) follow the document
 * instead of a list kept by hand. Pure.
 */
import {
  componentKey,
  deref,
  isRecord,
  jsonText,
  listOperations,
  operationName,
  recordOf,
  type OpenApiDocument,
} from "./document.js";
import { flatten } from "./variants.js";

const JSON_TYPES = "array boolean integer null number object string".split(" ");

/** The source of generated/answer-shapes.ts (before prettier): `header`, then `ANSWER_SHAPES` (its TSDoc says what it holds). */
export function answerShapesSource(doc: OpenApiDocument, header: string) {
  const shapes: Record<string, unknown> = {};
  const named = listOperations(doc).map((l) => [operationName(l), l] as const);
  named.sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, { operation }] of named) {
    const schema = successSchema(doc, operation["responses"]);
    const ref = isRecord(schema) ? schema["$ref"] : undefined;
    const key = componentKey(typeof ref === "string" ? ref : undefined);
    // Only an answer that is one object says which fields it must have.
    const [object, ...others] = flatten(doc, schema);
    const fields: Record<string, unknown> = {};
    const properties = object?.schema["properties"];
    const required = object?.schema["required"];
    if (isRecord(properties) && Array.isArray(required) && others.length === 0)
      for (const field of required.map(String).sort())
        fields[field] = Object.hasOwn(properties, field)
          ? fieldShape(doc, properties[field])
          : {};
    const component = key?.startsWith("schemas/") ? key.slice(8) : null;
    shapes[name] = { schema: component, required: fields };
  }
  return `${header}/**
 * What each kept operation's success answer (its lowest 2xx \`application/json\`
 * response) must hold, by operationId: \`schema\` names its component in
 * \`components["schemas"]\` (\`null\` when it is not a \`$ref\` to one), and
 * \`required\` gives each required property either the values it may take
 * (\`enum\`, an enum or a \`const\`; \`null\` included when nullable) or the JSON
 * types it may have (\`types\`); \`{}\` when neither can be said (present, any value).
 */
export const ANSWER_SHAPES = ${jsonText(shapes)} as const;\n`;
}

/** The schema of the lowest 2xx response with `application/json` content. */
function successSchema(doc: OpenApiDocument, responses: unknown): unknown {
  const answers = recordOf(responses);
  const rank = (status: string) => (/^2\d\d$/.test(status) ? +status : 300);
  const statuses = Object.keys(answers)
    .filter((status) => /^2(\d\d|XX)$/i.test(status))
    .sort((a, b) => rank(a) - rank(b));
  for (const status of statuses) {
    const response = deref(doc, answers[status]).value;
    const content = isRecord(response) ? response["content"] : undefined;
    const media = isRecord(content) ? content["application/json"] : undefined;
    if (isRecord(media)) return media["schema"];
  }
  return undefined;
}

/** A required field: its allowed values, its JSON types, or `{}` (present, any value). */
function fieldShape(doc: OpenApiDocument, property: unknown): object {
  const variants = flatten(doc, property);
  const [only] = variants;
  const { enum: listed, nullable } = only?.schema ?? {};
  const values = Array.isArray(listed)
    ? listed
    : only && "const" in only.schema
      ? [only.schema["const"]]
      : undefined;
  if (variants.length === 1 && values !== undefined)
    return {
      enum: nullable && !values.includes(null) ? [...values, null] : values,
    };
  const types = new Set(variants.flatMap((v) => v.types));
  // An allOf of several says nothing a field check can use.
  const several = variants.some((v) => Array.isArray(v.schema["allOf"]));
  const known = [...types].every((t) => JSON_TYPES.includes(t));
  if (types.size === 0 || several || !known) return {};
  if (types.has("number")) types.delete("integer");
  return { types: JSON_TYPES.filter((type) => types.has(type)) };
}
