/**
 * Reads only the part of a Zarr v2 Blosc chunk that a thin slab needs: the
 * compressed chunk comes from the store (and so from its byte cache: thin
 * slabs of one chunk row fetch it once), the Blosc blocks holding the slab's
 * planes are cut out on this thread (`blosc_blocks.ts`) and decoded on a
 * worker. Decoding a chunk costs the same in total however many slabs it is
 * read for, and a slab never holds a whole decoded chunk row.
 *
 * Arrays this does not apply to (Zarr v3, filters, Fortran order, big-endian
 * voxels, another compressor) get `undefined`, and the caller reads whole
 * chunks through zarrita as before.
 *
 * @module
 */
import type * as zarr from "zarrita";
import type { VoxelArray, VoxelType } from "../core/volume.ts";
import { type PlaceRequest, sharedWorkerPool, type WorkerPool } from "./worker_pool.ts";
import { sliceBloscBlocks } from "./blosc_blocks.ts";
import { NUMPY_ARRAYS } from "./place_worker.ts";
import type { ChunkSpill } from "./chunk_spill.ts";

/** A C-order chunk of which only items `[offset, offset + data.length)` were decoded. */
export interface ChunkPart {
  /** The decoded items. */
  data: ArrayLike<number>;
  /** The chunk's shape. */
  shape: number[];
  /** The chunk's C-order strides, in items. */
  stride: number[];
  /** Index, in the whole chunk, of `data[0]`. */
  offset: number;
}

/** Options for {@linkcode readChunkPart}. */
export interface ReadChunkPartOptions {
  /** Array axes of z, y and x. */
  spatial: number[];
  /** Index along each non-spatial axis (time, channel). */
  fixed: number[];
  /** The workers. @default {sharedWorkerPool()} */
  pool?: WorkerPool;
  /** Cancels the read. */
  signal?: AbortSignal;
}

type Layout = {
  separator: string;
  typesize: number;
  code: string;
  Array: new (buffer: ArrayBuffer) => ArrayLike<number>;
};

const ARRAYS: Record<string, new (buffer: ArrayBuffer) => ArrayLike<number>> = NUMPY_ARRAYS;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const layouts = new WeakMap<object, Promise<Layout | undefined>>();

async function layoutOf(
  array: zarr.Array<zarr.DataType, zarr.AsyncReadable>,
  signal?: AbortSignal,
): Promise<Layout | undefined> {
  // The .zarray is already in the store's byte cache: opening the image read it.
  const bytes = await array.store.get(`${array.path.replace(/\/$/, "")}/.zarray` as `/${string}`, { signal })
    .catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const meta = JSON.parse(new TextDecoder().decode(bytes));
    const dtype = /^([<|])([uif][1248])$/.exec(meta.dtype ?? "");
    if (
      meta.zarr_format !== 2 || meta.compressor?.id !== "blosc" || (meta.filters ?? []).length > 0 ||
      (meta.order ?? "C") !== "C" || !dtype || !ARRAYS[dtype[2]] || !LITTLE_ENDIAN_HOST
    ) {
      return undefined;
    }
    return {
      separator: meta.dimension_separator ?? ".",
      typesize: Number(dtype[2][1]),
      code: dtype[2],
      Array: ARRAYS[dtype[2]],
    };
  } catch {
    return undefined;
  }
}

/**
 * Decodes the part of one chunk that covers `ranges` (z, y, x voxel ranges of
 * the level), or returns `undefined` when the whole chunk is needed, the
 * chunk is missing, or the array is not a C-order Zarr v2 Blosc array.
 *
 * @example
 * ```ts ignore
 * const part = await readChunkPart(array, [0, 0, 1, 2, 3], [[130, 140], [0, 1280], [0, 925]], {
 *   spatial: [2, 3, 4],
 *   fixed: [0, 0, 0, 0, 0],
 * });
 * ```
 * @param array The zarrita array of the level.
 * @param coords The chunk's coordinates, one per array axis.
 * @param ranges The voxels wanted along (z, y, x), in level coordinates.
 * @param options Axes, fixed indices, workers and cancellation.
 * @returns The decoded part, or `undefined`.
 */
