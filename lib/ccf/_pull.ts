/**
 * The inner loops of resampling into CCF, shared by the main thread and the
 * workers: pull CCF voxels through the transforms to continuous indices of an
 * LS level, and sample the level there (trilinear).
 *
 * Sampling follows ITK's linear interpolator as antsApplyTransforms uses it:
 * a position is inside when every continuous index c satisfies
 * `−0.5 ≤ c < n − 0.5`; neighbours beyond the edge are clamped to it; a
 * position outside gets 0.
 *
 * @module
 */
import { ccfPointToLs, type CcfTransforms } from "./transforms.ts";

/** A target grid: index (i, j, k) → LPS `origin + direction · (spacing ⊙ ijk)`. */
export interface PullGrid {
  /** Sizes (x, y, z). */
  size: [number, number, number];
  /** Row-major 3×4 index → LPS. */
  indexToLps: number[];
}

/**
 * Computes, for flat voxels `[start, end)` of the slab of planes `k0…` of a
 * grid, the continuous index (x, y, z) of the LS level where each samples;
 * returns the box of level voxels the inside ones need (or `undefined`).
 *
 * @param t The transforms.
 * @param grid The target grid.
 * @param lpsToLevel Row-major 3×4: LPS → continuous index of the level.
 * @param levelSize The level's sizes (x, y, z).
 * @param k0 First plane of the slab.
 * @param start First flat voxel within the slab.
 * @param end One past the last.
 * @param out Positions, 3 per voxel of the slab.
 * @returns `[x0, x1, y0, y1, z0, z1]` (inclusive) of the voxels needed, or `undefined` if none is inside.
 */
export function pullPositions(
  t: CcfTransforms,
  grid: PullGrid,
  lpsToLevel: readonly number[],
  levelSize: readonly number[],
  k0: number,
  start: number,
  end: number,
  out: Float64Array,
): number[] | undefined {
  const [nx, ny] = grid.size;
  const g = grid.indexToLps, m = lpsToLevel;
  const p = new Float64Array(3);
  const box = [Infinity, -Infinity, Infinity, -Infinity, Infinity, -Infinity];
  const plane = nx * ny;
  for (let v = start; v < end; v++) {
    const row = Math.floor(v / nx);
    const i = v - row * nx, j = row % ny, k = k0 + Math.floor(v / plane);
    p[0] = g[0] * i + g[1] * j + g[2] * k + g[3];
    p[1] = g[4] * i + g[5] * j + g[6] * k + g[7];
    p[2] = g[8] * i + g[9] * j + g[10] * k + g[11];
    ccfPointToLs(t, p);
    const cx = m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3];
    const cy = m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7];
    const cz = m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11];
    out[3 * v] = cx;
    out[3 * v + 1] = cy;
    out[3 * v + 2] = cz;
    if (
      cx >= -0.5 && cx < levelSize[0] - 0.5 && cy >= -0.5 && cy < levelSize[1] - 0.5 && cz >= -0.5 &&
      cz < levelSize[2] - 0.5
    ) {
      // The voxels trilinear interpolation reads: floor(c) and floor(c) + 1, clamped to the level.
      const fx = Math.floor(cx), fy = Math.floor(cy), fz = Math.floor(cz);
      if (fx < box[0]) box[0] = fx < 0 ? 0 : fx;
      if (fx + 1 > box[1]) box[1] = fx + 1 > levelSize[0] - 1 ? levelSize[0] - 1 : fx + 1;
      if (fy < box[2]) box[2] = fy < 0 ? 0 : fy;
      if (fy + 1 > box[3]) box[3] = fy + 1 > levelSize[1] - 1 ? levelSize[1] - 1 : fy + 1;
      if (fz < box[4]) box[4] = fz < 0 ? 0 : fz;
      if (fz + 1 > box[5]) box[5] = fz + 1 > levelSize[2] - 1 ? levelSize[2] - 1 : fz + 1;
    }
  }
  return box[0] === Infinity ? undefined : box;
}

/**
 * Samples a region of the level at positions `[start, end)`, trilinear.
 *
 * @param region The region's voxels, C order (z, y, x).
 * @param box The region `[x0, x1, y0, y1, z0, z1]` (inclusive) within the level.
 * @param levelSize The level's sizes (x, y, z).
 * @param positions Continuous level indices, 3 per voxel.
 * @param start First voxel.
 * @param end One past the last.
 * @param out Receives the values (rounded and clamped when integer).
 * @param integer `[min, max]` of an integer output type, or `undefined` for float output.
 */
export function samplePositions(
  region: ArrayLike<number>,
  box: readonly number[],
  levelSize: readonly number[],
  positions: Float64Array,
  start: number,
  end: number,
  out: { [index: number]: number },
  integer: readonly [number, number] | undefined,
): void {
  const [x0, , y0, , z0] = box;
  const rx = box[1] - box[0] + 1, ry = box[3] - box[2] + 1;
  const [nx, ny, nz] = levelSize;
  for (let v = start; v < end; v++) {
    const cx = positions[3 * v], cy = positions[3 * v + 1], cz = positions[3 * v + 2];
    let value = 0;
    if (cx >= -0.5 && cx < nx - 0.5 && cy >= -0.5 && cy < ny - 0.5 && cz >= -0.5 && cz < nz - 0.5) {
      const ix = Math.floor(cx), iy = Math.floor(cy), iz = Math.floor(cz);
      const fx = cx - ix, fy = cy - iy, fz = cz - iz;
      const xa = (ix < 0 ? 0 : ix) - x0, xb = (ix + 1 > nx - 1 ? nx - 1 : ix + 1) - x0;
      const ya = (iy < 0 ? 0 : iy) - y0, yb = (iy + 1 > ny - 1 ? ny - 1 : iy + 1) - y0;
      const za = (iz < 0 ? 0 : iz) - z0, zb = (iz + 1 > nz - 1 ? nz - 1 : iz + 1) - z0;
      const r00 = (za * ry + ya) * rx, r01 = (za * ry + yb) * rx;
      const r10 = (zb * ry + ya) * rx, r11 = (zb * ry + yb) * rx;
      const c00 = region[r00 + xa] + fx * (region[r00 + xb] - region[r00 + xa]);
      const c01 = region[r01 + xa] + fx * (region[r01 + xb] - region[r01 + xa]);
      const c10 = region[r10 + xa] + fx * (region[r10 + xb] - region[r10 + xa]);
      const c11 = region[r11 + xa] + fx * (region[r11 + xb] - region[r11 + xa]);
      const c0 = c00 + fy * (c01 - c00), c1 = c10 + fy * (c11 - c10);
      value = c0 + fz * (c1 - c0);
    }
    if (integer) {
      value = Math.round(value);
      value = value < integer[0] ? integer[0] : value > integer[1] ? integer[1] : value;
    }
    out[v] = value;
  }
}
