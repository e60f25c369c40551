/**
 * The algebra of axis-aligned orientations: the 48 orientations, their
 * direction matrices, and the permutation and flips that take voxels of one
 * orientation to another. Orientations are {@linkcode AnatomicalAxes}: for each
 * index axis (i, j, k), the anatomical direction the index increases toward.
 *
 * Physical space is ITK's LPS (see `orient.ts`): a direction matrix column is
 * the LPS unit vector of an index axis, e.g. `posterior` = (0, +1, 0).
 *
 * @module
 */
import type { AnatomicalTerm } from "../metadata/acquisition.ts";
import type { AnatomicalAxes } from "./codes.ts";
import type { ImageGeometry } from "../core/volume.ts";

type Vec3 = [number, number, number];
type Axis = 0 | 1 | 2;

/**
 * How voxels of one orientation become voxels of another: output index axis
 * `o` runs along input axis `sourceAxis[o]`, backwards when `flip[o]`. With
 * input sizes `n`, output voxel `out` reads input voxel `in` where
 * `in[sourceAxis[o]] = flip[o] ? n[sourceAxis[o]] − 1 − out[o] : out[o]`.
 */
export interface AxisTransform {
  /** For each output index axis (i, j, k), the input axis it runs along. */
  sourceAxis: [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
  /** For each output index axis, whether it runs against its input axis. */
  flip: [boolean, boolean, boolean];
}

// LPS unit vectors, as in orient.ts: +x left, +y posterior, +z superior.
const LPS: Readonly<Record<AnatomicalTerm, Vec3>> = {
  right: [-1, 0, 0],
  left: [1, 0, 0],
  posterior: [0, 1, 0],
  anterior: [0, -1, 0],
  superior: [0, 0, 1],
  inferior: [0, 0, -1],
};
const TERM_OF_LPS: readonly (readonly [AnatomicalTerm, AnatomicalTerm])[] = [
  ["left", "right"],
  ["posterior", "anterior"],
  ["superior", "inferior"],
];
const LINES: readonly (readonly [AnatomicalTerm, AnatomicalTerm])[] = [
  ["right", "left"],
  ["anterior", "posterior"],
  ["superior", "inferior"],
];
const PERMUTATIONS: readonly [Axis, Axis, Axis][] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [
  2,
  1,
  0,
]];

/**
 * All 48 axis-aligned orientations (6 axis orders × 8 sign choices), each
 * once, starting with `RAS`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { ALL_ORIENTATIONS } from "./transform.ts";
 * import { orientationCode } from "@spimfetch/spimfetch/orient";
 * const codes = ALL_ORIENTATIONS.map((axes) => orientationCode(axes, "nibabel"));
 * assertEquals([codes.length, new Set(codes).size, codes[0]], [48, 48, "RAS"]);
 * assert(codes.includes("PIR"));
 * ```
 */
export const ALL_ORIENTATIONS: readonly AnatomicalAxes[] = PERMUTATIONS.flatMap((lines) =>
  [0, 1, 2, 3, 4, 5, 6, 7].map((signs): AnatomicalAxes => {
    const pick = (j: number): AnatomicalTerm => LINES[lines[j]][(signs >> j) & 1];
    return [pick(0), pick(1), pick(2)];
  })
);

/**
 * The direction matrix (LPS, row-major, columns = index axes) of an orientation.
 *
 * @example The reference acquisition (RAI) has the direction −I
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { directionOfOrientation } from "./transform.ts";
 * assertEquals(directionOfOrientation(["right", "anterior", "inferior"]), [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
 * ```
 * @param axes The orientation, index order i, j, k.
 * @returns Three rows of three numbers.
 */
export function directionOfOrientation(axes: AnatomicalAxes): ImageGeometry["direction"] {
  const row = (p: Axis): Vec3 => [LPS[axes[0]][p], LPS[axes[1]][p], LPS[axes[2]][p]];
  return [row(0), row(1), row(2)];
}

