import {
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { indexToPhysical } from "../../lib/orient/orient.ts";
import { directionOfOrientation } from "../../lib/orient/transform.ts";
import { chooseLevelForSpacing, resampleGrid, resampleVolume } from "../../lib/export/resample.ts";
import type { ImageGeometry, Volume } from "../../lib/core/volume.ts";
import { slowResample } from "../../testing/slow_resample.ts";
import { buildSmartSpimDataset } from "../../testing/smartspim_dataset.ts";

type Vec3 = [number, number, number];

function randomVolume(size: Vec3, seed: number): Volume<Float64Array> {
  let state = seed;
  const next = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const [nx, ny, nz] = size;
  return {
    data: Float64Array.from({ length: nx * ny * nz }, () => Math.round(next() * 1000)),
    shape: [nz, ny, nx],
    dtype: "float64",
  };
}

const GEOMETRY: ImageGeometry = {
  spacing: [0.0144, 0.0144, 0.016],
  origin: [13.3056, 18.4176, 7.408],
  direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
};

Deno.test("resampleGrid() places the origin by the half-voxel rule, checked against a direct computation", () => {
  const orientations = [
    GEOMETRY.direction,
    directionOfOrientation(["posterior", "inferior", "right"]),
    directionOfOrientation(["superior", "anterior", "left"]),
  ];
  for (const direction of orientations) {
    for (const target of [0.025, [0.03, 0.02, 0.05] as Vec3, [0.0144, 0.0288, 0.016] as Vec3]) {
      const geometry = { ...GEOMETRY, direction };
      const grid = resampleGrid(geometry, { size: [925, 1280, 464], spacing: target });
      const t = typeof target === "number" ? [target, target, target] : target;
      // Direct: the first output box spans input edge coordinates [0, f) per axis, so its centre is at
      // input index f/2 − 0.5; in mm from the first input centre, (f/2 − 0.5)·s = (t − s)/2.
      const shift = [0, 1, 2].map((a) => (t[a] - geometry.spacing[a]) / 2);
      const expected = [0, 1, 2].map((p) =>
        geometry.origin[p] + [0, 1, 2].reduce((sum, a) => sum + direction[p][a] * shift[a], 0)
      );
      for (let p = 0; p < 3; p++) assertAlmostEquals(grid.geometry.origin[p], expected[p], 1e-12);
      assertEquals(grid.geometry.spacing, t);
      assertEquals(grid.geometry.direction, direction);
      assertEquals(
        grid.size,
        [0, 1, 2].map((a) => Math.floor([925, 1280, 464][a] * geometry.spacing[a] / t[a] + 1e-9)),
      );
      // Every output centre i sits at input index (i + 0.5)·f − 0.5.
      for (const i of [0, 1, 17, grid.size[0] - 1]) {
        const f = grid.factors[0];
        const a = indexToPhysical(grid.geometry, [i, 0, 0]);
        const b = indexToPhysical(geometry, [
          (i + 0.5) * f - 0.5,
          (0.5) * grid.factors[1] - 0.5,
          0.5 * grid.factors[2] - 0.5,
        ]);
        for (let p = 0; p < 3; p++) assertAlmostEquals(a[p], b[p], 1e-9);
      }
    }
  }
});

Deno.test("resampleGrid() keeps integer factors exact despite float spacings, and refuses upsampling", () => {
  const grid = resampleGrid({ ...GEOMETRY, spacing: [0.0144, 0.0144, 0.016] }, {
    size: [10, 10, 10],
    spacing: [0.0288, 0.0432, 0.016],
  });
  assertEquals(grid.factors, [2, 3, 1]);
  assertEquals(grid.size, [5, 3, 10]);
  assertThrows(
    () => resampleGrid(GEOMETRY, { size: [10, 10, 10], spacing: 0.01 }),
    RangeError,
    "read a finer level",
  );
  assertThrows(
    () => resampleGrid(GEOMETRY, { size: [1, 10, 10], spacing: 0.02 }),
    RangeError,
    "no whole voxel",
  );
  assertThrows(() => resampleGrid(GEOMETRY, { size: [10, 10, 10], spacing: -1 }), RangeError, "positive");
  assertThrows(
    () => resampleGrid(GEOMETRY, { size: [10, 10, 10], spacing: [1, 2] as unknown as Vec3 }),
    RangeError,
  );
});

Deno.test("resampleVolume() matches the slow definition for non-integer factors", async () => {
  const size: Vec3 = [11, 9, 7];
  const input = randomVolume(size, 7);
  const geometry: ImageGeometry = {
    spacing: [1, 1.5, 2],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  for (const target of [[2.3, 2.6, 3.1], [1.7, 1.5, 5.9], [3, 3, 2]] as Vec3[]) {
    const result = await resampleVolume(input, { geometry, spacing: target, dtype: "float64" });
    const expected = slowResample(input.data, size, result.factors, result.size);
    assertEquals(result.volume.shape, [result.size[2], result.size[1], result.size[0]]);
    assertStrictEquals(result.volume.data.length, expected.length);
    for (let i = 0; i < expected.length; i++) assertAlmostEquals(result.volume.data[i], expected[i], 1e-9);
  }
});

Deno.test("resampleVolume() gives the same result from z-slabs of any thickness as from memory", async () => {
  const size: Vec3 = [10, 8, 13];
  const input = randomVolume(size, 11);
  const geometry: ImageGeometry = {
    spacing: [1, 1, 1],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  const whole = await resampleVolume(input, { geometry, spacing: [1.9, 2.5, 2.2], dtype: "float64" });
  const plane = 10 * 8;
  for (const thickness of [1, 2, 5, 13]) {
    const slabs = async function* (): AsyncGenerator<Float64Array> {
      for (let z = 0; z < 13; z += thickness) {
        yield input.data.slice(z * plane, Math.min(13, z + thickness) * plane);
      }
    };
    const streamed = await resampleVolume(
      { shape: input.shape, dtype: "float64", slabs: slabs() },
      { geometry, spacing: [1.9, 2.5, 2.2], dtype: "float64" },
    );
    assertEquals(streamed.volume.data, whole.volume.data);
  }
});

Deno.test("resampleVolume() by a factor of 2 reproduces the synthetic pyramid's level 1 (2×2×2 means, rounded)", async () => {
  const dataset = await buildSmartSpimDataset({
    shape: [16, 24, 20],
    chunks: [16, 16, 16],
    levels: 2,
    channels: ["Ex_561_Em_593"],
  });
  const asset = dataset.stitchedNames[0];
  const level0 = dataset.voxels(asset, "Ex_561_Em_593", 0);
  const level1 = dataset.voxels(asset, "Ex_561_Em_593", 1);
  const geometry: ImageGeometry = {
    spacing: [0.0144, 0.0144, 0.016],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  const result = await resampleVolume({ data: level0.data, shape: level0.shape, dtype: "uint16" }, {
    geometry,
    spacing: [0.0288, 0.0288, 0.032],
  });
  assertStrictEquals(result.volume.dtype, "uint16");
  assertEquals(result.volume.shape, level1.shape);
  assertEquals(result.volume.data, level1.data);
  // OME-Zarr's convention: level 1's first voxel centre is half a level-0 voxel in.
  assertEquals(result.geometry.origin, [0.0072, 0.0072, 0.008]);
});

Deno.test("resampleVolume() rounds and clamps integer outputs", async () => {
  const geometry: ImageGeometry = {
    spacing: [1, 1, 1],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  const result = await resampleVolume({
    data: Uint16Array.from([65535, 65534, 1, 2]),
    shape: [1, 1, 4],
    dtype: "uint16",
  }, {
    geometry,
    spacing: [2, 1, 1],
  });
  assertEquals(Array.from(result.volume.data), [65535, 2]);
  const floats = await resampleVolume({
    data: Float32Array.from([-1000, 1000, 0.25, 0.5]),
    shape: [1, 1, 4],
    dtype: "float32",
  }, {
    geometry,
    spacing: [2, 1, 1],
    dtype: "int8",
  });
  assertEquals(Array.from(floats.volume.data), [0, 0]);
  assertStrictEquals(floats.volume.data.constructor, Int8Array);
});

Deno.test("resampleVolume() refuses data that does not fill the shape, and can be cancelled", async () => {
  const geometry: ImageGeometry = {
    spacing: [1, 1, 1],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  };
  await assertRejects(
    () =>
      resampleVolume({ data: new Uint8Array(5), shape: [1, 2, 3], dtype: "uint8" }, { geometry, spacing: 1 }),
    RangeError,
    "expected 6",
  );
  async function* short(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(6);
  }
  await assertRejects(
    () => resampleVolume({ shape: [2, 2, 3], dtype: "uint8", slabs: short() }, { geometry, spacing: 1 }),
    RangeError,
    "after 1 of 2",
  );
  const controller = new AbortController();
  controller.abort();
  await assertRejects(() =>
    resampleVolume({ data: new Uint8Array(6), shape: [1, 2, 3], dtype: "uint8" }, {
      geometry,
      spacing: 1,
      signal: controller.signal,
    })
  );
});

Deno.test("chooseLevelForSpacing() picks the coarsest level at least as fine as the target on every axis", () => {
  const levels = [0, 1, 2, 3, 4].map((index) => ({
    index,
    spacing: [0.0018 * 2 ** index, 0.0018 * 2 ** index, 0.002 * 2 ** index].map((v) =>
      Number(v.toPrecision(12))
    ) as Vec3,
  }));
  assertStrictEquals(chooseLevelForSpacing(levels, 0.025), 3);
  assertStrictEquals(chooseLevelForSpacing(levels, 0.0288), 3); // x, y fit level 4 exactly but z (0.032) does not
  assertStrictEquals(chooseLevelForSpacing(levels, 0.032), 4);
  assertStrictEquals(chooseLevelForSpacing(levels, [0.1, 0.1, 0.003]), 0);
  assertThrows(() => chooseLevelForSpacing(levels, 0.001), RangeError, "every level is coarser");
});
