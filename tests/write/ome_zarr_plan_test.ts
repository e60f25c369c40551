/**
 * The plan of an OME-Zarr store against hand-computed levels, sizes and names, and the options it refuses
 * before anything is written. The store itself is read back by zarr-python in ome_zarr_test.
 *
 * @module
 */
import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import type { ImageGeometry } from "../../lib/core/volume.ts";
import { checkSlab, planOmeZarr } from "../../lib/write/_ome_zarr_plan.ts";

// x and y 10 µm, z 20 µm, identity direction, origin 0.
const GEOMETRY: ImageGeometry = {
  spacing: [0.01, 0.01, 0.02],
  origin: [0, 0, 0],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};
const IMAGE = { dtype: "uint16", shape: [100, 300, 257] };

Deno.test("planOmeZarr() halves the shape (rounding up) until a level fits one chunk", () => {
  const plan = planOmeZarr("out/brain.ome.zarr/", IMAGE, { geometry: GEOMETRY, chunkShape: [64, 128, 128] });
  assertStrictEquals(plan.store, "out/brain.ome.zarr");
  assertStrictEquals(plan.name, "brain");
  assertEquals(plan.version, "0.4");
  assertEquals(plan.dtype, "uint16");
  // 100 × 300 × 257 → 50 × 150 × 129 → 25 × 75 × 65, which fits in 64 × 128 × 128.
  assertEquals(plan.layouts.map((l) => l.shape), [[100, 300, 257], [50, 150, 129], [25, 75, 65]]);
  // Scales double per level; the first voxel's centre moves by half the new voxel minus half the old.
  assertEquals(plan.layouts.map((l) => l.scale), [[20, 10, 10], [40, 20, 20], [80, 40, 40]]);
  assertEquals(plan.layouts.map((l) => l.translation), [[0, 0, 0], [10, 5, 5], [30, 15, 15]]);
  assertStrictEquals(plan.voxelBytes, 100 * 300 * 257 * 2);
  assertEquals(plan.percentiles, [0.1, 99.9]);
  assertEquals(plan.codec, {
    id: "blosc",
    cname: "zstd",
    clevel: 1,
    shuffle: 1,
    typesize: 2,
    blocksize: 262144,
  });
});

Deno.test("planOmeZarr() converts to the output type and sizes the codec for it", () => {
  const plan = planOmeZarr("a.zarr", IMAGE, {
    geometry: GEOMETRY,
    outputType: "float32",
    codec: "blosc-lz4",
    name: "mouse",
  });
  assertEquals([plan.dtype, plan.voxelBytes, plan.name], ["float32", 100 * 300 * 257 * 4, "mouse"]);
  assertEquals(plan.codec, { id: "blosc", cname: "lz4", clevel: 2, shuffle: 1, typesize: 4 });
  // With the default 128³ chunks: 100 × 300 × 257 → 50 × 150 × 129 → 25 × 75 × 65.
  assertEquals(plan.layouts.length, 3);
});

Deno.test("planOmeZarr() refuses bad options before anything is written, naming what was expected", () => {
  const plan = (path: string, options: Record<string, unknown>, image = IMAGE): unknown =>
    planOmeZarr(path, image, { geometry: GEOMETRY, ...options });
  assertThrows(() => plan("brain.nii", {}), TypeError, "expected a name ending in .ome.zarr");
  assertThrows(() => plan("a.zarr", { version: "0.6" }), TypeError, 'expected "0.4" or "0.5"');
  assertThrows(() => plan("a.zarr", { shardShape: [128, 128, 128] }), RangeError, "sharding needs Zarr v3");
  assertThrows(
    () => plan("a.zarr", { version: "0.5", chunkShape: [64, 64, 64], shardShape: [128, 100, 128] }),
    RangeError,
    "expected a multiple of chunkShape [64,64,64]",
  );
  assertThrows(() => plan("a.zarr", { codec: "brotli" }), TypeError, "expected one of blosc-zstd");
  assertThrows(() => plan("a.zarr", { compressionLevel: 12 }), RangeError, "expected an integer from 0 to 9");
  assertThrows(() => plan("a.zarr", { windowPercentiles: [99, 1] }), RangeError, "0 ≤ low ≤ high ≤ 100");
  assertThrows(() => plan("a.zarr", {}, { dtype: "uint16", shape: [2, 0, 3] }), RangeError, "three positive");
  assertThrows(
    () => plan("a.zarr", {}, { dtype: "uint16", shape: [2, 2, 2], data: new Uint16Array(7) } as typeof IMAGE),
    RangeError,
    "from 7 voxels: expected 8",
  );
});

Deno.test("checkSlab() counts a slab's planes and refuses wrong types, partial planes and overruns", () => {
  const shape: [number, number, number] = [5, 2, 3];
  const input = { type: Uint16Array, dtype: "uint16" };
  assertStrictEquals(checkSlab(new Uint16Array(12), 0, 0, shape, input), 2);
  assertStrictEquals(checkSlab(new Uint16Array(18), 1, 2, shape, input), 3);
  assertThrows(() => checkSlab(new Float32Array(6), 0, 0, shape, input), TypeError, "expected a Uint16Array");
  assertThrows(() => checkSlab(new Uint16Array(7), 0, 0, shape, input), RangeError, "not a whole number");
  assertThrows(() => checkSlab(new Uint16Array(12), 2, 4, shape, input), RangeError, "ends at z plane 6");
});
