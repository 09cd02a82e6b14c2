/**
 * TypeScript consumers of the installed package: the types entry and the
 * client's types, checked with `skipLibCheck: false` (so the package's
 * declarations and openapi-fetch's are checked too) under node16 (CommonJS
 * files), nodenext and bundler resolution.
 */
import { TYPESCRIPT_MODES, type TypeScriptRow } from "./matrix.js";

type Mode = (typeof TYPESCRIPT_MODES)[number];

const TYPES_ONLY = `import type { AgentStatusResponse, components, operations, paths } from "notte-api-client/types";
type Status = components["schemas"]["AgentStatus"];
type StopQuery = operations["agent_stop"]["parameters"]["query"];
type StopPath = keyof paths;
const closed: Status = "closed";
const status: Pick<AgentStatusResponse, "agent_id" | "status"> = { agent_id: "a", status: closed };
const query: StopQuery = { session_id: "s" };
const path: StopPath = "/agents/{agent_id}/stop";
// @ts-expect-error not a status the API knows
const wrong: Status = "paused";
export const shapes = [status, query, path, wrong];
`;

const CLIENT_TYPES = `import type { NotteClient, NotteApiError, StopAgentParams } from "notte-api-client";
export async function stopAll(notte: NotteClient, params: StopAgentParams[]): Promise<string[]> {
  const statuses = await Promise.all(params.map((p) => notte.agents.stop(p, { timeoutMs: 1000 })));
  return statuses.map((s) => s.status);
}
export function statusOf(error: NotteApiError): number {
  return error.status;
}
`;

const SETTINGS: Record<Mode, { module: string; moduleResolution: string }> = {
  node16: { module: "node16", moduleResolution: "node16" },
  nodenext: { module: "nodenext", moduleResolution: "nodenext" },
  bundler: { module: "esnext", moduleResolution: "bundler" },
};

/** The tsconfig for one TypeScript version and mode, relative to the consumer. */
export function tsconfigPath(row: TypeScriptRow, mode: Mode): string {
  return `ts/tsconfig.${row.id}.${mode}.json`;
}

/** Where that project's output goes, relative to the consumer. */
export function outDir(row: TypeScriptRow, mode: Mode): string {
  return `ts/out-${row.id}-${mode}`;
}

/** The file holding the emitted types-only module (it must import nothing at run time). */
export function emittedTypesOnly(row: TypeScriptRow, mode: Mode): string {
  return `${outDir(row, mode)}/types-only.${mode === "node16" ? "cjs" : "js"}`;
}

/** The consumer files for these rows, by path. */
export function typescriptConsumerFiles(
  rows: readonly TypeScriptRow[],
): Record<string, string> {
  const files: Record<string, string> = {
    "ts/types-only.ts": TYPES_ONLY,
    "ts/client.ts": CLIENT_TYPES,
    "ts/types-only.cts": TYPES_ONLY,
    "ts/client.cts": CLIENT_TYPES,
  };
  for (const row of rows) {
    for (const mode of TYPESCRIPT_MODES) {
      files[tsconfigPath(row, mode)] = JSON.stringify({
        compilerOptions: {
          ...SETTINGS[mode],
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          strict: true,
          skipLibCheck: false,
          types: [],
          outDir: `out-${row.id}-${mode}`,
          rootDir: ".",
          verbatimModuleSyntax: mode !== "node16",
        },
        files:
          mode === "node16"
            ? ["types-only.cts", "client.cts"]
            : ["types-only.ts", "client.ts"],
      });
    }
  }
  return files;
}
