/**
 * docs/regenerating.md says what the code does: its rules table has every
 * rule of scripts/rules.ts with the same levels and the same † marks, and
 * its JSON report example has the fields a real report has.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { diffDocuments } from "../../scripts/diff.js";
import { renderReport } from "../../scripts/report.js";
import { RULES } from "../../scripts/rules.js";
import { repoRoot } from "./project.js";

const docs = await readFile(join(repoRoot, "docs", "regenerating.md"), "utf8");

describe("docs/regenerating.md", () => {
  test("lists every rule once, with its level in a request and in a response, † where TypeScript is stricter", () => {
    const rows = [
      ...docs.matchAll(
        /^\| `([a-z-]+)` +\| ([a-z -]+?)( †)? +\| ([a-z -]+?)( †)? +\|/gm,
      ),
    ].map(([, id, request, mark, response, mark2]) => ({
      id,
      request,
      response,
      stricter:
        mark && mark2
          ? "both"
          : mark
            ? "request"
            : mark2
              ? "response"
              : undefined,
    }));
    const expected = Object.entries(RULES).map(([id, rule]) => ({
      id,
      request: rule.request,
      response: rule.response,
      stricter: "stricter" in rule ? rule.stricter : undefined,
    }));
    expect(rows).toEqual(expected);
  });

  test("the JSON report example has the fields of a real report", () => {
    const example = JSON.parse(
      /```json\n([\s\S]*?)```/.exec(docs)?.[1] ?? "{}",
    );
    const doc = (status: object) => ({
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: {},
      components: { schemas: { Status: status } },
    });
    const diff = diffDocuments(
      doc({ type: "string" }),
      doc({ type: "integer" }),
    );
    const real = JSON.parse(
      renderReport(
        {
          source: "s",
          bytes: 1,
          operationsInDocument: 0,
          kept: [],
          removedUpstream: [],
          diff,
          documentChanged: true,
          dryRun: true,
          files: undefined,
          warnings: [],
        },
        "json",
      ),
    );
    expect(Object.keys(example)).toEqual(Object.keys(real));
    expect(Object.keys(example.changes[0]).sort()).toEqual(
      Object.keys(real.changes[0]).sort(),
    );
    expect(example.format).toBe(real.format);
  });
});
