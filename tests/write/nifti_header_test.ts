import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { buildNiftiHeader, NIFTI1_MAX_DIM, niftiDatatype } from "../../lib/write/nifti_header.ts";
import type { ImageGeometry, VoxelType } from "../../lib/core/volume.ts";

type Matrix3 = ImageGeometry["direction"];

// The reference notebook's level 3: size (x, y, z) = (925, 1280, 464), direction −I in LPS.
const REFERENCE: ImageGeometry = {
  spacing: [0.0144, 0.0144, 0.016],
  origin: [13.3056, 18.4176, 7.408],
  direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
};
const REFERENCE_SHAPE: [number, number, number] = [464, 1280, 925];

/** The RAS affine NIfTI readers should find: ITK's LPS rows 0 and 1 negated, direction · diag(spacing). */
function expectedSform(geometry: ImageGeometry): number[][] {
  const sign = [-1, -1, 1];
  const rows = [0, 1, 2].map((i) => [
    ...[0, 1, 2].map((j) => sign[i] * geometry.direction[i][j] * geometry.spacing[j]),
    sign[i] * geometry.origin[i],
  ]);
  return [...rows, [0, 0, 0, 1]];
}

function readHeader(bytes: Uint8Array): nifti.NIFTI1 {
  const header = nifti.readHeader(bytes.slice().buffer);
  assert(header instanceof nifti.NIFTI1, "expected a NIfTI-1 header");
  return header;
}

function assertMatrixAlmostEquals(
  actual: number[][],
  expected: number[][],
  tolerance: number,
  what: string,
): void {
  for (let i = 0; i < expected.length; i++) {
    for (let j = 0; j < expected[i].length; j++) {
      assertAlmostEquals(
        actual[i][j],
        expected[i][j],
        tolerance,
        `${what}[${i}][${j}]: ${actual[i][j]} vs ${expected[i][j]}`,
      );
    }
  }
}

function signedPermutations(): Matrix3[] {
  const permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const result: Matrix3[] = [];
  for (const p of permutations) {
    for (let signs = 0; signs < 8; signs++) {
      const m: Matrix3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
      p.forEach((row, column) => (m[row][column] = signs & (1 << column) ? -1 : 1));
      result.push(m);
    }
  }
  return result;
}

/** Rodrigues' formula: a rotation by `degrees` about `axis`, optionally followed by flipping index axis 2. */
function rotation(axis: [number, number, number], degrees: number, flipColumn?: number): Matrix3 {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t), s = Math.sin(t), k = 1 - c;
  const m: Matrix3 = [
    [c + x * x * k, x * y * k - z * s, x * z * k + y * s],
    [y * x * k + z * s, c + y * y * k, y * z * k - x * s],
    [z * x * k - y * s, z * y * k + x * s, c + z * z * k],
  ];
  if (flipColumn !== undefined) m.forEach((row) => (row[flipColumn] = -row[flipColumn]));
  return m;
}

Deno.test("buildNiftiHeader() writes the reference notebook's level 3 header as nifti-reader-js reads it", () => {
  const bytes = buildNiftiHeader({ shape: REFERENCE_SHAPE, dtype: "uint16" }, REFERENCE, {
    description: "spimfetch 652506 Ex_561_Em_593 L3",
    auxFile: "Ex_561_Em_593",
  });
  assertEquals(bytes.length, 352);
  const header = readHeader(bytes);
  assertEquals(header.littleEndian, true);
  assertEquals(header.magic, "n+1");
  assertEquals(header.dims, [3, 925, 1280, 464, 1, 1, 1, 1]);
  assertEquals([header.datatypeCode, header.numBitsPerVoxel], [512, 16]);
  assertEquals(header.pixDims.slice(0, 4), [-1, 0.0144, 0.0144, 0.016].map(Math.fround));
  assertEquals(header.xyzt_units, 2);
  assertEquals(header.getUnitsCodeString(header.xyzt_units & 7), "Millimeters");
  assertEquals([header.qform_code, header.sform_code], [1, 1]);
  assertEquals(header.vox_offset, 352);
  assertEquals([header.scl_slope, header.scl_inter, header.cal_min, header.cal_max], [0, 0, 0, 0]);
  assertEquals(header.extensionFlag, [0, 0, 0, 0]);
  assertEquals(header.description, "spimfetch 652506 Ex_561_Em_593 L3");
  assertEquals(header.aux_file, "Ex_561_Em_593");
  // The RAS affine of the notes: diag(+0.0144, +0.0144, −0.016), translation (−13.3056, −18.4176, +7.408).
  const expected = [
    [0.0144, 0, 0, -13.3056],
    [0, 0.0144, 0, -18.4176],
    [0, 0, -0.016, 7.408],
    [0, 0, 0, 1],
  ];
  assertMatrixAlmostEquals(header.affine, expected, 1e-6, "sform");
  assertMatrixAlmostEquals(header.getQformMat(), expected, 1e-6, "qform");
});

