/**
 * (Over 400 lines: the grid, the streaming resampler and the level choice share the half-voxel rule and
 * its weights, which are better read in one place.)
 *
 * Resampling to a coarser spacing by area (box) averaging: each output
 * voxel is the mean of the input it covers, partial input voxels weighted by
 * the fraction covered. This is what an atlas spacing such as the CCF's
 * 25 µm needs from a 14.4 × 14.4 × 16 µm level; nearest-neighbour picking
 * would alias the noise.
 *
 * ## Geometry: the half-voxel rule
 *
 * Along an axis with input spacing `s` and target spacing `t`, the factor is
 * `f = t / s ≥ 1` (only downsampling). Input voxel `j` covers the index
 * interval `[j − 0.5, j + 0.5)`; output voxel `i` covers `[i·f − 0.5,
 * (i + 1)·f − 0.5)`, so its centre sits at input index coordinate
 *
 * ```
 * c(i) = (i + 0.5)·f − 0.5
 * ```
 *
 * and the output origin is the physical position of input index
 * `(c(0), c(0), c(0))` per axis: `origin + direction · (spacing ⊙ (f − 1)/2)`.
 * For an integer factor 2 the first output centre sits half an input voxel
 * past the first input centre, as in OME-Zarr pyramids. The output has
 * `floor(n / f)` voxels per axis: only voxels the input covers entirely, so
 * at most one output voxel's worth of the far edge is dropped.
 *
 * ## Memory
 *
 * The input can be a stream of z-slabs (see `streamLevel`): planes are
 * reduced in x and y as they arrive and added into the (at most two) output
 * planes they overlap. `resampleSlabs` yields each output plane as soon as it
 * is complete (bounded memory); `resampleVolume` collects them.
 *
 * @module
 */
import { indexToPhysical } from "../orient/orient.ts";
import { coarsestLevelAtMost } from "../select/choose_level.ts";
import {
  allocateVoxels,
  type ImageGeometry,
  INTEGER_RANGES,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

type Vec3 = [number, number, number];

/** Options for {@linkcode resampleGrid}. */
export interface ResampleGridOptions {
  /** Input sizes along ITK axes (x, y, z). */
  size: readonly [number, number, number];
  /** Target spacing in mm: one number for all axes, or one per input ITK axis (x, y, z). */
  spacing: number | readonly [number, number, number];
}

/** The output grid of a resampling. */
export interface ResampleGrid {
  /** Output voxel size over input voxel size, per ITK axis. */
  factors: [number, number, number];
  /** Output sizes along ITK axes (x, y, z). */
  size: [number, number, number];
  /** Output geometry: the target spacing, the origin by the half-voxel rule, the input direction. */
  geometry: ImageGeometry;
}

/** Options for {@linkcode resampleVolume}. */
export interface ResampleOptions {
  /** The input's geometry. */
  geometry: ImageGeometry;
  /** Target spacing in mm: one number for all axes, or one per input ITK axis (x, y, z). */
  spacing: number | readonly [number, number, number];
  /**
   * Output voxel type. `native` keeps the input's, rounding means to the
   * nearest integer (clamped to the type's range) for integer types.
   * @default {"native"}
   */
  dtype?: "native" | VoxelType;
  /** Cancels between planes. */
  signal?: AbortSignal;
}

/** What {@linkcode resampleVolume} produced. */
export interface ResampleResult extends ResampleGrid {
  /** The output voxels, C order (z, y, x). */
  volume: Volume;
}

function targetSpacing(spacing: number | readonly number[]): Vec3 {
  const t = typeof spacing === "number" ? [spacing, spacing, spacing] : [...spacing];
  if (t.length !== 3 || t.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new RangeError(
      `Cannot resample to spacing [${t.join(", ")}]: expected one or three positive numbers (mm)`,
    );
  }
  return t as Vec3;
}

/** The keys of {@linkcode ResampleGridOptions}, checked at run time. */
const RESAMPLE_GRID_OPTION_KEYS: OptionKeys<ResampleGridOptions> = {
  size: true,
  spacing: true,
};

/**
 * The grid a resampling produces (see the module documentation for the
 * half-voxel rule), without touching voxels.
 *
 * @example Level 3 of the reference data at the CCF's 25 µm
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { resampleGrid } from "@spimfetch/spimfetch/registration";
 * const geometry = { spacing: [0.0144, 0.0144, 0.016] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] };
 * const grid = resampleGrid(geometry, { size: [925, 1280, 464], spacing: 0.025 });
 * assertEquals(grid.size, [532, 737, 296]);
 * // The first output centre is (f − 1)/2 input voxels in: (25/14.4 − 1)/2 · 0.0144 mm = 0.0053 mm.
 * assertAlmostEquals(grid.geometry.origin[0], 0.0053, 1e-12);
 * assertAlmostEquals(grid.geometry.origin[2], 0.0045, 1e-12);
 * ```
 * @param geometry The input geometry.
 * @param options Input size and target spacing.
 * @returns Factors, output size and output geometry.
 * @throws {RangeError} If a target spacing is not positive, is finer than the input's (upsampling is not
 * supported: choose a finer level), or leaves no whole output voxel.
 */
export function resampleGrid(geometry: ImageGeometry, options: ResampleGridOptions): ResampleGrid {
  options = checkOptions(options, RESAMPLE_GRID_OPTION_KEYS, "resampleGrid()");
  const target = targetSpacing(options.spacing);
  const factors = target.map((t, a) => {
    const f = t / geometry.spacing[a];
    // Spacings in mm carry float noise (0.0288 / 0.0144 is not exactly 2); integer factors stay exact.
    const snapped = Math.abs(f - Math.round(f)) < 1e-9 * f ? Math.round(f) : f;
    if (snapped < 1) {
      throw new RangeError(
        `Cannot resample ${"xyz"[a]} from ${geometry.spacing[a]} mm to ${t} mm: only a coarser or equal ` +
          `spacing is supported (area averaging); read a finer level`,
      );
    }
    return snapped;
  }) as Vec3;
  const size = factors.map((f, a) => Math.floor(options.size[a] / f + 1e-9)) as Vec3;
  const empty = size.findIndex((m) => m < 1);
  if (empty >= 0) {
    throw new RangeError(
      `Cannot resample ${"xyz"[empty]}: ${options.size[empty]} voxels of ${geometry.spacing[empty]} mm ` +
        `hold no whole voxel of ${target[empty]} mm`,
    );
  }
  const centre = factors.map((f) => (f - 1) / 2) as Vec3;
  return {
    factors,
    size,
    geometry: { spacing: target, origin: indexToPhysical(geometry, centre), direction: geometry.direction },
  };
}

/** For each output index along one axis, the input indices it covers and their normalized weights. */
interface AxisWeights {
  start: Int32Array;
  weights: Float64Array[];
}

function axisWeights(factor: number, outSize: number): AxisWeights {
  const start = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let i = 0; i < outSize; i++) {
    // In edge coordinates (input voxel j spans [j, j + 1)), output voxel i spans [i·f, (i + 1)·f).
    const lo = i * factor;
    const hi = (i + 1) * factor;
    const first = Math.floor(lo);
    const last = Math.ceil(hi - 1e-9) - 1;
    const w = new Float64Array(last - first + 1);
    let sum = 0;
    for (let j = first; j <= last; j++) {
      w[j - first] = Math.min(hi, j + 1) - Math.max(lo, j);
      sum += w[j - first];
    }
    for (let t = 0; t < w.length; t++) w[t] /= sum;
    start[i] = first;
    weights.push(w);
  }
  return { start, weights };
}

