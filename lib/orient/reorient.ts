/**
 * Reorientation: permute and flip the voxels of a volume so that its index
 * axes point the requested way (`PIR` for the Allen CCF, `RAS`, `LPS`, any of
 * the 48), with the geometry updated so that every voxel keeps its physical
 * position. Nothing is interpolated: each output voxel is an input voxel.
 *
 * A general permutation moves the slowest axis, so it needs the whole
 * volume: {@linkcode reorientVolume} holds the input and the output in memory
 * (level 3 of a SmartSPIM brain is about 1.1 GB of uint16, so about 2.2 GB at
 * the peak). Resample first when the target spacing is coarser (see
 * `prepare.ts`): the output is then far smaller.
 *
 * @module
 */
import { indexToPhysical } from "./orient.ts";
import { type AnatomicalAxes, parseOrientation } from "./codes.ts";
import {
  type AxisTransform,
  isIdentityTransform,
  orientationOfDirection,
  orientationTransform,
} from "./transform.ts";
import { allocateVoxels, type ImageGeometry, type Volume } from "../core/volume.ts";

type Vec3 = [number, number, number];

/** A volume with the geometry that places it: C-order (z, y, x) voxels, geometry in ITK order (x, y, z). */
export interface OrientedVolume {
  /** The voxels. */
  volume: Volume;
  /** Where they lie (LPS, mm). */
  geometry: ImageGeometry;
}

/** The grid a reorientation produces, without the voxels: see {@linkcode reorientGeometry}. */
export interface ReorientedGrid {
  /** The output geometry. */
  geometry: ImageGeometry;
  /** Output sizes along ITK axes (x, y, z). */
  size: [number, number, number];
  /** The input orientation, read from the input direction. */
  from: AnatomicalAxes;
  /** The output orientation. */
  to: AnatomicalAxes;
  /** How output axes take input axes. */
  transform: AxisTransform;
}

/** What {@linkcode reorientVolume} produced. */
export interface ReorientResult extends OrientedVolume, ReorientedGrid {}

function target(orientation: AnatomicalAxes | string): AnatomicalAxes {
  return typeof orientation === "string" ? parseOrientation(orientation, "nibabel") : orientation;
}

/**
 * The geometry and size of a grid after reorientation, without touching
 * voxels: spacing and size follow their axes, each direction column becomes
 * the target's, and the origin moves to the input voxel that becomes output
 * voxel (0, 0, 0) (the far end of every flipped axis).
 *
 * @example The reference level 3 (RAI) as PIR
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { reorientGeometry } from "@spimfetch/spimfetch/registration";
 * const grid = reorientGeometry(
 *   { spacing: [0.0144, 0.0144, 0.016], origin: [13.3056, 18.4176, 7.408], direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]] },
 *   { size: [925, 1280, 464], orientation: "PIR" },
 * );
 * assertEquals(grid.size, [1280, 464, 925]);
 * assertEquals(grid.geometry.spacing, [0.0144, 0.016, 0.0144]);
 * assertEquals(grid.geometry.direction, [[0, 0, -1], [1, 0, 0], [0, -1, 0]]);
 * ```
 * @param geometry The input geometry; its direction must be axis-aligned.
 * @param options The input size (ITK order) and the target orientation (nibabel letters, or axes).
 * @returns The output grid and the transform.
 * @throws {RangeError} If the direction is oblique.
 * @throws {SyntaxError} If the orientation cannot be parsed.
 */
export function reorientGeometry(
  geometry: ImageGeometry,
  options: { size: readonly [number, number, number]; orientation: AnatomicalAxes | string },
): ReorientedGrid {
  const from = orientationOfDirection(geometry.direction);
  const to = target(options.orientation);
  const transform = orientationTransform(from, to);
  const { sourceAxis, flip } = transform;
  const size = sourceAxis.map((s) => options.size[s]) as Vec3;
  const spacing = sourceAxis.map((s) => geometry.spacing[s]) as Vec3;
  const corner = [0, 0, 0] as Vec3;
  sourceAxis.forEach((s, o) => (corner[s] = flip[o] ? options.size[s] - 1 : 0));
  // Direction columns come from the input's (negated when flipped), not from a table, so that input
  // directions within 1e-6 of axis-aligned keep their exact values.
  const direction = ([0, 1, 2] as const).map((p) =>
    sourceAxis.map((s, o) => (flip[o] ? 0 - geometry.direction[p][s] : geometry.direction[p][s]) + 0)
  ) as ImageGeometry["direction"];
  return {
    geometry: { spacing, origin: indexToPhysical(geometry, corner), direction },
    size,
    from,
    to,
    transform,
  };
}

