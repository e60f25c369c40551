/**
 * Copying the part of a decoded chunk that lies inside a slab, for the chunks no decode worker placed.
 *
 * @module
 */
import type { VoxelArray, VoxelRange } from "../core/volume.ts";

/** Where a slab lies in the level's array, for {@linkcode placeChunk}. */
export interface SlabGeometry {
  /** The slab's (z, y, x) ranges in level voxels. */
  ranges: readonly VoxelRange[];
  /** The array's chunk shape, every axis. */
  chunks: readonly number[];
  /** The array axes of z, y and x. */
  spatial: readonly [number, number, number];
  /** The index read along every non-spatial axis. */
  fixed: readonly number[];
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

/**
 * Copies the part of a decoded chunk inside the slab, one x-run at a time: zarrita's generic n-d copy ran at
 * ~150 MB/s here, which made it the bottleneck of an export.
 *
 * @param slab The slab, C-order (z, y, x) over `geometry.ranges`.
 * @param chunk The decoded chunk, as zarrita's `getChunk` returns it.
 * @param coords The chunk's array coordinates.
 * @param geometry Where the slab lies in the array.
 */
export function placeChunk(
  slab: VoxelArray,
  chunk: { data: unknown; stride: number[] },
  coords: readonly number[],
  geometry: SlabGeometry,
): void {
  const { ranges, chunks, spatial, fixed } = geometry;
  const [sz, sy, sx] = spatial;
  const stride = chunk.stride;
  let base = 0;
  for (let axis = 0; axis < coords.length; axis++) {
    if (!spatial.includes(axis)) base += (fixed[axis] - coords[axis] * chunks[axis]) * stride[axis];
  }
  const origin = [coords[sz] * chunks[sz], coords[sy] * chunks[sy], coords[sx] * chunks[sx]];
  const lo = ranges.map(([start], s) => Math.max(start, origin[s]));
  const hi = ranges.map(([, stop], s) => Math.min(stop, origin[s] + chunks[spatial[s]]));
  const width = hi[2] - lo[2];
  const ny = ranges[1][1] - ranges[1][0];
  const nx = ranges[2][1] - ranges[2][0];
  const source = chunk.data as Float64Array;
  const target = slab as Float64Array;
  for (let z = lo[0]; z < hi[0]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const from = base + (z - origin[0]) * stride[sz] + (y - origin[1]) * stride[sy] +
        (lo[2] - origin[2]) * stride[sx];
      const to = ((z - ranges[0][0]) * ny + (y - ranges[1][0])) * nx + (lo[2] - ranges[2][0]);
      copyRun(target, source, to, from, width, stride[sx]);
    }
  }
}
