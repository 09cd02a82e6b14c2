/**
 * Pulls of real documents end to end, through the shell in scratch copies:
 * Notte's documents of 2026-01-10 and 2026-04-15, and Stripe's of
 * 2020-08-27 and 2023-08-16, with several operations kept (fixtures derived
 * from them, see fixtures/README.md). Every change appears exactly once,
 * and nothing is dropped: each difference an independent reading of the two
 * documents finds (a property, a required flag, an enum value, a component)
 * is reported once, at its component, however many operations reach it.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listOperations, operationName } from "../../scripts/document.js";
import { pruneDocument } from "../../scripts/prune.js";
import type { JsonReport } from "../../scripts/report.js";
import { fixtures, makeProject, type Project } from "./project.js";

// Loosely typed on purpose: the tests edit fixtures freely.
type Doc = any;

const projects: Project[] = [];
afterAll(() => Promise.all(projects.map((p) => p.remove())));

async function real(name: string): Promise<Doc> {
  const gzipped = await readFile(join(fixtures, `${name}.json.gz`));
  return JSON.parse(gunzipSync(gzipped).toString("utf8"));
}

/** A scratch project keeping `operations`, with `previous` as its openapi.json when given. */
async function project(
  operations: readonly string[],
  previous?: Doc,
): Promise<Project> {
  const p = await makeProject();
  projects.push(p);
  const pkg = JSON.parse(await readFile(join(p.dir, "package.json"), "utf8"));
  pkg.openapi.operations = operations;
  await writeFile(join(p.dir, "package.json"), JSON.stringify(pkg));
  if (previous !== undefined)
    await writeFile(
      join(p.dir, "openapi.json"),
      JSON.stringify(previous, null, 2),
    );
  return p;
}

/** Pulls `doc` (as a file) in `p`; returns the JSON report and the exit code. */
async function pull(p: Project, doc: Doc, ...args: string[]) {
  const path = join(p.dir, `upstream-${projects.indexOf(p)}.json`);
  await writeFile(path, JSON.stringify(doc));
  const result = await p.run([
    "--pull",
    path,
    "--report-format",
    "json",
    ...args,
  ]);
  await rm(path);
  expect(result.stdout, result.stderr).toMatch(/^\{/);
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as JsonReport,
    stderr: result.stderr,
  };
}

/** A property's step in a location, as the report writes it. */
function step(name: string): string {
  return /^[A-Za-z_$*][\w$-]*$/.test(name)
    ? `.${name}`
    : `[${JSON.stringify(name)}]`;
}

/**
 * What an independent reading of two documents says changed in their
 * schema components, as `rule location[ detail]`: components removed or
 * added, and in the object and enum schemas both have, properties removed
 * or added, newly required or optional, enum values removed or added.
 */
function differences(before: Doc, after: Doc): string[] {
  const a = before.components?.schemas ?? {};
  const b = after.components?.schemas ?? {};
  const found: string[] = [];
  const plain = (s: Doc) => s && !s.allOf && !s.anyOf && !s.oneOf && !s.$ref;
  for (const name of Object.keys(a)) {
    const [x, y] = [a[name], b[name]];
    if (y === undefined) {
      found.push(`component-removed|component-renamed ${name}`);
      continue;
    }
    if (!plain(x) || !plain(y)) continue;
    const [px, py] = [x.properties ?? {}, y.properties ?? {}];
    const [rx, ry] = [new Set(x.required ?? []), new Set(y.required ?? [])];
    for (const p of Object.keys(px)) {
      if (!Object.hasOwn(py, p))
        found.push(
          `${rx.has(p) ? "" : "optional-"}property-removed ${name}${step(p)}`,
        );
      else if (!rx.has(p) && ry.has(p))
        found.push(`property-became-required ${name}${step(p)}`);
      else if (rx.has(p) && !ry.has(p))
        found.push(`property-became-optional ${name}${step(p)}`);
    }
    for (const p of Object.keys(py))
      if (!Object.hasOwn(px, p))
        found.push(
          `property-added${ry.has(p) ? "-required" : ""} ${name}${step(p)}`,
        );
    if (Array.isArray(x.enum) && Array.isArray(y.enum)) {
      const texts = (list: unknown[]) =>
        new Set(list.filter((v) => v !== null).map((v) => JSON.stringify(v)));
      const [ex, ey] = [texts(x.enum), texts(y.enum)];
      for (const v of ex)
        if (!ey.has(v)) found.push(`enum-value-removed ${name} ${v}`);
      for (const v of ey)
        if (!ex.has(v)) found.push(`enum-value-added ${name} ${v}`);
    }
  }
  for (const name of Object.keys(b))
    if (!Object.hasOwn(a, name))
      found.push(`component-added|renamed-to ${name}`);
  return found;
}

/** Each independently found difference is exactly one change of the report; every change once. */
function expectEveryChangeOnce(
  report: JsonReport,
  before: Doc,
  after: Doc,
  kept: readonly string[],
) {
  const { changes } = report;
  expect(new Set(changes.map((c) => c.message)).size).toBe(changes.length);
  const levels = changes.map((c) =>
    ["breaking", "non-breaking", "documentation"].indexOf(c.level),
  );
  expect(levels).toEqual([...levels].sort((x, y) => x - y));
  for (const change of changes) {
    expect(change.message).not.toMatch(/\n/);
    for (const id of change.operations) expect(kept).toContain(id);
  }
  const expected = differences(before, after);
  expect(expected.length).toBeGreaterThan(0);
  for (const difference of expected) {
    const [rules = "", location, detail] = difference.split(" ");
    const matching = changes.filter(
      (c) =>
        ((rules.split("|").includes(c.rule) && c.location === location) ||
          (rules.endsWith("|renamed-to") &&
            c.message.endsWith(`: renamed to ${location}`))) &&
        (detail === undefined ||
          c.message ===
            `${location}: value ${detail} ${c.rule.endsWith("added") ? "added" : "removed"}`),
    );
    expect(matching, difference).toHaveLength(1);
  }
  return expected.length;
}

