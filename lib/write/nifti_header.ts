/**
 * The NIfTI-1 single-file (`.nii`) header: dimensions, data type and the
 * voxel-to-world transform (qform and sform), little-endian.
 *
 * Geometry arrives in ITK's LPS conventions ({@linkcode ImageGeometry}) and
 * is written in NIfTI's RAS world, as ITK's NIfTI writer does. Only NIfTI-1
 * is written: its dimensions are int16, so no axis may exceed 32767 voxels
 * (NIfTI-2, with int64 dimensions, is not supported).
 *
 * The qform stores a rotation as three float32 quaternion terms, which cannot
 * tell a rotation within about 0.03° of 180° from 180° itself: such rotations
 * are written as exactly 180° there, while the sform keeps the exact matrix.
 *
 * @module
 */
import type { ImageGeometry, VoxelType } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { niftiDatatypeOf } from "../core/nifti_datatypes.ts";

/** Shape and voxel type of the image a header describes. */
export interface NiftiLayout {
  /** Sizes along (z, y, x), Zarr's order; the header stores them as (x, y, z). */
  shape: [number, number, number];
  /** The voxel type of the data that follows the header. */
  dtype: VoxelType;
}

/** Options for {@linkcode buildNiftiHeader}. */
export interface NiftiHeaderOptions {
  /** Free text for `descrip`: ASCII, at most 79 characters kept. @default {""} */
  description?: string;
  /** Free text for `aux_file`: ASCII, at most 23 characters kept. @default {""} */
  auxFile?: string;
}

/** A NIfTI-1 data type code and its bits per voxel. */
export interface NiftiDatatype {
  /** The `datatype` field (e.g. 512 for `NIFTI_TYPE_UINT16`). */
  code: number;
  /** The `bitpix` field. */
  bitpix: number;
}

/**
 * The largest size of one axis in NIfTI-1, whose `dim` fields are int16.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { NIFTI1_MAX_DIM } from "@spimfetch/spimfetch/write";
 * assertEquals(NIFTI1_MAX_DIM, 2 ** 15 - 1);
 * ```
 */
export const NIFTI1_MAX_DIM = 32767;

/**
 * Bytes before the voxels in a `.nii` file: the 348-byte header and a 4-byte
 * extension flag (all zero: no extensions).
 */
const NIFTI1_VOX_OFFSET = 352;

const NIFTI_UNITS_MM = 2;
const NIFTI_XFORM_SCANNER_ANAT = 1;
const AXES = ["x", "y", "z"] as const;

type Matrix3 = ImageGeometry["direction"];
type Vector3 = ImageGeometry["origin"];

/**
 * The NIfTI-1 `datatype` code and `bitpix` of a voxel type, from the one table of codes
 * (`core/nifti_datatypes.ts`) that the reader uses too.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { niftiDatatype } from "./nifti_header.ts";
 * assertEquals(niftiDatatype("uint16"), { code: 512, bitpix: 16 });
 * ```
 * @param dtype The voxel type.
 * @returns The code and bits per voxel.
 * @throws {TypeError} If `dtype` is not a {@linkcode VoxelType}.
 */
export function niftiDatatype(dtype: VoxelType): NiftiDatatype {
  const { code, bitpix } = niftiDatatypeOf(dtype);
  return { code, bitpix };
}

/** The keys of {@linkcode NiftiHeaderOptions}, checked at run time. */
const NIFTI_HEADER_OPTION_KEYS: OptionKeys<NiftiHeaderOptions> = {
  description: true,
  auxFile: true,
};

/**
 * Builds the 352-byte header of a single-file NIfTI-1 image (`n+1`): the
 * voxels follow it directly. Both qform and sform are written with code 1
 * (scanner anatomical), as ITK does, and describe the same transform.
 *
 * @example A header for a small uint16 image
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildNiftiHeader } from "@spimfetch/spimfetch/write";
 * const header = buildNiftiHeader(
 *   { shape: [464, 1280, 925], dtype: "uint16" },
 *   { spacing: [0.0144, 0.0144, 0.016], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
 *   { description: "level 3" },
 * );
 * const view = new DataView(header.buffer);
 * assertEquals(header.length, 352);
 * assertEquals([view.getInt16(42, true), view.getInt16(44, true), view.getInt16(46, true)], [925, 1280, 464]);
 * ```
 * @param layout Shape (z, y, x) and voxel type.
 * @param geometry Spacing, origin and direction in ITK's LPS conventions.
 * @param options Description and auxiliary file name.
 * @returns The header bytes, little-endian.
 * @throws {RangeError} If an axis is empty or longer than 32767 voxels (the
 * NIfTI-1 limit), the spacing is not finite and positive, the origin is not
 * finite, or the direction is not orthonormal.
 * @throws {TypeError} If the voxel type cannot be written.
 */
