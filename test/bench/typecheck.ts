/**
 * Part `typecheck`: what type-checking costs a consumer.
 *
 * Three small consumer projects, each one file that stops an agent and uses
 * the result:
 *
 * - with this package (its built declarations, through a node_modules link);
 * - with bare openapi-fetch and the full, unpruned types of the large
 *   synthetic document (openapi-typescript output, as `schema.d.ts`, the way
 *   openapi-fetch's documentation sets it up);
 * - with plain fetch and a hand-written type (the floor: lib and @types/node);
 * - (in the notes) with bare openapi-fetch and the committed, pruned types.
 *
 * `tsc --noEmit --extendedDiagnostics` (strict, NodeNext, skipLibCheck),
 * interleaved rounds; times are medians, counts do not vary.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import {
  assertSucceeded,
  BENCH_DIR,
  builtPackage,
  fmtNumber,
  fmtRatio,
  ROOT,
  runChild,
  tempDir,
  type PartResult,
  type Row,
} from "./common.js";
import { rotate, summarize } from "./stats.js";
import { buildSyntheticOpenApi } from "./synthetic-openapi.js";

export interface TypecheckSettings {
  rounds: number;
}

export const DEFAULT_TYPECHECK_SETTINGS: TypecheckSettings = { rounds: 3 };

// TypeScript 6, the JavaScript compiler (aliased as `typescript`), so the
// counts stay comparable with the README's earlier runs.
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc6");
const CLI = join(ROOT, "node_modules", "openapi-typescript", "bin", "cli.js");
/** Generated types are kept here between runs (the folder is gitignored), keyed by the document's hash. */
const CACHE_DIR = join(BENCH_DIR, "results", "cache");

type Consumer = "notte" | "openapiFetch" | "fetch" | "openapiFetchPruned";

const SOURCES: Record<Consumer, string> = {
  notte: `import { NotteClient } from "notte-api-client";

const notte = new NotteClient({ apiKey: "sk_live_example" });
const status = await notte.agents.stop({ agentId: "agent_1", sessionId: "session_1" });
const closed: boolean = status.status === "closed";
console.log(status.agent_id, status.closed_at ?? "still running", closed);
`,
  openapiFetch: `import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const client = createClient<paths>({
  baseUrl: "https://api.notte.cc",
  headers: { Authorization: "Bearer sk_live_example" },
});
const { data, error } = await client.DELETE("/agents/{agent_id}/stop", {
  params: { path: { agent_id: "agent_1" }, query: { session_id: "session_1" } },
});
if (error !== undefined) throw new Error("stop failed");
const closed: boolean = data.status === "closed";
console.log(data.agent_id, data.closed_at ?? "still running", closed);
`,
  openapiFetchPruned: "",
  fetch: `interface AgentStatusResponse {
  agent_id: string;
  session_id: string;
  status: "active" | "closed";
  closed_at?: string | null;
}

const response = await fetch(
  \`https://api.notte.cc/agents/\${encodeURIComponent("agent_1")}/stop?session_id=\${encodeURIComponent("session_1")}\`,
  { method: "DELETE", headers: { Authorization: "Bearer sk_live_example" } },
);
if (!response.ok) throw new Error(\`stop failed: \${response.status}\`);
const status = (await response.json()) as AgentStatusResponse;
const closed: boolean = status.status === "closed";
console.log(status.agent_id, status.closed_at ?? "still running", closed);
`,
};

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  },
  files: ["consumer.ts"],
};

/**
 * Where openapi-typescript's output (`--alphabetize`) for a document is
 * cached: keyed by the document's text and openapi-typescript's version.
 */
export async function typesCachePath(documentText: string): Promise<string> {
  const cliPackage = JSON.parse(
    await readFile(
      join(ROOT, "node_modules", "openapi-typescript", "package.json"),
      "utf8",
    ),
  ) as { version: string };
  const key = createHash("sha256")
    .update(cliPackage.version)
    .update("\0")
    .update(documentText)
    .digest("hex");
  // Not .d.ts: the project's tsconfig includes test/, and would read it.
  return join(CACHE_DIR, `synthetic-${key.slice(0, 16)}.types.txt`);
}

