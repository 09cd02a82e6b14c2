/**
 * Comparing two schemas for breaking changes, from the caller's side:
 *
 * - requests (values the caller sends) break when the API now accepts less:
 *   a type or enum value no longer accepted, an enum imposed, a constraint
 *   tightened, a `pattern` added or changed to one not known to be wider, a
 *   `default` changed or removed, a property removed or newly required, a
 *   union member that no longer has a counterpart, or an object now matching
 *   several members of a `oneOf` (the server rejects it as ambiguous);
 * - responses (values the caller receives) break when the caller may get
 *   something its code does not expect, or loses something it relies on: a
 *   type added, removed or changed (`null` included, both ways), an enum
 *   value added or removed (TypeScript rejects comparing with a literal no
 *   longer in the type), a property removed or no longer required, a union
 *   member with no counterpart.
 *
 * Union members that are objects are compared structurally: the same
 * component by name, else by position when both unions have as many
 * objects, else each with its closest counterpart (the one with the fewest
 * findings). Pure.
 */
import {
  deref,
  isRecord,
  type JsonObject,
  type OpenApiDocument,
} from "../refs.js";
import {
  breakingChange,
  joinPath,
  type Change,
  type Direction,
  type Finding,
} from "./change.js";
import {
  accepts,
  defaultChange,
  defaultOf,
  enumOf,
  flatten,
  isObjectVariant,
  propertiesOf,
  requiredOf,
  tightenedConstraints,
  typeLabel,
  typesOf,
  type Variant,
} from "./variants.js";

/** At most this many findings are kept per compared pair, so shared schemas cannot multiply them without bound. */
const MAX_FINDINGS = 20;

/**
 * Compares schemas of the old and the new document. Results are memoized per
 * pair of (resolved) schema objects and direction: a schema shared by many
 * properties is compared once, and a pair met again while it is being
 * compared (a recursive schema) contributes nothing more, which ends cycles.
 */
export class SchemaComparer {
  private readonly memo = new Map<
    object,
    Map<object, Map<Direction, Finding[]>>
  >();

  constructor(
    private readonly oldDoc: OpenApiDocument,
    private readonly newDoc: OpenApiDocument,
  ) {}

  /** Compares two schemas and appends a breaking change to `out` per finding. */
  compare(
    before: unknown,
    after: unknown,
    direction: Direction,
    where: string,
    out: Change[],
  ): void {
    for (const finding of this.pair(before, after, direction)) {
      if (finding.path === "") {
        out.push(breakingChange(finding.kind, where, finding.text));
        continue;
      }
      const location = `${where}: property "${finding.path}"`;
      out.push({
        ...breakingChange(finding.kind, location, finding.text),
        // "property "x" removed" reads better without a colon.
        ...(finding.self ? { message: `${location} ${finding.text}` } : {}),
      });
    }
  }

  private pair(
    before: unknown,
    after: unknown,
    direction: Direction,
  ): Finding[] {
    const findings = this.resolvedPair(before, after, direction);
    if (direction === "response") return findings;
    // Read outside the memo: a `default` beside a `$ref` belongs to this
    // place, not to the schema the memo knows it by.
    const changed = defaultChange(
      defaultOf(this.oldDoc, before),
      defaultOf(this.newDoc, after),
    );
    return changed === undefined
      ? findings
      : [...findings, { kind: changed.kind, path: "", text: changed.text }];
  }

  private resolvedPair(
    before: unknown,
    after: unknown,
    direction: Direction,
  ): Finding[] {
    const a = deref(this.oldDoc, before).value;
    const b = deref(this.newDoc, after).value;
    if (a === undefined || b === undefined) return [];
    if (
      typeof a !== "object" ||
      typeof b !== "object" ||
      a === null ||
      b === null
    ) {
      return this.compute(a, b, direction);
    }
    let byNew = this.memo.get(a);
    if (byNew === undefined) {
      byNew = new Map();
      this.memo.set(a, byNew);
    }
    let byDirection = byNew.get(b);
    if (byDirection === undefined) {
      byDirection = new Map();
      byNew.set(b, byDirection);
    }
    const known = byDirection.get(direction);
    if (known !== undefined) return known;
    // Placeholder while computing: a cycle back to this pair finds it empty.
    byDirection.set(direction, []);
    const findings = this.compute(a, b, direction).slice(0, MAX_FINDINGS);
    byDirection.set(direction, findings);
    return findings;
  }

