/**
 * `npm run build`: writes `dist/esm` (ES modules) and `dist/cjs` (CommonJS).
 *
 * - ES modules: esbuild bundles each entry point into one file, leaving
 *   `openapi-fetch` (the runtime dependency) and Node's built-ins outside.
 *   One file per entry instead of one per source module roughly halves the
 *   time to import the package (measured by `npm run bench -- import`).
 * - CommonJS: tsc, one file per module. (esbuild's CommonJS output would
 *   read openapi-fetch's default export the way Node's ESM loader does, as
 *   the whole `module.exports`, because the sources sit in a `"type":
 *   "module"` package; tsc's interop reads `exports.default` as intended.)
 * - Declarations: tsc, per module system, so `import` and `require`
 *   consumers both get types that match what they load. tsc also type-checks
 *   the sources here, so a type error fails the build.
 * - The compiler API comes from TypeScript 6 (the `typescript` package is
 *   aliased to it): TypeScript 7, the project's `tsc`, has no such API yet.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild, type Format } from "esbuild";
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

const flavours: {
  folder: string;
  /** esbuild's bundle format, or undefined to let tsc emit one file per module. */
  bundle: Format | undefined;
  packageType: "module" | "commonjs";
  declarationOptions: ts.CompilerOptions;
}[] = [
  {
    folder: "esm",
    bundle: "esm",
    packageType: "module",
    declarationOptions: {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    },
  },
  {
    folder: "cjs",
    bundle: undefined,
    packageType: "commonjs",
    declarationOptions: {
      module: ts.ModuleKind.CommonJS,
      // Node10 resolution is deprecated from TypeScript 6; the sources'
      // relative imports carry their extensions, which Bundler resolves.
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      esModuleInterop: true,
    },
  },
];

async function build(): Promise<void> {
  await rm(dist, { recursive: true, force: true });
  for (const flavour of flavours) {
    const outDir = join(dist, flavour.folder);
    const entries = ENTRY_POINTS.filter(
      (entry) => flavour.bundle === "esm" || !ESM_ONLY.has(entry),
    );
    compile(entries, {
      ...flavour.declarationOptions,
      outDir,
      emitDeclarationOnly: flavour.bundle !== undefined,
    });
    if (flavour.bundle) {
      await esbuild({
        entryPoints: entries.map((entry) => join(root, entry)),
        outbase: root,
        outdir: outDir,
        bundle: true,
        format: flavour.bundle,
        platform: "node",
        target: "node20",
        packages: "external",
        // Whitespace and comments out (the declarations keep the TSDoc), names kept for stack
        // traces: the import parses a third less.
        minifyWhitespace: true,
        minifySyntax: true,
        logLevel: "error",
      });
    }
    // The nearest package.json decides how Node (and TypeScript) read these files.
    await mkdir(outDir, { recursive: true });
    await writeFile(
      join(outDir, "package.json"),
      `${JSON.stringify({ type: flavour.packageType })}\n`,
    );
  }
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
