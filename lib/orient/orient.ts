/**
 * Step 4 of the reference notebook: where the voxels of a level lie in physical space, from
 * the anatomical directions in `acquisition.json`.
 *
 * ## Conventions
 *
 * - **Index axes.** Zarr stores a volume as (z, y, x) in C order; ITK and
 *   NIfTI index it as (x, y, z) with x fastest. So ITK index axis `j`
 *   (0, 1, 2 = x, y, z) is spatial Zarr dimension `2 − j`, and its acquisition
 *   axis is the one whose `dimension` is `2 − j`. Axis names play no part: the
 *   reference notebook looks axes up by name, which goes wrong for files whose
 *   names do not follow the Zarr order (the schema 0.3 example calls
 *   dimension 0 "X").
 * - **Physical space** is ITK's LPS, in millimetres: +x toward the left, +y
 *   toward posterior, +z toward superior.
 * - **Direction.** Column `j` of the 3×3 direction matrix is the LPS unit vector
 *   toward which index `j` increases: the "to" term of the acquisition
 *   direction. `Left_to_right` gives right = (−1, 0, 0); left = (+1, 0, 0),
 *   anterior = (0, −1, 0), posterior = (0, +1, 0), inferior = (0, 0, −1),
 *   superior = (0, 0, +1).
 * - **Origin.** The position of voxel (0, 0, 0) is chosen so that the box of
 *   voxel centres starts at 0 on every LPS axis, as the reference notebook's
 *   `OrientImageFilter` result does: an axis that points toward −x, −y or −z
 *   puts voxel 0 at its far end, `(size − 1) · spacing`.
 * - **NIfTI** is RAS: {@linkcode toRasAffine} negates the first two rows, as
 *   ITK's NIfTI writer does.
 *
 * ## Orientation codes
 *
 * Letter codes disagree on what a letter means. nibabel's name where each axis
 * points *to*: {@linkcode Orientation.nibabelCode} is `RAI` for the reference
 * data. ITK's legacy `SpatialOrientation` letters name where an axis comes
 * *from*: ITK's own `RAI` is the identity direction, `LPS` in nibabel's terms.
 *
 * {@linkcode Orientation.itkCode} is the reference notebook's number, kept so
 * the two can be compared: it packs ITK's coordinate terms of the "to" terms
 * (Right 2, Left 3, Posterior 4, Anterior 5, Inferior 8, Superior 9), axis 0 in
 * the lowest byte. Read the way ITK reads it, that code names the data with
 * every axis reversed (ITK's `RAI` is 525570). The notebook still ends with the right geometry for diagonal
 * orientations, because it hands the code to `OrientImageFilter` for a buffer
 * with identity direction and copies the resulting geometry onto the unflipped
 * voxels: the two mix-ups cancel. For a cyclic permutation of the axes they do
 * not, and its matrix comes out transposed. Place voxels with
 * {@linkcode Orientation.geometry}, never with the code.
 *
 * @module
 */
import type { AcquisitionAxis, AnatomicalTerm } from "../metadata/acquisition.ts";
import type { ImageGeometry } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

type Vec3 = [number, number, number];

/** One ITK index axis with the acquisition axis it comes from. */
export interface OrientedAxis extends AcquisitionAxis {
  /** The ITK (and NIfTI) index axis: 0, 1, 2 for x, y, z; always `2 − dimension`. */
  itkAxis: 0 | 1 | 2;
  /** LPS unit vector toward which the index increases: column `itkAxis` of the direction matrix. */
  lps: [number, number, number];
  /** nibabel's letter, where the axis points to (`R`, `L`, `A`, `P`, `S`, `I`). */
  toLetter: string;
  /** ITK's legacy letter, where the axis comes from. */
  fromLetter: string;
}

