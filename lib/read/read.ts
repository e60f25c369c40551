/**
 * Step 5 of the reference notebook: read the voxels of one level, whole or a region, as a
 * C-order (z, y, x) block, or as a stream of z-slabs one chunk row thick so
 * that a writer never needs the whole volume in memory.
 *
 * @module
 */
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { levelArrays } from "../metadata/level_arrays.ts";
import { getLevel, type ImageLevel, type OmeZarrImage } from "../metadata/image.ts";
import { Limiter } from "../core/limiter.ts";
import { checkReadMemory } from "./memory.ts";
import { sharedWorkerPool } from "../codecs/worker_pool.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import {
  allocateVoxels,
  bytesPerVoxel,
  type Region,
  type Volume,
  type VoxelArray,
  type VoxelRange,
  type VoxelType,
} from "../core/volume.ts";
import { allocateSharedVoxels, forgetChunks, placeChunkPart } from "../codecs/partial_chunks.ts";

/** Anything that holds an opened image, such as the source `openSource` returns. */
export interface ImageHolder {
  /** The image. */
  image: OmeZarrImage;
}

function imageOf(from: OmeZarrImage | ImageHolder): OmeZarrImage {
  return "image" in from ? from.image : from;
}

/** Options for {@linkcode readLevel} and {@linkcode streamLevel}. */
export interface ReadLevelOptions {
  /**
   * Output voxel type: the stored one, or a cast (the reference notebook casts to float32).
   * @default {"native"}
   */
  dtype?: "native" | VoxelType;
  /** Only this box of the level, in voxels (half-open ranges along x, y, z). @default {the whole level} */
  roi?: Region;
  /** Index along a time axis, if the image has one. @default {0} */
  timepoint?: number;
  /** Index along a channel axis, if the image has one. @default {0} */
  channelIndex?: number;
  /** Chunks fetched and decoded at once. @default {16} */
  concurrency?: number;
  /**
   * Most bytes in one slab. Slabs are one chunk row thick by default; a
   * smaller budget makes thinner slabs, bounding memory at the cost of decoding
   * each chunk once per slab it spans (its compressed bytes come from the
   * chunk cache, which should hold a chunk row). @default {Infinity}
   */
  maxSlabBytes?: number;
  /** Called as chunks arrive. */
  onProgress?: (event: ProgressEvent) => void;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode ReadLevelOptions}, checked at run time. */
const READ_LEVEL_OPTION_KEYS: OptionKeys<ReadLevelOptions> = {
  dtype: true,
  roi: true,
  timepoint: true,
  channelIndex: true,
  concurrency: true,
  maxSlabBytes: true,
  onProgress: true,
  signal: true,
};
/** `region` was the name of `roi` here, and is `roi` everywhere else. */
const RENAMED = { region: "roi" };

/** A volume delivered as consecutive z-slabs, x fastest within each. */
export interface VolumeStream {
  /** Sizes along (z, y, x) of the whole stream. */
  shape: [number, number, number];
  /** The voxel type of the slabs. */
  dtype: VoxelType;
  /** The region of the level this covers, with every axis filled in. */
  region: Required<Region>;
  /**
   * The slabs, in z order. A slab's buffer is used again once the next slab
   * is requested: copy a slab to keep it.
   */
  slabs: AsyncIterable<VoxelArray>;
}

function resolveRegion(level: ImageLevel, region: Region = {}): Required<Region> {
  const [sx, sy, sz] = level.size;
  const check = (name: "x" | "y" | "z", size: number): VoxelRange => {
    const range = region[name] ?? [0, size];
    const [start, stop] = range;
    if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop > size || start >= stop) {
      throw new RangeError(
        `Cannot read ${name} range [${start}, ${stop}) of level ${level.index}: expected integers with 0 <= start < stop <= ${size}`,
      );
    }
    return [start, stop];
  };
  return { x: check("x", sx), y: check("y", sy), z: check("z", sz) };
}

function fixedIndex(image: OmeZarrImage, level: ImageLevel, axis: number, options: ReadLevelOptions): number {
  const type = image.multiscales.axes[axis].type;
  const index = type === "time" ? options.timepoint ?? 0 : type === "channel" ? options.channelIndex ?? 0 : 0;
  if (!Number.isInteger(index) || index < 0 || index >= level.shape[axis]) {
    const name = image.multiscales.axes[axis].name;
    throw new RangeError(
      `Cannot select index ${index} of axis "${name}": expected 0 to ${level.shape[axis] - 1}`,
    );
  }
  return index;
}

/** Copies `width` voxels from `source` (every `step`-th from `from`) to `target` at `to`, converting type. */
function copyRun(
  target: Float64Array,
  source: Float64Array,
  to: number,
  from: number,
  width: number,
  step: number,
): void {
  if (step === 1) target.set(source.subarray(from, from + width), to);
  else for (let i = 0; i < width; i++) target[to + i] = source[from + i * step];
}

function chunkSpan(range: VoxelRange, chunk: number): number {
  return Math.floor((range[1] - 1) / chunk) - Math.floor(range[0] / chunk) + 1;
}

