/**
 * Whether an operation changed at all, breaking or not: a text that changes
 * whenever the operation or anything it references changes. Pure.
 */
import {
  canonicalJson,
  decodeRef,
  describeOperation,
  forEachRef,
  getAt,
  type OpenApiDocument,
  type OperationLocation,
} from "../refs.js";

/**
 * Fingerprints of a document's operations (canonical JSON, so key order does
 * not count). Component texts are cached: many operations share the same
 * schemas.
 */
export class Fingerprints {
  private readonly components = new Map<string, string>();

  constructor(private readonly doc: OpenApiDocument) {}

  /** The fingerprint of one operation of the document. */
  of(location: OperationLocation): string {
    const own = canonicalJson({
      at: describeOperation(location),
      parameters: location.pathItem["parameters"] ?? null,
      operation: location.operation,
    });
    const parts = [own];
    for (const ref of [...this.reachable(location)].sort()) {
      parts.push(ref, this.component(ref));
    }
    return parts.join("\n");
  }

  private component(ref: string): string {
    let text = this.components.get(ref);
    if (text === undefined) {
      const segments = decodeRef(ref);
      text = canonicalJson(
        segments === undefined ? null : getAt(this.doc, segments),
      );
      this.components.set(ref, text);
    }
    return text;
  }

  private reachable(location: OperationLocation): Set<string> {
    const seen = new Set<string>();
    const queue: unknown[] = [
      location.operation,
      location.pathItem["parameters"],
    ];
    while (queue.length > 0) {
      forEachRef(queue.pop(), (ref) => {
        if (seen.has(ref)) return;
        seen.add(ref);
        const segments = decodeRef(ref);
        if (segments !== undefined) queue.push(getAt(this.doc, segments));
      });
    }
    return seen;
  }
}
