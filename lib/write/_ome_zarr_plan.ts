/**
 * The plan of an OME-Zarr store, made and checked before anything is written: the version, the output type,
 * the shapes of chunks, shards and every level, the codec, the NGFF frame and the display window's
 * percentiles. Pure, so that every bad option is refused before a staging folder exists, and so that
 * `writeOmeZarr` is left with the writes.
 *
 * @module
 */
import { basename } from "node:path";
import type { ChunkCodec } from "../codecs/chunk_encoder.ts";
import {
  bytesPerVoxel,
  type ImageGeometry,
  isVoxelType,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import { pyramidShapes } from "./_pyramid.ts";
import { type LevelLayout, levelLayouts, type NgffFrame, ngffFrame } from "./_ome_zarr_metadata.ts";

const DEFAULT_CHUNK: [number, number, number] = [128, 128, 128];
const STORE_SUFFIX = ".zarr";

/** The options {@linkcode planOmeZarr} reads (those of `writeOmeZarr` that shape the store). */
export interface OmeZarrPlanOptions {
  geometry: ImageGeometry;
  version?: string;
  chunkShape?: [number, number, number];
  shardShape?: [number, number, number];
  codec?: string;
  compressionLevel?: number;
  outputType?: VoxelType;
  name?: string;
  windowPercentiles?: [number, number];
}

/** An OME-Zarr store, planned. */
export interface OmeZarrPlan {
  /** The store's path, without trailing slashes. */
  store: string;
  /** The OME-NGFF version. */
  version: "0.4" | "0.5";
  /** The voxel type written. */
  dtype: VoxelType;
  /** Level 0's shape (z, y, x). */
  shape: [number, number, number];
  /** The chunk shape asked for (each level's is clipped to its shape). */
  chunk: [number, number, number];
  /** The shard shape, or `undefined` for a file per chunk. */
  shard: [number, number, number] | undefined;
  /** The chunk compressor. */
  codec: ChunkCodec;
  /** The percentiles of level 0 that become the `omero` window. */
  percentiles: [number, number];
  /** The NGFF axes of the geometry. */
  frame: NgffFrame;
  /** Every level's path, shape, scale and translation, level 0 first. */
  layouts: LevelLayout[];
  /** Level-0 voxel bytes before compression. */
  voxelBytes: number;
  /** The image's name in `multiscales` and `omero`. */
  name: string;
}

/**
 * Plans a store and checks every option against the image.
 *
 * @param path The store to create.
 * @param image The input's voxel type and shape, and its voxels when in memory.
 * @param options The options of `writeOmeZarr` that shape the store.
 * @returns The plan.
 * @throws {TypeError} For a path not ending in `.zarr`, an unknown version, codec or voxel type.
 * @throws {RangeError} For a bad shape, chunk or shard shape, level, percentiles or geometry, or in-memory
 * voxels that do not fill the shape.
 */
export function planOmeZarr(
  path: string,
  image: { dtype: string; shape: readonly number[]; data?: ArrayLike<number> },
  options: OmeZarrPlanOptions,
): OmeZarrPlan {
  const store = path.replace(/\/+$/, "");
  if (!store.toLowerCase().endsWith(STORE_SUFFIX)) {
    throw new TypeError(`Cannot write OME-Zarr to ${path}: expected a name ending in .ome.zarr (or .zarr)`);
  }
  const version = options.version ?? "0.4";
  if (version !== "0.4" && version !== "0.5") {
    throw new TypeError(`Cannot write OME-Zarr version "${version}": expected "0.4" or "0.5"`);
  }
  if (!isVoxelType(image.dtype)) throw new TypeError(`Cannot write voxels of unknown type "${image.dtype}"`);
  const dtype = options.outputType ?? image.dtype;
  if (!isVoxelType(dtype)) throw new TypeError(`Cannot write voxels of unknown type "${dtype}"`);
  const shape = checkShape("shape", image.shape);
  const chunk = checkShape("chunkShape", options.chunkShape ?? DEFAULT_CHUNK);
  const shard = checkShard(options.shardShape, chunk, version);
  const codec = chunkCodec(options.codec ?? "blosc-zstd", options.compressionLevel, bytesPerVoxel(dtype));
  const percentiles = options.windowPercentiles ?? [0.1, 99.9];
  if (!(percentiles[0] >= 0 && percentiles[0] <= percentiles[1] && percentiles[1] <= 100)) {
    throw new RangeError(
      `Cannot use window percentiles [${percentiles}]: expected two numbers 0 ≤ low ≤ high ≤ 100`,
    );
  }
  const frame = ngffFrame(options.geometry);
  const voxels = shape[0] * shape[1] * shape[2];
  if (image.data && image.data.length !== voxels) {
    throw new RangeError(
      `Cannot write a volume of shape [${shape}] from ${image.data.length} voxels: expected ${voxels}`,
    );
  }
  return {
    store,
    version,
    dtype,
    shape,
    chunk,
    shard,
    codec,
    percentiles,
    frame,
    layouts: levelLayouts(pyramidShapes(shape, chunk), frame),
    voxelBytes: voxels * bytesPerVoxel(dtype),
    name: options.name ?? basename(store).replace(/(\.ome)?\.zarr$/i, ""),
  };
}

/**
 * Checks the next slab of a stream against the plan.
 *
 * @param slab The slab.
 * @param index Its place in the stream, from 0.
 * @param planesBefore The z planes taken in before it.
 * @param shape Level 0's shape (z, y, x).
 * @param input The array type the input's voxel type comes in, and the type's name.
 * @returns The slab's z planes.
 * @throws {TypeError} If the slab is of another array type.
 * @throws {RangeError} If it is not whole planes, or ends past the last plane.
 */
export function checkSlab(
  slab: VoxelArray,
  index: number,
  planesBefore: number,
  shape: readonly [number, number, number],
  input: { type: new (n: number) => VoxelArray; dtype: string },
): number {
  const plane = shape[1] * shape[2];
  if (!(slab instanceof input.type)) {
    throw new TypeError(
      `Cannot write slab ${index}: expected a ${input.type.name} for ${input.dtype} voxels, ` +
        `got ${Object.prototype.toString.call(slab).slice(8, -1)}`,
    );
  }
  if (slab.length % plane !== 0) {
    throw new RangeError(
      `Cannot write slab ${index} of ${slab.length} voxels: not a whole number of z planes of ${plane}`,
    );
  }
  const planes = slab.length / plane;
  if (planesBefore + planes > shape[0]) {
    throw new RangeError(
      `Cannot write slab ${index}: it ends at z plane ${planesBefore + planes}, past the ${shape[0]} planes`,
    );
  }
  return planes;
}

function checkShape(what: string, shape: readonly number[]): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(
      `Cannot write OME-Zarr with ${what} [${shape}]: expected three positive integers (z, y, x)`,
    );
  }
  return [shape[0], shape[1], shape[2]];
}