/** How a level's voxel grid lies in physical space, and the codes that name it. */
export interface Orientation {
  /** Spacing, origin and direction in ITK's conventions (LPS, mm, index order x, y, z). */
  geometry: ImageGeometry;
  /** The reference notebook's legacy ITK code, e.g. 525570 (see the module documentation). */
  itkCode: number;
  /** The "to" terms in ITK axis order, joined by `-`, as the notebook prints them: `right-anterior-inferior`. */
  itkCodeName: string;
  /** nibabel's axis codes: the "to" letters in ITK axis order, e.g. `RAI`. */
  nibabelCode: string;
  /** The three index axes in ITK order (x, y, z). */
  axes: OrientedAxis[];
}

/** Options for {@linkcode computeOrientation}. */
export interface ComputeOrientationOptions {
  /** Voxel counts along ITK index axes (x, y, z). */
  size: readonly [number, number, number];
  /** Voxel size along ITK index axes (x, y, z), in mm. */
  spacing: readonly [number, number, number];
}

const TERMS: Readonly<Record<AnatomicalTerm, { lps: Vec3; itk: number; to: string; from: string }>> = {
  right: { lps: [-1, 0, 0], itk: 2, to: "R", from: "L" },
  left: { lps: [1, 0, 0], itk: 3, to: "L", from: "R" },
  posterior: { lps: [0, 1, 0], itk: 4, to: "P", from: "A" },
  anterior: { lps: [0, -1, 0], itk: 5, to: "A", from: "P" },
  inferior: { lps: [0, 0, -1], itk: 8, to: "I", from: "S" },
  superior: { lps: [0, 0, 1], itk: 9, to: "S", from: "I" },
};

function checkTriple(name: string, values: readonly number[], integers: boolean): Vec3 {
  const bad = values.length !== 3 ||
    values.some((v) => !Number.isFinite(v) || v <= 0 || (integers && !Number.isInteger(v)));
  if (bad) {
    throw new RangeError(
      `Cannot compute orientation: ${name} must be three positive finite ${
        integers ? "integers" : "numbers"
      }, got [${values.join(", ")}]`,
    );
  }
  return [values[0], values[1], values[2]];
}

/** The keys of {@linkcode ComputeOrientationOptions}, checked at run time. */
const COMPUTE_ORIENTATION_OPTION_KEYS: OptionKeys<ComputeOrientationOptions> = {
  size: true,
  spacing: true,
};

/**
 * Computes the direction matrix, origin and orientation codes of a level from
 * its acquisition axes (see the module documentation for the conventions).
 *
 * @example The reference notebook's level 3
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { computeOrientation } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({
 *   axes: [
 *     { name: "X", dimension: 2, direction: "Left_to_right" },
 *     { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *     { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 *   ],
 * }, { source: "acquisition.json" });
 * const orientation = computeOrientation(axes, { size: [925, 1280, 464], spacing: [0.0144, 0.0144, 0.016] });
 * assertEquals([orientation.itkCode, orientation.nibabelCode], [525570, "RAI"]);
 * assertEquals(orientation.geometry.direction, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
 * assertAlmostEquals(orientation.geometry.origin[2], 7.408, 1e-9);
 * ```
 * @param axes The three acquisition axes, one per Zarr dimension, in any order.
 * @param options The level's size and spacing, in ITK order.
 * @returns The geometry, the codes and the per-axis details in ITK order.
 * @throws {RangeError} If a size or spacing is not positive and finite (or a size not an integer), or the
 * axes do not give one axis per Zarr dimension 0-2 and one per anatomical line.
 */
