import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import {
  chooseLevel,
  outputBytes,
  parseRegion,
  regionFromMillimeters,
} from "../../lib/select/choose_level.ts";
import type { ImageLevel } from "../../lib/metadata/image.ts";

/** AIND's five levels of SmartSPIM 652506 (sizes x, y, z; spacing in mm). */
const levels = [
  [[14800, 20480, 7424], [0.0018, 0.0018, 0.002]],
  [[7400, 10240, 3712], [0.0036, 0.0036, 0.004]],
  [[3700, 5120, 1856], [0.0072, 0.0072, 0.008]],
  [[925, 1280, 464], [0.0144, 0.0144, 0.016]],
  [[462, 640, 232], [0.0288, 0.0288, 0.032]],
].map(([size, spacing], index) => ({ index, size, spacing, dtype: "uint16" }) as unknown as ImageLevel);
const image = { uri: "s3://aind-open-data/x.zarr", levels };

Deno.test("chooseLevel() by resolution takes the coarsest level at least that fine on every axis", () => {
  assertStrictEquals(chooseLevel(image, { resolution: 0.016 }).index, 3);
  assertStrictEquals(chooseLevel(image, { resolution: 0.0159 }).index, 2, "z of level 3 is 0.016 > 0.0159");
  assertStrictEquals(chooseLevel(image, { resolution: 0.025 }).index, 3);
  assertStrictEquals(chooseLevel(image, { resolution: 1 }).index, 4);
  assertStrictEquals(chooseLevel(image, { resolution: 0.001 }).index, 0, "finer than level 0: the finest");
  assertThrows(() => chooseLevel(image, { resolution: 0 }), RangeError);
});

Deno.test("chooseLevel() by bytes takes the finest level that fits, counting the region and dtype", () => {
  assertStrictEquals(chooseLevel(image, { maxBytes: 2 ** 30 }).index, 4);
  assertStrictEquals(chooseLevel(image, { maxBytes: 1.1e9 }).index, 3);
  assertStrictEquals(chooseLevel(image, { maxBytes: 1.1e9 }, { dtype: "float32" }).index, 4);
  // 1 mm³ of brain at level 0 is ~555³ voxels (~0.6 GB as uint16).
  const roiMm = {
    x: [0, 1] as [number, number],
    y: [0, 1] as [number, number],
    z: [0, 1] as [number, number],
  };
  assertStrictEquals(chooseLevel(image, { maxBytes: 1e9 }, { roiMm }).index, 0);
  assertThrows(() => chooseLevel(image, { maxBytes: 1000 }), RangeError, "the coarsest needs");
  assertStrictEquals(outputBytes(levels[3]), 925 * 1280 * 464 * 2);
});

Deno.test("regionFromMillimeters() keeps the voxels whose centres are in the box", () => {
  const level = levels[3];
  assertEquals(regionFromMillimeters(level, { x: [0.0144, 0.0432] }).x, [1, 4]);
  assertEquals(regionFromMillimeters(level, { x: [0.015, 0.0432] }).x, [2, 4]);
  assertEquals(regionFromMillimeters(level, { z: [-5, 500] }).z, [0, 464], "clipped to the level");
  assertThrows(() => regionFromMillimeters(level, { y: [100, 200] }), RangeError, "holds no voxel centre");
  assertThrows(() => regionFromMillimeters(level, { y: [2, 1] }), RangeError, "from <= to");
});

Deno.test("parseRegion() reads axis=from:to parts and rejects anything else", () => {
  assertEquals(parseRegion("z=1.5:2.25, X=0:10"), { z: [1.5, 2.25], x: [0, 10] });
  for (const bad of ["", "x=1", "w=0:1", "x=0:1,x=2:3", "x=a:b"]) {
    assertThrows(() => parseRegion(bad), SyntaxError);
  }
});
