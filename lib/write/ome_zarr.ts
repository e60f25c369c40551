/**
 * The OME-Zarr writer: an image and its 2× mean pyramid as an OME-NGFF
 * multiscale image (NGFF 0.4 on Zarr v2, or 0.5 on Zarr v3 with optional
 * sharding), built while the z-slabs stream past, written atomically.
 *
 * @module
 */
import {
  allocateVoxels,
  bytesPerVoxel,
  type ImageGeometry,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import type { AnatomicalAxes } from "../orient/codes.ts";
import { withAtomicDirectory } from "./atomic_directory.ts";
import type { VolumeSlabs } from "./nifti.ts";
import { PyramidWriter } from "./_pyramid_writer.ts";
import { WindowEstimator } from "./_display_window.ts";
import { omeAttributes, type OmeroWindow } from "./_ome_zarr_metadata.ts";
import { checkSlab, type OmeZarrPlan, planOmeZarr } from "./_ome_zarr_plan.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { dirname } from "node:path";

export type { OmeroWindow };

/** The chunk compressors {@linkcode writeOmeZarr} offers. */
export type OmeZarrCodec = "blosc-zstd" | "blosc-lz4" | "gzip" | "none";

/** How far {@linkcode writeOmeZarr} has come. */
export interface WriteOmeZarrProgress {
  /** Level-0 voxel bytes taken in so far (before compression). */
  bytesWritten: number;
  /** Level-0 voxel bytes in all. */
  totalBytes: number;
}

/** Options for {@linkcode writeOmeZarr}. */
export interface WriteOmeZarrOptions {
  /**
   * Where the voxels lie, in ITK's LPS conventions (as {@linkcode writeNifti} takes it). The direction must
   * be axis-aligned (a signed permutation): NGFF has no direction matrix.
   */
  geometry: ImageGeometry;
  /**
   * OME-NGFF version: `"0.4"` (Zarr v2, what AIND writes and every viewer reads) or `"0.5"` (Zarr v3,
   * optionally sharded). @default {"0.4"}
   */
  version?: "0.4" | "0.5";
  /** Chunk shape (z, y, x), clipped to each level's shape. @default {[128, 128, 128]} */
  chunkShape?: [number, number, number];
  /**
   * Shard shape (z, y, x), a multiple of `chunkShape` on every axis; NGFF 0.5 only. Without it, every
   * chunk is a file. @default {undefined}
   */
  shardShape?: [number, number, number];
  /** Chunk compressor: Blosc (zstd or lz4, byte shuffle), gzip, or none. @default {"blosc-zstd"} */
  codec?: OmeZarrCodec;
  /**
   * The compressor's level, 0-9. Blosc zstd is written in 256 KiB blocks (c-blosc picks 64 KiB): at level 1
   * (zstd's level 1) that compressed the benchmark's voxels with about a quarter less CPU than level 2 in
   * 64 KiB blocks (the default before) and slightly better (ratio 2.059 against 2.049 on level-0 chunks);
   * in 64 KiB blocks level 1 was no faster than 2 and compressed worse. @default {1 for Blosc zstd and gzip, 2 for Blosc lz4}
   */
  compressionLevel?: number;
  /**
   * Voxel type to write, converting as `TypedArray.prototype.set` does (as {@linkcode writeNifti}).
   * @default {the input's dtype}
   */
  outputType?: VoxelType;
  /** The image's name in `multiscales` and `omero`. @default {the store's name without `.ome.zarr`} */
  name?: string;
  /** Percentiles of level 0 that become the `omero` contrast window. @default {[0.1, 99.9]} */
  windowPercentiles?: [number, number];
  /**
   * Where the rows of chunks wait for their last z planes, uncompressed, in temporary files (about one
   * chunk row of level 0 and two of each smaller level; their free space is checked first, and they are
   * removed whatever happens). @default {the store's directory}
   */
  tmpDir?: string;
  /** Replace an existing store, only once the new one is complete. @default {false} */
  force?: boolean;
  /** Cancels the write; nothing is left behind. */
  signal?: AbortSignal;
  /** Called after each slab is taken in. */
  onProgress?: (event: WriteOmeZarrProgress) => void;
}

/** One level of the written pyramid. */
export interface OmeZarrLevel {
  /** Its path in the store. */
  path: string;
  /** (z, y, x). */
  shape: [number, number, number];
  /** Chunk shape (z, y, x) (the inner chunks when sharded). */
  chunkShape: [number, number, number];
  /** µm per voxel (z, y, x), as in `coordinateTransformations`. */
  scale: [number, number, number];
  /** µm (z, y, x) of the centre of voxel (0, 0, 0). */
  translation: [number, number, number];
}

/** What {@linkcode writeOmeZarr} wrote. */
export interface WriteOmeZarrResult {
  /** The store written. */
  path: string;
  /** The OME-NGFF version. */
  version: "0.4" | "0.5";
  /** The pyramid, level 0 first. */
  levels: OmeZarrLevel[];
  /** Bytes of every file in the store. */
  bytes: number;
  /** Level-0 voxel bytes before compression. */
  voxelBytes: number;
  /** The anatomical direction each ITK index axis (x, y, z) points to. */
  anatomicalAxes: AnatomicalAxes;
  /** The `omero` window written. */
  window: OmeroWindow;
}

/** The keys of {@linkcode WriteOmeZarrOptions}, checked at run time. */
const WRITE_OME_ZARR_OPTION_KEYS: OptionKeys<WriteOmeZarrOptions> = {
  geometry: true,
  version: true,
  chunkShape: true,
  shardShape: true,
  codec: true,
  compressionLevel: true,
  outputType: true,
  name: true,
  windowPercentiles: true,
  tmpDir: true,
  force: true,
  signal: true,
  onProgress: true,
};

/**
 * Writes an image as an OME-Zarr store (an OME-NGFF multiscale image): level
 * 0 holds the voxels as given, each further level the 2×2×2 mean of the one
 * above (at an odd edge, the mean of the voxels present), until a level fits
 * in one chunk. The pyramid is built while the z-slabs stream past: the rows
 * of chunks (or shards) waiting for their last z planes are kept on disk, in
 * temporary files beside the store (or in `tmpDir`), so memory holds only the
 * chunks being compressed, whatever the image's size. Chunks are compressed
 * on the worker pool (c-blosc where it loads).
 *
 * Geometry: NGFF has no direction matrix, so the direction must be axis
 * aligned; each NGFF axis (z, y, x) then carries its anatomical direction
 * (OME-NGFF RFC-4 `orientation`), and its scale and translation (µm) measure
 * physical position along that direction, so `translation` is the first
 * voxel's centre. The exact ITK geometry is kept under `spimfetch.geometry`.
 * `omero` gives a contrast window from percentiles of level 0.
 *
 * The store appears only when complete (staged in a hidden folder beside
 * it); on any error or abort nothing is left behind.
 *
 * @example Write a small volume and read it back with zarrita
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as zarr from "zarrita";
 * import { writeOmeZarr } from "@spimfetch/spimfetch/write";
 * const dir = await Deno.makeTempDir();
 * const data = new Uint16Array(4 * 6 * 8).map((_, i) => i);
 * const result = await writeOmeZarr(`${dir}/tiny.ome.zarr`, { data, shape: [4, 6, 8], dtype: "uint16" }, {
 *   geometry: { spacing: [0.01, 0.01, 0.02], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
 *   chunkShape: [2, 4, 4],
 * });
 * assertEquals(result.levels.map((l) => l.shape), [[4, 6, 8], [2, 3, 4]]);
 * const store = { get: async (key: string) => await Deno.readFile(`${dir}/tiny.ome.zarr${key}`).catch(() => undefined) };
 * const level0 = await zarr.open.v2(zarr.root(store).resolve("0"), { kind: "array", attrs: false });
 * assertEquals((await zarr.get(level0)).data, data);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path The store to create; its name must end with `.zarr` (`.ome.zarr` by convention).
 * @param image A volume in memory, or z-slabs in z order (as {@linkcode writeNifti} takes them).
 * @param options Geometry, version, chunking, codec, output type, overwriting, progress.
 * @returns The store's levels, size and display window.
 * @throws {TypeError} For a path not ending in `.zarr`, an unknown version or codec, or slabs of the wrong
 * array type.
 * @throws {RangeError} For a bad shape, chunk or shard shape, level, percentiles or geometry (an oblique
 * direction included), or data (or slabs) that do not fill the shape exactly.
 * @throws {OutputExistsError} If the store exists and `force` is not set.
 * @throws {DiskSpaceError} If the temporary files' disk has too little free space (before any voxel is read).
 * @throws {Error} If the output directory is missing or not writable.
 */
export async function writeOmeZarr(
  path: string,
  image: Volume | VolumeSlabs,
  options: WriteOmeZarrOptions,
): Promise<WriteOmeZarrResult> {
  options = checkOptions(options, WRITE_OME_ZARR_OPTION_KEYS, "writeOmeZarr()");
  const plan = planOmeZarr(path, image, options);
  return await withAtomicDirectory(plan.store, (staging) => writeStore(staging, image, plan, options), {
    force: options.force,
    signal: options.signal,
  });
}

/** Writes the planned store into the staging folder: array metadata, the pyramid as slabs pass, the root. */
async function writeStore(
  staging: string,
  image: Volume | VolumeSlabs,
  plan: OmeZarrPlan,
  options: WriteOmeZarrOptions,
): Promise<WriteOmeZarrResult> {
  const { version, dtype, shape } = plan;
  const levels: OmeZarrLevel[] = plan.layouts.map((layout) => ({
    ...layout,
    chunkShape: layout.shape.map((n, a) => Math.min(n, plan.chunk[a])) as [number, number, number],
  }));
  const window = new WindowEstimator(dtype, shape[0] * shape[1] * shape[2]);
  const writer = new PyramidWriter({
    staging,
    version,
    dtype,
    codec: plan.codec,
    levels,
    shard: plan.shard,
    signal: options.signal,
    window,
    scratch: { directory: options.tmpDir ?? dirname(plan.store), store: plan.store },
  });
  try {
    await writer.open();
    await writer.writeArrayMetadata();
    await pushSlabs(writer, image, plan, options);
    await writer.finish();
    const displayWindow = window.window(plan.percentiles[0], plan.percentiles[1]);
    const attributes = omeAttributes({
      version,
      name: plan.name,
      levels: plan.layouts,
      frame: plan.frame,
      window: displayWindow,
      geometry: options.geometry,
      percentiles: plan.percentiles,
      windowCountedEvery: window.countStride,
    });
    await writer.writeRootMetadata(attributes);
    options.signal?.throwIfAborted();
    return {
      path: plan.store,
      version,
      levels,
      bytes: writer.bytes,
      voxelBytes: plan.voxelBytes,
      anatomicalAxes: plan.frame.anatomicalAxes,
      window: displayWindow,
    };
  } finally {
    await writer.settle();
  }
}

/** Hands the input's slabs (or its one volume) to the pyramid writer, each checked against the plan. */
async function pushSlabs(
  writer: PyramidWriter,
  image: Volume | VolumeSlabs,
  plan: OmeZarrPlan,
  options: WriteOmeZarrOptions,
): Promise<void> {
  const [nz, ny, nx] = plan.shape;
  const input = {
    type: allocateVoxels(image.dtype, 0).constructor as new (n: number) => VoxelArray,
    dtype: image.dtype,
  };
  const slabs = "data" in image ? [image.data] : image.slabs;
  let planes = 0;
  let index = 0;
  for await (const slab of slabs) {
    options.signal?.throwIfAborted();
    const taken = checkSlab(slab, index, planes, plan.shape, input);
    await writer.push(slab);
    planes += taken;
    index++;
    options.onProgress?.({
      bytesWritten: planes * ny * nx * bytesPerVoxel(plan.dtype),
      totalBytes: plan.voxelBytes,
    });
  }
  if (planes !== nz) {
    throw new RangeError(`Cannot write OME-Zarr: the slabs ended after ${planes} of ${nz} z planes`);
  }
}