function checkInput(image: Volume | VolumeSlabs): void {
  const [nz, ny, nx] = image.shape;
  if (![nz, ny, nx].every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(`Cannot resample a volume of shape [${image.shape}]: expected positive integers`);
  }
  if ("data" in image && image.data.length !== nz * ny * nx) {
    throw new RangeError(
      `Cannot resample a volume of shape [${image.shape}] from ${image.data.length} voxels: expected ${
        nz * ny * nx
      }`,
    );
  }
}

/**
 * Resamples a volume to a coarser spacing by area averaging (see the module
 * documentation). Takes a volume in memory or a stream of z-slabs; holds only
 * the output and two output planes of sums. {@linkcode resampleSlabs} streams
 * the output too.
 *
 * @example Average 2×2×2 blocks
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resampleVolume } from "@spimfetch/spimfetch/registration";
 * const data = Uint16Array.from({ length: 16 }, (_, i) => i);
 * const result = await resampleVolume(
 *   { data, shape: [2, 2, 4], dtype: "uint16" },
 *   { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }, spacing: 2, dtype: "float32" },
 * );
 * assertEquals(result.size, [2, 1, 1]);
 * assertEquals(Array.from(result.volume.data), [(0 + 1 + 4 + 5 + 8 + 9 + 12 + 13) / 8, (2 + 3 + 6 + 7 + 10 + 11 + 14 + 15) / 8]);
 * assertEquals(result.geometry.origin, [0.5, 0.5, 0.5]);
 * ```
 * @param image The input, C order (z, y, x): in memory or as z-slabs.
 * @param options Input geometry, target spacing, output type, cancellation.
 * @returns The output volume and grid.
 * @throws {RangeError} For a bad spacing (see {@linkcode resampleGrid}), or data or slabs that do not fill
 * the shape.
 * @throws {DOMException} The signal's reason, if it aborts.
 */
