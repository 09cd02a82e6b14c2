/**
 * What a pull found, in one value that every report format renders: where
 * the document came from, what was kept, what changed, what was written.
 */
import type { DocumentDiff } from "../diff/index.js";
import type { WriteResult } from "../write.js";

/** Everything a report says about one pull. */
export interface PullReport {
  /** The source as shown in messages (a URL without credentials, or a path). */
  readonly source: string;
  /** Size of the upstream document in bytes. */
  readonly bytes: number;
  /** How many operations the upstream document has. */
  readonly operationsInDocument: number;
  /** The configured operations found upstream, kept. */
  readonly kept: readonly string[];
  /** Configured operations the previous openapi.json had and upstream no longer has. */
  readonly removedUpstream: readonly string[];
  readonly diff: DocumentDiff;
  /** Whether openapi.json would change (dry run) or changed. */
  readonly documentChanged: boolean;
  readonly dryRun: boolean;
  /** `undefined` when nothing was written (dry run, or a kept operation removed upstream). */
  readonly files: WriteResult | undefined;
  /** One line each: what was tolerated (a broken `$ref` outside the kept operations...). */
  readonly warnings: readonly string[];
  /** Why there is nothing to compare with, if the previous openapi.json could not be read. */
  readonly previousNote: string | undefined;
}

/** `n noun` or `n nouns`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
