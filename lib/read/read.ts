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
import { ChunkSpill } from "../codecs/chunk_spill.ts";
import { type PlannedSlab, planSlabs, type SlabPlan } from "./_slab_plan.ts";
import { placeChunk } from "./_place_chunk.ts";

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
   * chunk cache, which should hold a chunk row, or from `spillDir`). @default {Infinity}
   */
  maxSlabBytes?: number;
  /**
   * A directory (not existing yet) where, with slabs thinner than a chunk row, the compressed chunks of
   * the current row are kept instead of in the chunk cache: for rows too large for the cache. Each chunk
   * is fetched once; a row's files are deleted after its last slab, the directory when the stream ends,
   * fails or is abandoned. @default {none: chunks are kept in the chunk cache only}
   */
  spillDir?: string;
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
  spillDir: true,
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

function castInto(target: VoxelArray, source: VoxelArray, offset: number): void {
  // Same-typed arrays copy as bytes; TypedArray.set converts between types otherwise.
  (target as Float64Array).set(source as unknown as ArrayLike<number>, offset);
}

/** The index read along every axis: 0 for the spatial ones, the time point or channel for the others. */
function fixedIndices(image: OmeZarrImage, level: ImageLevel, options: ReadLevelOptions): number[] {
  const spatial = image.multiscales.spatialAxes;
  return level.shape.map((_, axis) => spatial.includes(axis) ? 0 : fixedIndex(image, level, axis, options));
}

/** Reads the slabs of a plan; buffers handed back through `recycle` are used again. */
interface SlabReader {
  read(slab: PlannedSlab): Promise<VoxelArray>;
  recycle(buffer: VoxelArray): void;
  /** Waits for reads in flight and removes what they left on disk. */
  close(): Promise<void>;
}

/** What {@linkcode slabReader} reads from and how. */
interface SlabSource {
  image: OmeZarrImage;
  level: ImageLevel;
  dtype: VoxelType;
  fixed: number[];
  plan: SlabPlan;
}

/** Progress of a read: one event per chunk placed, with the bytes fetched since the read began. */
function chunkProgress(image: OmeZarrImage, total: number, options: ReadLevelOptions): () => void {
  const bytesAtStart = image.stats?.bytes ?? 0;
  let done = 0;
  return () => {
    done++;
    options.onProgress?.({ stage: "fetch", done, total, bytes: (image.stats?.bytes ?? 0) - bytesAtStart });
  };
}

/** A buffer for a slab of `length` voxels: a spare one if one is long enough, fresh shared memory otherwise. */
function takeBuffer(spares: VoxelArray[], dtype: VoxelType, length: number): VoxelArray {
  // Every voxel of a slab is written (a missing chunk as its fill value), so a spare buffer needs no clearing.
  const reused = spares.findIndex((spare) => spare.length >= length);
  return reused >= 0 ? spares.splice(reused, 1)[0].subarray(0, length) : allocateSharedVoxels(dtype, length);
}

/** The I/O of a streamed read: fetches and places the chunks of each planned slab. */
function slabReader(source: SlabSource, options: ReadLevelOptions): SlabReader {
  const { image, level, dtype, fixed, plan } = source;
  const array = levelArrays.get(level)!;
  const spatial = image.multiscales.spatialAxes;
  const limiter = new Limiter(options.concurrency ?? 16);
  const onChunk = chunkProgress(image, plan.chunkCount, options);
  const signal = options.signal;
  // Fresh memory costs a page fault per 4 KiB (on this machine ~1 s per 300 MB slab): buffers of slabs
  // the consumer is done with are used again.
  const spares: VoxelArray[] = [];
  // Thin slabs only: a whole-row slab decodes each chunk once and needs no chunk kept for the next slab.
  const spill = options.spillDir !== undefined && plan.planesPerSlab < level.chunks[spatial[0]]
    ? new ChunkSpill(options.spillDir, { onSpilled: (key) => image.cache.delete(key) })
    : undefined;
  // A row's chunks are forgotten only once every slab before its last one has been read too.
  let previousRead: Promise<unknown> = Promise.resolve();
  const readChunk = async (slab: VoxelArray, coords: number[], ranges: VoxelRange[]): Promise<void> => {
    signal?.throwIfAborted();
    // A worker decodes only the Blosc blocks the slab needs and places them into the (shared) slab;
    // what that does not apply to goes through zarrita and is placed here.
    const placed = await placeChunkPart(array, dtype, slab, coords, {
      spatial,
      fixed,
      slabRanges: ranges,
      signal,
      spill,
    });
    if (!placed) {
      const chunk = await array.getChunk(coords, { signal });
      placeChunk(slab, chunk, coords, { ranges, chunks: level.chunks, spatial, fixed });
    }
    onChunk();
  };
  const read = ({ ranges, chunks, endsChunkRow }: PlannedSlab): Promise<VoxelArray> => {
    const before = previousRead;
    const reading = (async () => {
      const slab = takeBuffer(spares, dtype, (ranges[0][1] - ranges[0][0]) * plan.shape[1] * plan.shape[2]);
      await Promise.all(chunks.map((coords) => limiter.run(() => readChunk(slab, coords, ranges))));
      if (endsChunkRow) {
        await before.catch(() => {});
        await forgetChunks(array, image.cache, chunks, spill);
      }
      return slab;
    })();
    previousRead = reading;
    return reading;
  };
  const close = async (): Promise<void> => {
    if (!spill) return;
    // A slab still being read may be writing a chunk file: the directory goes once it has settled.
    await previousRead.catch(() => {});
    await spill.close();
  };
  return { read, recycle: (buffer) => spares.push(buffer), close };
}

/** The slabs in order, the next one fetched while the consumer handles the current one. */
async function* prefetchedSlabs(plan: SlabPlan, reader: SlabReader): AsyncGenerator<VoxelArray> {
  // Decode workers stay up between chunks for as long as the stream is read.
  const release = sharedWorkerPool().hold();
  try {
    const { slabs } = plan;
    let pending: Promise<VoxelArray> | undefined = reader.read(slabs[0]);
    let previous: VoxelArray | undefined;
    for (let i = 0; i < slabs.length; i++) {
      const current: Promise<VoxelArray> = pending!;
      // The consumer asked for this slab, so it is done with the one before: its buffer is free.
      if (previous) reader.recycle(previous);
      pending = i + 1 < slabs.length ? reader.read(slabs[i + 1]) : undefined;
      // A failed prefetch must not surface as an unhandled rejection if we stop early.
      pending?.catch(() => {});
      previous = await current;
      yield previous;
    }
  } finally {
    release();
    // Nothing is left on disk, whether the slabs ended, failed or were abandoned (Ctrl-C, a writer's error).
    await reader.close();
  }
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
  const fixed = fixedIndices(image, found, options);
  const dtype = !options.dtype || options.dtype === "native" ? found.dtype : options.dtype;
  const plan = planSlabs({
    arrayShape: found.shape,
    chunks: found.chunks,
    spatial: image.multiscales.spatialAxes,
    fixed,
    region,
    bytesPerVoxel: bytesPerVoxel(dtype),
    maxSlabBytes: options.maxSlabBytes,
  });
  const reader = slabReader({ image, level: found, dtype, fixed, plan }, options);
  const slabs = (): AsyncGenerator<VoxelArray> => prefetchedSlabs(plan, reader);
  return { shape: plan.shape, dtype, region, slabs: { [Symbol.asyncIterator]: slabs } };
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
