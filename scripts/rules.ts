/**
 * The rules table (docs/regenerating.md shows each): what a change means for
 * callers in a request (breaking when the API accepts less) and in a response
 * (breaking when callers may get what they do not expect, or lose what they
 * rely on). Then the judgement: facts become changes, each once.
 */
import { printable, upsert } from "./document.js";

/** What a change means for callers, most severe first. */
export type Level = "breaking" | "non-breaking" | "documentation";

/** Which side of an exchange a schema describes: what the caller sends, or what it receives. */
export type Direction = "request" | "response";

/** The semver bump a set of changes calls for. */
export type Bump = "major" | "minor" | "patch" | "none";

interface Rule {
  readonly request: Level;
  readonly response: Level;
  /** The message after the location (`%s`: the detail); two: request, then response. */
  readonly text: string | readonly [string, string];
  /** Breaking here for TypeScript's sake where oasdiff is not (in that direction, or both). */
  readonly stricter?: Direction | "both";
}

const B = "breaking";
const N = "non-breaking";
const D = "documentation";

/** Every kind of change, by id (one line each, to read down). */
// prettier-ignore
export const RULES = {
  // Operations and what they hold (no direction: one level).
  "operation-removed": { request: B, response: B, text: "removed (%s)" },
  "operation-added": { request: N, response: N, text: "added (%s)" },
  "operation-moved": { request: B, response: B, text: "moved from %s" },
  // Parameters, request bodies and response headers, alike.
  "parameter-removed": { request: B, response: B, text: "removed", stricter: "both" },
  "parameter-added": { request: N, response: N, text: "added, optional" },
  "parameter-added-required": { request: B, response: B, text: "added, required" },
  "parameter-became-required": { request: B, response: B, text: "became required" },
  "parameter-became-optional": { request: N, response: N, text: "became optional" },
  "request-body-removed": { request: B, response: B, text: "removed" },
  "request-body-added": { request: N, response: N, text: "added, optional" },
  "request-body-added-required": { request: B, response: B, text: "added, required" },
  "request-body-became-required": { request: B, response: B, text: "became required" },
  "request-body-became-optional": { request: N, response: N, text: "became optional" },
  "response-header-removed": { request: B, response: B, text: "removed (it was required)" },
  "optional-response-header-removed": { request: N, response: N, text: "removed (it was optional)" },
  "response-header-added": { request: N, response: N, text: "added" },
  "response-header-added-required": { request: N, response: N, text: "added, always sent" },
  "response-header-became-required": { request: N, response: N, text: "now always sent" },
  "response-header-became-optional": { request: B, response: B, text: "no longer always sent (may be missing)" },
  "media-type-removed": { request: B, response: B, text: "media type %s removed" },
  "media-type-added": { request: N, response: N, text: "media type %s added" },
  "success-response-removed": { request: B, response: B, text: "removed" },
  "response-removed": { request: N, response: N, text: "removed" },
  "response-added": { request: N, response: N, text: "added" },
  // Schemas: the level depends on the direction.
  "type-removed": { request: B, response: B, text: ["no longer accepts %s", "no longer returns %s"], stricter: "response" },
  "type-added": { request: N, response: B, text: ["now also accepts %s", "may now be %s"] },
  "enum-value-removed": { request: B, response: B, text: "value %s removed", stricter: "response" },
  "enum-value-added": { request: N, response: B, text: "value %s added" },
  "enum-imposed": { request: B, response: N, text: "now limited to %s" },
  "enum-lifted": { request: N, response: B, text: "no longer limited to %s" },
  "constraint-tightened": { request: B, response: N, text: "%s" },
  "constraint-loosened": { request: N, response: N, text: "%s" },
  "pattern-changed": { request: B, response: N, text: "%s" },
  "default-changed": { request: B, response: N, text: "%s" },
  "default-added": { request: N, response: N, text: "%s" },
  "property-removed": { request: B, response: B, text: "removed", stricter: "request" },
  "optional-property-removed": { request: B, response: B, text: "removed (it was optional)", stricter: "both" },
  "property-added": { request: N, response: N, text: "added, optional" },
  "property-added-required": { request: B, response: N, text: "added, required" },
  "property-became-required": { request: B, response: N, text: "became required" },
  "property-became-optional": { request: N, response: B, text: "no longer required (may be missing)" },
  "member-removed": { request: B, response: N, text: ["no longer accepts %s", "no longer returns %s"] },
  "member-added": { request: N, response: B, text: ["now also accepts %s", "may now be %s"], stricter: "response" },
  "union-ambiguous": { request: B, response: N, text: "now matches %s members of a oneOf (a value that fits more than one is rejected)" },
  // Components: `./types` exports `components`, so their names are public API.
  "component-removed": { request: B, response: B, text: "removed", stricter: "both" },
  "component-renamed": { request: B, response: B, text: "renamed to %s", stricter: "both" },
  "component-added": { request: N, response: N, text: "added" },
  // Anything else, keyword by keyword.
  "keyword-changed": { request: N, response: N, text: "%s" },
  "documentation-changed": { request: D, response: D, text: "%s" },
} as const satisfies Record<string, Rule>;

