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

/**
 * Planes in a slab: a whole chunk row when the budget holds one, else the largest divisor of the chunk depth
 * the budget holds. A divisor cuts every chunk at the same planes, and Blosc's blocks are a power-of-two
 * number of bytes, a whole number of planes in SmartSPIM's chunks (4 planes of 128 × 128 uint16 for 128 KiB):
 * a slab of a power-of-two number of planes ends where a block ends, so no block is decoded for two slabs.
 * On the benchmark's level 3 (4 December 2026), 16-plane slabs cost 6.6-7.1 CPU-s against 7.4-7.5 for
 * 10-plane ones (same peak RSS), and 21-plane ones 7.4.
 */
function slabPlanes(zChunk: number, budgetPlanes: number): number {
  if (budgetPlanes >= zChunk) return zChunk;
  for (let planes = budgetPlanes; planes > 1; planes--) if (zChunk % planes === 0) return planes;
  return 1;
}

/** Index of the first and last chunk a range touches. */
function chunkIndices([start, stop]: VoxelRange, chunk: number): [number, number] {
  return [Math.floor(start / chunk), Math.floor((stop - 1) / chunk)];
}

/**
 * Cuts a region into z-slabs that never cross a chunk row, at most `maxSlabBytes` each (but at least one
 * plane; thinner ones a divisor of the chunk depth thick, starting at multiples of it), and lists the chunks
 * of each.
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
  const budgetPlanes = Math.max(1, Math.floor((input.maxSlabBytes ?? Infinity) / planeBytes));
  const planesPerSlab = slabPlanes(zChunk, budgetPlanes);
  const slabs: PlannedSlab[] = [];
  for (let z = region.z[0]; z < region.z[1];) {
    // Slabs start at multiples of their thickness, so that they fall on the same planes of every chunk row.
    const next = Math.min(
      region.z[1],
      (Math.floor(z / zChunk) + 1) * zChunk,
      (Math.floor(z / planesPerSlab) + 1) * planesPerSlab,
    );
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
