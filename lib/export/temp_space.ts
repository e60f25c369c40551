/**
 * Scratch space for the steps that cannot stream in output order (reorientation across z): a temporary file
 * beside the output (or in a directory the user names), its free space checked before any work, and removed
 * whatever happens.
 *
 * @module
 */
import { statfsSync } from "node:fs";
import { basename, join } from "node:path";
import { formatBytes } from "../core/bytes.ts";

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
 * import { assert } from "@std/assert";
 * import { freeBytes } from "@spimfetch/spimfetch/export";
 * assert(freeBytes(Deno.cwd()) > 0);
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