function castInto(target: VoxelArray, source: VoxelArray, offset: number): void {
  // Same-typed arrays copy as bytes; TypedArray.set converts between types otherwise.
  (target as Float64Array).set(source as unknown as ArrayLike<number>, offset);
}

/**
 * Streams one level (or a region of it) as z-slabs one chunk row thick,
 * fetching the next slab while the consumer handles the current one. Peak
 * memory is about two slabs plus the chunk cache.
 *
 * @example Stream level 3 into a NIfTI file
 * ```ts ignore
 * import { openImage } from "@spimfetch/spimfetch";
 * import { streamLevel } from "@spimfetch/spimfetch";
 * const image = await openImage(uri);
 * const stream = streamLevel(image, 3);
 * for await (const slab of stream.slabs) console.log(slab.length);
 * ```
 * @param from The image, or a source holding it (from `openSource`).
 * @param level The level index, 0 being the finest.
 * @param options Voxel type, region, progress and cancellation.
 * @returns The stream; nothing is fetched until its slabs are iterated.
 * @throws {NotFoundError} If the level does not exist.
 * @throws {RangeError} If the region or a time/channel index is out of range.
 */
export function streamLevel(
  from: OmeZarrImage | ImageHolder,
  level: number,
  options: ReadLevelOptions = {},
): VolumeStream {
  options = checkOptions(options, READ_LEVEL_OPTION_KEYS, "streamLevel()", RENAMED);
  const image = imageOf(from);
  const found = getLevel(image, level);
  const region = resolveRegion(found, options.roi);
  const spatial = image.multiscales.spatialAxes;
  const fixed = found.shape.map((
    _,
    axis,
  ) => (spatial.includes(axis) ? 0 : fixedIndex(image, found, axis, options)));
  const dtype = !options.dtype || options.dtype === "native" ? found.dtype : options.dtype;
  const shape: [number, number, number] = [
    region.z[1] - region.z[0],
    region.y[1] - region.y[0],
    region.x[1] - region.x[0],
  ];
  const zChunk = found.chunks[spatial[0]];
  const planeBytes = shape[1] * shape[2] * bytesPerVoxel(dtype);
  const planesPerSlab = Math.max(
    1,
    Math.min(zChunk, Math.floor((options.maxSlabBytes ?? Infinity) / planeBytes)),
  );
  const bounds: VoxelRange[] = [];
  for (let z = region.z[0]; z < region.z[1];) {
    const next = Math.min(region.z[1], (Math.floor(z / zChunk) + 1) * zChunk, z + planesPerSlab);
    bounds.push([z, next]);
    z = next;
  }
  const chunksPerPlane = chunkSpan(region.y, found.chunks[spatial[1]]) *
    chunkSpan(region.x, found.chunks[spatial[2]]);
  const total = bounds.reduce((sum, range) => sum + chunkSpan(range, zChunk) * chunksPerPlane, 0);
  const limiter = new Limiter(options.concurrency ?? 16);
  const bytesAtStart = image.stats?.bytes ?? 0;
  let done = 0;
  const onChunk = (): void => {
    done++;
    options.onProgress?.({ stage: "fetch", done, total, bytes: (image.stats?.bytes ?? 0) - bytesAtStart });
  };

  const array = levelArrays.get(found)!;
  const chunks = found.chunks;
  const [sz, sy, sx] = spatial;
  // Fresh memory costs a page fault per 4 KiB (on this machine ~1 s per 300 MB slab): buffers of slabs
  // the consumer is done with are used again.
  const spares: VoxelArray[] = [];
  const readSlab = async (z0: number, z1: number): Promise<VoxelArray> => {
    const [ny, nx] = [shape[1], shape[2]];
    const length = (z1 - z0) * ny * nx;
    // Every voxel of a slab is written (a missing chunk as its fill value), so a spare buffer needs no clearing.
    const reused = spares.findIndex((spare) => spare.length >= length);
    const slab = reused >= 0
      ? spares.splice(reused, 1)[0].subarray(0, length)
      : allocateSharedVoxels(dtype, length);
    const ranges: VoxelRange[] = [[z0, z1], region.y, region.x];
    const first = ranges.map(([start], s) => Math.floor(start / chunks[spatial[s]]));
    const last = ranges.map(([, stop], s) => Math.floor((stop - 1) / chunks[spatial[s]]));
    const tasks: Promise<void>[] = [];
    const rowChunks: number[][] = [];
    for (let cz = first[0]; cz <= last[0]; cz++) {
      for (let cy = first[1]; cy <= last[1]; cy++) {
        for (let cx = first[2]; cx <= last[2]; cx++) {
          const coords = found.shape.map((_, axis) =>
            axis === sz ? cz : axis === sy ? cy : axis === sx ? cx : Math.floor(fixed[axis] / chunks[axis])
          );
          rowChunks.push(coords);
          tasks.push(limiter.run(async () => {
            options.signal?.throwIfAborted();
            // A worker decodes only the Blosc blocks the slab needs and places them into the (shared) slab;
            // what that does not apply to goes through zarrita and is placed here.
            const placed = await placeChunkPart(array, dtype, slab, coords, {
              spatial,
              fixed,
              slabRanges: ranges,
              signal: options.signal,
            });
            if (!placed) {
              const chunk = await array.getChunk(coords, { signal: options.signal });
              placeChunk(slab, chunk, coords, ranges);
            }
            onChunk();
          }));
        }
      }
    }
    await Promise.all(tasks);
    // Thin slabs: once the last slab of a chunk row is read, its chunks leave the cache.
    if (planesPerSlab < zChunk && (z1 % zChunk === 0 || z1 === region.z[1])) {
      await forgetChunks(array, image.cache, rowChunks);
    }
    return slab;
  };

  /**
   * Copies the part of a decoded chunk inside the slab, one x-run at a time:
   * zarrita's generic n-d copy ran at ~150 MB/s here, which made it the
   * bottleneck of an export.
   */
  const placeChunk = (
    slab: VoxelArray,
    chunk: { data: unknown; stride: number[] },
    coords: number[],
    ranges: VoxelRange[],
  ): void => {
    const data = chunk.data as VoxelArray;
    const stride = chunk.stride;
    let base = 0;
    for (let axis = 0; axis < coords.length; axis++) {
      if (!spatial.includes(axis)) base += (fixed[axis] - coords[axis] * chunks[axis]) * stride[axis];
    }
    const origin = [coords[sz] * chunks[sz], coords[sy] * chunks[sy], coords[sx] * chunks[sx]];
    const lo = ranges.map(([start], s) => Math.max(start, origin[s]));
    const hi = ranges.map(([, stop], s) => Math.min(stop, origin[s] + chunks[spatial[s]]));
    const width = hi[2] - lo[2];
    const [ny, nx] = [shape[1], shape[2]];
    const target = slab as Float64Array;
    for (let z = lo[0]; z < hi[0]; z++) {
      for (let y = lo[1]; y < hi[1]; y++) {
        const from = base + (z - origin[0]) * stride[sz] + (y - origin[1]) * stride[sy] +
          (lo[2] - origin[2]) * stride[sx];
        const to = ((z - ranges[0][0]) * ny + (y - ranges[1][0])) * nx + (lo[2] - ranges[2][0]);
        copyRun(target, data as unknown as Float64Array, to, from, width, stride[sx]);
      }
    }
  };

  async function* slabs(): AsyncGenerator<VoxelArray> {
    // Decode workers stay up between chunks for as long as the stream is read.
    const release = sharedWorkerPool().hold();
    try {
      yield* readSlabs();
    } finally {
      release();
    }
  }

  async function* readSlabs(): AsyncGenerator<VoxelArray> {
    let pending: Promise<VoxelArray> | undefined = readSlab(...bounds[0]);
    let previous: VoxelArray | undefined;
    for (let i = 0; i < bounds.length; i++) {
      const current: Promise<VoxelArray> = pending!;
      // The consumer asked for this slab, so it is done with the one before: its buffer is free.
      if (previous) spares.push(previous);
      // Start the next slab now so fetching overlaps with the consumer's work.
      pending = i + 1 < bounds.length ? readSlab(...bounds[i + 1]) : undefined;
      // A failed prefetch must not surface as an unhandled rejection if we stop early.
      pending?.catch(() => {});
      previous = await current;
      yield previous;
    }
  }

  return { shape, dtype, region, slabs: { [Symbol.asyncIterator]: slabs } };
}

