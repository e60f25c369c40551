import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { gzipSync } from "fflate";
import { MetadataError } from "../lib/core/errors.ts";
import { parseAntsAffine } from "../lib/ccf/ants_affine.ts";
import {
  displacePoint,
  parseDisplacementChunks,
  parseDisplacementField,
} from "../lib/ccf/displacement_field.ts";
import { gunzipSync } from "fflate";
import { affineMap, applyAffine, applyInverseAffine } from "../lib/ccf/transforms.ts";
import {
  affineForward,
  affineInverse,
  type AffineSpec,
  encodeAffineMat,
  encodeMatV4,
  encodeNiftiHeader,
  encodeWarpNifti,
  type FileFormat,
  gridPoint,
  type GridSpec,
} from "../testing/ccf_dataset.ts";

const AFFINE: AffineSpec = {
  matrix: [1.1, 0.2, -0.05, -0.1, 0.95, 0.3, 0.02, -0.2, 1.05],
  translation: [0.5, -1.25, 2],
  center: [3, -2, 1.5],
};

const FORMATS: FileFormat[] = [
  { precision: "double", littleEndian: true },
  { precision: "double", littleEndian: false },
  { precision: "single", littleEndian: true },
  { precision: "single", littleEndian: false },
];

for (const format of FORMATS) {
  const label = `${format.precision}, ${format.littleEndian ? "little" : "big"}-endian`;
  Deno.test(`parseAntsAffine() reads a ${label} .mat and maps points as M(x − c) + t + c`, () => {
    const affine = parseAntsAffine(encodeAffineMat(AFFINE, format), "a.mat");
    const round = format.precision === "single" ? Math.fround : (v: number) => v;
    assertEquals(affine.matrix, AFFINE.matrix.map(round));
    assertEquals(affine.translation, AFFINE.translation.map(round));
    assertEquals(affine.center, AFFINE.center.map(round));
    assertEquals(
      affine.variable,
      format.precision === "double" ? "AffineTransform_double_3_3" : "AffineTransform_float_3_3",
    );
    const map = affineMap(affine, "a.mat");
    const p = [0.7, -3.1, 4.2];
    const q = [...p];
    applyAffine(map, q);
    const tolerance = format.precision === "double" ? 1e-12 : 1e-5;
    const expected = affineForward(AFFINE, p);
    for (let i = 0; i < 3; i++) assertAlmostEquals(q[i], expected[i], tolerance);
    applyInverseAffine(map, q);
    for (let i = 0; i < 3; i++) assertAlmostEquals(q[i], p[i], 1e-12);
    const back = affineInverse(AFFINE, expected);
    for (let i = 0; i < 3; i++) assertAlmostEquals(back[i], p[i], 1e-12);
  });
}

Deno.test("parseAntsAffine() names the file and what it expected", () => {
  const ok: FileFormat = { precision: "double", littleEndian: true };
  assertThrows(
    () => parseAntsAffine(encodeMatV4([["fixed", [0, 0, 0]]], ok), "s3://b/x.mat"),
    MetadataError,
    "expected a variable AffineTransform_double_3_3 or AffineTransform_float_3_3 of 12 values, found fixed (3 double) (in s3://b/x.mat)",
  );
  assertThrows(
    () => parseAntsAffine(encodeMatV4([["AffineTransform_double_3_3", new Array(12).fill(1)]], ok), "x.mat"),
    MetadataError,
    'expected a variable "fixed" of 3 values',
  );
  assertThrows(
    () =>
      parseAntsAffine(
        encodeMatV4([["AffineTransform_double_3_3", [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]], ["fixed", [
          0,
          0,
          0,
        ]]], ok),
        "x.mat",
      ),
    MetadataError,
    "singular",
  );
  assertThrows(
    () => parseAntsAffine(new TextEncoder().encode("#Insight Transform File V1.0\n"), "x.txt"),
    MetadataError,
    "is this a MATLAB level-4 .mat file?",
  );
  const cut = encodeAffineMat(AFFINE, ok);
  assertThrows(
    () => parseAntsAffine(cut.subarray(0, cut.length - 5), "x.mat"),
    MetadataError,
    "the file ends first",
  );
});

const GRID: GridSpec = {
  size: [6, 5, 4],
  spacing: 0.5,
  origin: [1, -2, 0.5],
  direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
};
// A displacement linear in position: trilinear interpolation reproduces it exactly inside the grid.
const linear = (p: number[]): [number, number, number] => [
  0.1 * p[0] - 0.05 * p[1] + 0.2,
  0.03 * p[2] + 0.01,
  -0.02 * p[0] + 0.04 * p[1] - 0.1 * p[2],
];

