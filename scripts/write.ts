/**
 * Stage 7, write (or check): put the emitted files on disk, all or nothing as
 * far as a file system allows, or compare them with what is there.
 */
import { randomBytes } from "node:crypto";
import {
  mkdir,
  readFile,
  readdir,
  rename,
  unlink,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PipelineError, describeError } from "./document.js";

/** What {@link writeFiles} did, by path relative to the root. */
export interface WriteResult {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/** A file that is not what the pipeline would produce. */
export interface StaleFile {
  /** Path relative to the root, with `/` separators. */
  readonly path: string;
  /** `differs`: wrong contents; `missing`: should exist; `extra`: should not exist. */
  readonly reason: "differs" | "missing" | "extra";
}

/**
 * Writes `files` under `root` and removes any other file from `ownedDir`.
 *
 * Every changed file is first written to a temporary file in its own
 * directory; only when all of them are written are they renamed into place
 * (a rename within a directory is atomic). A failure before that point
 * leaves every target untouched and removes the temporary files. Files whose
 * contents are already right are not rewritten (their timestamps stay).
 *
 * @param root - The project directory.
 * @param files - Contents by path relative to `root`.
 * @param ownedDir - Directory (relative to `root`) that holds only pipeline output.
 * @throws PipelineError naming the file that could not be written.
 */
export async function writeFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<WriteResult> {
  const release = await acquireLock(root);
  try {
    return await writeUnlocked(root, files, ownedDir);
  } finally {
    await release();
  }
}

/** The lock file in the project directory that two runs writing at once would race for. */
export const LOCK_FILE = ".generate.lock";

/**
 * Takes the project's write lock: two runs renaming their files into place
 * at the same time could leave openapi.json from one and generated/ from
 * the other. A lock left by a process that no longer runs is taken over.
 *
 * @throws PipelineError while another live run holds it.
 */
async function acquireLock(root: string): Promise<() => Promise<void>> {
  const path = join(root, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: "wx" });
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw new PipelineError(
          `cannot create ${path}: ${describeError(error)}`,
          { cause: error },
        );
    }
    const holder = Number.parseInt((await readIfExists(path)) ?? "", 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder))
      throw new PipelineError(
        `another generate run (pid ${holder}) is writing ${root}; nothing written (remove ${LOCK_FILE} if it is stale)`,
      );
    await unlink(path).catch(() => undefined);
  }
  throw new PipelineError(`cannot take ${path}: another run keeps taking it`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function writeUnlocked(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<WriteResult> {
  const changed: [path: string, contents: string][] = [];
  const unchanged: string[] = [];
  // What each changed file held before, to put back if a later rename fails.
  const previous = new Map<string, string | undefined>();
  for (const [path, contents] of files) {
    const current = await readIfExists(join(root, path));
    if (current === contents) {
      unchanged.push(path);
    } else {
      changed.push([path, contents]);
      previous.set(join(root, path), current);
    }
  }
  // The owned directory's files first, the document (openapi.json) last: the
  // document is the source of truth, replaced only once its outputs are.
  const inOwnedDir = (path: string): boolean => path.startsWith(`${ownedDir}/`);
  changed.sort(([a], [b]) => Number(inOwnedDir(b)) - Number(inOwnedDir(a)));
  const extra = (await listExtra(root, files, ownedDir)).map((s) => s.path);

  const temporary: [temp: string, target: string][] = [];
  try {
    for (const [path, contents] of changed) {
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true });
      // Same directory as the target, so the rename cannot cross devices.
      const temp = join(
        dirname(target),
        `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
      );
      temporary.push([temp, target]);
      await writeFile(temp, contents, "utf8");
    }
  } catch (error) {
    await Promise.all(
      temporary.map(([temp]) => unlink(temp).catch(() => undefined)),
    );
    throw new PipelineError(
      `cannot write ${temporary.at(-1)?.[1] ?? root}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  for (let i = 0; i < temporary.length; i++) {
    const [temp, target] = temporary[i] ?? ["", ""];
    try {
      await rename(temp, target);
    } catch (error) {
      await Promise.all(
        temporary.slice(i).map(([t]) => unlink(t).catch(() => undefined)),
      );
      // Put back the files already replaced, so nothing is left half-updated.
      await Promise.all(
        temporary.slice(0, i).map(([, done]) => {
          const before = previous.get(done);
          return (
            before === undefined
              ? unlink(done)
              : writeFile(done, before, "utf8")
          ).catch(() => undefined);
        }),
      );
      throw new PipelineError(
        `cannot replace ${target}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
  for (const path of extra) {
    try {
      await unlink(join(root, path));
    } catch (error) {
      throw new PipelineError(
        `cannot remove ${path} from ${ownedDir}/: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }
  return { written: changed.map(([path]) => path), unchanged, removed: extra };
}

/**
 * Compares `files` with the disk: each file must exist with exactly these
 * contents, and `ownedDir` must hold nothing else. Writes nothing.
 *
 * @returns The stale files, in the order of `files`, then the extra ones.
 */
export async function findStaleFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const [path, contents] of files) {
    const current = await readIfExists(join(root, path));
    if (current === undefined) stale.push({ path, reason: "missing" });
    else if (current !== contents) stale.push({ path, reason: "differs" });
  }
  stale.push(...(await listExtra(root, files, ownedDir)));
  return stale;
}

async function listExtra(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<StaleFile[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(join(root, ownedDir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new PipelineError(
      `cannot list ${ownedDir}/: ${describeError(error)}`,
      { cause: error },
    );
  }
  const extra: StaleFile[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = `${ownedDir}/${entry.name}`;
    if (files.has(path)) continue;
    if (entry.isDirectory()) {
      // Not ours to delete recursively; say so instead.
      throw new PipelineError(
        `${path} is a directory; ${ownedDir}/ holds only generated files, remove it by hand`,
      );
    }
    extra.push({ path, reason: "extra" });
  }
  return extra;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PipelineError(`cannot read ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * Writes one file outside the pipeline's own (a report), through a
 * temporary file renamed into place: a reader sees the old file or the
 * whole new one, never part of it.
 *
 * @throws PipelineError naming the file.
 */
export async function writeFileAtomically(
  path: string,
  contents: string,
): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    // `--report-file reports/upstream.md` in a fresh checkout: the
    // directory is part of the path asked for.
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, contents, "utf8");
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new PipelineError(`cannot write ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
}