function checkShard(
  shard: [number, number, number] | undefined,
  chunk: [number, number, number],
  version: string,
): [number, number, number] | undefined {
  if (shard === undefined) return undefined;
  if (version !== "0.5") {
    throw new RangeError(`Cannot shard an OME-Zarr ${version} store: sharding needs Zarr v3 (version "0.5")`);
  }
  const checked = checkShape("shardShape", shard);
  if (checked.some((n, a) => n % chunk[a] !== 0)) {
    throw new RangeError(
      `Cannot write OME-Zarr with shardShape [${checked}]: expected a multiple of chunkShape [${chunk}] on every axis`,
    );
  }
  return checked;
}

function chunkCodec(codec: string, level: number | undefined, typesize: number): ChunkCodec {
  const checkLevel = (value: number): number => {
    if (!Number.isInteger(value) || value < 0 || value > 9) {
      throw new RangeError(`Cannot compress at level ${value}: expected an integer from 0 to 9`);
    }
    return value;
  };
  switch (codec) {
    case "blosc-zstd":
    case "blosc-lz4":
      return {
        id: "blosc",
        cname: codec === "blosc-zstd" ? "zstd" : "lz4",
        clevel: checkLevel(level ?? (codec === "blosc-zstd" ? 1 : 2)),
        shuffle: 1,
        typesize,
        // Larger blocks give zstd more context: faster at level 1 and a better ratio (see compressionLevel).
        ...(codec === "blosc-zstd" ? { blocksize: 256 * 1024 } : {}),
      };
    case "gzip":
      return { id: "gzip", level: checkLevel(level ?? 1) };
    case "none":
      return { id: "raw" };
    default:
      throw new TypeError(
        `Unknown OME-Zarr codec "${codec}": expected one of blosc-zstd, blosc-lz4, gzip, none`,
      );
  }
}