  private compute(a: unknown, b: unknown, direction: Direction): Finding[] {
    const oldVariants = flatten(this.oldDoc, a);
    const newVariants = flatten(this.newDoc, b);
    const findings: Finding[] = [];
    const add = (kind: Finding["kind"], text: string): void => {
      findings.push({ kind, path: "", text });
    };

    // Types.
    const oldTypes = typesOf(oldVariants);
    const newTypes = typesOf(newVariants);
    const lost = [...oldTypes].filter((t) => !accepts(newTypes, t));
    const lostText = lost.map(typeLabel).join(" or ");
    if (direction === "request") {
      if (lost.length > 0)
        add("type-no-longer-accepted", `no longer accepts ${lostText}`);
    } else {
      const gained = [...newTypes].filter((t) => !accepts(oldTypes, t));
      if (gained.length > 0)
        add("type-added", `may now be ${gained.map(typeLabel).join(" or ")}`);
      if (lost.length > 0) add("type-removed", `no longer returns ${lostText}`);
    }

    // Enums (and const).
    const oldEnum = enumOf(oldVariants);
    const newEnum = enumOf(newVariants);
    if (oldEnum !== undefined && newEnum !== undefined) {
      for (const value of oldEnum) {
        if (!newEnum.has(value))
          add("enum-value-removed", `enum value ${value} removed`);
      }
      if (direction === "response") {
        for (const value of newEnum) {
          if (!oldEnum.has(value))
            add("enum-value-added", `enum value ${value} added`);
        }
      }
    } else if (oldEnum === undefined && newEnum !== undefined) {
      if (direction === "request")
        add("enum-imposed", `now limited to ${[...newEnum].join(", ")}`);
    } else if (oldEnum !== undefined && newEnum === undefined) {
      if (direction === "response")
        add("enum-lifted", `no longer limited to ${[...oldEnum].join(", ")}`);
    }

    // Constraints: only what the caller sends is held to them (defaults: see pair).
    if (direction === "request") {
      for (const { kind, text } of tightenedConstraints(
        [...(isRecord(a) ? [a] : []), ...oldVariants.map((v) => v.schema)],
        [...(isRecord(b) ? [b] : []), ...newVariants.map((v) => v.schema)],
      ))
        add(kind, text);
    }

    // Object alternatives, member by member.
    findings.push(
      ...this.compareObjectMembers(oldVariants, newVariants, direction),
    );

    // Array items.
    const oldItems = itemsOf(oldVariants);
    const newItems = itemsOf(newVariants);
    if (oldItems !== undefined && newItems !== undefined) {
      for (const finding of this.pair(oldItems, newItems, direction)) {
        findings.push({ ...finding, path: joinPath("[]", finding.path) });
      }
    }
    return findings;
  }

  /**
   * Pairs the object members of two unions and compares each pair. Every
   * member on the side that must still fit (the old ones for a request: what
   * callers send; the new ones for a response: what callers get) is matched
   * with one on the other side: the same component, else the one at the same
   * position when the counts agree, else the closest.
   */
  private compareObjectMembers(
    oldVariants: readonly Variant[],
    newVariants: readonly Variant[],
    direction: Direction,
  ): Finding[] {
    const oldObjects = oldVariants.filter(isObjectVariant);
    const newObjects = newVariants.filter(isObjectVariant);
    if (oldObjects.length === 0 || newObjects.length === 0) return [];
    const request = direction === "request";
    const [sources, targets] = request
      ? [oldObjects, newObjects]
      : [newObjects, oldObjects];
    const compare = (source: Variant, target: Variant): Finding[] =>
      request
        ? this.compareObjects(source, target, direction)
        : this.compareObjects(target, source, direction);
    const sameName = (
      variant: Variant,
      among: readonly Variant[],
    ): Variant | undefined =>
      variant.name === undefined
        ? undefined
        : among.find((other) => other.name === variant.name);
    // Members without a namesake on the other side pair by position when
    // there are as many on both sides, else with the closest.
    const looseSources = sources.filter((v) => !sameName(v, targets));
    const looseTargets = targets.filter((v) => !sameName(v, sources));
    const positional = looseSources.length === looseTargets.length;
    const findings: Finding[] = [];
    sources.forEach((source) => {
      const byName = sameName(source, targets);
      if (byName !== undefined) {
        findings.push(...compare(source, byName));
        return;
      }
      const atPosition = positional
        ? looseTargets[looseSources.indexOf(source)]
        : undefined;
      if (atPosition !== undefined) {
        findings.push(...compare(source, atPosition));
        return;
      }
      // TypeScript reads a new named member of a response union as a new
      // case to handle (code that switches over the members misses it).
      if (!request && source.name !== undefined) {
        findings.push({
          kind: "union-member-added",
          path: "",
          text: `may now be ${source.name}`,
        });
        return;
      }
      const candidates = (looseTargets.length > 0 ? looseTargets : targets).map(
        (target) => compare(source, target),
      );
      const closest = candidates.reduce((best, next) =>
        next.length < best.length ? next : best,
      );
      // A named member that fits nowhere is easier to read by its name.
      if (closest.length > 0 && source.name !== undefined) {
        findings.push({
          kind: "union-member-removed",
          path: "",
          text: `no longer accepts ${source.name}`,
        });
      } else {
        findings.push(...closest);
      }
    });
    if (request) findings.push(...this.ambiguous(oldObjects, newObjects));
    return findings;
  }

