/**
 * generated/answer-shapes.ts (pure): the fields each kept operation's success
 * answer must have, so the client's check follows openapi.json.
 */
import {
  componentKey,
  deref,
  jsonText,
  listOperations,
  operationName,
  recordOf,
  type OpenApiDocument,
} from "./document.js";
import {
  enumOf,
  flatten,
  isObject,
  jsonType,
  propertiesOf,
  requiredOf,
} from "./variants.js";

const JSON_TYPES = "array boolean integer null number object string".split(" ");

/** What a field may be: its values, its JSON types, or anything (`{}`). */
type Shape = { enum: unknown[] } | { types: string[] } | Record<never, never>;

/** The source of generated/answer-shapes.ts (before prettier): `header`, then `ANSWER_SHAPES` (its TSDoc says what it holds). */
export function answerShapesSource(doc: OpenApiDocument, header: string) {
  const shapes: Record<string, unknown> = {};
  const named = listOperations(doc).map((l) => [operationName(l), l] as const);
  named.sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, { operation }] of named) {
    const schema = successSchema(doc, operation["responses"]);
    const key = componentKey(String(recordOf(schema)["$ref"]));
    const component = key?.startsWith("schemas/") ? key.slice(8) : null;
    shapes[name] = { schema: component, required: requiredFields(doc, schema) };
  }
  return `${header}/**
 * What each kept operation's success answer (its lowest 2xx JSON response)
 * must hold, by operationId: \`schema\` names its component in
 * \`components["schemas"]\` (\`null\` when it is not a \`$ref\` to one), and
 * \`required\` gives each property every object form of the answer requires
 * (\`allOf\` read through; a union's forms together) either the values it may
 * take (\`enum\`: an enum or a \`const\` of JSON scalars; \`null\` included when
 * nullable) or the JSON types it may have (\`types\`); \`{}\` when neither can be
 * said (present, any value).
 */
export const ANSWER_SHAPES = ${jsonText(shapes)} as const;\n`;
}

/** The schema of the lowest 2xx response with JSON content (`application/json`, with parameters, or `+json`). */
function successSchema(doc: OpenApiDocument, responses: unknown): unknown {
  const answers = recordOf(responses);
  const rank = (status: string) => (/^2\d\d$/.test(status) ? +status : 300);
  const statuses = Object.keys(answers)
    .filter((status) => /^2(\d\d|XX)$/i.test(status))
    .sort((a, b) => rank(a) - rank(b));
  const json = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;
  for (const status of statuses) {
    const response = recordOf(deref(doc, answers[status]).value);
    const content = recordOf(response["content"]);
    const types = Object.keys(content).filter((type) => json.test(type));
    const type = types.find((t) => /^application\/json\b/i.test(t)) ?? types[0];
    if (type !== undefined) return recordOf(content[type])["schema"];
  }
  return undefined;
}

/** The fields every object form of the answer requires, sorted (a form that may be anything requires nothing). */
function requiredFields(doc: OpenApiDocument, schema: unknown) {
  const variants = flatten(doc, schema);
  const forms = variants.filter((v) => isObject(v) || v.types.includes("any"));
  if (forms.length === 0 || !forms.every(isObject)) return {};
  const fields: Record<string, Shape> = {};
  const names = forms.map((v) => requiredOf(doc, v.schema));
  for (const field of [...(names[0] ?? [])].sort()) {
    if (!names.every((required) => required.has(field))) continue;
    const shapes = forms.map((v) => {
      const property = propertiesOf(doc, v.schema).get(field);
      return property === undefined ? {} : fieldShape(doc, property);
    });
    fields[field] = shapes.reduce(merge);
  }
  return fields;
}

/** A required field: its allowed values, its JSON types, or `{}` (present, any value). */
function fieldShape(doc: OpenApiDocument, property: unknown): Shape {
  const variants = flatten(doc, property);
  const types = new Set(variants.flatMap((v) => v.types));
  const values = [...(enumOf(variants)?.values() ?? [])];
  // Values the client can compare one by one: JSON scalars, not objects.
  const scalars = values.every((v) => v === null || typeof v !== "object");
  if (values.length > 0 && scalars)
    return { enum: types.has("null") ? [...values, null] : values };
  // An allOf of several says nothing a field check can use.
  const several = variants.some((v) => Array.isArray(v.schema["allOf"]));
  const known = [...types].every((t) => JSON_TYPES.includes(t));
  if (types.size === 0 || several || !known) return {};
  return typeShape(types);
}

/** `types` in their order, `integer` left out with `number`. */
function typeShape(types: Set<string>): Shape {
  if (types.has("number")) types.delete("integer");
  return { types: JSON_TYPES.filter((type) => types.has(type)) };
}

/** What a field may be in one form or another. */
function merge(a: Shape, b: Shape): Shape {
  if ("enum" in a && "enum" in b) {
    const values = new Map([...a.enum, ...b.enum].map((v) => [jsonText(v), v]));
    return { enum: [...values.values()] };
  }
  const typesOf = (s: Shape) =>
    "types" in s ? s.types : "enum" in s ? s.enum.map(jsonType) : undefined;
  const [x, y] = [typesOf(a), typesOf(b)];
  if (x === undefined || y === undefined) return {};
  return typeShape(new Set([...x, ...y]));
}