export async function resampleVolume(
  image: Volume | VolumeSlabs,
  options: ResampleOptions,
): Promise<ResampleResult> {
  options = checkOptions(options, RESAMPLE_OPTION_KEYS, "resampleVolume()");
  const resampled = resampleSlabs(image, options);
  const [mz, my, mx] = resampled.shape;
  const output = allocateVoxels(resampled.dtype, mx * my * mz);
  let offset = 0;
  for await (const plane of resampled.slabs) {
    output.set(plane as never, offset);
    offset += plane.length;
  }
  return { ...resampled, volume: { data: output, shape: resampled.shape, dtype: resampled.dtype } };
}

/** The keys of {@linkcode ResampleOptions}, checked at run time. */
const RESAMPLE_OPTION_KEYS: OptionKeys<ResampleOptions> = {
  geometry: true,
  spacing: true,
  dtype: true,
  signal: true,
};

/**
 * Resamples a stream of z-slabs by area averaging as {@linkcode resampleVolume} does, yielding each output
 * z plane as soon as the input planes it covers have arrived: memory is two output planes of sums and one
 * plane of output, whatever the volume's size.
 *
 * @example Average 2×2×2 blocks, plane by plane
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resampleSlabs } from "@spimfetch/spimfetch/registration";
 * const data = Uint16Array.from({ length: 32 }, (_, i) => i);
 * const out = resampleSlabs(
 *   { data, shape: [4, 2, 4], dtype: "uint16" },
 *   { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }, spacing: 2 },
 * );
 * assertEquals(out.shape, [2, 1, 2]);
 * const planes = [];
 * for await (const plane of out.slabs) planes.push(Array.from(plane));
 * assertEquals(planes, [[7, 9], [23, 25]]);
 * ```
 * @param image The input, C order (z, y, x): in memory or as z-slabs.
 * @param options Input geometry, target spacing, output type, cancellation.
 * @returns The output grid and its z planes as a stream (read once).
 * @throws {RangeError} For a bad spacing (see {@linkcode resampleGrid}); while streaming, for slabs that do
 * not fill the shape.
 */
export function resampleSlabs(
  image: Volume | VolumeSlabs,
  options: ResampleOptions,
): ResampleGrid & VolumeSlabs {
  options = checkOptions(options, RESAMPLE_OPTION_KEYS, "resampleSlabs()");
  checkInput(image);
  const [nz, ny, nx] = image.shape;
  const grid = resampleGrid(options.geometry, { size: [nx, ny, nz], spacing: options.spacing });
  const [mx, my, mz] = grid.size;
  const dtype = !options.dtype || options.dtype === "native" ? image.dtype : options.dtype;
  const input: AsyncIterable<VoxelArray> | Iterable<VoxelArray> = "data" in image
    ? [image.data]
    : image.slabs;
  return {
    ...grid,
    shape: [mz, my, mx],
    dtype,
    slabs: resampledPlanes(input, [nz, ny, nx], grid, dtype, options.signal),
  };
}

async function* resampledPlanes(
  slabs: AsyncIterable<VoxelArray> | Iterable<VoxelArray>,
  [nz, ny, nx]: Vec3,
  grid: ResampleGrid,
  dtype: VoxelType,
  signal: AbortSignal | undefined,
): AsyncGenerator<VoxelArray> {
  const [mx, my, mz] = grid.size;
  const range = INTEGER_RANGES[dtype];
  const wx = axisWeights(grid.factors[0], mx);
  const wy = axisWeights(grid.factors[1], my);
  const wz = axisWeights(grid.factors[2], mz);
  // Which output planes each input plane adds into, and with what weight.
  const contributions: { k: number; w: number }[][] = Array.from({ length: nz }, () => []);
  wz.weights.forEach((w, k) =>
    w.forEach((weight, t) => contributions[wz.start[k] + t].push({ k, w: weight }))
  );
  const lastInput = wz.weights.map((w, k) => wz.start[k] + w.length - 1);

  const rows = new Float64Array(ny * mx);
  const reduced = new Float64Array(my * mx);
  const sums = new Map<number, Float64Array>();
  const spare: Float64Array[] = [];

  // Returns the output planes this input plane completes (in k order: lastInput grows with k).
  const addPlane = (plane: VoxelArray, z: number): VoxelArray[] => {
    if (contributions[z].length === 0) return [];
    for (let y = 0; y < ny; y++) {
      const row = y * nx;
      for (let i = 0; i < mx; i++) {
        const w = wx.weights[i];
        const first = row + wx.start[i];
        let sum = 0;
        for (let t = 0; t < w.length; t++) sum += w[t] * plane[first + t];
        rows[y * mx + i] = sum;
      }
    }
    reduced.fill(0);
    for (let j = 0; j < my; j++) {
      const w = wy.weights[j];
      for (let t = 0; t < w.length; t++) {
        const from = (wy.start[j] + t) * mx;
        const weight = w[t];
        for (let i = 0; i < mx; i++) reduced[j * mx + i] += weight * rows[from + i];
      }
    }
    const done: VoxelArray[] = [];
    for (const { k, w } of contributions[z]) {
      let sum = sums.get(k);
      if (!sum) {
        sum = spare.pop()?.fill(0) ?? new Float64Array(my * mx);
        sums.set(k, sum);
      }
      for (let p = 0; p < sum.length; p++) sum[p] += w * reduced[p];
      if (lastInput[k] === z) {
        const output = allocateVoxels(dtype, my * mx);
        for (let p = 0; p < sum.length; p++) {
          output[p] = range ? Math.min(range[1], Math.max(range[0], Math.round(sum[p]))) : sum[p];
        }
        done.push(output);
        sums.delete(k);
        spare.push(sum);
      }
    }
    return done;
  };

  const plane = ny * nx;
  let z = 0;
  for await (const slab of slabs) {
    if (slab.length % plane !== 0 || z + slab.length / plane > nz) {
      throw new RangeError(
        `Cannot resample slab of ${slab.length} voxels at z plane ${z}: expected whole planes of ${plane} within ${nz}`,
      );
    }
    for (let from = 0; from < slab.length; from += plane, z++) {
      signal?.throwIfAborted();
      yield* addPlane(slab.subarray(from, from + plane), z);
    }
  }
  if (z !== nz) throw new RangeError(`Cannot resample: the slabs ended after ${z} of ${nz} z planes`);
}

