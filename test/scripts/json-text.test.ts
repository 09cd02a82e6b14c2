/**
 * openapi.json is written without prettier: the text must be exactly what
 * prettier makes of `JSON.stringify(doc, null, 2)`, on the shapes OpenAPI
 * documents have (and a few they rarely have).
 */
import { format } from "prettier";
import { describe, expect, test } from "vitest";
import {
  formatJsonLikePrettier,
  serializeDocument,
} from "../../scripts/json-text.js";

const prettier = (value: unknown, options = {}): Promise<string> =>
  format(JSON.stringify(value, null, 2), {
    ...options,
    parser: "json",
    filepath: "openapi.json",
  });

const long = "x".repeat(70);

/** Shapes whose layout depends on the width: arrays that fit, or not, at every depth. */
const cases: Record<string, unknown> = {
  empty: { a: {}, b: [], c: [[], {}] },
  scalars: {
    s: 'quote " backslash \\ tab \t',
    n: [0, -1, 1.5, 1e21, 1e-7, 12345678901234567890],
    b: [true, false, null],
  },
  "enums that fit and do not": {
    short: { enum: ["active", "closed", "failed"] },
    wide: { enum: [long, "b"] },
    edge: { enumerates: ["a".repeat(61), "b"] },
    nested: { a: { b: { c: { d: { required: ["x".repeat(50), "y"] } } } } },
  },
  "arrays of objects and of arrays": {
    objects: [{ a: 1 }, { b: 2 }],
    pairs: [
      [1, 2],
      [3, 4],
    ],
    singles: [[1], [2]],
    mixed: [[1, 2], "a"],
  },
  "numbers that fill lines": {
    many: Array.from({ length: 60 }, (_, i) => i * 1013),
    negative: Array.from({ length: 30 }, (_, i) => -i * 7919),
  },
  "a key longer than the line": { [long]: ["a", "b"], k: [long] },
};

describe("formatJsonLikePrettier", () => {
  test.each(Object.entries(cases))("%s", async (_name, value) => {
    expect(formatJsonLikePrettier(value, {})).toBe(await prettier(value));
  });

  test("follows printWidth and tabWidth", async () => {
    const value = cases["enums that fit and do not"];
    const options = { printWidth: 40, tabWidth: 4 };
    expect(formatJsonLikePrettier(value, options)).toBe(
      await prettier(value, options),
    );
  });

  test("leaves to prettier what it does not model", () => {
    expect(formatJsonLikePrettier({ a: ["é", "b"] }, {})).toBeUndefined();
    expect(formatJsonLikePrettier({ a: 1 }, { useTabs: true })).toBeUndefined();
    expect(
      formatJsonLikePrettier({ a: 1 }, { endOfLine: "crlf" }),
    ).toBeUndefined();
  });
});

describe("serializeDocument", () => {
  test("falls back on prettier, with the same result", async () => {
    const doc = { info: { title: "é" }, enum: ["é", "ü"] };
    expect(await serializeDocument(doc, {})).toBe(await prettier(doc));
    const tabs = { "openapi.json": { useTabs: true } };
    expect(await serializeDocument(doc, tabs)).toBe(
      await prettier(doc, { useTabs: true }),
    );
  });
});
