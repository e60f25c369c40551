/**
 * The four ANTs transforms between AIND's pipeline LS space and the Allen
 * CCF, their order, and reading them from S3 with an in-memory cache.
 *
 * Order (ANTs conventions, as AIND's `aind-zarr-utils` applies them):
 * - points LS → CCF: `p1 = A_ls⁻¹(p0)`, `p2 = p1 + U_ls,inverse(p1)`,
 *   `p3 = A_t⁻¹(p2)`, `p4 = p3 + U_t,inverse(p3)`;
 * - points CCF → LS and image pulls: `q = A_ls(W_ls(A_t(W_t(c))))`, with
 *   `W(x) = x + U_forward(x)`.
 *
 * Pure arithmetic (no I/O), so that worker threads can import it.
 *
 * @module
 */
import { type AntsAffine, invert3 } from "./ants_affine.ts";
import { type DisplacementField, displacePoint } from "./displacement_field.ts";

/** An affine ready to apply both ways: `y = A·x + b` and `x = A⁻¹·(y − b)`. */
export interface AffineMap {
  /** Row-major 3×3. */
  matrix: number[];
  /** The offset b = t + c − M·c. */
  offset: number[];
  /** Row-major inverse matrix. */
  inverse: number[];
  /** The file's parameters. */
  parameters: AntsAffine;
  /** Where it was read from. */
  source: string;
}

/** The four transforms of a registered asset (six files). */
export interface CcfTransforms {
  /** LS → template affine `ls_to_template_SyN_0GenericAffine.mat` (maps template points to LS points). */
  lsAffine: AffineMap;
  /** `ls_to_template_SyN_1Warp.nii.gz` (forward: template grid, pulls template → LS). */
  lsWarp: DisplacementField;
  /** `ls_to_template_SyN_1InverseWarp.nii.gz` (not read for image pulls, which do not need it). */
  lsInverseWarp?: DisplacementField;
  /** Template → CCF affine `spim_template_to_ccf_syn_0GenericAffine_25.mat`. */
  templateAffine: AffineMap;
  /** `spim_template_to_ccf_syn_1Warp_25.nii.gz`. */
  templateWarp: DisplacementField;
  /** `spim_template_to_ccf_syn_1InverseWarp_25.nii.gz` (not read for image pulls). */
  templateInverseWarp?: DisplacementField;
}

/** The per-asset transform files, below `image_atlas_alignment/<channel>/`. */
export const LS_TRANSFORM_FILES = {
  affine: "ls_to_template_SyN_0GenericAffine.mat",
  warp: "ls_to_template_SyN_1Warp.nii.gz",
  inverseWarp: "ls_to_template_SyN_1InverseWarp.nii.gz",
} as const;

/** The shared template → CCF (25 µm) transform files. */
export const TEMPLATE_TRANSFORM_FILES = {
  affine: "spim_template_to_ccf_syn_0GenericAffine_25.mat",
  warp: "spim_template_to_ccf_syn_1Warp_25.nii.gz",
  inverseWarp: "spim_template_to_ccf_syn_1InverseWarp_25.nii.gz",
} as const;

/** The folder in `aind-open-data` holding the template → CCF transforms and the CCF average template. */
export const DEFAULT_TEMPLATE_PREFIX = "SmartSPIM-template_2024-05-16_11-26-14";

/**
 * Makes an {@linkcode AffineMap} from ITK's parameters.
 * @param parameters Matrix, translation and centre.
 * @param source Where they came from.
 * @returns The map.
 */
export function affineMap(parameters: AntsAffine, source: string): AffineMap {
  const m = parameters.matrix, c = parameters.center, t = parameters.translation;
  const offset = [0, 1, 2].map((r) =>
    t[r] + c[r] - (m[3 * r] * c[0] + m[3 * r + 1] * c[1] + m[3 * r + 2] * c[2])
  );
  return { matrix: m, offset, inverse: invert3(m), parameters, source };
}

/** `p ← A·p + b`, in place. */
export function applyAffine(a: AffineMap, p: Float64Array | number[]): void {
  const m = a.matrix, b = a.offset;
  const x = p[0], y = p[1], z = p[2];
  p[0] = m[0] * x + m[1] * y + m[2] * z + b[0];
  p[1] = m[3] * x + m[4] * y + m[5] * z + b[1];
  p[2] = m[6] * x + m[7] * y + m[8] * z + b[2];
}

/** `p ← A⁻¹·(p − b)`, in place. */
export function applyInverseAffine(a: AffineMap, p: Float64Array | number[]): void {
  const m = a.inverse, b = a.offset;
  const x = p[0] - b[0], y = p[1] - b[1], z = p[2] - b[2];
  p[0] = m[0] * x + m[1] * y + m[2] * z;
  p[1] = m[3] * x + m[4] * y + m[5] * z;
  p[2] = m[6] * x + m[7] * y + m[8] * z;
}

/**
 * Maps a point from pipeline LS space to CCF (both LPS mm), in place.
 * @param t The transforms.
 * @param p The point.
 * @throws {TypeError} If the inverse warps were not read.
 */
export function lsPointToCcf(t: CcfTransforms, p: Float64Array | number[]): void {
  if (!t.lsInverseWarp || !t.templateInverseWarp) {
    throw new TypeError('Cannot map points LS → CCF: the inverse warps were not read (transforms: "pull")');
  }
  applyInverseAffine(t.lsAffine, p);
  displacePoint(t.lsInverseWarp, p);
  applyInverseAffine(t.templateAffine, p);
  displacePoint(t.templateInverseWarp, p);
}

/**
 * Maps a point from CCF to pipeline LS space (both LPS mm), in place: where
 * in LS a CCF position samples.
 * @param t The transforms.
 * @param p The point.
 */
export function ccfPointToLs(t: CcfTransforms, p: Float64Array | number[]): void {
  displacePoint(t.templateWarp, p);
  applyAffine(t.templateAffine, p);
  displacePoint(t.lsWarp, p);
  applyAffine(t.lsAffine, p);
}
