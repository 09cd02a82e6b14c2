/**
 * The package as a user installs it: `npm pack` of the built dist/, installed
 * into a throwaway consumer project. Shared by the packaging tests and the
 * runtime matrix.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** `execFile` as a promise of `{ stdout, stderr }`; rejects on a non-zero exit. */
export const run = promisify(execFile);

/** The repository root. */
export const root = fileURLToPath(new URL("../..", import.meta.url));

/** A consumer project with the packed tarball installed. */
export interface Consumer {
  /** The scratch folder holding the tarball and the project (remove it when done). */
  readonly work: string;
  readonly tarball: string;
  /** The consumer project's folder. */
  readonly dir: string;
}

/**
 * Packs dist/ (fresh from test/global-setup.ts, so without a second build)
 * and installs the tarball into a new project made of `files`.
 */
export async function installConsumer(
  prefix: string,
  files: Record<string, string>,
): Promise<Consumer> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const { stdout } = await run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", work],
    { cwd: root },
  );
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  const tarball = join(work, packed!.filename);
  const dir = join(work, "consumer");
  await writeFiles(dir, files);
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--ignore-scripts",
      tarball,
    ],
    { cwd: dir },
  );
  return { work, tarball, dir };
}

async function writeFiles(
  folder: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(folder, name)), { recursive: true });
    await writeFile(join(folder, name), content);
  }
}