for (const format of FORMATS) {
  const label = `${format.precision}, ${format.littleEndian ? "little" : "big"}-endian`;
  Deno.test(`parseDisplacementField() reads a ${label} warp on a PIR grid; points move by the interpolated vector`, async () => {
    const field = await parseDisplacementField(encodeWarpNifti(GRID, linear, format), "w.nii.gz");
    assertEquals(field.size, [6, 5, 4]);
    // Voxel (i, j, k) sits at origin + D · 0.5 · (i, j, k).
    const corner = gridPoint(GRID, [5, 4, 3]);
    const mapped = field.indexToLps;
    for (let r = 0; r < 3; r++) {
      assertAlmostEquals(
        mapped[4 * r] * 5 + mapped[4 * r + 1] * 4 + mapped[4 * r + 2] * 3 + mapped[4 * r + 3],
        corner[r],
        1e-6,
      );
    }
    for (const ijk of [[0, 0, 0], [2.3, 1.7, 0.4], [4.9, 3.2, 2.99], [-0.4, 0, 0]]) {
      const p = gridPoint(GRID, ijk);
      const q = [...p];
      displacePoint(field, q);
      // Within half a voxel outside, ITK clamps to the edge voxel's value.
      const clamped = gridPoint(GRID, ijk.map((v, a) => Math.min(Math.max(v, 0), GRID.size[a] - 1)));
      const u = linear(clamped);
      for (let c = 0; c < 3; c++) assertAlmostEquals(q[c], p[c] + u[c], 1e-6);
    }
    const outside = gridPoint(GRID, [-0.6, 1, 1]);
    const same = [...outside];
    displacePoint(field, same);
    assertEquals(same, outside);
  });
}

Deno.test("parseDisplacementField() reads a qform-only header", async () => {
  const grid: GridSpec = {
    size: [3, 3, 3],
    spacing: 0.25,
    origin: [0.5, 0.5, -1],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  const field = await parseDisplacementField(
    encodeWarpNifti(grid, linear, { precision: "single", littleEndian: true, qformOnly: true }),
    "q.nii.gz",
  );
  const p = gridPoint(grid, [1.5, 0.5, 1]);
  const q = [...p];
  displacePoint(field, q);
  const u = linear(p);
  for (let c = 0; c < 3; c++) assertAlmostEquals(q[c], p[c] + u[c], 1e-6);
});

Deno.test("parseDisplacementField() refuses other shapes, intents, types and short files, naming the file", async () => {
  const header = (dims: number[], datatype: number, intent: number): Uint8Array =>
    encodeNiftiHeader(GRID, dims, datatype, { intent });
  const withBody = (h: Uint8Array, bytes: number): Uint8Array => {
    const out = new Uint8Array(h.length + bytes);
    out.set(h);
    return gzipSync(out);
  };
  await assertRejects(
    () => parseDisplacementField(withBody(header([3, 6, 5, 4, 1, 1, 1, 1], 16, 0), 480), "s3://b/w.nii.gz"),
    MetadataError,
    "dim is [3,6,5,4]: expected [5, X, Y, Z, 1, 3], a 3-D grid of 3-vectors as ANTs writes (in s3://b/w.nii.gz)",
  );
  await assertRejects(
    () => parseDisplacementField(withBody(header([5, 6, 5, 4, 1, 3, 1, 1], 16, 0), 1440), "w.nii.gz"),
    MetadataError,
    "intent code is 0: expected 1007",
  );
  await assertRejects(
    () => parseDisplacementField(withBody(header([5, 6, 5, 4, 1, 3, 1, 1], 4, 1007), 720), "w.nii.gz"),
    MetadataError,
    "datatype is 4: expected 16 (float32) or 64 (float64)",
  );
  await assertRejects(
    () => parseDisplacementField(withBody(header([5, 6, 5, 4, 1, 3, 1, 1], 16, 1007), 100), "w.nii.gz"),
    MetadataError,
    "holds 100 of the 1440 voxel bytes",
  );
  await assertRejects(
    () => parseDisplacementField(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]), "w.nii.gz"),
    MetadataError,
    "Cannot decompress the displacement field",
  );
});

async function* inPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

Deno.test("parseDisplacementChunks() converts values split across chunk boundaries", async () => {
  for (const format of [FORMATS[1], FORMATS[2]]) {
    const file = gunzipSync(encodeWarpNifti(GRID, linear, format));
    const whole = await parseDisplacementField(file, "w.nii");
    const split = await parseDisplacementChunks(inPieces(file, 7), "w.nii");
    assertEquals(split.data, whole.data);
    assertEquals(split.data.length, 6 * 5 * 4 * 3);
  }
});
