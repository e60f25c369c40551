/**
 * The plan of a resampling into a CCF grid, computed before anything is read: the LS level's geometry and
 * the matrices between index and LPS space, the output type, the slabs of CCF planes and how each slab's
 * voxels are shared among workers. Pure arithmetic, so that `resampleToCcf` is left with the reads and the
 * worker calls.
 *
 * @module
 */
import { type ImageGeometry, INTEGER_RANGES, type VoxelType } from "../core/volume.ts";
import { invert3 } from "./ants_affine.ts";
import type { PullGrid } from "./_pull.ts";

type Vec3 = [number, number, number];

/** What {@linkcode planResampling} works from. */
export interface ResamplingPlanInput {
  /** The registered channel's level-0 geometry in pipeline LS space. */
  pipelineGeometry: ImageGeometry;
  /** The LS level sampled. */
  level: number;
  /** That level's sizes (x, y, z). */
  levelSize: readonly number[];
  /** That level's stored voxel type. */
  levelDtype: VoxelType;
  /** Output voxels: the level's type (rounded, clamped) or float32. @default {"native"} */
  dtype?: "native" | "float32";
  /** The target grid: sizes (x, y, z) and geometry. */
  grid: { size: Vec3; geometry: ImageGeometry };
  /** CCF planes (along the grid's z) per slab. @default {16} */
  slabPlanes?: number;
}

/** One slab of a {@linkcode ResamplingPlan}: grid planes `k0` onward, `voxels` output voxels. */
export interface ResamplingSlab {
  /** The slab's first plane along the grid's z. */
  k0: number;
  /** Its voxels (a full slab: x size × y size × planes; the last may be thinner). */
  voxels: number;
}

/** A resampling, planned. */
export interface ResamplingPlan {
  /** Output voxel type. */
  dtype: VoxelType;
  /** The range output values are rounded and clamped to, for an integer type. */
  integer: readonly [number, number] | undefined;
  /** The grid as the pull sees it: sizes and the row-major 3×4 index → LPS matrix. */
  pullGrid: PullGrid;
  /** Row-major 3×4 LPS → index matrix of the level sampled. */
  lpsToLevel: number[];
  /** The level's sizes (x, y, z). */
  levelSize: number[];
  /** Planes in a full slab. */
  planes: number;
  /** The slabs, in grid z order. */
  slabs: ResamplingSlab[];
}

/**
 * The row-major 3×4 matrix taking a continuous index (x, y, z) to LPS millimetres.
 *
 * @param geometry ITK geometry: spacing, origin, direction (columns are the index axes).
 * @returns Rows of `direction · diag(spacing)` with the origin as the fourth column.
 */
export function indexToLpsMatrix(geometry: ImageGeometry): number[] {
  const { origin, direction: d, spacing: s } = geometry;
  return [0, 1, 2].flatMap((r) => [d[r][0] * s[0], d[r][1] * s[1], d[r][2] * s[2], origin[r]]);
}

/**
 * The inverse of {@linkcode indexToLpsMatrix}: LPS millimetres to a continuous index.
 *
 * @param geometry ITK geometry.
 * @returns The row-major 3×4 matrix.
 */
export function lpsToIndexMatrix(geometry: ImageGeometry): number[] {
  const a = indexToLpsMatrix(geometry);
  const inv = invert3([a[0], a[1], a[2], a[4], a[5], a[6], a[8], a[9], a[10]]);
  const b = [a[3], a[7], a[11]];
  return [0, 1, 2].flatMap((r) => {
    const row = [inv[3 * r], inv[3 * r + 1], inv[3 * r + 2]];
    return [...row, -(row[0] * b[0] + row[1] * b[1] + row[2] * b[2])];
  });
}

/**
 * Plans a resampling: the level's geometry, the matrices, the output type and the slabs.
 *
 * @param input The pipeline geometry, the level, the grid and the slab size.
 * @returns The plan.
 */
export function planResampling(input: ResamplingPlanInput): ResamplingPlan {
  const { grid, level } = input;
  const dtype: VoxelType = input.dtype === "float32" ? "float32" : input.levelDtype;
  // Level L shares the pipeline's origin and direction, with 2^L times the spacing (AZU's convention).
  const levelGeometry: ImageGeometry = {
    ...input.pipelineGeometry,
    spacing: input.pipelineGeometry.spacing.map((s) => s * 2 ** level) as Vec3,
  };
  const [nx, ny, nz] = grid.size;
  const planes = Math.max(1, Math.min(nz, input.slabPlanes ?? 16));
  const slabs: ResamplingSlab[] = [];
  for (let k0 = 0; k0 < nz; k0 += planes) slabs.push({ k0, voxels: nx * ny * Math.min(planes, nz - k0) });
  return {
    dtype,
    integer: INTEGER_RANGES[dtype],
    pullGrid: { size: grid.size, indexToLps: indexToLpsMatrix(grid.geometry) },
    lpsToLevel: lpsToIndexMatrix(levelGeometry),
    levelSize: [...input.levelSize],
    planes,
    slabs,
  };
}

/**
 * Cuts `[0, n)` into `parts` consecutive ranges of nearly equal length, one per worker call.
 *
 * @param n The length cut.
 * @param parts How many ranges.
 * @returns `[start, end)` pairs covering `[0, n)` in order.
 */
export function splitRange(n: number, parts: number): [number, number][] {
  return Array.from(
    { length: parts },
    (_, p) => [Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)],
  );
}

/**
 * The smallest box holding every box given, as `[x0, x1, y0, y1, z0, z1]` (inclusive bounds); parts whose
 * voxels all fall outside the level give none.
 *
 * @param boxes The boxes of the parts of a slab, `null` or `undefined` for a part with no voxel inside.
 * @returns The union, or `undefined` when no part has a voxel inside the level.
 */
export function unionBox(boxes: readonly (readonly number[] | null | undefined)[]): number[] | undefined {
  const inside = boxes.filter((b): b is readonly number[] => b !== null && b !== undefined);
  if (inside.length === 0) return undefined;
  return [0, 1, 2].flatMap((a) => [
    Math.min(...inside.map((b) => b[2 * a])),
    Math.max(...inside.map((b) => b[2 * a + 1])),
  ]);
}