describe("Notte, 2026-01-10 then 2026-04-15, 45 operations kept", () => {
  let before: Doc;
  let after: Doc;
  let kept: string[];
  let p: Project;
  beforeAll(async () => {
    [before, after] = await Promise.all([
      real("notte-2026-01-10"),
      real("notte-2026-04-15"),
    ]);
    kept = listOperations(before).map(operationName);
    p = await project(kept);
  });

  test("a real pull of each: every change once, nothing dropped, the types generated and checked", async () => {
    const first = await pull(p, before, "--allow-breaking");
    expect(first.code).toBe(0);
    const second = await pull(p, after, "--allow-breaking");
    expect(second.code).toBe(0);
    expect(second.report.operations.kept).toEqual(kept);
    const count = expectEveryChangeOnce(second.report, before, after, kept);
    expect(count).toBeGreaterThan(30);
    // The change of the README's example, once, reaching all that use it.
    expect(second.report.changes).toContainEqual(
      expect.objectContaining({
        message: "AgentStatusResponse.replay_start_offset: removed",
        level: "breaking",
      }),
    );
    expect((await p.run(["--check"])).code).toBe(0);
  }, 120_000);

  test("20 enum values added to a response do not hide a required property removed (three operations kept)", async () => {
    // Before: 20 findings per schema pair: the 20 values, never the removal.
    const three = ["agent_stop", "agent_start", "page_execute"];
    const base: Doc = pruneDocument(after, three);
    const q = await project(three, base);
    const changed = structuredClone(base);
    changed.components.schemas.AgentStatus.enum.push(
      ...Array.from({ length: 20 }, (_, i) => `state_${i}`),
    );
    const status = changed.components.schemas.AgentStatusResponse;
    delete status.properties.task;
    status.required = status.required.filter((name: string) => name !== "task");
    const { code, report } = await pull(q, changed, "--dry-run");
    expect(code).toBe(3);
    expect(
      report.changes.filter((c) => c.rule === "enum-value-added"),
    ).toHaveLength(20);
    expect(
      report.changes.filter(
        (c) => c.message === "AgentStatusResponse.task: removed",
      ),
    ).toHaveLength(1);
    expectEveryChangeOnce(report, base, changed, three);
  }, 60_000);
});

describe("Stripe, 2020-08-27 then 2023-08-16, five operations kept", () => {
  let before: Doc;
  let after: Doc;
  let kept: string[];
  beforeAll(async () => {
    [before, after] = await Promise.all([
      real("stripe-2020-08-27"),
      real("stripe-2023-08-16"),
    ]);
    kept = listOperations(before).map(operationName);
  });

  test("every change once, nothing dropped; keeping more operations hides nothing", async () => {
    const five = await pull(await project(kept, before), after, "--dry-run");
    expect(five.code).toBe(3);
    const count = expectEveryChangeOnce(five.report, before, after, kept);
    expect(count).toBeGreaterThan(300);
    // One value added to file.purpose: once (before: 171 times).
    expect(
      five.report.changes.filter(
        (c) => c.location === "file.purpose" && c.rule === "enum-value-added",
      ),
    ).toHaveLength(1);
    // Before: of the 40 breaking changes for GetInvoicesInvoice alone, 37
    // went missing when two more operations were kept.
    const alone = ["GetInvoicesInvoice"];
    const one = await pull(
      await project(alone, pruneDocument(before, alone)),
      pruneDocument(after, alone),
      "--dry-run",
    );
    const all = new Set(five.report.changes.map((c) => c.message));
    const missing = one.report.changes.filter((c) => !all.has(c.message));
    expect(missing).toEqual([]);
    expect(
      one.report.changes.filter((c) => c.level === "breaking").length,
    ).toBeGreaterThan(100);
  }, 120_000);

  test("60 required properties removed are 60 changes", async () => {
    // Before: 35 of them.
    const changed: Doc = structuredClone(after);
    const removed: string[] = [];
    for (const [name, schema] of Object.entries<Doc>(
      changed.components.schemas,
    )) {
      for (const property of schema.required ?? []) {
        if (
          removed.length === 60 ||
          !Object.hasOwn(schema.properties ?? {}, property)
        )
          continue;
        delete schema.properties[property];
        removed.push(`${name}${step(property)}`);
      }
      schema.required = schema.required?.filter((p: string) =>
        Object.hasOwn(schema.properties ?? {}, p),
      );
    }
    const { report } = await pull(
      await project(kept, after),
      changed,
      "--dry-run",
    );
    // What the kept operations no longer reach is pruned: a component removed.
    const revised: Doc = pruneDocument(changed, kept);
    const reached = removed.filter((at) =>
      Object.hasOwn(revised.components.schemas, at.split(/[.[]/)[0]!),
    );
    const gone = report.changes.filter((c) => c.rule === "property-removed");
    expect(gone.map((c) => c.location).sort()).toEqual(reached.sort());
    expect(reached.length).toBeGreaterThan(50);
    expectEveryChangeOnce(report, after, revised, kept);
  }, 60_000);
});