/** Puts generated types into the cache, replacing older entries (one document is cached at a time). */
export async function storeTypes(
  documentText: string,
  typesFile: string,
): Promise<string> {
  const target = await typesCachePath(documentText);
  await mkdir(CACHE_DIR, { recursive: true });
  for (const name of await readdir(CACHE_DIR)) {
    if (name.startsWith("synthetic-") && join(CACHE_DIR, name) !== target)
      await rm(join(CACHE_DIR, name), { force: true });
  }
  await copyFile(typesFile, target);
  return target;
}

/**
 * openapi-typescript's output for the large synthetic document, generated
 * once per document (the `generate` part's CLI run leaves it in the cache too).
 */
export async function largeDocumentTypes(): Promise<{
  path: string;
  operations: number;
  fromCache: boolean;
}> {
  const { doc, operationIds } = await buildSyntheticOpenApi();
  const text = JSON.stringify(doc);
  const cached = await typesCachePath(text);
  if (existsSync(cached))
    return { path: cached, operations: operationIds.length, fromCache: true };
  const scratch = await tempDir("types");
  try {
    const input = join(scratch.path, "synthetic-openapi.json");
    await writeFile(input, text);
    const output = join(scratch.path, "schema.ts");
    const run = await runChild(
      process.execPath,
      [CLI, input, "--alphabetize", "-o", output],
      { timeoutMs: 180_000 },
    );
    assertSucceeded(run, "openapi-typescript on the large document");
    await storeTypes(text, output);
  } finally {
    await scratch.remove();
  }
  return { path: cached, operations: operationIds.length, fromCache: false };
}

