/**
 * Part `size`: the client as a consumer's bundler sees it, and the package as
 * npm ships it.
 *
 * - esbuild `--bundle --minify` (ESM, browser platform, ES2022) of a small
 *   file that imports `NotteClient` and calls `stop`, next to the same call
 *   with bare openapi-fetch and with plain fetch; bytes minified and gzipped
 *   (zlib, level 9);
 * - `npm pack --dry-run --json --ignore-scripts` of this package (dist/ is
 *   built first when stale) and of the installed openapi-fetch.
 *
 * The entry files live in a scratch folder under test/bench/results/
 * (gitignored), so `openapi-fetch` resolves from the project's node_modules
 * exactly as in a consumer's project.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import {
  assertSucceeded,
  BENCH_DIR,
  builtPackage,
  fmtBytes,
  fmtNumber,
  ROOT,
  runChild,
  type PartResult,
  type Row,
} from "./common.js";

/** The budget: this package's bundle at most this many gzipped bytes above openapi-fetch's. */
const BUDGET_EXTRA_GZIP_BYTES = 6_000;

type Variant = "notte" | "openapiFetch" | "fetch";

const entries = (packageEntry: string): Record<Variant, string> => ({
  notte: [
    `import { NotteClient } from ${JSON.stringify(packageEntry)};`,
    `const notte = new NotteClient({ apiKey: "sk_live_example", baseUrl: "https://api.notte.cc" });`,
    `const status = await notte.agents.stop({ agentId: "agent_1", sessionId: "session_1" });`,
    `console.log(status.status);`,
  ].join("\n"),
  openapiFetch: [
    `import createClient from "openapi-fetch";`,
    `const client = createClient({ baseUrl: "https://api.notte.cc", headers: { Authorization: "Bearer sk_live_example" } });`,
    `const { data } = await client.DELETE("/agents/{agent_id}/stop", {`,
    `  params: { path: { agent_id: "agent_1" }, query: { session_id: "session_1" } },`,
    `});`,
    `console.log(data?.status);`,
  ].join("\n"),
  fetch: [
    `const url = "https://api.notte.cc/agents/" + encodeURIComponent("agent_1") + "/stop?session_id=" + encodeURIComponent("session_1");`,
    `const response = await fetch(url, { method: "DELETE", headers: { Authorization: "Bearer sk_live_example" } });`,
    `console.log((await response.json()).status);`,
  ].join("\n"),
});

interface BundleSize {
  minified: number;
  gzipped: number;
  /** Bytes in the output per input file, largest first. */
  inputs: [string, number][];
}

async function bundle(entry: string, outfile: string): Promise<BundleSize> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined)
    throw new Error(`esbuild wrote nothing for ${entry}`);
  return {
    minified: output.contents.byteLength,
    gzipped: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs: inputsOf(result.metafile),
  };
}

function inputsOf(metafile: Metafile): [string, number][] {
  const inputs: [string, number][] = [];
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      inputs.push([
        path
          .replace(/^.*node_modules\//, "")
          .replace(/^.*dist\/esm\//, "dist/esm/"),
        bytesInOutput,
      ]);
    }
  }
  return inputs.sort((a, b) => b[1] - a[1]);
}

/** What `npm pack --dry-run --json` says about a package folder. */
interface PackInfo {
  name: string;
  version: string;
  /** The .tgz, in bytes. */
  size: number;
  unpackedSize: number;
  entryCount: number;
}

async function pack(folder: string): Promise<PackInfo> {
  const run = await runChild(
    "npm",
    ["pack", "--dry-run", "--json", "--ignore-scripts"],
    {
      cwd: folder,
      timeoutMs: 120_000,
    },
  );
  assertSucceeded(run, `npm pack in ${folder}`);
  const parsed = JSON.parse(
    run.stdout.slice(run.stdout.indexOf("[")),
  ) as PackInfo[];
  const info = parsed[0];
  if (info === undefined)
    throw new Error(`npm pack printed nothing for ${folder}`);
  return info;
}

export async function runSizePart(): Promise<PartResult> {
  const built = await builtPackage();
  const buildNote = built.note;
  const sources = entries(built.entry);
  const scratch = join(BENCH_DIR, "results", `size-${process.pid}`);
  await mkdir(scratch, { recursive: true });
  try {
    const sizes = {} as Record<Variant, BundleSize>;
    for (const variant of Object.keys(sources) as Variant[]) {
      const entry = join(scratch, `${variant}.mjs`);
      await writeFile(entry, `${sources[variant]}\n`);
      sizes[variant] = await bundle(entry, join(scratch, `${variant}.out.js`));
    }
    const ownPack = await pack(built.root);
    const openapiFetchPack = await pack(
      join(ROOT, "node_modules", "openapi-fetch"),
    );

    const extraGzip = sizes.notte.gzipped - sizes.openapiFetch.gzipped;
    const rows: Row[] = [
      {
        part: "size",
        measure: "bundle, minified",
        pkg: fmtBytes(sizes.notte.minified),
        openapiFetch: fmtBytes(sizes.openapiFetch.minified),
        baseline: fmtBytes(sizes.fetch.minified),
        ratio: `+${fmtBytes(sizes.notte.minified - sizes.openapiFetch.minified)}`,
        budget: "",
        met: undefined,
      },
      {
        part: "size",
        measure: "bundle, minified + gzip",
        pkg: fmtBytes(sizes.notte.gzipped),
        openapiFetch: fmtBytes(sizes.openapiFetch.gzipped),
        baseline: fmtBytes(sizes.fetch.gzipped),
        ratio: `+${fmtBytes(extraGzip)}`,
        budget: `≤ +${fmtBytes(BUDGET_EXTRA_GZIP_BYTES)} (issue 14)`,
        met: extraGzip <= BUDGET_EXTRA_GZIP_BYTES,
      },
      {
        part: "size",
        measure: "npm pack: tarball (unpacked, files)",
        pkg: `${fmtBytes(ownPack.size)} (${fmtNumber(ownPack.unpackedSize / 1024, 0)} KiB, ${ownPack.entryCount})`,
        openapiFetch: `${fmtBytes(openapiFetchPack.size)} (${fmtNumber(openapiFetchPack.unpackedSize / 1024, 0)} KiB, ${openapiFetchPack.entryCount})`,
        baseline: "",
        ratio: "",
        budget: "",
        met: undefined,
      },
    ];
    const top = sizes.notte.inputs
      .slice(0, 6)
      .map(([path, bytes]) => `${path} ${fmtBytes(bytes)}`)
      .join(", ");
    const notes = [
      `size: ${buildNote}; esbuild --bundle --minify (esm, browser, es2022), gzip -9; this package's bundle holds openapi-fetch's code too; largest inputs: ${top}`,
      `size: the installed openapi-fetch ${openapiFetchPack.version} packed the same way for comparison; this package also installs it (and openapi-typescript-helpers) as dependencies`,
    ];
    return {
      rows,
      raw: {
        bundles: sizes,
        extraGzipBytes: extraGzip,
        pack: { notte: ownPack, openapiFetch: openapiFetchPack },
      },
      notes,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
