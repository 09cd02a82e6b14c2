/**
 * The last stage: put the emitted files on disk, all or nothing, or compare
 * them with it (`--check`): one comparison, so both agree on what is stale.
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

/** A file (path relative to the root) with the wrong contents, missing, or one that should not exist. */
interface StaleFile {
  readonly path: string;
  readonly reason: "differs" | "missing" | "extra";
}

/** The lock file two runs writing the same project at once would race for. */
const LOCK_FILE = ".generate.lock";

/** The `files` (contents by path from `root`) not on disk as given, then the other files in `ownedDir`. */
export async function findStaleFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<StaleFile[]> {
  return (await compare(root, files, ownedDir)).stale;
}

/**
 * Runs `work` holding the project's lock (a dead run's is taken over), after
 * removing the temporary files dead runs left in `root` and `ownedDir`.
 *
 * @throws PipelineError naming the live run holding the lock.
 */
export async function withLock<T>(
  root: string,
  ownedDir: string,
  work: () => Promise<T>,
): Promise<T> {
  const lock = join(root, LOCK_FILE);
  await takeLock(lock, root);
  try {
    for (const dir of [root, join(root, ownedDir)])
      for (const name of await readdir(dir).catch(() => [])) {
        const pid = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)?.[1];
        if (pid !== undefined && !isAlive(Number(pid)))
          await unlink(join(dir, name)).catch(() => undefined);
      }
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/**
 * Writes the changed `files` under `root` as temporary files renamed into place,
 * openapi.json last (a failed rename puts back those replaced); removes other
 * files from `ownedDir`. Called {@link withLock}.
 *
 * @throws PipelineError naming the file that failed.
 */
export async function writeFiles(
  root: string,
  files: ReadonlyMap<string, string>,
  ownedDir: string,
): Promise<WriteResult> {
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
      await writeFile(temporary.at(-1) ?? "", files.get(path) ?? "");
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
      // Nothing left half-updated: put back the files replaced.
      for (const done of changed.slice(0, index)) {
        const [target, before] = [join(root, done), previous.get(done)];
        const undo =
          before === undefined ? unlink(target) : writeFile(target, before);
        await undo.catch(() => undefined);
      }
      throw new PipelineError(
        `cannot replace ${path}: ${describeError(error)}`,
      );
    }
  }
  for (const path of extra)
    await unlink(join(root, path)).catch((error: unknown) => {
      const why = describeError(error);
      throw new PipelineError(`cannot remove ${path}: ${why}`);
    });
  const unchanged = [...files.keys()].filter((path) => !previous.has(path));
  return { written: changed, unchanged, removed: extra };
}

/** Writes a report (its directory created) through a temporary file renamed into place. */
export async function writeFileAtomically(
  path: string,
  contents: string,
): Promise<void> {
  const temporary = temporaryName(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, contents);
    await rename(temporary, path);
  } catch (error) {
    await removeAll([temporary]);
    throw new PipelineError(`cannot write ${path}: ${describeError(error)}`);
  }
}

/** The stale files, and what each differing one holds now (`undefined`: missing). */
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
  const dir = join(root, ownedDir);
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw new PipelineError(
        `cannot list ${ownedDir}/: ${describeError(error)}`,
      );
    },
  );
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
      return await writeFile(path, `${process.pid}\n`, { flag: "wx" });
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

function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new PipelineError(`cannot read ${path}: ${describeError(error)}`);
  });
}

/** A name beside `path` (so a rename cannot cross devices) that no other run uses. */
function temporaryName(path: string): string {
  const unique = `${process.pid}.${randomBytes(4).toString("hex")}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

function removeAll(paths: readonly string[]): Promise<unknown> {
  return Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
}