/**
 * Reads one level (or a region of it) into memory as a C-order (z, y, x)
 * volume. Chunks go through the image's byte-budgeted cache, so repeated
 * reads of the same chunks do not fetch them again.
 *
 * @example Read level 3, cast like the reference notebook
 * ```ts ignore
 * import { openImage } from "@spimfetch/spimfetch";
 * import { readLevel } from "@spimfetch/spimfetch";
 * const image = await openImage(uri);
 * const volume = await readLevel(image, 3, { dtype: "float32" });
 * console.log(volume.shape); // [464, 1280, 925]
 * ```
 * @param from The image, or a source holding it (from `openSource`).
 * @param level The level index, 0 being the finest.
 * @param options Voxel type, region, progress and cancellation.
 * @returns The volume.
 * @throws {NotFoundError} If the level does not exist.
 * @throws {RangeError} If the region or a time/channel index is out of range, or the volume would not
 * fit in the memory available.
 */
export async function readLevel(
  from: OmeZarrImage | ImageHolder,
  level: number,
  options: ReadLevelOptions = {},
): Promise<Volume> {
  options = checkOptions(options, READ_LEVEL_OPTION_KEYS, "readLevel()", RENAMED);
  const image = imageOf(from);
  const stream = streamLevel(image, level, options);
  // Refuse before allocating: a whole level 0 is hundreds of GB.
  checkReadMemory(image, level, { ...options, region: options.roi, mode: "whole" });
  const [nz, ny, nx] = stream.shape;
  const data = allocateVoxels(stream.dtype, nz * ny * nx);
  let offset = 0;
  for await (const slab of stream.slabs) {
    castInto(data, slab, offset);
    offset += slab.length;
  }
  return { data, shape: stream.shape, dtype: stream.dtype };
}
