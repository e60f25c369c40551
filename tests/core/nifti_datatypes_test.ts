/**
 * The NIfTI datatype table against nibabel's own (`nibabel.nifti1.data_type_codes`, Debian's python3-nibabel):
 * every row's code, voxel type and bitpix, and the lookups both ways.
 *
 * Needs python3 with nibabel: skipped locally with one line when missing, failing when `CI=true`.
 *
 * @module
 */
import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import {
  NIFTI_DATATYPES,
  niftiDatatypeNames,
  niftiDatatypeOf,
  niftiDatatypeOfCode,
} from "../../lib/core/nifti_datatypes.ts";
import type { VoxelType } from "../../lib/core/volume.ts";
import { nibabelMissing, runPython } from "../../testing/nibabel.ts";

const missing = await nibabelMissing();
if (missing) console.warn(`WARNING: tests/core/nifti_datatypes_test.ts skipped its nibabel case: ${missing}`);

Deno.test({
  name: missing
    ? `NIFTI_DATATYPES matches nibabel's codes (${missing})`
    : "NIFTI_DATATYPES matches nibabel's codes, numpy types and bit widths for each scalar type",
  ignore: missing !== undefined,
  async fn(): Promise<void> {
    const script = `
import json, numpy as np, nibabel as nib
codes = nib.nifti1.data_type_codes
rows = {}
for name in ["uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64"]:
    code = int(codes.code[np.dtype(name)])
    rows[name] = [code, np.dtype(name).itemsize * 8]
print(json.dumps(rows))
`;
    const nibabel = JSON.parse(await runPython(script)) as Record<VoxelType, [number, number]>;
    const ours = Object.fromEntries(NIFTI_DATATYPES.map((row) => [row.dtype, [row.code, row.bitpix]]));
    assertEquals(ours, nibabel);
    for (const row of NIFTI_DATATYPES) assertStrictEquals(row.bytes * 8, row.bitpix);
  },
});

Deno.test("niftiDatatypeOf() and niftiDatatypeOfCode() find the same rows both ways", () => {
  for (const row of NIFTI_DATATYPES) {
    assertStrictEquals(niftiDatatypeOfCode(row.code), row);
    assertStrictEquals(niftiDatatypeOf(row.dtype), row);
  }
  // complex64, RGB24 and int64 are NIfTI codes spimfetch does not read.
  for (const code of [32, 128, 1024, 0, -512]) assertEquals(niftiDatatypeOfCode(code), undefined);
  assertThrows(() => niftiDatatypeOf("complex64" as VoxelType), TypeError, 'voxel type "complex64"');
  assertEquals(niftiDatatypeNames().split(", ").length, 8);
});