export function buildNiftiHeader(
  layout: NiftiLayout,
  geometry: ImageGeometry,
  options: NiftiHeaderOptions = {},
): Uint8Array {
  options = checkOptions(options, NIFTI_HEADER_OPTION_KEYS, "buildNiftiHeader()");
  const { code, bitpix } = niftiDatatype(layout.dtype);
  const size = [layout.shape[2], layout.shape[1], layout.shape[0]];
  size.forEach((n, axis) => {
    if (!Number.isInteger(n) || n < 1 || n > NIFTI1_MAX_DIM) {
      const limit = `each axis must hold 1 to ${NIFTI1_MAX_DIM} voxels`;
      throw new RangeError(
        `Cannot write a NIfTI-1 image of ${AXES[axis]} size ${n}: ${limit} (its dimensions are int16; ` +
          `NIfTI-2 is not written)`,
      );
    }
  });
  checkGeometry(geometry);
  // ITK's LPS world differs from NIfTI's RAS by the sign of its first two axes.
  const { direction, origin } = toRas(geometry);
  const { b, c, d, qfac } = quaternion(direction);

  const bytes = new Uint8Array(NIFTI1_VOX_OFFSET);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 348, true);
  bytes[38] = 0x72; // "regular" = 'r', which old Analyze readers still check.
  [3, ...size, 1, 1, 1, 1].forEach((n, i) => view.setInt16(40 + 2 * i, n, true));
  view.setInt16(70, code, true);
  view.setInt16(72, bitpix, true);
  // pixdim[0] carries qfac; pixdim[4..7] are 1 as nibabel writes for unused dimensions.
  [qfac, ...geometry.spacing, 1, 1, 1, 1].forEach((v, i) => view.setFloat32(76 + 4 * i, v, true));
  view.setFloat32(108, NIFTI1_VOX_OFFSET, true);
  // scl_slope 0 means "no scaling" in NIfTI-1; readers then use the stored values as they are.
  bytes[123] = NIFTI_UNITS_MM;
  writeAscii(bytes, 148, 80, options.description ?? "");
  writeAscii(bytes, 228, 24, options.auxFile ?? "");
  view.setInt16(252, NIFTI_XFORM_SCANNER_ANAT, true);
  view.setInt16(254, NIFTI_XFORM_SCANNER_ANAT, true);
  [b, c, d, ...origin].forEach((v, i) => view.setFloat32(256 + 4 * i, v, true));
  // sform rows: the RAS direction scaled by spacing, then the origin; the same transform as the qform.
  const sform = direction.flatMap((row, i) => [...row.map((v, j) => v * geometry.spacing[j]), origin[i]]);
  sform.forEach((v, i) => view.setFloat32(280 + 4 * i, v, true));
  bytes.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0": header and voxels in one file
  return bytes;
}

function checkGeometry(geometry: ImageGeometry): void {
  geometry.spacing.forEach((s, axis) => {
    if (!Number.isFinite(s) || s <= 0) {
      throw new RangeError(
        `Cannot write NIfTI spacing ${s} along ${AXES[axis]}: expected a finite size > 0 mm`,
      );
    }
  });
  if (!geometry.origin.every(Number.isFinite)) {
    throw new RangeError(`Cannot write NIfTI origin [${geometry.origin}]: expected finite coordinates`);
  }
  // qform can only hold a rotation (with an optional flip); sform could hold more, but then
  // the two would disagree and readers that prefer either would place the image differently.
  const m = geometry.direction;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const dot = m[0][i] * m[0][j] + m[1][i] * m[1][j] + m[2][i] * m[2][j];
      if (!(Math.abs(dot - (i === j ? 1 : 0)) <= 1e-4)) {
        throw new RangeError(
          `Cannot write NIfTI direction ${JSON.stringify(m)}: expected orthonormal direction cosines`,
        );
      }
    }
  }
}

