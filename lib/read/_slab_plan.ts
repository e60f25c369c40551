/**
 * The plan of a streamed read, computed before any request: which z-slabs a region is delivered in, and which
 * chunks each slab needs. Pure arithmetic on the level's geometry, so that `streamLevel` is left with the I/O.
 *
 * @module
 */
import type { Region, VoxelRange } from "../core/volume.ts";

/** The geometry {@linkcode planSlabs} works from. */
export interface SlabPlanInput {
  /** The level's array shape, every axis (time and channel too), in stored order. */
  arrayShape: readonly number[];
  /** The level's chunk shape, in the same order. */
  chunks: readonly number[];
  /** The array axes of z, y and x. */
  spatial: readonly [number, number, number];
  /** The index read along every non-spatial axis (the spatial entries are ignored). */
  fixed: readonly number[];
  /** The region read, every axis filled in, in voxels. */
  region: Required<Region>;
  /** Bytes of one output voxel. */
  bytesPerVoxel: number;
  /** Most bytes in one slab. @default {Infinity} */
  maxSlabBytes?: number;
}

/** One slab of a {@linkcode SlabPlan}. */
export interface PlannedSlab {
  /** The slab's (z, y, x) ranges in level voxels; y and x are the region's. */
  ranges: [VoxelRange, VoxelRange, VoxelRange];
  /** The array coordinates of every chunk the slab needs, z slowest, then y, then x. */
  chunks: number[][];
  /**
   * Whether the slab is the last to need its chunk row, so that the row's chunks can leave the cache: only
   * when slabs are thinner than a chunk row (otherwise no chunk is decoded twice and the cache is left alone).
   */
  endsChunkRow: boolean;
}

/** The slabs of a streamed read, from {@linkcode planSlabs}. */
export interface SlabPlan {
  /** Sizes along (z, y, x) of the whole region. */
  shape: [number, number, number];
  /** Planes in a full slab: a chunk row, or fewer under a byte budget. */
  planesPerSlab: number;
  /** The slabs, in z order. */
  slabs: PlannedSlab[];
  /** Chunk requests of the whole read (a chunk spanned by two slabs counts twice). */
  chunkCount: number;
}

/** Index of the first and last chunk a range touches. */
function chunkIndices([start, stop]: VoxelRange, chunk: number): [number, number] {
  return [Math.floor(start / chunk), Math.floor((stop - 1) / chunk)];
}

/**
 * Cuts a region into z-slabs that never cross a chunk row, at most `maxSlabBytes` each (but at least one
 * plane), and lists the chunks of each.
 *
 * @param input The level's geometry and the region.
 * @returns The slabs, their chunks and the total number of chunk requests.
 */
export function planSlabs(input: SlabPlanInput): SlabPlan {
  const { arrayShape, chunks, spatial, fixed, region } = input;
  const shape: [number, number, number] = [
    region.z[1] - region.z[0],
    region.y[1] - region.y[0],
    region.x[1] - region.x[0],
  ];
  const zChunk = chunks[spatial[0]];
  const planeBytes = shape[1] * shape[2] * input.bytesPerVoxel;
  const planesPerSlab = Math.max(
    1,
    Math.min(zChunk, Math.floor((input.maxSlabBytes ?? Infinity) / planeBytes)),
  );
  const slabs: PlannedSlab[] = [];
  for (let z = region.z[0]; z < region.z[1];) {
    const next = Math.min(region.z[1], (Math.floor(z / zChunk) + 1) * zChunk, z + planesPerSlab);
    const ranges: PlannedSlab["ranges"] = [[z, next], region.y, region.x];
    slabs.push({
      ranges,
      chunks: slabChunks(arrayShape, chunks, spatial, fixed, ranges),
      endsChunkRow: planesPerSlab < zChunk && (next % zChunk === 0 || next === region.z[1]),
    });
    z = next;
  }
  const chunkCount = slabs.reduce((sum, slab) => sum + slab.chunks.length, 0);
  return { shape, planesPerSlab, slabs, chunkCount };
}

/** Array coordinates of the chunks under a slab's ranges; non-spatial axes at the chunk of their fixed index. */
function slabChunks(
  arrayShape: readonly number[],
  chunks: readonly number[],
  spatial: readonly [number, number, number],
  fixed: readonly number[],
  ranges: PlannedSlab["ranges"],
): number[][] {
  const [sz, sy, sx] = spatial;
  const [[z0, z1], [y0, y1], [x0, x1]] = ranges.map((range, s) => chunkIndices(range, chunks[spatial[s]]));
  const found: number[][] = [];
  for (let cz = z0; cz <= z1; cz++) {
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        found.push(
          arrayShape.map((_, axis) =>
            axis === sz ? cz : axis === sy ? cy : axis === sx ? cx : Math.floor(fixed[axis] / chunks[axis])
          ),
        );
      }
    }
  }
  return found;
}