/**
 * The level to resample from for a target spacing: the coarsest level whose
 * spacing is at most the target on every axis (so resampling only averages,
 * over as few input voxels as possible), by the rule of
 * {@linkcode coarsestLevelAtMost}, which `chooseLevel` shares.
 *
 * @example The reference pyramid at 25 µm picks level 3 (14.4 × 14.4 × 16 µm)
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chooseLevelForSpacing } from "@spimfetch/spimfetch/registration";
 * const levels = [0, 1, 2, 3, 4].map((index) => ({
 *   index,
 *   spacing: [0.0018 * 2 ** index, 0.0018 * 2 ** index, 0.002 * 2 ** index] as [number, number, number],
 * }));
 * assertEquals(chooseLevelForSpacing(levels, 0.025), 3);
 * assertEquals(chooseLevelForSpacing(levels, [0.05, 0.05, 0.05]), 4);
 * ```
 * @param levels The image's levels (index and spacing along ITK axes x, y, z, in mm).
 * @param spacing Target spacing in mm: one number, or one per ITK axis of the levels.
 * @returns The index of the chosen level.
 * @throws {RangeError} If even the finest level is coarser than the target on some axis.
 */
export function chooseLevelForSpacing(
  levels: readonly { index: number; spacing: readonly [number, number, number] }[],
  spacing: number | readonly [number, number, number],
): number {
  const target = targetSpacing(spacing);
  const found = coarsestLevelAtMost(levels, target);
  if (!found) {
    throw new RangeError(
      `Cannot resample to [${target.join(", ")}] mm: every level is coarser on some axis (${
        levels.map((l) => `level ${l.index}: [${l.spacing.join(", ")}]`).join("; ")
      })`,
    );
  }
  return found.index;
}

/**
 * The target spacing, or, when even the finest level is coarser on some
 * axis, the finest isotropic spacing the image offers: the largest spacing of
 * its finest level. For notebooks that ask for an atlas spacing (25 µm) of
 * any image, including small test images whose finest level is coarser.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { feasibleSpacing } from "@spimfetch/spimfetch/registration";
 * const levels = [{ index: 0, spacing: [0.0288, 0.0288, 0.032] as [number, number, number] }];
 * assertEquals(feasibleSpacing(levels, 0.05), 0.05);
 * assertEquals(feasibleSpacing(levels, 0.025), 0.032);
 * ```
 * @param levels The image's levels (index and spacing along ITK axes, in mm).
 * @param spacing The wanted isotropic spacing in mm.
 * @returns `spacing`, or the finest feasible isotropic spacing when `spacing` is finer than every level.
 * @throws {RangeError} If there are no levels or the spacing is not positive.
 */
export function feasibleSpacing(
  levels: readonly { index: number; spacing: readonly [number, number, number] }[],
  spacing: number,
): number {
  targetSpacing(spacing);
  if (levels.length === 0) throw new RangeError("Cannot choose a spacing: the image has no levels");
  const finest = levels.reduce((best, l) => (Math.max(...l.spacing) < Math.max(...best.spacing) ? l : best));
  return Math.max(spacing, ...finest.spacing);
}
