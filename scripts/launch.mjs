// @ts-check
/**
 * `npm run generate`: runs scripts/generate.ts without a TypeScript loader
 * at run time. tsx would cost about half a second on every run (its own
 * process, a loader thread every module import goes through, source maps);
 * instead, the first run after scripts/ changed bundles them with esbuild
 * (a dev dependency, as tsx is) into node_modules/.cache, one file per
 * lazily imported module, and every run imports that bundle. The cache is
 * keyed by the content of scripts/ and esbuild's version, and written under
 * a temporary name then renamed: a stale or half-written bundle is never run.
 *
 * JavaScript, not TypeScript, because it is what runs before anything can
 * compile TypeScript; it holds no pipeline logic.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import module, { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const scriptsDir = dirname(fileURLToPath(import.meta.url));
const entry = join(scriptsDir, "generate.ts");
const require = createRequire(import.meta.url);

/** Every .ts file under `dir`, sorted, as paths. */
async function sources(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** A hash of the sources and of the bundler that compiles them. */
async function cacheKey() {
  const hash = createHash("sha256");
  hash.update(String(require("esbuild/package.json").version));
  for (const file of await sources(scriptsDir)) {
    hash.update(relative(scriptsDir, file));
    hash.update("\0");
    hash.update(await readFile(file));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The directory of cached bundles, inside node_modules: the bundle imports
 * the dependencies by name, which resolve from there as from scripts/.
 */
async function cacheRoot() {
  const root = join(
    scriptsDir,
    "..",
    "node_modules",
    ".cache",
    "notte-generate",
  );
  await mkdir(root, { recursive: true });
  return root;
}

/** The bundle's entry file for the current sources, built if missing. */
async function bundle() {
  const root = await cacheRoot();
  const outdir = join(root, await cacheKey());
  const main = join(outdir, "generate.js");
  try {
    await readFile(main);
    return main;
  } catch {
    // Not built yet for these sources.
  }
  const esbuild = await import("esbuild");
  const temporary = `${outdir}.${process.pid}.tmp`;
  await rm(temporary, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [entry],
    outdir: temporary,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Dependencies are loaded from node_modules as usual.
    packages: "external",
    logLevel: "error",
  });
  try {
    await rename(temporary, outdir);
  } catch {
    // Another run built the same bundle first: use that one.
    await rm(temporary, { recursive: true, force: true });
  }
  await forgetOldBundles(root, outdir);
  return main;
}

/** Removes bundles of other sources not used for a day (a run still going may be using a recent one). */
async function forgetOldBundles(root, keep) {
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of await readdir(root)) {
    const path = join(root, name);
    if (path === keep) continue;
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && info.mtimeMs < dayAgo)
      await rm(path, { recursive: true, force: true });
  }
}

// Node 22 and later can keep compiled code between runs (the TypeScript
// compiler that openapi-typescript loads is most of the start-up); Node 20
// has no such cache and goes on without.
module.enableCompileCache?.();
await import(pathToFileURL(await bundle()).href);
