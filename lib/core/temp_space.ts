/**
 * Scratch space for the steps that cannot stream in output order (reorientation across z, an OME-Zarr
 * store's rows of chunks): a temporary file beside the output (or in a directory the user names), its free
 * space checked before any work, locked while in use, and removed whatever happens.
 *
 * @module
 */
import { closeSync, openSync, readSync, statfsSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { formatBytes } from "./bytes.ts";

/**
 * The disk holding a directory has less free space than an export needs. Thrown before any voxel is
 * fetched.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DiskSpaceError } from "@spimfetch/spimfetch/export";
 * const error = new DiskSpaceError("/tmp", { needed: 2 ** 30, available: 2 ** 20, what: "a temporary file" });
 * assertEquals(error.needed, 2 ** 30);
 * ```
 */
export class DiskSpaceError extends Error {
  /** The directory. */
  readonly directory: string;
  /** Bytes needed. */
  readonly needed: number;
  /** Bytes free for this user. */
  readonly available: number;
  /**
   * Creates the error.
   * @param directory The directory checked.
   * @param options Bytes needed and available, what they are for, and the cause.
   */
  constructor(
    directory: string,
    options: { needed: number; available: number; what: string; cause?: unknown },
  ) {
    super(
      `Not enough free space in ${directory} for ${options.what}: ${formatBytes(options.needed)} needed, ` +
        `${formatBytes(options.available)} free; free some space or choose another place (--tmp-dir, --out)`,
      { cause: options.cause },
    );
    this.name = "DiskSpaceError";
    this.directory = directory;
    this.needed = options.needed;
    this.available = options.available;
  }
}

/**
 * Bytes free for an unprivileged user on the disk holding a directory.
 *
 * @example
 * ```ts
 * import { assert, assertThrows } from "@std/assert";
 * import { freeBytes } from "@spimfetch/spimfetch/export";
 * assert(freeBytes(Deno.cwd()) > 0);
 * assertThrows(() => freeBytes("/nonexistent/tmp"), Error, "/nonexistent/tmp does not exist");
 * ```
 * @param directory An existing directory.
 * @returns The free bytes.
 * @throws {Error} If the directory cannot be inspected; the message names it.
 */
export function freeBytes(directory: string): number {
  try {
    const stats = statfsSync(directory);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound || (cause as { code?: string }).code === "ENOENT") {
      throw new Error(
        `Cannot use ${directory} for temporary files: ${directory} does not exist (create it, or choose ` +
          `another place with --tmp-dir or --out)`,
        { cause },
      );
    }
    throw new Error(`Cannot check the free space in ${directory}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Throws a {@linkcode DiskSpaceError} unless a directory's disk has `needed` bytes free.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkFreeSpace, DiskSpaceError } from "@spimfetch/spimfetch/export";
 * assertThrows(() => checkFreeSpace(Deno.cwd(), 2 ** 60, "a huge file"), DiskSpaceError);
 * ```
 * @param directory An existing directory.
 * @param needed Bytes needed.
 * @param what What they are for, for the message.
 * @throws {DiskSpaceError} If fewer bytes are free.
 */
export function checkFreeSpace(directory: string, needed: number, what: string): void {
  const available = freeBytes(directory);
  if (available < needed) throw new DiskSpaceError(directory, { needed, available, what });
}

/**
 * A temporary file's path for an output: hidden, in `directory`, named after the output and this process,
 * so that concurrent exports never share one.
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { tempPathFor } from "@spimfetch/spimfetch/export";
 * assertMatch(tempPathFor("out/brain.nii.gz", "out"), /^out\/\.brain\.nii\.gz\.\d+-[0-9a-f]+\.scratch$/);
 * ```
 * @param output The output path.
 * @param directory Where the file goes.
 * @returns The path.
 */
export function tempPathFor(output: string, directory: string): string {
  const random = crypto.getRandomValues(new Uint8Array(4)).reduce(
    (s, b) => s + b.toString(16).padStart(2, "0"),
    "",
  );
  return join(directory, `.${basename(output.replace(/\/+$/, ""))}.${Deno.pid}-${random}.scratch`);
}

/** A temporary file open for positioned reads and writes, locked while this process uses it. */
export interface ScratchFile {
  /** Writes all of `bytes` at byte `position`. */
  write(bytes: Uint8Array, position: number): void;
  /**
   * Fills `into` from byte `position`; what lies past the end of the file (never written) reads as zeros.
   * Returns the bytes that were in the file.
   */
  read(into: Uint8Array, position: number): number;
  /** Closes and removes the file (never throws). */
  remove(): Promise<void>;
}

/**
 * Creates a temporary file, locked for as long as this process uses it: a writer killed outright (SIGKILL,
 * a job over its memory limit) leaves it unlocked, and the next write into that folder removes it (see
 * {@linkcode removeDeadWritersFiles}, which this calls first). It is created under another name and renamed
 * once locked, so that no other process's clean-up can take it for a dead writer's in between. Reads and writes are synchronous and
 * positioned: callers interleave them with other work without sharing a file offset.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createScratchFile, tempPathFor } from "./temp_space.ts";
 * const dir = await Deno.makeTempDir();
 * const file = await createScratchFile(tempPathFor(`${dir}/brain.nii`, dir));
 * file.write(new Uint8Array([1, 2]), 4);
 * const back = new Uint8Array(8);
 * file.read(back, 0);
 * await file.remove();
 * assertEquals([...back], [0, 0, 0, 0, 1, 2, 0, 0]);
 * assertEquals([...Deno.readDirSync(dir)], []);
 * await Deno.remove(dir);
 * ```
 * @param path The file to create (it must not exist).
 * @returns The open file.
 * @throws {Error} If it exists or cannot be created.
 */
export async function createScratchFile(path: string): Promise<ScratchFile> {
  await removeDeadWritersFiles(dirname(path));
  const opening = `${path}-opening`;
  const fd = openSync(opening, "wx+", 0o600);
  let lock: Deno.FsFile | undefined;
  try {
    lock = await Deno.open(opening, { read: true });
    await lock.tryLock(true).catch(() => false);
    await Deno.rename(opening, path);
  } catch (cause) {
    closeSync(fd);
    lock?.close();
    await Deno.remove(opening).catch(() => {});
    throw cause;
  }
  let open = true;
  return {
    write(bytes: Uint8Array, position: number): void {
      for (let done = 0; done < bytes.length;) {
        done += writeSync(fd, bytes, done, bytes.length - done, position + done);
      }
    },
    read(into: Uint8Array, position: number): number {
      for (let done = 0; done < into.length;) {
        const got = readSync(fd, into, done, into.length - done, position + done);
        if (got === 0) {
          into.fill(0, done);
          return done;
        }
        done += got;
      }
      return into.length;
    },
    async remove(): Promise<void> {
      if (!open) return;
      open = false;
      closeSync(fd);
      lock!.close();
      await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * A temporary file's name, with its writer's pid: `.<name>.<pid>-<hex>.partial` (an output being written) or
 * `.<name>.<pid>-<hex>.scratch` (a reorientation's temporary file, an OME-Zarr writer's rows of chunks). Both
 * are locked by their writer for as long as it lives.
 */
const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]+\.(?:partial|scratch)$/;

/**
 * Removes the temporary files that writers killed outright (SIGKILL, a crash, the power, a job over its
 * memory limit) left in `dir`, whatever output they were writing. A live writer holds a lock on its
 * temporary file for as long as it writes, and the system drops the lock when the process ends: a file
 * nobody holds is a dead writer's. (Deno grants no reading of `/proc` short of all permissions, so the pid
 * alone cannot tell.) Every writer calls it on the folder it is about to write in.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { removeDeadWritersFiles } from "./temp_space.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.brain.nii.4194999-0a1b2c3d.scratch`, "left by a killed writer");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "the user's");
 * await removeDeadWritersFiles(dir);
 * assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param dir The folder.
 */
export async function removeDeadWritersFiles(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      const pid = entry.isFile ? TEMP_NAME.exec(entry.name)?.[1] : undefined;
      if (pid === undefined || Number(pid) === Deno.pid) continue;
      const path = `${dir}/${entry.name}`;
      const file = await Deno.open(path, { read: true }).catch(() => undefined);
      if (!file) continue;
      let stale = false;
      try {
        stale = await file.tryLock(true);
      } finally {
        file.close();
      }
      if (stale) await Deno.remove(path).catch(() => {});
    }
  } catch {
    // Cleaning up is a courtesy: an unreadable directory is reported by the write itself.
  }
}
