/**
 * The last stage: put the emitted files on disk, all or nothing as far as a
 * file system allows, or compare them with what is there (`--check`). Both
 * start from the same comparison, so they cannot disagree about what is
 * stale.
 */
import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
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
interface StaleFile {
  /** Path relative to the root, with `/` separators. */
  readonly path: string;
  /** `differs`: wrong contents; `missing`: should exist; `extra`: should not exist. */
  readonly reason: "differs" | "missing" | "extra";
}

/** The lock file two runs writing the same project at once would race for. */
const LOCK_FILE = ".generate.lock";

/**
 * Compares `files` (contents by path relative to `root`) with the disk: each
 * must exist with exactly these contents, and `ownedDir` must hold nothing
 * else. Writes nothing.
 *
 * @returns The stale files, in the order of `files`, then the extra ones.
 */
export async function findStaleFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<StaleFile[]> {
  return (await compare(root, files, ownedDir)).stale;
}

/**
 * Writes `files` under `root` and removes any other file from `ownedDir`.
 * Every changed file is written to a temporary file beside it; only when all
 * are written are they renamed into place (a rename within a directory is
 * atomic), the outputs first and openapi.json, their source, last; a rename
 * that fails puts back the files already replaced. A file whose contents are
 * already right is not rewritten. A lock file keeps two runs from mixing
 * their files; one left by a process that no longer runs is taken over.
 *
 * @throws PipelineError naming the file that could not be written, or the
 *   live run holding the lock.
 */
export async function writeFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<WriteResult> {
  const lock = join(root, LOCK_FILE);
  await takeLock(lock, root);
  try {
    const { stale, previous } = await compare(root, files, ownedDir);
    const extra = stale.filter((s) => s.reason === "extra").map((s) => s.path);
    const changed = [...previous.keys()].sort(
      (a, b) => Number(b.startsWith(ownedDir)) - Number(a.startsWith(ownedDir)),
    );
    const temporary: string[] = [];
    try {
      for (const path of changed) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        temporary.push(temporaryName(join(root, path)));
        await writeFile(temporary.at(-1) ?? "", files.get(path) ?? "", "utf8");
      }
    } catch (error) {
      await removeAll(temporary);
      const path = changed[temporary.length - 1] ?? root;
      throw new PipelineError(`cannot write ${path}: ${describeError(error)}`);
    }
    for (const [index, path] of changed.entries()) {
      try {
        await rename(temporary[index] ?? "", join(root, path));
      } catch (error) {
        await removeAll(temporary.slice(index));
        // Put back the files already replaced: nothing is left half-updated.
        for (const done of changed.slice(0, index)) {
          const before = previous.get(done);
          const target = join(root, done);
          await (
            before === undefined
              ? unlink(target)
              : writeFile(target, before, "utf8")
          ).catch(() => undefined);
        }
        throw new PipelineError(
          `cannot replace ${path}: ${describeError(error)}`,
        );
      }
    }
    for (const path of extra) {
      await unlink(join(root, path)).catch((error: unknown) => {
        const why = describeError(error);
        throw new PipelineError(`cannot remove ${path}: ${why}`);
      });
    }
    const unchanged = [...files.keys()].filter((path) => !previous.has(path));
    return { written: changed, unchanged, removed: extra };
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/**
 * Writes one file outside the pipeline's own (a report), through a
 * temporary file renamed into place (its directory created): a reader sees
 * the old file or the whole new one.
 *
 * @throws PipelineError naming the file.
 */
export async function writeFileAtomically(
  path: string,
  contents: string,
): Promise<void> {
  const temporary = temporaryName(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, contents, "utf8");
    await rename(temporary, path);
  } catch (error) {
    await removeAll([temporary]);
    throw new PipelineError(`cannot write ${path}: ${describeError(error)}`);
  }
}

/**
 * The stale files, and what each file to write holds now (`undefined` when
 * it does not exist), for those that differ.
 */
async function compare(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
) {
  const stale: StaleFile[] = [];
  const previous = new Map<string, string | undefined>();
  for (const [path, contents] of files) {
    const current = await readIfExists(join(root, path));
    if (current === contents) continue;
    previous.set(path, current);
    stale.push({ path, reason: current === undefined ? "missing" : "differs" });
  }
  let entries: Dirent[] = [];
  try {
    entries = await readdir(join(root, ownedDir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new PipelineError(
        `cannot list ${ownedDir}/: ${describeError(error)}`,
      );
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = `${ownedDir}/${entry.name}`;
    if (files.has(path)) continue;
    // Not ours to delete recursively; said instead.
    if (entry.isDirectory())
      throw new PipelineError(
        `${path} is a directory; ${ownedDir}/ holds only generated files, remove it by hand`,
      );
    stale.push({ path, reason: "extra" });
  }
  return { stale, previous };
}

async function takeLock(path: string, root: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw new PipelineError(
          `cannot create ${path}: ${describeError(error)}`,
        );
    }
    const holder = Number.parseInt((await readIfExists(path)) ?? "", 10);
    if (holder > 0 && isAlive(holder))
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

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PipelineError(`cannot read ${path}: ${describeError(error)}`);
  }
}

/** A name beside `path` (so a rename cannot cross devices) that no other run uses. */
function temporaryName(path: string): string {
  const unique = `${process.pid}.${randomBytes(4).toString("hex")}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

function removeAll(paths: readonly string[]): Promise<unknown> {
  return Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
}