/**
 * The orientation of a direction matrix whose columns are (within 1e-6)
 * signed LPS unit vectors.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationOfDirection } from "@spimfetch/spimfetch/orient";
 * assertEquals(orientationOfDirection([[0, 0, -1], [1, 0, 0], [0, -1, 0]]), ["posterior", "inferior", "right"]);
 * ```
 * @param direction Row-major 3×3 direction cosines, as in {@linkcode ImageGeometry}.
 * @returns The orientation, index order i, j, k.
 * @throws {RangeError} If the matrix is oblique (not a signed permutation), which reorientation by
 * permuting voxels cannot represent.
 */
export function orientationOfDirection(direction: ImageGeometry["direction"]): AnatomicalAxes {
  const terms = ([0, 1, 2] as const).map((j) => {
    const column = [direction[0][j], direction[1][j], direction[2][j]];
    const p = column.findIndex((v) => Math.abs(Math.abs(v) - 1) < 1e-6);
    if (p < 0 || column.some((v, q) => q !== p && Math.abs(v) > 1e-6)) return undefined;
    return TERM_OF_LPS[p][column[p] > 0 ? 0 : 1];
  });
  const lines = new Set(terms.map((t) => t && LINES.findIndex((line) => line.includes(t))));
  if (terms.some((t) => t === undefined) || lines.size !== 3) {
    throw new RangeError(
      `Cannot name the orientation of direction ${
        JSON.stringify(direction)
      }: expected each column to be a signed LPS axis, each axis once (an oblique direction needs resampling, not reorientation)`,
    );
  }
  return terms as unknown as AnatomicalAxes;
}

/**
 * The permutation and flips that turn voxels of orientation `from` into
 * voxels of orientation `to` (see {@linkcode AxisTransform}).
 *
 * @example The reference acquisition (RAI) to the Allen CCF's PIR
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationTransform } from "@spimfetch/spimfetch/orient";
 * const t = orientationTransform(["right", "anterior", "inferior"], ["posterior", "inferior", "right"]);
 * // Output x runs along input y backwards (anterior → posterior), output y along input z, output z along input x.
 * assertEquals(t, { sourceAxis: [1, 2, 0], flip: [true, false, false] });
 * ```
 * @param from The input orientation.
 * @param to The output orientation.
 * @returns For each output axis, its input axis and whether it is reversed.
 */
export function orientationTransform(from: AnatomicalAxes, to: AnatomicalAxes): AxisTransform {
  const line = (t: AnatomicalTerm): number => LINES.findIndex((l) => l.includes(t));
  const sourceAxis = to.map((t) => from.findIndex((f) => line(f) === line(t))) as [Axis, Axis, Axis];
  const flip = to.map((t, o) => from[sourceAxis[o]] !== t) as [boolean, boolean, boolean];
  return { sourceAxis, flip };
}

/**
 * Whether a transform leaves voxels where they are.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isIdentityTransform, orientationTransform } from "@spimfetch/spimfetch/orient";
 * assert(isIdentityTransform(orientationTransform(["right", "anterior", "inferior"], ["right", "anterior", "inferior"])));
 * ```
 * @param transform The transform.
 * @returns True when no axis moves or flips.
 */
export function isIdentityTransform(transform: AxisTransform): boolean {
  return transform.sourceAxis.every((s, o) => s === o) && transform.flip.every((f) => !f);
}

/**
 * The transform in words, one line per output axis, for logs and sidecars.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeTransform } from "@spimfetch/spimfetch/orient";
 * assertEquals(describeTransform({ sourceAxis: [1, 2, 0], flip: [true, false, false] }, ["posterior", "inferior", "right"]), [
 *   "x = input y reversed (toward posterior)",
 *   "y = input z (toward inferior)",
 *   "z = input x (toward right)",
 * ]);
 * ```
 * @param transform The transform.
 * @param to The output orientation, for the direction each axis ends up pointing.
 * @returns Three lines.
 */
export function describeTransform(transform: AxisTransform, to: AnatomicalAxes): string[] {
  return transform.sourceAxis.map((s, o) =>
    `${"xyz"[o]} = input ${"xyz"[s]}${transform.flip[o] ? " reversed" : ""} (toward ${to[o]})`
  );
}