Deno.test("buildNiftiHeader() qform and sform agree for all 48 signed permutation directions", () => {
  const matrices = signedPermutations();
  assertEquals(new Set(matrices.map((m) => JSON.stringify(m))).size, 48);
  for (const direction of matrices) {
    const geometry: ImageGeometry = { spacing: [0.5, 1.25, 2], origin: [1.5, -2.25, 3], direction };
    const header = readHeader(buildNiftiHeader({ shape: [4, 5, 6], dtype: "float32" }, geometry));
    const det = direction[0][0] * (direction[1][1] * direction[2][2] - direction[1][2] * direction[2][1]) -
      direction[0][1] * (direction[1][0] * direction[2][2] - direction[1][2] * direction[2][0]) +
      direction[0][2] * (direction[1][0] * direction[2][1] - direction[1][1] * direction[2][0]);
    // LPS → RAS flips two axes, which keeps the handedness: qfac follows det(direction).
    assertEquals(header.pixDims[0], Math.sign(det), JSON.stringify(direction));
    assertMatrixAlmostEquals(
      header.affine,
      expectedSform(geometry),
      1e-6,
      `sform of ${JSON.stringify(direction)}`,
    );
    assertMatrixAlmostEquals(
      header.getQformMat(),
      header.affine,
      1e-6,
      `qform of ${JSON.stringify(direction)}`,
    );
    assertMatrixAlmostEquals(
      qformByFormula(header),
      header.affine,
      1e-6,
      `formula qform of ${direction}`,
    );
  }
});

/**
 * The qform by the plain NIfTI-1 formula a = sqrt(1 − b² − c² − d²), as older nibabel versions rebuild
 * it: unlike nifti1_io and nifti-reader-js, which read a remainder under 1e-7 as a = 0, it takes the
 * square root of any positive remainder, so float32 rounding of a 180° quaternion tilts the matrix.
 */
function qformByFormula(header: nifti.NIFTI1): number[][] {
  const [b, c, d] = [header.quatern_b, header.quatern_c, header.quatern_d];
  const remainder = 1 - (b * b + c * c + d * d);
  // nibabel rejects a sum over 1 by more than 3 float32 eps.
  assert(remainder >= -3 * 2 ** -23, `quaternion (${b}, ${c}, ${d}) is longer than 1 by ${-remainder}`);
  const a = Math.sqrt(Math.max(0, remainder));
  const qfac = header.pixDims[0] < 0 ? -1 : 1;
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c],
  ];
  const offset = [header.qoffset_x, header.qoffset_y, header.qoffset_z];
  const scale = [header.pixDims[1], header.pixDims[2], header.pixDims[3] * qfac];
  return [...r.map((row, i) => [...row.map((v, j) => v * scale[j]), offset[i]]), [0, 0, 0, 1]];
}

/** An LPS direction whose RAS form (first two rows negated) is `ras`. */
function fromRas(ras: Matrix3): Matrix3 {
  return ras.map((row, i) => row.map((v) => (i < 2 ? -v : v))) as Matrix3;
}

Deno.test("buildNiftiHeader() qform and sform agree for oblique rotations, proper and improper, up to 180°", () => {
  // Angles are those of the RAS rotation the quaternion encodes.
  const directions: [string, Matrix3][] = [
    ["37° about (1, 2, 3)", rotation([1, 2, 3], 37)],
    ["37° about (1, 2, 3), z flipped", rotation([1, 2, 3], 37, 2)],
    ["150° about (−2, 0.5, 1)", rotation([-2, 0.5, 1], 150)],
    ["150° about (−2, 0.5, 1), x flipped", rotation([-2, 0.5, 1], 150, 0)],
    ["180° about (1, 2, 3)", rotation([1, 2, 3], 180)],
    ["180° about (3, −1, 0.5), y flipped", rotation([3, -1, 0.5], 180, 1)],
    ["180° about (1, 1, 1)", rotation([1, 1, 1], 180)],
    ["0.001° about (1, 1, 1)", rotation([1, 1, 1], 0.001)],
  ];
  for (const [name, ras] of directions) {
    const geometry: ImageGeometry = { spacing: [1, 1, 1], origin: [-4, 5, 6], direction: fromRas(ras) };
    const header = readHeader(buildNiftiHeader({ shape: [3, 3, 3], dtype: "uint8" }, geometry));
    assertMatrixAlmostEquals(header.affine, expectedSform(geometry), 1e-6, `sform of ${name}`);
    assertMatrixAlmostEquals(header.getQformMat(), header.affine, 1e-6, `qform of ${name}`);
    assertMatrixAlmostEquals(qformByFormula(header), header.affine, 1e-6, `formula qform of ${name}`);
  }
});

