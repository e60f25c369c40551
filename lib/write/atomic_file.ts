/**
 * Writing a file so that it either appears complete or not at all, and never
 * replaces an existing file unless asked to.
 *
 * @module
 */
import { removeDeadWritersFiles } from "../core/temp_space.ts";
import { basename, dirname, resolve } from "node:path";
import { OutputExistsError } from "../core/errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode withAtomicFile}. */
export interface AtomicFileOptions {
  /** Replace an existing file at the path (only once the new one is complete). @default {false} */
  force?: boolean;
  /** Abandons the file: checked before starting and before the file is put in place. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode AtomicFileOptions}, checked at run time. */
const ATOMIC_FILE_OPTION_KEYS: OptionKeys<AtomicFileOptions> = {
  force: true,
  signal: true,
};

/**
 * Writes a file through a temporary file beside it (`.<name>.<pid>-<random>.partial`)
 * that is renamed onto the path only after `write` resolves, so readers never
 * see a partial file. If `write` throws, or `signal` aborts, the temporary
 * file is removed and the path is left as it was. A process killed mid-write
 * can leave a `.partial` file behind; the next write of any file in that folder
 * removes it (the writer locks its temporary file, and a dead writer's lock is gone).
 *
 * Without `force`, an existing path is an error both before starting and at
 * the end (a file that appeared meanwhile is not overwritten either). The
 * directory must exist: creating it is the caller's decision.
 *
 * @example Write a small file
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withAtomicFile } from "@spimfetch/spimfetch/write";
 * const dir = await Deno.makeTempDir();
 * const bytes = await withAtomicFile(`${dir}/hello.txt`, async (file) => {
 *   return await file.write(new TextEncoder().encode("hello"));
 * });
 * assertEquals(bytes, 5);
 * assertEquals(await Deno.readTextFile(`${dir}/hello.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path The file to create.
 * @param write Writes the content to the open temporary file; do not close it.
 * @param options Overwriting and cancellation.
 * @returns What `write` returned.
 * @throws {OutputExistsError} If the path exists and `force` is not set.
 * @throws {Error} If the directory does not exist, is not a directory or is
 * not writable; the message names the directory, the cause is Deno's error.
 * @throws {DOMException} The signal's reason, if it aborts.
 */
export async function withAtomicFile<T>(
  path: string,
  write: (file: Deno.FsFile) => Promise<T>,
  options: AtomicFileOptions = {},
): Promise<T> {
  options = checkOptions(options, ATOMIC_FILE_OPTION_KEYS, "withAtomicFile()");
  options.signal?.throwIfAborted();
  const name = basename(path);
  if (name === "" || path.endsWith("/")) throw new TypeError(`Cannot write ${path}: it names a directory`);
  const dir = dirname(path);
  await checkDirectory(dir);
  const existing = await kindOf(path);
  if (existing === "directory") throw new Error(`Cannot write ${path}: a directory is in the way`);
  if (existing && !options.force) throw new OutputExistsError(path);

  const { file, temp } = await createTemp(dir, name);
  let open = true;
  let placed = false;
  try {
    const result = await write(file);
    options.signal?.throwIfAborted();
    // Flush before the rename: after a crash the new name must not point at an empty file.
    await file.syncData();
    // Closed after the rename where the system allows it: closing drops the lock that tells other writers
    // this temporary file is alive (Windows renames no open file).
    if (Deno.build.os === "windows") {
      file.close();
      open = false;
    }
    await place(temp, path, options.force ?? false);
    placed = true;
    return result;
  } finally {
    if (open) closeQuietly(file);
    if (!placed) await Deno.remove(temp).catch(() => {});
  }
}

/**
 * Whether anything (file, directory, link) exists at a path.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { pathExists } from "@spimfetch/spimfetch/write";
 * assert(!await pathExists("/no/such/path"));
 * ```
 * @param path The path.
 * @returns True if it exists.
 * @throws {Error} If the path cannot be examined (permission denied).
 */
export async function pathExists(path: string): Promise<boolean> {
  return (await kindOf(path)) !== undefined;
}

async function kindOf(path: string): Promise<"file" | "directory" | undefined> {
  try {
    return (await Deno.lstat(path)).isDirectory ? "directory" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function checkDirectory(dir: string): Promise<void> {
  const where = resolve(dir);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "it does not exist (create it first)"
      : `it cannot be read (${errorMessage(cause)})`;
    throw new Error(`Cannot write to directory ${where}: ${reason}`, { cause });
  }
  if (!info.isDirectory) throw new Error(`Cannot write to directory ${where}: it is not a directory`);
}

async function createTemp(dir: string, name: string): Promise<{ file: Deno.FsFile; temp: string }> {
  await removeDeadWritersFiles(dir);
  for (let attempt = 0;; attempt++) {
    const random = Array.from(
      crypto.getRandomValues(new Uint8Array(6)),
      (b) => b.toString(16).padStart(2, "0"),
    );
    // The writer's pid in the name lets a later run tell a crashed writer's leftover from a live one.
    const temp = `${dir}/.${name}.${Deno.pid}-${random.join("")}.partial`;
    // Created under a name other writers' clean-up ignores, and given the temporary name only once locked:
    // between creating and locking, another process's clean-up would take the file for a dead writer's.
    const opening = `${temp}-opening`;
    try {
      const file = await Deno.open(opening, { write: true, createNew: true });
      // Held until the file is closed or the process ends: a later writer tells a live file from a dead one's.
      await file.tryLock(true).catch(() => false);
      try {
        await Deno.rename(opening, temp);
      } catch (cause) {
        closeQuietly(file);
        await Deno.remove(opening).catch(() => {});
        throw cause;
      }
      return { file, temp };
    } catch (cause) {
      if (cause instanceof Deno.errors.AlreadyExists && attempt < 5) continue;
      const denied = cause instanceof Deno.errors.PermissionDenied || cause instanceof Deno.errors.NotCapable;
      const reason = denied ? "permission denied" : errorMessage(cause);
      throw new Error(`Cannot write to directory ${resolve(dir)}: ${reason}`, { cause });
    }
  }
}

async function place(temp: string, path: string, force: boolean): Promise<void> {
  if (force) return await Deno.rename(temp, path);
  // A hard link fails if the path exists, where a rename would silently replace a file that
  // appeared while we were writing (another export to the same path, say).
  try {
    await Deno.link(temp, path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) throw new OutputExistsError(path);
    // Some file systems (FAT, some network mounts) have no hard links: check, then rename.
    if (await kindOf(path)) throw new OutputExistsError(path);
    return await Deno.rename(temp, path);
  }
  await Deno.remove(temp).catch(() => {});
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // Already closed by the writer; nothing to release.
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