/** A consumer project in `dir`: package.json, tsconfig.json, consumer.ts, node_modules links. */
async function makeConsumer(
  dir: string,
  consumer: Consumer,
  schema: string | undefined,
  packageRoot: string,
): Promise<void> {
  await mkdir(join(dir, "node_modules", "@types"), { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ name: `consumer-${consumer}`, type: "module", private: true })}\n`,
  );
  await writeFile(
    join(dir, "tsconfig.json"),
    `${JSON.stringify(TSCONFIG, null, 2)}\n`,
  );
  // The pruned consumer is the openapi-fetch one with the committed (one-operation) types.
  await writeFile(
    join(dir, "consumer.ts"),
    consumer === "openapiFetchPruned"
      ? SOURCES.openapiFetch
      : SOURCES[consumer],
  );
  if (schema !== undefined) await copyFile(schema, join(dir, "schema.d.ts"));
  await symlink(
    packageRoot,
    join(dir, "node_modules", "notte-api-client"),
    "dir",
  );
  await symlink(
    join(ROOT, "node_modules", "openapi-fetch"),
    join(dir, "node_modules", "openapi-fetch"),
    "dir",
  );
  await symlink(
    join(ROOT, "node_modules", "@types", "node"),
    join(dir, "node_modules", "@types", "node"),
    "dir",
  );
}

/** The numbers of `--extendedDiagnostics` we keep. */
interface Diagnostics {
  files: number;
  types: number;
  instantiations: number;
  memoryKiB: number;
  parseSeconds: number;
  bindSeconds: number;
  checkSeconds: number;
  totalSeconds: number;
  /** The tsc process, start to exit (includes loading TypeScript itself). */
  processSeconds: number;
}

function parseDiagnostics(output: string, processSeconds: number): Diagnostics {
  const value = (label: string): number => {
    const match = new RegExp(`^${label}:\\s+([\\d.]+)`, "m").exec(output);
    if (match?.[1] === undefined)
      throw new Error(`tsc printed no "${label}":\n${output.slice(0, 2000)}`);
    return Number(match[1]);
  };
  return {
    files: value("Files"),
    types: value("Types"),
    instantiations: value("Instantiations"),
    memoryKiB: value("Memory used"),
    parseSeconds: value("Parse time"),
    bindSeconds: value("Bind time"),
    checkSeconds: value("Check time"),
    totalSeconds: value("Total time"),
    processSeconds,
  };
}

export async function runTypecheckPart(
  overrides: Partial<TypecheckSettings> = {},
): Promise<PartResult> {
  const settings = { ...DEFAULT_TYPECHECK_SETTINGS, ...overrides };
  const { root: packageRoot, note: buildNote } = await builtPackage();
  const large = await largeDocumentTypes();
  const schemaBytes = (await readFile(large.path)).byteLength;
  const scratch = await tempDir("typecheck");
  try {
    const consumers: Consumer[] = [
      "notte",
      "openapiFetch",
      "fetch",
      "openapiFetchPruned",
    ];
    const schemas: Record<Consumer, string | undefined> = {
      notte: undefined,
      openapiFetch: large.path,
      fetch: undefined,
      openapiFetchPruned: join(ROOT, "generated", "notte-api.ts"),
    };
    for (const consumer of consumers) {
      await makeConsumer(
        join(scratch.path, consumer),
        consumer,
        schemas[consumer],
        packageRoot,
      );
    }
    const samples: Record<Consumer, Diagnostics[]> = {
      notte: [],
      openapiFetch: [],
      fetch: [],
      openapiFetchPruned: [],
    };
    for (let round = 0; round < settings.rounds; round++) {
      for (const consumer of rotate(consumers, round)) {
        const project = join(scratch.path, consumer, "tsconfig.json");
        const run = await runChild(
          process.execPath,
          [TSC, "-p", project, "--extendedDiagnostics"],
          {
            timeoutMs: 180_000,
          },
        );
        assertSucceeded(run, `tsc for the ${consumer} consumer`);
        samples[consumer].push(parseDiagnostics(run.stdout, run.wallMs / 1000));
      }
    }
    const medianOf = (consumer: Consumer, key: keyof Diagnostics): number =>
      summarize(samples[consumer].map((sample) => sample[key])).median;
    const row = (
      measure: string,
      key: keyof Diagnostics,
      format: (value: number) => string,
    ): Row => ({
      part: "typecheck",
      measure,
      pkg: format(medianOf("notte", key)),
      openapiFetch: format(medianOf("openapiFetch", key)),
      baseline: format(medianOf("fetch", key)),
      ratio: fmtRatio(medianOf("notte", key) / medianOf("openapiFetch", key)),
      budget: "",
      met: undefined,
    });
    const seconds = (value: number): string => `${fmtNumber(value, 2)} s`;
    const count = (value: number): string => fmtNumber(value, 0);
    const rows: Row[] = [
      row("tsc check time", "checkSeconds", seconds),
      row("tsc total time (parse+bind+check)", "totalSeconds", seconds),
      row("types", "types", count),
      row("instantiations", "instantiations", count),
      row(
        "memory used",
        "memoryKiB",
        (value) => `${fmtNumber(value / 1024, 0)} MiB`,
      ),
    ];
    const notes = [
      `typecheck: ${buildNote}; openapi-fetch column = bare openapi-fetch with the unpruned types of the large document (${large.operations} operations, schema.d.ts ${fmtNumber(schemaBytes / 1e6, 1)} MB${large.fromCache ? ", cached" : ""}); plain fetch column = a hand-written response type; bare openapi-fetch with the committed one-operation types instead: check ${seconds(medianOf("openapiFetchPruned", "checkSeconds"))}, ${count(medianOf("openapiFetchPruned", "types"))} types, ${count(medianOf("openapiFetchPruned", "instantiations"))} instantiations; ${settings.rounds} rounds; tsc process wall time (incl. loading TypeScript): ${seconds(medianOf("notte", "processSeconds"))} / ${seconds(medianOf("openapiFetch", "processSeconds"))} / ${seconds(medianOf("fetch", "processSeconds"))}`,
    ];
    return { rows, raw: { settings, schemaBytes, samples }, notes };
  } finally {
    await scratch.remove();
  }
}
