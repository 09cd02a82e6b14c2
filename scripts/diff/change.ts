/**
 * What the diff reports: one {@link Change} per thing that changed, with a
 * kind a machine can act on and a message a person can read. Shared by every
 * file of `diff/` and by the reports.
 */

/** Every kind of change the diff reports. The README's rules table has one example of each breaking kind. */
export const CHANGE_KINDS = [
  // Breaking: an operation.
  "operation-removed",
  "operation-moved",
  // Breaking: parameters and the request body (what the caller sends).
  "parameter-removed",
  "parameter-became-required",
  "parameter-added-required",
  "request-body-removed",
  "request-body-became-required",
  "request-body-added-required",
  "media-type-removed",
  // Breaking: responses (what the caller receives).
  "response-removed",
  // Breaking: inside a schema (request or response side).
  "type-no-longer-accepted",
  "type-added",
  "type-removed",
  "enum-value-removed",
  "enum-value-added",
  "enum-imposed",
  "enum-lifted",
  "constraint-tightened",
  "pattern-changed",
  "default-changed",
  "property-removed",
  "property-became-required",
  "property-added-required",
  "property-became-optional",
  "union-member-removed",
  "union-member-added",
  "union-ambiguous",
  // Not breaking: what the lists of the text report show.
  "operation-added",
  "operation-changed",
  "schema-added",
  "schema-removed",
  "schema-changed",
  "component-added",
  "component-removed",
  "component-changed",
  "document-key-added",
  "document-key-removed",
  "document-key-changed",
] as const;

/** One of {@link CHANGE_KINDS}. */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One change between the previous and the new document. */
export interface Change {
  readonly kind: ChangeKind;
  /**
   * Where: an operation and the part of it (`agent_stop: query parameter
   * "session_id"`), or a name (`AgentStatus` for a schema, `info` for a
   * top-level key).
   */
  readonly location: string;
  /** One line saying what changed, location included. */
  readonly message: string;
  /** Whether code that compiled against the old types may now fail. */
  readonly breaking: boolean;
}

/** A breaking change found inside a schema, relative to the schema compared. */
export interface Finding {
  readonly kind: ChangeKind;
  /** Property path from the compared schema, e.g. `steps[].name`; empty for the schema itself. */
  readonly path: string;
  readonly text: string;
  /** The text is about the property itself ("removed"), not about its value ("may now be null"). */
  readonly self?: true;
}

/** Which side of the exchange a schema describes: what the caller sends, or what it receives. */
export type Direction = "request" | "response";

/** A breaking change at `location`, whose message is `location: text`. */
export function breakingChange(
  kind: ChangeKind,
  location: string,
  text: string,
): Change {
  return { kind, location, message: `${location}: ${text}`, breaking: true };
}

/** Prefixes a finding's path with the property (or `[]`, `*`) it was found under. */
export function joinPath(head: string, rest: string): string {
  if (rest === "") return head;
  return rest.startsWith("[") ? `${head}${rest}` : `${head}.${rest}`;
}