/** The id of a rule of {@link RULES}. */
export type RuleId = keyof typeof RULES;

/** One difference the structural diff found, before it is judged. */
export interface Fact {
  readonly rule: RuleId;
  /** Where it happened: a component and the path inside it, or an operation's part. */
  readonly location: string;
  readonly detail: string;
  /** The side the schema was compared for; `undefined` outside schemas. */
  readonly direction: Direction | undefined;
  /** The kept operations that reach the place in that direction. */
  readonly operations: readonly string[];
}

/** One change, reported once, with its verdict. */
export interface Change {
  readonly rule: RuleId;
  readonly level: Level;
  readonly location: string;
  /** One line: the location, then what changed. */
  readonly message: string;
  /** The sides it was found on (none for what is not inside a schema). */
  readonly directions: readonly Direction[];
  /** The kept operations it reaches, sorted. */
  readonly operations: readonly string[];
  /** Breaking only by one of the rules marked stricter than oasdiff's. */
  readonly typeScriptOnly: boolean;
}

const SEVERITY = [B, N, D] as const;
const severity = (level: Level) => SEVERITY.indexOf(level);
/** Code-point order: the same on every machine, unlike localeCompare. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The facts judged: one change per rule, location and detail (at its more severe side), breaking first, then by location. */
export function judge(facts: readonly Fact[]): Change[] {
  const groups = new Map<string, Fact[]>();
  for (const fact of facts) {
    const key = `${fact.rule}\0${fact.location}\0${fact.detail}`;
    upsert(groups, key, () => []).push(fact);
  }
  const changes: Change[] = [];
  for (const group of groups.values()) {
    const [first] = group as [Fact, ...Fact[]];
    const rule: Rule = RULES[first.rule];
    const directions = [
      ...new Set(group.flatMap((f) => (f.direction ? [f.direction] : []))),
    ].sort();
    // The side that decides: the most severe; between equals, the response.
    const request =
      directions.includes("request") &&
      (directions.length === 1 ||
        severity(rule.request) < severity(rule.response));
    const deciding = request ? "request" : "response";
    const level = rule[deciding];
    const texts = [rule.text].flat();
    const text = (request ? texts[0] : texts.at(-1)) ?? "";
    // One line, whatever a name or a pattern holds.
    const line = `${first.location}: ${text.replace("%s", () => first.detail)}`;
    changes.push({
      rule: first.rule,
      level,
      location: printable(first.location),
      message: printable(line),
      directions,
      operations: [...new Set(group.flatMap((f) => f.operations))].sort(),
      typeScriptOnly:
        level === "breaking" &&
        (rule.stricter === "both" || rule.stricter === deciding),
    });
  }
  return changes.sort(
    (a, b) =>
      severity(a.level) - severity(b.level) ||
      compare(a.location, b.location) ||
      compare(a.message, b.message),
  );
}

/** The bump the changes call for: major if one breaks callers, minor if the API changed, patch for documentation. */
export function bumpFor(changes: readonly Change[]): Bump {
  if (changes.some((c) => c.level === "breaking")) return "major";
  if (changes.some((c) => c.level === "non-breaking")) return "minor";
  return changes.length > 0 ? "patch" : "none";
}
