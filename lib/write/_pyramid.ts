/**
 * Internal: the pyramid's 2× mean downsampling, one z plane at a time, so a
 * writer never holds more than the planes it is about to chunk.
 *
 * @module
 */
import { allocateVoxels, INTEGER_RANGES, type VoxelArray, type VoxelType } from "../core/volume.ts";

/**
 * The shape of the level below: every axis longer than one voxel halves,
 * rounding up (the last voxel of an odd axis averages the one voxel present).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nextLevelShape } from "./_pyramid.ts";
 * assertEquals(nextLevelShape([1, 5, 4]), [1, 3, 2]);
 * ```
 * @param shape (z, y, x).
 * @returns (z, y, x) of the next level.
 */
export function nextLevelShape(shape: readonly number[]): [number, number, number] {
  return shape.map((n) => Math.ceil(n / 2)) as [number, number, number];
}

/**
 * The shapes of every level: level 0 is `shape`, and levels are added until
 * one fits in a single chunk (or no axis can shrink further).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pyramidShapes } from "./_pyramid.ts";
 * assertEquals(pyramidShapes([5, 300, 129], [64, 64, 64]), [[5, 300, 129], [3, 150, 65], [2, 75, 33], [1, 38, 17]]);
 * ```
 * @param shape Level 0, (z, y, x).
 * @param chunk The chunk shape, (z, y, x).
 * @returns One shape per level.
 */
export function pyramidShapes(
  shape: readonly number[],
  chunk: readonly number[],
): [number, number, number][] {
  const shapes: [number, number, number][] = [[shape[0], shape[1], shape[2]]];
  for (;;) {
    const last = shapes[shapes.length - 1];
    if (last.every((n, a) => n <= chunk[a]) || last.every((n) => n === 1)) return shapes;
    shapes.push(nextLevelShape(last));
  }
}

/**
 * Averages 2×2×2 blocks of one level's planes into the next level's planes.
 * Feed it the planes of a level in z order; every second plane (and the last
 * one of an odd level) completes a plane of the next level. Integer types
 * round the mean to nearest (halves up), floats keep it (computed in float64).
 */
export class PlaneDownsampler {
  readonly #ny: number;
  readonly #nx: number;
  readonly #oy: number;
  readonly #ox: number;
  readonly #nz: number;
  readonly #sum: Float64Array;
  readonly #out: VoxelArray;
  readonly #round: boolean;
  #planes = 0;
  #pending = 0;

  /**
   * @param shape The input level's (z, y, x).
   * @param dtype The voxel type of both levels.
   */
  constructor(shape: readonly number[], dtype: VoxelType) {
    [this.#nz, this.#ny, this.#nx] = shape;
    this.#oy = Math.ceil(this.#ny / 2);
    this.#ox = Math.ceil(this.#nx / 2);
    this.#sum = new Float64Array(this.#oy * this.#ox);
    this.#out = allocateVoxels(dtype, this.#oy * this.#ox);
    this.#round = INTEGER_RANGES[dtype] !== undefined;
  }

  /**
   * Adds one plane of the input level.
   * @param plane `ny × nx` voxels.
   * @returns The next level's plane when this one completes it (valid until the next call), else undefined.
   */
  push(plane: VoxelArray): VoxelArray | undefined {
    const ny = this.#ny, nx = this.#nx, ox = this.#ox, sum = this.#sum;
    for (let y = 0; y < ny; y++) {
      const row = y * nx;
      const base = (y >> 1) * ox;
      let x = 0;
      for (; x + 1 < nx; x += 2) sum[base + (x >> 1)] += plane[row + x] + plane[row + x + 1];
      if (x < nx) sum[base + (x >> 1)] += plane[row + x];
    }
    this.#planes++;
    this.#pending++;
    if (this.#pending < 2 && this.#planes < this.#nz) return undefined;
    return this.#emit();
  }

  #emit(): VoxelArray {
    const dz = this.#pending;
    const ny = this.#ny, nx = this.#nx, oy = this.#oy, ox = this.#ox;
    const sum = this.#sum, out = this.#out;
    for (let y = 0; y < oy; y++) {
      const dy = 2 * y + 1 < ny ? 2 : 1;
      const base = y * ox;
      for (let x = 0; x < ox; x++) {
        const count = dz * dy * (2 * x + 1 < nx ? 2 : 1);
        const mean = sum[base + x] / count;
        out[base + x] = this.#round ? Math.floor(mean + 0.5) : mean;
      }
    }
    sum.fill(0);
    this.#pending = 0;
    return out;
  }
}
