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
 * Feed it the planes of a level in z order, one at a time ({@linkcode push})
 * or two at a time ({@linkcode pushPair}, which spares a copy); every second
 * plane (and the last one of an odd level) completes a plane of the next
 * level. Integer types round the mean to nearest (halves up), floats keep it
 * (computed in float64). Every block holds 1, 2, 4 or 8 voxels, so the mean
 * is the sum times an exact power of two.
 */
export class PlaneDownsampler {
  readonly #nz: number;
  readonly #ny: number;
  readonly #nx: number;
  readonly #ox: number;
  readonly #out: VoxelArray;
  readonly #pending: VoxelArray;
  readonly #round: boolean;
  /** 8- and 16-bit integers: a sum of 8 fits 31 bits, so the rounded mean is a shift. */
  readonly #small: boolean;
  #hasPending = false;
  #planes = 0;

  /**
   * @param shape The input level's (z, y, x).
   * @param dtype The voxel type of both levels.
   */
  constructor(shape: readonly number[], dtype: VoxelType) {
    [this.#nz, this.#ny, this.#nx] = shape;
    this.#ox = Math.ceil(this.#nx / 2);
    this.#out = allocateVoxels(dtype, Math.ceil(this.#ny / 2) * this.#ox);
    this.#pending = allocateVoxels(dtype, this.#ny * this.#nx);
    this.#round = INTEGER_RANGES[dtype] !== undefined;
    this.#small = dtype === "uint8" || dtype === "int8" || dtype === "uint16" || dtype === "int16";
  }

  /** Whether a first plane of a pair is waiting for its second. */
  get hasPending(): boolean {
    return this.#hasPending;
  }

  /**
   * Adds one plane of the input level.
   * @param plane `ny × nx` voxels (read now, not kept).
   * @returns The next level's plane when this one completes it (valid until the next call), else undefined.
   */
  push(plane: VoxelArray): VoxelArray | undefined {
    this.#planes++;
    if (this.#hasPending) {
      this.#hasPending = false;
      return this.#emit(this.#pending, plane);
    }
    if (this.#planes === this.#nz) return this.#emit(plane, undefined);
    this.#pending.set(plane as unknown as ArrayLike<number>);
    this.#hasPending = true;
    return undefined;
  }

  /**
   * Adds two consecutive planes when none is pending.
   * @param first The first plane of a pair.
   * @param second The next plane.
   * @returns The next level's plane (valid until the next call).
   */
  pushPair(first: VoxelArray, second: VoxelArray): VoxelArray {
    if (this.#hasPending) throw new Error("PlaneDownsampler.pushPair() with a plane pending");
    this.#planes += 2;
    return this.#emit(first, second);
  }

  #emit(a: VoxelArray, b: VoxelArray | undefined): VoxelArray {
    const ny = this.#ny, nx = this.#nx, ox = this.#ox, out = this.#out, round = this.#round;
    const fullX = nx >> 1;
    const dz = b ? 2 : 1;
    for (let y = 0, o = 0; y < ny; y += 2, o += ox) {
      const r0 = y * nx;
      const twoRows = y + 1 < ny;
      if (b && twoRows && this.#small) {
        // The common case, 8 voxels a block, kept apart so that it stays a tight loop: floor(s / 8 + 0.5)
        // is (s + 4) >> 3 (an arithmetic shift, so negative sums of int types round the same way).
        const r1 = r0 + nx;
        for (let x = 0; x < fullX; x++) {
          const i = r0 + 2 * x, j = r1 + 2 * x;
          out[o + x] = (a[i] + a[i + 1] + a[j] + a[j + 1] + b[i] + b[i + 1] + b[j] + b[j + 1] + 4) >> 3;
        }
      } else if (b && twoRows) {
        const r1 = r0 + nx;
        for (let x = 0; x < fullX; x++) {
          const i = r0 + 2 * x, j = r1 + 2 * x;
          const s = a[i] + a[i + 1] + a[j] + a[j + 1] + b[i] + b[i + 1] + b[j] + b[j + 1];
          out[o + x] = round ? Math.floor(s * 0.125 + 0.5) : s * 0.125;
        }
      } else {
        for (let x = 0; x < fullX; x++) {
          const i = r0 + 2 * x;
          let s = a[i] + a[i + 1];
          if (twoRows) s += a[i + nx] + a[i + nx + 1];
          if (b) s += b[i] + b[i + 1] + (twoRows ? b[i + nx] + b[i + nx + 1] : 0);
          const scale = 1 / (2 * dz * (twoRows ? 2 : 1));
          out[o + x] = round ? Math.floor(s * scale + 0.5) : s * scale;
        }
      }
      if (nx % 2 === 1) {
        // The last column of an odd row: the mean of the voxels present.
        const i = r0 + nx - 1;
        let s = a[i] + (twoRows ? a[i + nx] : 0);
        if (b) s += b[i] + (twoRows ? b[i + nx] : 0);
        const scale = 1 / (dz * (twoRows ? 2 : 1));
        out[o + fullX] = round ? Math.floor(s * scale + 0.5) : s * scale;
      }
    }
    return out;
  }
}
