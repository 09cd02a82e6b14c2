/**
 * generated/answer-shapes.ts, derived from the document: for each kept
 * operation, the required fields of its success answer, as types or values.
 */
import { describe, expect, test } from "vitest";
import { answerShapesSource } from "../../scripts/answer-shapes.js";

/** `ANSWER_SHAPES` as the module would export it, from a document's schemas and its operations' answers. */
function shapes(schemas: object, responses: Record<string, object>): unknown {
  const doc = {
    openapi: "3.1.0",
    info: { title: "Fixture", version: "1" },
    paths: Object.fromEntries(
      Object.entries(responses).map(([id, answers], index) => [
        `/op${index}`,
        { get: { operationId: id, responses: answers } },
      ]),
    ),
    components: { schemas },
  };
  const source = answerShapesSource(doc, "// header\n");
  const literal = /export const ANSWER_SHAPES = (.*) as const;/s.exec(source);
  return JSON.parse(literal?.[1] ?? "null");
}

const json = (schema: object, description = "ok") => ({
  description,
  content: { "application/json": { schema } },
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe("ANSWER_SHAPES", () => {
  test("the required fields of each operation's success answer, by operationId, sorted", () => {
    const schemas = {
      Status: {
        type: "object",
        required: [
          "status",
          "offset",
          "closed_at",
          "answer",
          "mode",
          "kind",
          "count",
          "any",
          "notes",
          "saved",
        ],
        properties: {
          status: ref("AgentStatus"),
          offset: { type: "integer" },
          closed_at: { type: "string", nullable: true },
          answer: { anyOf: [{ type: "string" }, { type: "null" }] },
          mode: { allOf: [ref("Mode")], description: "one-member allOf" },
          kind: { const: "agent" },
          count: { type: ["integer", "number"] },
          any: {},
          notes: { allOf: [{ type: "string" }, { minLength: 1 }] },
          optional: { type: "string" },
        },
      },
      AgentStatus: { type: "string", enum: ["active", "closed"] },
      Mode: { type: "string", enum: ["fast", "slow"], nullable: true },
    };
    expect(
      shapes(schemas, {
        z_last: { "200": json(ref("Status")) },
        a_first: {
          "404": json({ type: "object" }),
          "202": json({
            type: "object",
            required: ["id"],
            properties: { id: { type: "string" } },
          }),
          "201": { description: "no JSON body" },
          "204": json(ref("Status")),
        },
      }),
    ).toEqual({
      a_first: { schema: null, required: { id: { types: ["string"] } } },
      z_last: {
        schema: "Status",
        required: {
          answer: { types: ["null", "string"] },
          any: {},
          closed_at: { types: ["null", "string"] },
          count: { types: ["number"] },
          kind: { enum: ["agent"] },
          mode: { enum: ["fast", "slow", null] },
          notes: {},
          offset: { types: ["integer"] },
          saved: {},
          status: { enum: ["active", "closed"] },
        },
      },
    });
  });

  test("an answer that is not an object with properties, or no JSON answer at all, requires nothing", () => {
    expect(
      shapes(
        { List: { type: "array", items: { type: "string" } } },
        {
          list: { "200": json(ref("List")) },
          text: {
            "200": {
              description: "ok",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
          none: { default: json({ type: "object" }) },
        },
      ),
    ).toEqual({
      list: { schema: "List", required: {} },
      none: { schema: null, required: {} },
      text: { schema: null, required: {} },
    });
  });

  test("an answer through allOf, a union of objects, a JSON media type with parameters or +json: the fields each form requires", () => {
    // Before: each of these became `required: {}` (no check at all), an
    // anyOf [$ref Mode, null] lost its values, and an object const became
    // enum [{...}] (which no answer's field is, compared by identity).
    const schemas = {
      Base: {
        type: "object",
        required: ["id", "mode"],
        properties: {
          id: { type: "string" },
          mode: { anyOf: [ref("Mode"), { type: "null" }] },
        },
      },
      Mode: { type: "string", enum: ["fast", "slow"] },
      Agent: {
        allOf: [
          ref("Base"),
          {
            type: "object",
            required: ["task", "meta"],
            properties: {
              task: { type: "string" },
              meta: { const: { v: 1 } },
            },
          },
        ],
      },
      Legacy: {
        type: "object",
        required: ["id", "task", "mode"],
        properties: {
          id: { type: "integer" },
          task: { type: "string" },
          mode: { type: "string" },
        },
      },
    };
    const withMedia = (type: string) => ({
      "200": {
        description: "ok",
        content: { [type]: { schema: ref("Agent") } },
      },
    });
    const agent = {
      schema: "Agent",
      required: {
        id: { types: ["string"] },
        meta: { types: ["object"] },
        mode: { enum: ["fast", "slow", null] },
        task: { types: ["string"] },
      },
    };
    expect(
      shapes(schemas, {
        inherited: { "200": json(ref("Agent")) },
        charset: withMedia("application/json; charset=utf-8"),
        vendor: withMedia("application/vnd.notte+json"),
        union: {
          "200": json({
            oneOf: [ref("Agent"), ref("Legacy"), { type: "null" }],
          }),
        },
      }),
    ).toEqual({
      charset: agent,
      inherited: agent,
      union: {
        schema: null,
        required: {
          id: { types: ["integer", "string"] },
          mode: { types: ["null", "string"] },
          task: { types: ["string"] },
        },
      },
      vendor: agent,
    });
  });
});
