/**
 * The report's renderers, in process: what a reviewer reads in a pull
 * request and a terminal stays readable at any size, and names from the
 * document cannot act on either (control characters, `@mentions`).
 */
import { describe, expect, test } from "vitest";
import { diffDocuments, type DocumentDiff } from "../../scripts/diff.js";
import { renderReport, type PullReport } from "../../scripts/report.js";
import type { Change } from "../../scripts/rules.js";

/** A report of a dry run over `diff`, kept operations `kept`. */
function reportOf(
  diff: DocumentDiff,
  kept: readonly string[] = [],
  warnings: readonly string[] = [],
): PullReport {
  return {
    source: "upstream.json",
    bytes: 1,
    operationsInDocument: kept.length,
    kept,
    removedUpstream: [],
    diff,
    documentChanged: true,
    dryRun: true,
    files: undefined,
    warnings,
  };
}

describe("markdown, the scheduled pull request's body", () => {
  test("hundreds of breaking changes each reaching hundreds of operations: all shown, every line within 1,000 characters", () => {
    // Before: each change listed every operation it reaches (Stripe, 366
    // kept: lines of 10,813 characters), so 24 of 290 breaking changes fit.
    const operations = Array.from(
      { length: 366 },
      (_, i) => `GetSomethingQuiteLongNumber${i}`,
    );
    const change = (i: number, level: Change["level"]): Change => ({
      rule: level === "breaking" ? "property-removed" : "property-added",
      level,
      location: `Component${i}.field`,
      message: `Component${i}.field: ${"x".repeat(i === 7 ? 5000 : 100)}`,
      directions: ["response"],
      operations,
      typeScriptOnly: false,
    });
    const changes = [
      ...Array.from({ length: 290 }, (_, i) => change(i, "breaking")),
      ...Array.from({ length: 300 }, (_, i) => change(i, "non-breaking")),
    ];
    const diff: DocumentDiff = {
      previous: { title: "Stripe", version: "2020-08-27" },
      current: { title: "Stripe", version: "2023-08-16" },
      changes,
      bump: "major",
    };
    const body = renderReport(reportOf(diff, operations), "markdown");
    expect(body.length).toBeLessThanOrEqual(65_536);
    const lines = body.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(
      1000,
    );
    for (let i = 0; i < 290; i++)
      expect(lines.some((l) => l.startsWith(`- Component${i}.field: `))).toBe(
        true,
      );
    expect(body).toContain(
      "(`property-removed`; `GetSomethingQuiteLongNumber0` and 365 more)\n",
    );
    expect(body).toMatch(
      /…and \d+ more \(0 breaking, \d+ other, 0 documentation\) not shown/,
    );
  });
});

describe("names from the document, printed", () => {
  /** A document whose one schema component is named `name`. */
  const doc = (name: string, type: string) => ({
    openapi: "3.1.0",
    info: { title: "@octocat's API", version: "1" },
    paths: {},
    components: { schemas: { [name]: { type } } },
  });

  test("control and line-separator characters are escaped, in every format; no @mention reaches Markdown", () => {
    // Before: only \n was escaped: \r, U+2028, U+0085 and ANSI escapes were
    // printed as they came, and @octocat was mentioned in the pull request.
    const name = "Red\u001b[31m\rLine\u2028Next\u0085@octocat";
    const diff = diffDocuments(doc(name, "string"), doc(name, "integer"));
    const report = reportOf(diff, [], ["ping @octocat"]);
    const escaped = "Red\\u001b[31m\\rLine\\u2028Next\\u0085@octocat";
    expect(diff.changes.map((c) => c.message)).toContain(
      `${escaped}: no longer returns string`,
    );
    for (const format of ["text", "markdown", "json"] as const) {
      const text = renderReport(report, format);
      expect(text.slice(0, -1)).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/,
      );
    }
    const markdown = renderReport(report, "markdown");
    expect(markdown).not.toMatch(/@\w/);
    expect(markdown).toContain("@\u200boctocat's API");
    expect(renderReport(report, "text")).toContain(
      `  - ${escaped}: no longer returns string [document]`,
    );
  });
});
