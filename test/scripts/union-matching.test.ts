/**
 * Reordering is no change at any depth, and union members are matched by
 * what they are: the cases the first fixes of the union matching left open.
 * Each document is built here, small, around one operation `op`.
 */
import { describe, expect, test } from "vitest";
import { alignWithPrevious } from "../../scripts/align.js";
import { diffDocuments } from "../../scripts/diff.js";
import type { JsonObject } from "../../scripts/document.js";

// Loosely typed on purpose: the fixtures are edited freely.
type Doc = any;

/** A document whose operation `op` takes `request` as its body and answers `response`. */
function makeDoc(request: unknown, response: unknown = { type: "string" }) {
  const json = (schema: unknown) => ({
    content: { "application/json": { schema } },
  });
  const doc: Doc = {
    openapi: "3.1.0",
    info: { title: "t", version: "1" },
    paths: {
      "/x": {
        post: {
          operationId: "op",
          requestBody: { required: true, ...json(request) },
          responses: { "200": { description: "ok", ...json(response) } },
        },
      },
    },
    components: {
      schemas: {
        A: object(["a", "s"], ["a"]),
        B: object(["b", "s"], ["b"]),
      },
    },
  };
  return doc;
}

/** An object schema declaring `names` (strings), requiring `required`. */
function object(names: string[], required: string[] = names): Doc {
  const properties = Object.fromEntries(
    names.map((n) => [n, { type: "string" }]),
  );
  return { type: "object", required, properties };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `[rule, message]` of every change from `before` to `after`. */
function changes(before: Doc, after: Doc): [string, string][] {
  const { changes } = diffDocuments(before as JsonObject, after as JsonObject);
  return changes.map((c) => [c.rule, c.message]);
}

describe("reordering at any depth is no change, and align keeps the committed text", () => {
  test("sets under names that are also keywords: a property `enum`, a `default` response, a header `x-request-id`", () => {
    // Before: a name read as a keyword made all below it data, ordered: the
    // text changed, and the diff found "a change it could not name" (an
    // internal error).
    const doc = (reorder: boolean) => {
      const order = <T>(list: T[]) => (reorder ? [...list].reverse() : list);
      const inner = { ...object(["p", "q"]), required: order(["p", "q"]) };
      const d = makeDoc({
        type: "object",
        properties: {
          enum: inner,
          default: { type: "string", enum: order(["x", "y"]) },
        },
      });
      d.paths["/x"].post.responses.default = {
        description: "error",
        headers: {
          "x-request-id": {
            schema: { type: "string", enum: order(["m", "n"]) },
          },
        },
        content: { "application/json": { schema: inner } },
      };
      return d;
    };
    const aligned = alignWithPrevious(doc(false), doc(true));
    expect(JSON.stringify(aligned)).toBe(JSON.stringify(doc(false)));
    expect(changes(doc(false), doc(true))).toEqual([]);
  });

  test("a set with one item changed: the others keep their committed form and place", () => {
    // Before: the items were aligned by position, so those that only moved
    // took the new order of their own sets (a git diff of moves).
    const before = makeDoc({
      oneOf: [object(["a", "b"]), object(["c", "d"]), object(["e"])],
    });
    const after = makeDoc({
      oneOf: [object(["f", "e"]), object(["d", "c"]), object(["b", "a"])],
    });
    const schema = (d: Doc) =>
      d.paths["/x"].post.requestBody.content["application/json"].schema;
    expect(JSON.stringify(schema(alignWithPrevious(before, after)))).toBe(
      JSON.stringify({
        oneOf: [object(["a", "b"]), object(["c", "d"]), object(["e", "f"])],
      }),
    );
    expect(changes(before, after)).toEqual([
      [
        "property-added-required",
        "op[request application/json].oneOf[2].f: added, required",
      ],
    ]);
  });
});

describe("union members matched by what they are", () => {
  /** A request body, the union of `members`. */
  const union = (members: unknown[]) => makeDoc({ oneOf: members });
  /** What a member given a description says, at its place in the union. */
  const described = (index: number) => [
    "documentation-changed",
    `op[request application/json].oneOf[${index}]: description added`,
  ];

  test("a scalar member's enum in a union with objects: a value added to a request, removed from a response", () => {
    // Before: the values of a union with an object member were not compared
    // ("the diff found no change": an internal error).
    const values = (...v: string[]) => ({ type: "string", enum: v });
    expect(
      changes(
        union([object(["a"]), values("x", "y")]),
        union([values("y", "x", "z"), object(["a"])]),
      ),
    ).toEqual([
      ["enum-value-added", 'op[request application/json]: value "z" added'],
    ]);
    const answer = (...v: string[]) =>
      makeDoc({ type: "string" }, { anyOf: [object(["a"]), values(...v)] });
    expect(changes(answer("x", "y"), answer("x"))).toEqual([
      [
        "enum-value-removed",
        'op[response 200 application/json]: value "y" removed',
      ],
    ]);
  });

  test("members alike but for what they require, reversed and both described, are each described", () => {
    // Before: members with the same properties were all as alike, so
    // position decided: "stores: became required"... (exit 3).
    const members = (described: boolean) =>
      [["ids"], ["stores"]].map((required) => ({
        ...object(["ids", "stores"], required),
        ...(described ? { description: required[0] } : {}),
      }));
    expect(
      changes(union(members(false)), union(members(true).reverse())),
    ).toEqual([described(0), described(1)]);
  });

  test("arrays of unions reversed and both described, with a set inside reordered, are each described", () => {
    // Before: items without properties were alike whatever they held.
    const scalars = (described: boolean) => ({
      type: "array",
      items: { anyOf: [{ type: "string" }, { type: "integer" }] },
      ...(described ? { description: "d" } : {}),
    });
    const objects = (required: string[], described: boolean) => ({
      type: "array",
      items: { anyOf: [object(["p"]), { ...object(["q", "r"]), required }] },
      ...(described ? { description: "d" } : {}),
    });
    expect(
      changes(
        union([scalars(false), objects(["q", "r"], false)]),
        union([objects(["r", "q"], true), scalars(true)]),
      ),
    ).toEqual([described(0), described(1)]);
  });

  test("a response component that becomes a union of itself and an inline object: a member added", () => {
    // Before: the inline member was read as another form of the component
    // ("oneOf[1].extra: added", not breaking), though it is not A.
    const extended = object(["a", "s", "extra"], ["a"]);
    const before = makeDoc({ type: "string" }, ref("A"));
    const after = makeDoc({ type: "string" }, { oneOf: [ref("A"), extended] });
    expect(changes(before, after)).toEqual([
      [
        "member-added",
        "op[response 200 application/json]: may now be oneOf[1] (an object with a, s, extra)",
      ],
    ]);
  });
});

describe("a lone $ref against a union", () => {
  test("a component that becomes one member of a union keeps its own keywords (a title) to itself", () => {
    // Before: the component's title was compared with the union's (none):
    // "title removed" (response), "title added" (request), beside the member.
    const titled = (schema: unknown) => {
      const doc = makeDoc(schema, schema);
      doc.components.schemas.A.title = "A";
      return doc;
    };
    const union = { oneOf: [ref("A"), ref("B")] };
    expect(changes(titled(ref("A")), titled(union))).toEqual([
      ["member-added", "op[response 200 application/json]: may now be B"],
      ["member-added", "op[request application/json]: now also accepts B"],
    ]);
    expect(changes(titled(union), titled(ref("A")))).toEqual([
      ["member-removed", "op[request application/json]: no longer accepts B"],
      [
        "member-removed",
        "op[response 200 application/json]: no longer returns B",
      ],
    ]);
  });
});
