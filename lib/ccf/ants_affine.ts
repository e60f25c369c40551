/**
 * ANTs/ITK affine transforms stored as MATLAB level-4 `.mat` files.
 *
 * ITK's `MatlabTransformIO` writes a sequence of variables, each a 20-byte
 * header of five int32 (`type, mrows, ncols, imagf, namlen`), the name
 * (NUL-terminated, `namlen` bytes) and the values column-major. `type` is
 * `1000·M + 100·O + 10·P + T`: M is the byte order (0 little-, 1 big-endian),
 * O is 0, P the precision (0 double, 1 single, 2 int32, 3 int16, 4 uint16,
 * 5 uint8), T the matrix kind (0 full numeric). The byte order is the one
 * under which `type` reads as a small non-negative number, as MATLAB's own
 * reader decides.
 *
 * An affine holds `AffineTransform_double_3_3` (or `_float_3_3`): 12 values,
 * the 3×3 matrix row-major then the translation t; and `fixed`: the centre c.
 * It maps a point x (LPS, mm) to `M(x − c) + t + c`.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";

/** An affine transform as ITK stores it: `y = matrix · (x − center) + translation + center`. */
export interface AntsAffine {
  /** The 3×3 matrix, row-major (9 numbers). */
  matrix: number[];
  /** ITK's translation parameter t (3 numbers). */
  translation: number[];
  /** ITK's fixed parameters: the centre c (3 numbers). */
  center: number[];
  /** The variable the parameters came from, e.g. `AffineTransform_float_3_3`. */
  variable: string;
}

interface MatVariable {
  name: string;
  values: number[];
  precision: "double" | "single" | "int32" | "int16" | "uint16" | "uint8";
}

const PRECISIONS = ["double", "single", "int32", "int16", "uint16", "uint8"] as const;
const BYTES = [8, 4, 4, 2, 2, 1];
const AFFINE_NAMES = ["AffineTransform_double_3_3", "AffineTransform_float_3_3"];

function readVariables(bytes: Uint8Array, source: string): MatVariable[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (message: string): MetadataError =>
    new MetadataError(`Cannot read MATLAB v4 transform: ${message}`, { source });
  const variables: MatVariable[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 20 > bytes.length) {
      throw bad(`a variable header at byte ${offset} is cut short (${bytes.length - offset} of 20 bytes)`);
    }
    let little = true;
    let type = view.getInt32(offset, true);
    if (!(type >= 0 && type < 5000)) {
      little = false;
      type = view.getInt32(offset, false);
    }
    const m = Math.floor(type / 1000), o = Math.floor(type / 100) % 10, p = Math.floor(type / 10) % 10;
    const t = type % 10;
    if (!(type >= 0 && type < 2000) || (m === 0) !== little || o !== 0 || p > 5 || t !== 0) {
      throw bad(
        `variable at byte ${offset} has type ${type}: expected 1000·(0 little-endian | 1 big-endian) + ` +
          `10·(precision 0-5) for a full numeric matrix (is this a MATLAB level-4 .mat file?)`,
      );
    }
    const [mrows, ncols, imagf, namlen] = [4, 8, 12, 16].map((d) => view.getInt32(offset + d, little));
    if (mrows < 0 || ncols < 0 || namlen < 1 || namlen > 256 || imagf !== 0) {
      throw bad(
        `variable at byte ${offset} has rows ${mrows}, columns ${ncols}, imaginary flag ${imagf}, name length ` +
          `${namlen}: expected a real matrix with a name of 1-256 bytes`,
      );
    }
    const nameStart = offset + 20;
    const count = mrows * ncols;
    const dataStart = nameStart + namlen;
    const size = BYTES[p];
    if (dataStart + count * size > bytes.length) {
      throw bad(`variable at byte ${offset} needs ${count} values but the file ends first`);
    }
    const nameBytes = bytes.subarray(nameStart, dataStart);
    const end = nameBytes.indexOf(0);
    const name = new TextDecoder().decode(end >= 0 ? nameBytes.subarray(0, end) : nameBytes);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = dataStart + i * size;
      values.push(
        p === 0
          ? view.getFloat64(at, little)
          : p === 1
          ? view.getFloat32(at, little)
          : p === 2
          ? view.getInt32(at, little)
          : p === 3
          ? view.getInt16(at, little)
          : p === 4
          ? view.getUint16(at, little)
          : view.getUint8(at),
      );
    }
    variables.push({ name, values, precision: PRECISIONS[p] });
    offset = dataStart + count * size;
  }
  return variables;
}