export async function readChunkPart(
  array: zarr.Array<zarr.DataType, zarr.AsyncReadable>,
  coords: number[],
  ranges: [number, number][],
  options: ReadChunkPartOptions,
): Promise<ChunkPart | undefined> {
  if (!layouts.has(array)) layouts.set(array, layoutOf(array, options.signal));
  const layout = await layouts.get(array);
  if (!layout) return undefined;
  const chunks = array.chunks;
  const stride = chunks.map((_, axis) => chunks.slice(axis + 1).reduce((a, b) => a * b, 1));
  const { spatial, fixed } = options;
  let first = 0;
  let last = 0;
  for (let axis = 0; axis < chunks.length; axis++) {
    const s = spatial.indexOf(axis);
    const origin = coords[axis] * chunks[axis];
    if (s < 0) {
      first += (fixed[axis] - origin) * stride[axis];
      last += (fixed[axis] - origin) * stride[axis];
    } else {
      first += (Math.max(ranges[s][0], origin) - origin) * stride[axis];
      last += (Math.min(ranges[s][1], origin + chunks[axis]) - 1 - origin) * stride[axis];
    }
  }
  last += 1;
  const total = stride[0] * chunks[0];
  if (first === 0 && last === total) return undefined;
  const key = `${array.path.replace(/\/$/, "")}/${coords.join(layout.separator)}` as `/${string}`;
  const bytes = await array.store.get(key, { signal: options.signal });
  if (!bytes) return undefined;
  const part = sliceBloscBlocks(bytes, first * layout.typesize, last * layout.typesize);
  if (!part || part.offset % layout.typesize !== 0 || part.bytes % layout.typesize !== 0) return undefined;
  const decoded = part.raw
    ? part.chunk.slice()
    : await (options.pool ?? sharedWorkerPool()).run<Uint8Array>({ op: "blosc", bytes: part.chunk }, [
      part.chunk.buffer as ArrayBuffer,
    ]);
  if (decoded.byteLength !== part.bytes) return undefined;
  const data = new layout.Array(
    decoded.byteOffset === 0 && decoded.byteLength === decoded.buffer.byteLength
      ? decoded.buffer as ArrayBuffer
      : decoded.slice().buffer,
  );
  return { data, shape: chunks, stride, offset: part.offset / layout.typesize };
}

const VOXEL_CODES: Record<VoxelType, string> = {
  uint8: "u1",
  int8: "i1",
  uint16: "u2",
  int16: "i2",
  uint32: "u4",
  int32: "i4",
  float32: "f4",
  float64: "f8",
};

/**
 * Allocates slab voxels in shared memory, so that workers can place decoded
 * chunks into them directly ({@linkcode placeChunkPart}).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { allocateSharedVoxels } from "./partial_chunks.ts";
 * const slab = allocateSharedVoxels("uint16", 10);
 * assert(slab instanceof Uint16Array && slab.buffer instanceof SharedArrayBuffer);
 * ```
 * @param dtype The voxel type.
 * @param length Number of voxels.
 * @returns A typed array over a `SharedArrayBuffer`.
 */
export function allocateSharedVoxels(dtype: VoxelType, length: number): VoxelArray {
  const Array = ARRAYS[VOXEL_CODES[dtype]] as unknown as new (buffer: SharedArrayBuffer) => VoxelArray;
  const bytes = Number(VOXEL_CODES[dtype][1]);
  return new Array(new SharedArrayBuffer(length * bytes));
}

/** Options for {@linkcode placeChunkPart}. */
export interface PlaceChunkPartOptions extends ReadChunkPartOptions {
  /** The slab's voxel ranges along (z, y, x), in level coordinates. */
  slabRanges: [number, number][];
  /**
   * Where compressed chunks are kept on disk between the slabs cut from them (chunk rows too large for
   * the in-memory cache): each chunk is fetched once, later slabs read only their blocks back.
   */
  spill?: ChunkSpill;
}

/**
 * Decodes, on a worker, the Blosc blocks of one chunk that cover the slab
 * and copies them into the slab there (converting to the slab's type), so
 * that neither the decoded chunk nor the copying touch this thread. Returns
 * `false` (nothing done) where this does not apply: a slab not in shared
 * memory, a missing chunk, an array that is not C-order Zarr v2 Blosc, or
 * one whose x axis is not the last.
 *
 * @example
 * ```ts ignore
 * const slab = allocateSharedVoxels("uint16", 10 * 1280 * 925);
 * await placeChunkPart(array, "uint16", slab, [0, 0, 1, 2, 3], {
 *   spatial: [2, 3, 4], fixed: [0, 0, 0, 0, 0], slabRanges: [[130, 140], [0, 1280], [0, 925]],
 * });
 * ```
 * @param array The zarrita array of the level.
 * @param dtype The slab's voxel type.
 * @param slab The slab, in shared memory.
 * @param coords The chunk's coordinates, one per array axis.
 * @param options Axes, fixed indices, the slab's ranges, workers and cancellation.
 * @returns Whether the chunk's part was placed.
 */
