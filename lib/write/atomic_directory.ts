/**
 * Writing a directory (a Zarr store) so that it either appears complete or
 * not at all, and never replaces an existing one unless asked to.
 *
 * @module
 */
import { removeDeadWritersFiles } from "../core/temp_space.ts";
import { basename, dirname, resolve } from "node:path";
import { OutputExistsError } from "../core/errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode withAtomicDirectory}. */
export interface AtomicDirectoryOptions {
  /** Replace an existing directory or file at the path, only once the new one is complete. @default {false} */
  force?: boolean;
  /** Abandons the directory: checked before starting and before it is put in place. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode AtomicDirectoryOptions}, checked at run time. */
const ATOMIC_DIRECTORY_OPTION_KEYS: OptionKeys<AtomicDirectoryOptions> = {
  force: true,
  signal: true,
};

/**
 * Builds a directory in a hidden staging folder beside the path
 * (`.<name>.<pid>-<random>.partial`) and renames it onto the path only after
 * `write` resolves. If `write` throws, or `signal` aborts, the staging folder
 * is removed and the path is left as it was. With `force`, an existing
 * output is moved aside (`.<name>.<pid>-<random>.old`) just before the
 * rename and removed after it, so the old output stays whole until the new
 * one is complete. A process killed mid-write can leave a staging folder
 * behind; the next write to the same path removes it (on Linux, where it can
 * tell the writer is gone).
 *
 * @example Write a small directory
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withAtomicDirectory } from "@spimfetch/spimfetch/write";
 * const dir = await Deno.makeTempDir();
 * await withAtomicDirectory(`${dir}/store.zarr`, async (staging) => {
 *   await Deno.writeTextFile(`${staging}/.zgroup`, '{"zarr_format":2}');
 * });
 * assertEquals(await Deno.readTextFile(`${dir}/store.zarr/.zgroup`), '{"zarr_format":2}');
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path The directory to create.
 * @param write Fills the staging directory (an existing, empty folder) whose path it is given.
 * @param options Overwriting and cancellation.
 * @returns What `write` returned.
 * @throws {OutputExistsError} If the path exists (before or after writing) and `force` is not set.
 * @throws {Error} If the parent directory does not exist or is not writable; the message names it.
 * @throws {DOMException} The signal's reason, if it aborts.
 */
export async function withAtomicDirectory<T>(
  path: string,
  write: (staging: string) => Promise<T>,
  options: AtomicDirectoryOptions = {},
): Promise<T> {
  options = checkOptions(options, ATOMIC_DIRECTORY_OPTION_KEYS, "withAtomicDirectory()");
  options.signal?.throwIfAborted();
  const trimmed = path.replace(/\/+$/, "");
  const name = basename(trimmed);
  if (name === "" || name === "." || name === "..") throw new TypeError(`Cannot write ${path}: no name`);
  const parent = dirname(trimmed);
  await checkParent(parent);
  if (await exists(trimmed) && !options.force) throw new OutputExistsError(path);

  await removeStale(parent, name);
  // A killed writer's temporary files (an OME-Zarr writer's rows of chunks among them) go too.
  await removeDeadWritersFiles(parent);
  const staging = `${parent}/.${name}.${Deno.pid}-${randomHex()}.partial`;
  try {
    await Deno.mkdir(staging);
  } catch (cause) {
    throw new Error(`Cannot write to directory ${resolve(parent)}: ${errorMessage(cause)}`, { cause });
  }
  let placed = false;
  try {
    const result = await write(staging);
    options.signal?.throwIfAborted();
    await place(staging, trimmed, parent, name, options.force ?? false);
    placed = true;
    return result;
  } finally {
    if (!placed) await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

async function place(
  staging: string,
  path: string,
  parent: string,
  name: string,
  force: boolean,
): Promise<void> {
  if (!await exists(path)) {
    // rename(2) would also replace an empty directory that appeared meanwhile; that loses nothing.
    return await Deno.rename(staging, path);
  }
  if (!force) throw new OutputExistsError(path);
  const old = `${parent}/.${name}.${Deno.pid}-${randomHex()}.old`;
  await Deno.rename(path, old);
  try {
    await Deno.rename(staging, path);
  } catch (error) {
    // Put the previous output back: the user keeps what they had.
    await Deno.rename(old, path).catch(() => {});
    throw error;
  }
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function checkParent(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "it does not exist (create it first)"
      : `it cannot be read (${errorMessage(cause)})`;
    throw new Error(`Cannot write to directory ${resolve(dir)}: ${reason}`, { cause });
  }
  if (!info.isDirectory) throw new Error(`Cannot write to directory ${resolve(dir)}: it is not a directory`);
}

/** Removes staging folders of `name` whose writer process is gone (Linux only). */
async function removeStale(dir: string, name: string): Promise<void> {
  if (Deno.build.os !== "linux") return;
  const prefix = `.${name}.`;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory || !entry.name.startsWith(prefix)) continue;
      // A set-aside `.old` folder is left alone: after a crash mid-swap it may be the only copy.
      const pid = /^(\d+)-[0-9a-f]+\.partial$/.exec(entry.name.slice(prefix.length))?.[1];
      if (pid === undefined || Number(pid) === Deno.pid) continue;
      const alive = await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
      if (!alive) await Deno.remove(`${dir}/${entry.name}`, { recursive: true }).catch(() => {});
    }
  } catch {
    // Cleaning up is a courtesy: an unreadable directory is reported by the write itself.
  }
}

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
