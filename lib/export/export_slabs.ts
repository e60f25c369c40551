/**
 * The steps between reading and writing of the export pipeline: the level's region read as z-slabs (sized
 * for the source's cache), resampled and reoriented as the plan says, each step a stream. Memory is bounded
 * by the slab sizes whatever the level.
 *
 * @module
 */
import { compressedRowFits, defaultMaxSlabBytes, THIN_SLAB_BYTES } from "../codecs/slab_budget.ts";
import { supportsChunkParts } from "../codecs/partial_chunks.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import { levelArrays } from "../metadata/level_arrays.ts";
import { checkReadMemory } from "../read/memory.ts";
import { formatBytes } from "../core/bytes.ts";
import { bytesPerVoxel } from "../core/volume.ts";
import { streamLevel } from "../read/read.ts";
import type { OpenedSource } from "../source/open_source.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import type { ExportPlan } from "./plan.ts";
import { reorientSlabs } from "./reorient_slabs.ts";
import { resampleSlabs } from "./resample.ts";
import { checkFreeSpace, tempPathFor } from "../core/temp_space.ts";

/** Options for {@linkcode exportSlabs}: those of `exportImage` that shape the slabs. */
export interface ExportSlabsOptions {
  /** Voxel type: as stored, or float32. @default {"native"} */
  dtype?: "native" | "float32";
  /** Most bytes in one z-slab read (and of each temporary-file batch). @default {chosen per level} */
  maxSlabBytes?: number;
  /** Chunk requests in flight at once. @default {the source's} */
  concurrency?: number;
  /** Progress of the fetch. */
  onProgress?: (event: ProgressEvent) => void;
  /** One line per step (which road the read takes). */
  log?: (line: string) => void;
  /** Cancels the reads; the temporary file is removed. */
  signal: AbortSignal;
}

/** The read step: the level's region as z-slabs, with the slab size the source's cache suits. */
async function readSlabs(
  source: OpenedSource,
  plan: ExportPlan,
  options: ExportSlabsOptions,
): Promise<VolumeSlabs> {
  const { image } = source;
  const [nx, ny] = plan.read.size;
  const rowBytes = plan.level.chunks[image.multiscales.spatialAxes[0]] * ny * nx *
    (plan.output.dtype === "float32"
      ? 4
      : plan.level.dtype === "uint8" || plan.level.dtype === "int8"
      ? 1
      : 2);
  // Thin slabs only where each slab can decode just its part of a chunk (see codecs/slab_budget.ts).
  const partial = await supportsChunkParts(levelArrays.get(plan.level)!, options.signal);
  let maxSlabBytes = options.maxSlabBytes ??
    (partial ? defaultMaxSlabBytes(rowBytes, image.cache.maxBytes) : undefined);
  // A compressed row too large for the cache: thin slabs all the same (whole-row slabs are 1.2 GB each at
  // level 2 of a SmartSPIM brain, ~19 GB at level 0), cut from the row's chunks kept on disk.
  if (maxSlabBytes === undefined && partial && rowBytes > THIN_SLAB_BYTES) maxSlabBytes = THIN_SLAB_BYTES;
  let spillDir: string | undefined;
  if (
    partial && maxSlabBytes !== undefined && maxSlabBytes < rowBytes &&
    !compressedRowFits(rowBytes, image.cache.maxBytes)
  ) {
    spillDir = tempPathFor(plan.output.path, plan.temp.directory).replace(/\.scratch$/, ".chunks");
    const [sz, sy, sx] = image.multiscales.spatialAxes;
    const { chunks } = plan.level;
    const needed = compressedRowBound(plan, [chunks[sx], chunks[sy], chunks[sz]]);
    checkFreeSpace(plan.temp.directory, needed, "the compressed chunk rows spilled to disk");
    options.log?.(`Compressed chunk rows spilled to ${spillDir} (thin slabs; up to ${formatBytes(needed)})`);
  }
  const readOptions = {
    dtype: options.dtype,
    roi: plan.region,
    concurrency: options.concurrency,
    maxSlabBytes,
  };
  // Nothing is fetched until the slabs are read: refuse now, with figures, rather than run out of memory.
  const { roi: region, ...sizes } = readOptions;
  checkReadMemory(image, plan.level.index, { ...sizes, region });
  return streamLevel(image, plan.level.index, {
    ...readOptions,
    ...(spillDir === undefined ? {} : { spillDir }),
    onProgress: options.onProgress,
    signal: options.signal,
  });
}

/**
 * Disk the spilled chunks may take: one chunk row of the region, decoded. Blosc never stores a chunk much
 * larger than its voxels, and at SmartSPIM's ratio (about 2) this covers the two rows on disk at once when
 * the next row's first slab is fetched while the last slab of a row is read.
 */
function compressedRowBound(plan: ExportPlan, [cx, cy, cz]: [number, number, number]): number {
  const chunksAlong = ([start, stop]: readonly [number, number], size: number): number =>
    Math.floor((stop - 1) / size) - Math.floor(start / size) + 1;
  const region = plan.region;
  return cz * chunksAlong(region.y, cy) * cy * chunksAlong(region.x, cx) * cx *
    bytesPerVoxel(plan.level.dtype);
}

/**
 * The voxels of a plan as z-slabs: the read step, then the resampling and reorientation the plan asks
 * for, chained as streams. Nothing is fetched until the slabs are read.
 *
 * @param source The opened source.
 * @param plan The plan (from `planExport`).
 * @param options Slab size, voxel type, concurrency, progress, cancellation.
 * @returns The output grid's slabs.
 * @throws {RangeError} If the slabs would not fit in memory (with figures).
 */
export async function exportSlabs(
  source: OpenedSource,
  plan: ExportPlan,
  options: ExportSlabsOptions,
): Promise<VolumeSlabs> {
  let slabs = await readSlabs(source, plan, options);
  if (plan.resample) {
    slabs = resampleSlabs(slabs, {
      geometry: plan.read.geometry,
      spacing: plan.resample.geometry.spacing,
      signal: options.signal,
    });
  }
  if (plan.reorient) {
    slabs = reorientSlabs(slabs, {
      geometry: (plan.resample ?? plan.read).geometry,
      orientation: plan.reorient.to,
      tempPath: tempPathFor(plan.output.path, plan.temp.directory),
      maxSlabBytes: options.maxSlabBytes,
      signal: options.signal,
    });
  }
  return slabs;
}
