/**
 * Runtimes and compilers for the matrix, installed from the npm registry into
 * a cache under the system temp dir, so a second run downloads nothing.
 */
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where installed packages are kept between runs, one folder per spec. */
export const RUNTIME_CACHE = join(tmpdir(), "notte-api-client-runtimes");

const pending = new Map<string, Promise<string>>();

/**
 * The `node_modules` folder in which `spec` (`name@exact-version`) is
 * installed, installing it on first use. Install scripts never run: the
 * platform packages hold their binaries, and nothing may download from
 * anywhere but the registry. A folder appears only once complete (installed
 * elsewhere, then renamed), so an interrupted run or a parallel one never
 * sees half a package.
 */
export function installCached(spec: string): Promise<string> {
  let install = pending.get(spec);
  if (!install) {
    install = installInto(spec);
    pending.set(spec, install);
  }
  return install;
}

async function installInto(spec: string): Promise<string> {
  const folder = join(RUNTIME_CACHE, spec.replace(/[^\w.@-]+/g, "_"));
  const modules = join(folder, "node_modules");
  if (await exists(modules)) return modules;
  await mkdir(RUNTIME_CACHE, { recursive: true });
  const scratch = await mkdtemp(join(RUNTIME_CACHE, ".installing-"));
  try {
    await run(
      "npm",
      [
        "install",
        "--prefix",
        scratch,
        "--no-save",
        "--no-package-lock",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        spec,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    await rename(scratch, folder).catch(async (error: unknown) => {
      // Another run finished the same install first: keep that one.
      if (!(await exists(modules))) throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return modules;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