Deno.test("buildNiftiHeader() qform very near 180° is as close as NIfTI-1's float32 quaternion allows", () => {
  // NIfTI-1 stores b, c, d but not a; near 180° a = sqrt(1 − b² − c² − d²) has float32 noise of
  // about 3e-4, so such rotations snap to exactly 180°: off by at most 2a in any matrix entry.
  for (const degrees of [179.99, 180 - 1e-6]) {
    const ras = rotation([0.2, -1, 0.7], degrees);
    const geometry: ImageGeometry = { spacing: [1, 1, 1], origin: [0, 0, 0], direction: fromRas(ras) };
    const header = readHeader(buildNiftiHeader({ shape: [3, 3, 3], dtype: "uint8" }, geometry));
    const a = Math.cos((degrees * Math.PI) / 360);
    assertMatrixAlmostEquals(header.affine, expectedSform(geometry), 1e-6, `sform of ${degrees}°`);
    assertMatrixAlmostEquals(header.getQformMat(), header.affine, 2 * a + 1e-6, `qform of ${degrees}°`);
  }
});

Deno.test("buildNiftiHeader() records every voxel type's datatype code and bitpix", () => {
  const expected: Record<VoxelType, [number, number]> = {
    int8: [256, 8],
    uint8: [2, 8],
    int16: [4, 16],
    uint16: [512, 16],
    int32: [8, 32],
    uint32: [768, 32],
    float32: [16, 32],
    float64: [64, 64],
  };
  for (const [dtype, [code, bitpix]] of Object.entries(expected) as [VoxelType, [number, number]][]) {
    assertEquals(niftiDatatype(dtype), { code, bitpix });
    const header = readHeader(buildNiftiHeader({ shape: [1, 2, 3], dtype }, REFERENCE));
    assertEquals([header.datatypeCode, header.numBitsPerVoxel], [code, bitpix], dtype);
  }
  assertThrows(() => niftiDatatype("complex64" as VoxelType), TypeError, "complex64");
});

Deno.test("buildNiftiHeader() truncates descrip and aux_file and replaces non-ASCII", () => {
  const long = "d".repeat(100);
  let header = readHeader(buildNiftiHeader({ shape: [1, 1, 1], dtype: "uint8" }, REFERENCE, {
    description: long,
    auxFile: "a".repeat(30),
  }));
  assertEquals(header.description, "d".repeat(79));
  assertEquals(header.aux_file, "a".repeat(23));
  header = readHeader(buildNiftiHeader({ shape: [1, 1, 1], dtype: "uint8" }, REFERENCE, {
    description: "14.4 µm, café\n🧠",
    auxFile: "Ex_561\tEm_593",
  }));
  assertEquals(header.description, "14.4 ?m, caf???");
  assertEquals(header.aux_file, "Ex_561?Em_593");
  // The field after descrip must be untouched by a full-length description.
  const bytes = buildNiftiHeader({ shape: [1, 1, 1], dtype: "uint8" }, REFERENCE, { description: long });
  assertEquals(bytes[148 + 79], 0);
  assertEquals(bytes.subarray(228, 252), new Uint8Array(24));
});

Deno.test("buildNiftiHeader() rejects an axis over NIfTI-1's 32767 voxels, naming it", () => {
  const error = assertThrows(
    () => buildNiftiHeader({ shape: [464, 40000, 925], dtype: "uint16" }, REFERENCE),
    RangeError,
    "y size 40000",
  );
  assertStringIncludes(error.message, String(NIFTI1_MAX_DIM));
  assertStringIncludes(error.message, "NIfTI-2");
  buildNiftiHeader({ shape: [1, 1, NIFTI1_MAX_DIM], dtype: "uint8" }, REFERENCE);
  assertThrows(
    () => buildNiftiHeader({ shape: [0, 1, 1], dtype: "uint8" }, REFERENCE),
    RangeError,
    "z size 0",
  );
  assertThrows(
    () => buildNiftiHeader({ shape: [1, 1, 2.5], dtype: "uint8" }, REFERENCE),
    RangeError,
    "x size 2.5",
  );
});

Deno.test("buildNiftiHeader() rejects non-finite or non-positive spacing, a non-finite origin and skewed directions", () => {
  const layout = { shape: [1, 1, 1] as [number, number, number], dtype: "uint8" as const };
  for (const bad of [0, -0.016, NaN, Infinity]) {
    const error = assertThrows(
      () => buildNiftiHeader(layout, { ...REFERENCE, spacing: [0.0144, 0.0144, bad] }),
      RangeError,
      `spacing ${bad} along z`,
    );
    assertStringIncludes(error.message, "> 0");
  }
  assertThrows(() => buildNiftiHeader(layout, { ...REFERENCE, origin: [0, NaN, 0] }), RangeError, "origin");
  assertThrows(
    () => buildNiftiHeader(layout, { ...REFERENCE, direction: [[1, 0.2, 0], [0, 1, 0], [0, 0, 1]] }),
    RangeError,
    "orthonormal",
  );
  assertThrows(
    () => buildNiftiHeader(layout, { ...REFERENCE, direction: [[2, 0, 0], [0, 1, 0], [0, 0, 1]] }),
    RangeError,
    "orthonormal",
  );
});
