/**
 * `npm run build`: `dist/esm`, one esbuild bundle per entry (half the import
 * time); `dist/cjs`, tsc per module (esbuild's CommonJS misreads openapi-fetch's
 * default export in a `"type": "module"` package); declarations by tsc, through
 * TypeScript 6's compiler API (`typescript`; TypeScript 7's `tsc` has none yet).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

/** The package's entry points (see `exports` and `bin` in package.json). */
const ENTRY_POINTS = [
  "src/index.ts",
  "src/types.ts",
  "src/testing/index.ts",
  "src/cli.ts",
  "src/testing/cli.ts",
];
/** The commands run as ES modules only (`bin` points at dist/esm). */
const ESM_ONLY = new Set(["src/cli.ts", "src/testing/cli.ts"]);

async function build(): Promise<void> {
  await rm(dist, { recursive: true, force: true });
  const esm = join(dist, "esm");
  compile(ENTRY_POINTS, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    outDir: esm,
    emitDeclarationOnly: true,
  });
  await esbuild({
    entryPoints: ENTRY_POINTS.map((entry) => join(root, entry)),
    outbase: root,
    outdir: esm,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    // The import parses a third less; names kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "error",
  });
  await writePackageType(esm, "module");
  const cjs = join(dist, "cjs");
  const commonJs = ENTRY_POINTS.filter((entry) => !ESM_ONLY.has(entry));
  compile(commonJs, {
    module: ts.ModuleKind.CommonJS,
    // Node10 resolution is deprecated from TypeScript 6; the sources'
    // relative imports carry their extensions, which Bundler resolves.
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    esModuleInterop: true,
    outDir: cjs,
  });
  await writePackageType(cjs, "commonjs");
}

/** The nearest package.json decides how Node (and TypeScript) read the files in `dir`. */
async function writePackageType(dir: string, type: "module" | "commonjs") {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ type })}\n`);
}

/** Type-checks the entries and emits declarations (and JavaScript, unless told not to). */
function compile(entries: string[], options: ts.CompilerOptions): void {
  const program = ts.createProgram(
    entries.map((entry) => join(root, entry)),
    {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      types: ["node"],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: true,
      declaration: true,
      rootDir: root,
      newLine: ts.NewLineKind.LineFeed,
      ...options,
    },
  );
  const result = program.emit();
  const diagnostics = [
    ...ts.getPreEmitDiagnostics(program),
    ...result.diagnostics,
  ];
  if (diagnostics.length > 0) {
    throw new Error(
      ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (fileName) => fileName,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n",
      }),
    );
  }
}

build().catch((error: unknown) => {
  process.stderr.write(
    `build failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
