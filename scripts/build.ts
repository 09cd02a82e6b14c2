/**
 * `npm run build`: compiles `src/` (and the `generated/` files it imports) twice,
 * to `dist/esm` (ES modules) and `dist/cjs` (CommonJS), each with its own
 * declarations, so `import` and `require` consumers both get code and types
 * that match their module system.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

/** The package's entry points; everything they import is compiled with them. */
const ENTRY_POINTS = [
  "src/index.ts",
  "src/types.ts",
  "src/testing/index.ts",
  "src/cli.ts",
];

const shared: ts.CompilerOptions = {
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
};

const variants: {
  folder: string;
  packageType: "module" | "commonjs";
  options: ts.CompilerOptions;
}[] = [
  {
    folder: "esm",
    packageType: "module",
    options: {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    },
  },
  {
    folder: "cjs",
    packageType: "commonjs",
    options: {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
    },
  },
];

async function build(): Promise<void> {
  await rm(dist, { recursive: true, force: true });
  const entries = await existingEntryPoints();
  for (const variant of variants) {
    const outDir = join(dist, variant.folder);
    const program = ts.createProgram(
      entries.map((entry) => join(root, entry)),
      { ...shared, ...variant.options, outDir },
    );
    const result = program.emit();
    const diagnostics = [
      ...ts.getPreEmitDiagnostics(program),
      ...result.diagnostics,
    ];
    if (diagnostics.length > 0) {
      const host: ts.FormatDiagnosticsHost = {
        getCanonicalFileName: (fileName) => fileName,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n",
      };
      throw new Error(ts.formatDiagnostics(diagnostics, host));
    }
    // The nearest package.json decides how Node (and TypeScript) read these files.
    await mkdir(outDir, { recursive: true });
    await writeFile(
      join(outDir, "package.json"),
      `${JSON.stringify({ type: variant.packageType })}\n`,
    );
  }
}

async function existingEntryPoints(): Promise<string[]> {
  const present = new Set<string>();
  for (const folder of new Set(
    ENTRY_POINTS.map((entry) => entry.slice(0, entry.lastIndexOf("/"))),
  )) {
    for (const name of await readdir(join(root, folder)).catch(() => []))
      present.add(`${folder}/${name}`);
  }
  return ENTRY_POINTS.filter((entry) => present.has(entry));
}

build().catch((error: unknown) => {
  process.stderr.write(
    `build failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
