/**
 * The one table of NIfTI-1 `datatype` codes: for each scalar voxel type spimfetch reads and writes, its code
 * (`nifti1.h`'s `NIFTI_TYPE_*`), its `bitpix` and its bytes per voxel. The NIfTI writer
 * (`write/nifti_header.ts`) and the NIfTI reader (`read/nifti_file.ts`) both look codes up here, and
 * `tests/architecture_test.ts` checks that no other file of `lib/` spells the codes out again.
 *
 * @module
 */
import type { VoxelType } from "./volume.ts";

/** One row of {@linkcode NIFTI_DATATYPES}. */
export interface NiftiDatatype {
  /** The header's `datatype` field (e.g. 512 for `NIFTI_TYPE_UINT16`). */
  code: number;
  /** The voxel type it holds. */
  dtype: VoxelType;
  /** The header's `bitpix` field. */
  bitpix: number;
  /** Bytes per voxel (`bitpix / 8`). */
  bytes: number;
}

/**
 * The scalar NIfTI-1 data types spimfetch reads and writes. Complex, RGB and 64-bit integer codes are left
 * out on purpose: no spimfetch output or input uses them, and a reader meeting one says so.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { NIFTI_DATATYPES } from "@spimfetch/spimfetch/read";
 * assertEquals(NIFTI_DATATYPES.find((t) => t.dtype === "uint16")?.code, 512);
 * ```
 */
export const NIFTI_DATATYPES: readonly NiftiDatatype[] = Object.freeze([
  { code: 2, dtype: "uint8", bitpix: 8, bytes: 1 },
  { code: 4, dtype: "int16", bitpix: 16, bytes: 2 },
  { code: 8, dtype: "int32", bitpix: 32, bytes: 4 },
  { code: 16, dtype: "float32", bitpix: 32, bytes: 4 },
  { code: 64, dtype: "float64", bitpix: 64, bytes: 8 },
  { code: 256, dtype: "int8", bitpix: 8, bytes: 1 },
  { code: 512, dtype: "uint16", bitpix: 16, bytes: 2 },
  { code: 768, dtype: "uint32", bitpix: 32, bytes: 4 },
].map((row) => Object.freeze(row as NiftiDatatype)));

/**
 * The row of a NIfTI-1 `datatype` code, or `undefined` for a code spimfetch does not read.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { niftiDatatypeOfCode } from "@spimfetch/spimfetch/read";
 * assertEquals(niftiDatatypeOfCode(16)?.dtype, "float32");
 * assertEquals(niftiDatatypeOfCode(32), undefined); // complex64
 * ```
 * @param code The header's `datatype` field.
 * @returns Its row, or `undefined`.
 */
export function niftiDatatypeOfCode(code: number): NiftiDatatype | undefined {
  return NIFTI_DATATYPES.find((row) => row.code === code);
}

/**
 * The row of a voxel type.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { niftiDatatypeOf } from "@spimfetch/spimfetch/read";
 * assertEquals(niftiDatatypeOf("int16"), { code: 4, dtype: "int16", bitpix: 16, bytes: 2 });
 * ```
 * @param dtype A voxel type.
 * @returns Its row.
 * @throws {TypeError} If `dtype` is not a voxel type NIfTI-1 holds here; the message lists those that are.
 */
export function niftiDatatypeOf(dtype: VoxelType): NiftiDatatype {
  const found = NIFTI_DATATYPES.find((row) => row.dtype === dtype);
  if (!found) {
    throw new TypeError(
      `Cannot store voxel type "${dtype}" in NIfTI-1: expected one of ${
        NIFTI_DATATYPES.map((row) => row.dtype).join(", ")
      }`,
    );
  }
  return found;
}

/**
 * The codes spimfetch reads, as `code (type)` for messages: `2 (uint8), 4 (int16), …`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { niftiDatatypeNames } from "@spimfetch/spimfetch/read";
 * assert(niftiDatatypeNames().startsWith("2 (uint8), 4 (int16)"));
 * ```
 * @returns The list, in code order.
 */
export function niftiDatatypeNames(): string {
  return NIFTI_DATATYPES.map((row) => `${row.code} (${row.dtype})`).join(", ");
}