/**
 * Parses an ANTs/ITK affine transform from the bytes of a MATLAB level-4
 * `.mat` file (double or single precision, either byte order).
 *
 * @example A translation by (1, 2, 3) mm, written by hand
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseAntsAffine } from "./ants_affine.ts";
 * const variable = (name: string, values: number[]): Uint8Array => {
 *   const nameBytes = new TextEncoder().encode(`${name}\0`);
 *   const bytes = new Uint8Array(20 + nameBytes.length + 8 * values.length);
 *   const view = new DataView(bytes.buffer);
 *   [0, values.length, 1, 0, nameBytes.length].forEach((v, i) => view.setInt32(4 * i, v, true));
 *   bytes.set(nameBytes, 20);
 *   values.forEach((v, i) => view.setFloat64(20 + nameBytes.length + 8 * i, v, true));
 *   return bytes;
 * };
 * const a = variable("AffineTransform_double_3_3", [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3]);
 * const b = variable("fixed", [0, 0, 0]);
 * const affine = parseAntsAffine(new Uint8Array([...a, ...b]), "identity.mat");
 * assertEquals(affine.translation, [1, 2, 3]);
 * ```
 * @param bytes The file's bytes.
 * @param source Where they came from, for messages.
 * @returns The affine's matrix, translation and centre.
 * @throws {MetadataError} If the file is not MATLAB v4, or lacks a 12-value affine variable or a 3-value `fixed`.
 */
export function parseAntsAffine(bytes: Uint8Array, source: string): AntsAffine {
  const variables = readVariables(bytes, source);
  const names = variables.map((v) => `${v.name} (${v.values.length} ${v.precision})`).join(", ") || "none";
  const affine = variables.find((v) => AFFINE_NAMES.includes(v.name));
  if (!affine || affine.values.length !== 12) {
    throw new MetadataError(
      `Cannot read the ANTs affine: expected a variable ${
        AFFINE_NAMES.join(" or ")
      } of 12 values, found ${names}`,
      { source },
    );
  }
  const fixed = variables.find((v) => v.name === "fixed");
  if (!fixed || fixed.values.length !== 3) {
    throw new MetadataError(
      `Cannot read the ANTs affine: expected a variable "fixed" of 3 values (the centre), found ${names}`,
      { source },
    );
  }
  const all = [...affine.values, ...fixed.values];
  if (!all.every(Number.isFinite)) {
    throw new MetadataError(`Cannot use the ANTs affine: its values must be finite, got [${all}]`, {
      source,
    });
  }
  const matrix = affine.values.slice(0, 9);
  const det = det3(matrix);
  if (!(Math.abs(det) > 1e-12)) {
    throw new MetadataError(`Cannot use the ANTs affine: its matrix is singular (determinant ${det})`, {
      source,
    });
  }
  return { matrix, translation: affine.values.slice(9), center: fixed.values, variable: affine.name };
}

/** Determinant of a row-major 3×3 matrix. */
export function det3(m: readonly number[]): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Inverse of a row-major 3×3 matrix. */
export function invert3(m: readonly number[]): number[] {
  const d = det3(m);
  return [
    (m[4] * m[8] - m[5] * m[7]) / d,
    (m[2] * m[7] - m[1] * m[8]) / d,
    (m[1] * m[5] - m[2] * m[4]) / d,
    (m[5] * m[6] - m[3] * m[8]) / d,
    (m[0] * m[8] - m[2] * m[6]) / d,
    (m[2] * m[3] - m[0] * m[5]) / d,
    (m[3] * m[7] - m[4] * m[6]) / d,
    (m[1] * m[6] - m[0] * m[7]) / d,
    (m[0] * m[4] - m[1] * m[3]) / d,
  ];
}