function toRas(geometry: ImageGeometry): { direction: Matrix3; origin: Vector3 } {
  // "+ 0" turns the −0 of a flipped zero into 0, which prints as readers and users expect.
  const flip = [-1, -1, 1];
  return {
    direction: geometry.direction.map((row, i) => row.map((d) => d * flip[i] + 0)) as Matrix3,
    origin: geometry.origin.map((o, i) => o * flip[i] + 0) as Vector3,
  };
}

/**
 * NIfTI-1's nifti_mat44_to_quatern: qform holds a proper rotation, so a
 * left-handed direction is stored as qfac = −1 with its third column negated.
 * The branches keep the division well away from zero for rotations near 180°.
 */
function quaternion(r: Matrix3): { b: number; c: number; d: number; qfac: number } {
  const det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
    r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
    r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
  const qfac = det < 0 ? -1 : 1;
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = r.map((row) => [row[0], row[1], row[2] * qfac]);
  let a: number, b: number, c: number, d: number;
  const trace = r11 + r22 + r33 + 1;
  if (trace > 0.5) {
    a = 0.5 * Math.sqrt(trace);
    b = 0.25 * (r32 - r23) / a;
    c = 0.25 * (r13 - r31) / a;
    d = 0.25 * (r21 - r12) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = 0.25 * (r12 + r21) / b;
      d = 0.25 * (r13 + r31) / b;
      a = 0.25 * (r32 - r23) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = 0.25 * (r12 + r21) / c;
      d = 0.25 * (r23 + r32) / c;
      a = 0.25 * (r13 - r31) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = 0.25 * (r13 + r31) / d;
      c = 0.25 * (r23 + r32) / d;
      a = 0.25 * (r21 - r12) / d;
    }
  }
  // Readers rebuild a = sqrt(1 − b² − c² − d²) ≥ 0, so the stored quaternion must have a ≥ 0 and unit length.
  const norm = Math.hypot(a, b, c, d) * (a < 0 ? -1 : 1);
  [a, b, c, d] = [a / norm, b / norm, c / norm, d / norm];
  if (a < 3e-4) {
    // Near 180°, float32 b, c, d cannot carry an a this small (NIfTI-1 stores no a): readers get
    // 1 − b² − c² − d² as rounding noise of ±1e-7, whose square root (~3e-4) skews the matrix.
    // Making the sum just reach 1 sends them to their a = 0 branch, exact for a 180° rotation.
    const unit = Math.hypot(b, c, d);
    [b, c, d] = unitAtLeastOne([b / unit, c / unit, d / unit]);
  }
  return { b, c, d, qfac };
}

/**
 * Float32 values of a unit vector whose squares add up to at least 1, by at most one float32 step of the
 * largest component (≤ 1.2e-7). nifti1_io reads a sum ≥ 1 − 1e-7 as a = 0; nibabel reads |1 − sum| under
 * 3 float32 eps (3.6e-7) as a = 0, and older versions only 1 − sum ≤ 0, which this satisfies for both.
 */
function unitAtLeastOne(vector: number[]): number[] {
  const f32 = Float32Array.from(vector);
  const bits = new Int32Array(f32.buffer);
  const largest = vector.reduce((best, v, i) => (Math.abs(v) > Math.abs(vector[best]) ? i : best), 0);
  // Adding 1 to a float32's bits moves it one step away from zero, whatever its sign.
  while (f32[0] * f32[0] + f32[1] * f32[1] + f32[2] * f32[2] < 1) bits[largest] += 1;
  return Array.from(f32);
}

function writeAscii(bytes: Uint8Array, offset: number, length: number, text: string): void {
  // Fixed-width C strings: keep room for the NUL, and store "?" for anything that is not printable ASCII.
  const chars = Array.from(text).slice(0, length - 1);
  chars.forEach((ch, i) => {
    const code = ch.codePointAt(0)!;
    bytes[offset + i] = code >= 0x20 && code < 0x7f ? code : 0x3f;
  });
}