export async function placeChunkPart(
  array: zarr.Array<zarr.DataType, zarr.AsyncReadable>,
  dtype: VoxelType,
  slab: VoxelArray,
  coords: number[],
  options: PlaceChunkPartOptions,
): Promise<boolean> {
  if (!(slab.buffer instanceof SharedArrayBuffer)) return false;
  if (!layouts.has(array)) layouts.set(array, layoutOf(array, options.signal));
  const layout = await layouts.get(array);
  if (!layout) return false;
  const chunks = array.chunks;
  const stride = chunks.map((_, axis) => chunks.slice(axis + 1).reduce((a, b) => a * b, 1));
  const { spatial, fixed, slabRanges: ranges } = options;
  const [sz, sy, sx] = spatial;
  if (stride[sx] !== 1) return false;
  let base = 0;
  for (let axis = 0; axis < chunks.length; axis++) {
    if (!spatial.includes(axis)) base += (fixed[axis] - coords[axis] * chunks[axis]) * stride[axis];
  }
  const origin = spatial.map((axis) => coords[axis] * chunks[axis]);
  const lo = ranges.map(([start], s) => Math.max(start, origin[s]));
  const hi = ranges.map(([, stop], s) => Math.min(stop, origin[s] + chunks[spatial[s]]));
  const first = base + (lo[0] - origin[0]) * stride[sz] + (lo[1] - origin[1]) * stride[sy] +
    (lo[2] - origin[2]);
  const last = base + (hi[0] - 1 - origin[0]) * stride[sz] + (hi[1] - 1 - origin[1]) * stride[sy] +
    (hi[2] - 1 - origin[2]) + 1;
  const key = `${array.path.replace(/\/$/, "")}/${coords.join(layout.separator)}` as `/${string}`;
  const { spill, signal } = options;
  const fetch = (): Promise<Uint8Array | undefined> => array.store.get(key, { signal });
  const bytes = spill
    ? await spill.read(key, [first * layout.typesize, last * layout.typesize], fetch, signal)
    : await fetch();
  if (!bytes) return false;
  const part = sliceBloscBlocks(bytes, first * layout.typesize, last * layout.typesize);
  if (!part || part.offset % layout.typesize !== 0 || part.bytes % layout.typesize !== 0) return false;
  const [ny, nx] = [ranges[1][1] - ranges[1][0], ranges[2][1] - ranges[2][0]];
  const place: PlaceRequest = {
    target: slab as unknown as Uint8Array,
    targetType: VOXEL_CODES[dtype],
    sourceType: layout.code,
    decodedBytes: part.bytes,
    raw: part.raw,
    z: [lo[0], hi[0]],
    y: [lo[1], hi[1]],
    width: hi[2] - lo[2],
    from: base - part.offset / layout.typesize + (lo[2] - origin[2]) - origin[0] * stride[sz] -
      origin[1] * stride[sy],
    fromZ: stride[sz],
    fromY: stride[sy],
    to: (lo[2] - ranges[2][0]) - ranges[0][0] * ny * nx - ranges[1][0] * nx,
    toZ: ny * nx,
    toY: nx,
  };
  // A raw (uncompressed) part is a view of the cached body: the worker gets a copy.
  const chunk = part.raw ? part.chunk.slice() : part.chunk;
  await (options.pool ?? sharedWorkerPool()).run({ op: "place", bytes: chunk, place }, [
    chunk.buffer as ArrayBuffer,
  ]);
  return true;
}

/**
 * Drops chunks from a byte cache once no slab needs them any more (thin slabs
 * keep a compressed chunk row cached only while they are cut from it), so
 * that the cache holds about one chunk row instead of filling its budget.
 *
 * @example
 * ```ts ignore
 * await forgetChunks(array, image.cache, [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
 * ```
 * @param array The zarrita array of the level.
 * @param cache The cache its store reads through.
 * @param coords The chunks' coordinates.
 * @param spill The disk spill their compressed bytes are kept in, if any: their files are deleted.
 */
export async function forgetChunks(
  array: zarr.Array<zarr.DataType, zarr.AsyncReadable>,
  cache: { delete(key: string): boolean },
  coords: number[][],
  spill?: ChunkSpill,
): Promise<void> {
  if (!layouts.has(array)) layouts.set(array, layoutOf(array));
  const layout = await layouts.get(array);
  if (!layout) return;
  const keys = coords.map((c) => `${array.path.replace(/\/$/, "")}/${c.join(layout.separator)}`);
  for (const key of keys) cache.delete(key);
  await spill?.drop(keys);
}

/**
 * Whether {@linkcode placeChunkPart} applies to an array: C-order Zarr v2
 * Blosc of little-endian voxels. Thin slabs cost no extra decoding only then.
 *
 * @example
 * ```ts ignore
 * if (await supportsChunkParts(array)) console.log("thin slabs decode each chunk once in total");
 * ```
 * @param array The zarrita array of a level.
 * @param signal Cancels the metadata read.
 * @returns True when chunk parts can be decoded on their own.
 */
export async function supportsChunkParts(
  array: zarr.Array<zarr.DataType, zarr.AsyncReadable>,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!layouts.has(array)) layouts.set(array, layoutOf(array, signal));
  return (await layouts.get(array)) !== undefined;
}
