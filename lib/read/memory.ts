/**
 * The memory budget of a read: an estimate of what reading a level (or a
 * region) will allocate, checked against the memory the machine has before
 * anything is allocated or fetched.
 *
 * @module
 */
import type { ImageLevel, OmeZarrImage } from "../metadata/image.ts";
import { describeBytes } from "../core/bytes.ts";
import { bytesPerVoxel, type Region, type VoxelType } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * Memory the machine can give now (Linux's MemAvailable), or `undefined`
 * when it cannot be read (no `--allow-sys=systemMemoryInfo`).
 */
function availableMemory(): number | undefined {
  try {
    const info = Deno.systemMemoryInfo();
    return info.available > 0 ? info.available : info.free;
  } catch {
    return undefined;
  }
}

/** Options for {@linkcode checkReadMemory}. */
export interface ReadMemoryOptions {
  /** The region to read. @default {the whole level} */
  region?: Region;
  /** Output voxel type. @default {"native"} */
  dtype?: "native" | VoxelType;
  /** Slab budget, as given to `streamLevel`. */
  maxSlabBytes?: number;
  /** Chunks decoded at once. @default {16} */
  concurrency?: number;
  /** `stream` (two slabs in memory, as `streamLevel`) or `whole` (the volume, as `readLevel`). @default {"stream"} */
  mode?: "stream" | "whole";
  /** The budget. @default {the memory available now (MemAvailable on Linux)} */
  maxBytes?: number;
}

/** The keys of {@linkcode ReadMemoryOptions}, checked at run time. */
const READ_MEMORY_OPTION_KEYS: OptionKeys<ReadMemoryOptions> = {
  region: true,
  dtype: true,
  maxSlabBytes: true,
  concurrency: true,
  mode: true,
  maxBytes: true,
};

/**
 * Refuses a read of a level (or region) that would need more memory than the
 * budget, before anything is allocated or fetched. The estimate counts the
 * slabs in flight (the one being written and the one being fetched, one
 * chunk row thick unless `maxSlabBytes` makes them thinner, as
 * `streamLevel` does), or the whole volume for `mode: "whole"`, plus one
 * decoded chunk per concurrent decode.
 *
 * @example
 * ```ts ignore
 * import { checkReadMemory } from "@spimfetch/spimfetch/read";
 * checkReadMemory(image, 0, { maxBytes: 8 * 2 ** 30 }); // throws for a whole-brain level 0
 * ```
 * @param image The opened image.
 * @param level The level index.
 * @param options Region, voxel type, slab budget, concurrency and the budget.
 * @returns The estimated bytes.
 * @throws {RangeError} If the estimate exceeds the budget; the message names both figures.
 */
export function checkReadMemory(image: OmeZarrImage, level: number, options: ReadMemoryOptions = {}): number {
  options = checkOptions(options, READ_MEMORY_OPTION_KEYS, "checkReadMemory()");
  const found: ImageLevel | undefined = image.levels[level];
  if (!found) return 0; // getLevel reports unknown levels, with the list of those that exist.
  const [za, ya, xa] = image.multiscales.spatialAxes;
  const extent = (axis: number, range: [number, number] | undefined): number =>
    range ? Math.max(0, range[1] - range[0]) : found.shape[axis];
  const nz = extent(za, options.region?.z);
  const ny = extent(ya, options.region?.y);
  const nx = extent(xa, options.region?.x);
  const native = bytesPerVoxel(found.dtype);
  const out = !options.dtype || options.dtype === "native" ? native : bytesPerVoxel(options.dtype);
  // A cast keeps the stored voxels and the converted ones side by side.
  const cast = options.dtype !== undefined && options.dtype !== "native" && options.dtype !== found.dtype;
  const perVoxel = out + (cast ? native : 0);
  const planeBytes = ny * nx * perVoxel;
  const chunkBytes = found.chunks.reduce((a, b) => a * b, 1) * native;
  const decoding = (options.concurrency ?? 16) * chunkBytes;
  let needed: number;
  let detail: string;
  if (options.mode === "whole") {
    needed = nz * planeBytes + decoding;
    detail = `the volume, ${nz} x ${ny} x ${nx} voxels`;
  } else {
    const zChunk = found.chunks[za];
    const planes = Math.max(
      1,
      Math.min(zChunk, nz, Math.floor((options.maxSlabBytes ?? Infinity) / planeBytes)),
    );
    needed = 2 * planes * planeBytes + decoding;
    detail = `2 slabs of ${planes} x ${ny} x ${nx} voxels`;
  }
  const budget = options.maxBytes ?? availableMemory();
  if (budget !== undefined && needed > budget) {
    throw new RangeError(
      `Cannot read level ${level} of ${image.uri}: it needs about ${describeBytes(needed)} of memory ` +
        `(${detail}, and ${options.concurrency ?? 16} chunks of ${describeBytes(chunkBytes)} decoding), ` +
        `more than the ${describeBytes(budget)} ${
          options.maxBytes === undefined ? "available" : "allowed"
        }; ` +
        `read a coarser level (--level), a region (roi) or thinner slabs (maxSlabBytes)`,
    );
  }
  return needed;
}