/**
 * Permutes and flips the voxels of a volume so that its index axes point the
 * requested way, and updates the geometry so that every voxel keeps its
 * physical position. Returns the input itself when it already has the
 * target orientation. The whole output is allocated at once (see the module
 * documentation).
 *
 * @example A 1×2×3 volume turned from RAS to PIR keeps each voxel in place
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { reorientVolume } from "@spimfetch/spimfetch/registration";
 * import { indexToPhysical } from "@spimfetch/spimfetch/orient";
 * const image = {
 *   volume: { data: Uint8Array.from([0, 1, 2, 3, 4, 5]), shape: [1, 2, 3] as [number, number, number], dtype: "uint8" as const },
 *   geometry: { spacing: [1, 2, 3] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] },
 * };
 * const out = reorientVolume(image, "PIR");
 * assertEquals(out.size, [2, 1, 3]);
 * // Input voxel (x 2, y 1, z 0) holds 5; it is output voxel (x 0, y 0, z 2).
 * assertEquals(out.volume.data[2 * 2 + 0], 5);
 * assertEquals(indexToPhysical(out.geometry, [0, 0, 2]), indexToPhysical(image.geometry, [2, 1, 0]));
 * ```
 * @param image The volume and its geometry (axis-aligned direction).
 * @param orientation The target: nibabel letters (`PIR`, `RAS`, any of the 48) or axes.
 * @returns The reoriented volume, its geometry and the transform applied.
 * @throws {RangeError} If the direction is oblique, or the data does not fill the shape.
 * @throws {SyntaxError} If the orientation cannot be parsed.
 */
export function reorientVolume(image: OrientedVolume, orientation: AnatomicalAxes | string): ReorientResult {
  const { volume, geometry } = image;
  const [nz, ny, nx] = volume.shape;
  if (volume.data.length !== nx * ny * nz) {
    throw new RangeError(
      `Cannot reorient a volume of shape [${volume.shape}] from ${volume.data.length} voxels: expected ${
        nx * ny * nz
      }`,
    );
  }
  const inSize: Vec3 = [nx, ny, nz];
  const grid = reorientGeometry(geometry, { size: inSize, orientation });
  if (isIdentityTransform(grid.transform)) return { ...grid, volume, geometry };
  const { sourceAxis, flip } = grid.transform;
  const inStride: Vec3 = [1, nx, nx * ny];
  // Walking one step along output axis o moves `step[o]` voxels in the input, starting from `start`.
  const step = sourceAxis.map((s, o) => (flip[o] ? -inStride[s] : inStride[s])) as Vec3;
  const start = sourceAxis.reduce<number>(
    (sum, s, o) => sum + (flip[o] ? (inSize[s] - 1) * inStride[s] : 0),
    0,
  );
  const [ox, oy, oz] = grid.size;
  const input = volume.data;
  const output = allocateVoxels(volume.dtype, input.length);
  let index = 0;
  for (let k = 0; k < oz; k++) {
    const zBase = start + k * step[2];
    for (let j = 0; j < oy; j++) {
      let from = zBase + j * step[1];
      for (let i = 0; i < ox; i++, from += step[0]) output[index++] = input[from];
    }
  }
  return {
    ...grid,
    volume: { data: output, shape: [oz, oy, ox], dtype: volume.dtype },
  };
}

/**
 * The orientation (as axes) that a nibabel code or axes value names; a
 * convenience for options that take either.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveOrientation } from "@spimfetch/spimfetch/registration";
 * assertEquals(resolveOrientation("pir"), ["posterior", "inferior", "right"]);
 * ```
 * @param orientation nibabel letters, any case, or axes.
 * @returns The axes.
 * @throws {SyntaxError} If the letters cannot be parsed.
 */
export function resolveOrientation(orientation: AnatomicalAxes | string): AnatomicalAxes {
  return target(orientation);
}