export function computeOrientation(
  axes: readonly AcquisitionAxis[],
  options: ComputeOrientationOptions,
): Orientation {
  options = checkOptions(options, COMPUTE_ORIENTATION_OPTION_KEYS, "computeOrientation()");
  const size = checkTriple("size", options.size, true);
  const spacing = checkTriple("spacing", options.spacing, false);
  const described = axes.map((a) => `${a.name} (dimension ${a.dimension}, ${a.rawDirection})`).join(", ");
  const oriented = ([0, 1, 2] as const).map((itkAxis): OrientedAxis => {
    const matches = axes.filter((a) => a.dimension === 2 - itkAxis);
    if (axes.length !== 3 || matches.length !== 1) {
      throw new RangeError(
        `Cannot compute orientation: expected one axis for each Zarr dimension 0, 1, 2, got ${described}`,
      );
    }
    const term = TERMS[matches[0].direction.to];
    return { ...matches[0], itkAxis, lps: [...term.lps], toLetter: term.to, fromLetter: term.from };
  });
  const direction = ([0, 1, 2] as const).map((p) => oriented.map((a) => a.lps[p]) as Vec3);
  if (direction.some((row) => row.filter((v) => v !== 0).length !== 1)) {
    throw new RangeError(
      `Cannot compute orientation: the axes must cover left-right, anterior-posterior and superior-inferior once each, got ${described}`,
    );
  }
  // An axis pointing toward −x, −y or −z starts at the far end, so the box of voxel centres starts at 0.
  const origin = direction.map((row) =>
    row.reduce((sum, d, j) => (d < 0 ? sum + (size[j] - 1) * spacing[j] : sum), 0)
  ) as Vec3;
  const terms = oriented.map((a) => a.direction.to);
  return {
    geometry: { spacing, origin, direction: [direction[0], direction[1], direction[2]] },
    itkCode: terms.reduce((code, term, j) => code | (TERMS[term].itk << (8 * j)), 0),
    itkCodeName: terms.join("-"),
    nibabelCode: oriented.map((a) => a.toLetter).join(""),
    axes: oriented,
  };
}

/**
 * The physical position (LPS, mm) of a voxel: `origin + direction · (spacing ⊙ index)`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { indexToPhysical } from "@spimfetch/spimfetch/orient";
 * import type { ImageGeometry } from "../core/volume.ts";
 * // Index x grows toward the right (−x in LPS), starting 10 mm to the left.
 * const geometry: ImageGeometry = { spacing: [2, 3, 4], origin: [10, 0, 0], direction: [[-1, 0, 0], [0, 1, 0], [0, 0, 1]] };
 * assertEquals(indexToPhysical(geometry, [1, 1, 1]), [8, 3, 4]);
 * ```
 * @param geometry The image geometry.
 * @param index A voxel index in ITK order (x, y, z); fractional indices are allowed.
 * @returns The LPS position in mm.
 */
export function indexToPhysical(
  geometry: ImageGeometry,
  index: readonly [number, number, number],
): [number, number, number] {
  const { origin, direction, spacing } = geometry;
  return ([0, 1, 2] as const).map((p) =>
    direction[p].reduce((sum, d, j) => sum + d * spacing[j] * index[j], origin[p])
  ) as Vec3;
}

/**
 * The NIfTI sform of a geometry: the 4×4 voxel-to-RAS matrix, row-major. It is
 * `direction · diag(spacing)` with `origin` as translation, first two rows
 * negated (LPS → RAS), as ITK's NIfTI writer stores it.
 *
 * @example The reference notebook's level 3
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toRasAffine } from "@spimfetch/spimfetch";
 * const affine = toRasAffine({
 *   spacing: [0.0144, 0.0144, 0.016],
 *   origin: [13.3056, 18.4176, 7.408],
 *   direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
 * });
 * assertEquals(affine, [
 *   [0.0144, 0, 0, -13.3056],
 *   [0, 0.0144, 0, -18.4176],
 *   [0, 0, -0.016, 7.408],
 *   [0, 0, 0, 1],
 * ]);
 * ```
 * @param geometry The image geometry (LPS).
 * @returns Four rows of four numbers; the last row is `[0, 0, 0, 1]`.
 */
export function toRasAffine(geometry: ImageGeometry): number[][] {
  const { origin, direction, spacing } = geometry;
  // `0 - v` rather than `-v`, so that zeros stay +0 and compare equal structurally.
  const ras = (p: number, v: number): number => (p < 2 ? 0 - v : v);
  return [
    ...([0, 1, 2] as const).map((
      p,
    ) => [...direction[p].map((d, j) => ras(p, d * spacing[j])), ras(p, origin[p])]),
    [0, 0, 0, 1],
  ];
}