  /**
   * A request object that used to be one alternative and now fits two or
   * more members of a `oneOf`: a valid `oneOf` value matches exactly one, so
   * the server rejects what it accepted before.
   */
  private ambiguous(
    oldObjects: readonly Variant[],
    newObjects: readonly Variant[],
  ): Finding[] {
    if (oldObjects.filter((v) => v.exclusive).length > 1) return [];
    const exclusive = newObjects.filter((v) => v.exclusive);
    if (exclusive.length < 2) return [];
    const findings: Finding[] = [];
    for (const source of oldObjects) {
      const fits = exclusive.filter(
        (target) => this.compareObjects(source, target, "request").length === 0,
      ).length;
      if (fits > 1) {
        findings.push({
          kind: "union-ambiguous",
          path: "",
          text: `now matches ${fits} members of a oneOf (a value that fits more than one is rejected)`,
        });
      }
    }
    return findings;
  }

  private compareObjects(
    before: Variant,
    after: Variant,
    direction: Direction,
  ): Finding[] {
    const findings: Finding[] = [];
    const oldProps = propertiesOf(this.oldDoc, before.schema);
    const newProps = propertiesOf(this.newDoc, after.schema);
    const oldRequired = requiredOf(this.oldDoc, before.schema);
    const newRequired = requiredOf(this.newDoc, after.schema);
    const self = (kind: Finding["kind"], path: string, text: string): void => {
      findings.push({ kind, path, text, self: true });
    };
    for (const [name, oldSchema] of oldProps) {
      const newSchema = newProps.get(name);
      if (newSchema === undefined) {
        // Responses: callers reading it lose it. Requests: callers sending it
        // no longer type-check, and a strict server rejects it.
        self("property-removed", name, "removed");
        continue;
      }
      if (
        direction === "request" &&
        !oldRequired.has(name) &&
        newRequired.has(name)
      ) {
        self("property-became-required", name, "became required");
      }
      if (
        direction === "response" &&
        oldRequired.has(name) &&
        !newRequired.has(name)
      ) {
        self(
          "property-became-optional",
          name,
          "is no longer required (may be missing)",
        );
      }
      for (const finding of this.pair(oldSchema, newSchema, direction)) {
        findings.push({ ...finding, path: joinPath(name, finding.path) });
      }
    }
    if (direction === "request") {
      // A name may be required without being declared among the properties.
      for (const name of new Set([...newProps.keys(), ...newRequired])) {
        if (
          !oldProps.has(name) &&
          !oldRequired.has(name) &&
          newRequired.has(name)
        ) {
          self("property-added-required", name, "added as required");
        }
      }
    }
    const oldExtra = extraOf(before.schema);
    const newExtra = extraOf(after.schema);
    if (isRecord(oldExtra) && isRecord(newExtra)) {
      for (const finding of this.pair(oldExtra, newExtra, direction)) {
        findings.push({ ...finding, path: joinPath("*", finding.path) });
      }
    }
    return findings;
  }
}

/**
 * The schema of an array's items: an array without `items` holds anything,
 * as `items: {}` says (so a response's `items: string` dropped is "may now be
 * any type", as it is when written `items: {}`).
 */
function itemsOf(variants: readonly Variant[]): unknown {
  const declared = variants.find((v) => v.schema["items"] !== undefined);
  if (declared !== undefined) return declared.schema["items"];
  return variants.some((v) => v.types.includes("array")) ? {} : undefined;
}

/** `additionalProperties` as a schema: `true` allows any value, as `{}` does. */
function extraOf(schema: JsonObject): unknown {
  const extra = schema["additionalProperties"];
  return extra === true ? {} : extra;
}
