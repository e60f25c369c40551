/**
 * The plan of a resampling into a CCF grid against values worked out by hand: the matrices of simple
 * geometries, slab boundaries, worker ranges and the union of boxes.
 *
 * @module
 */
import type { ImageGeometry } from "../../lib/core/volume.ts";
import { assertAlmostEquals, assertEquals, assertStrictEquals } from "@std/assert";
import {
  indexToLpsMatrix,
  lpsToIndexMatrix,
  planResampling,
  type ResamplingPlanInput,
  splitRange,
  unionBox,
} from "../../lib/ccf/_resampling_plan.ts";

const IDENTITY: ImageGeometry["direction"] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

function assertMatrix(actual: number[], expected: number[]): void {
  assertEquals(actual.length, expected.length);
  expected.forEach((value, i) => assertAlmostEquals(actual[i], value, 1e-12, `element ${i}`));
}

const INPUT: ResamplingPlanInput = {
  pipelineGeometry: { spacing: [0.1, 0.2, 0.4], origin: [1, 2, 3], direction: IDENTITY },
  level: 1,
  levelSize: [50, 40, 30],
  levelDtype: "uint16",
  grid: {
    size: [4, 3, 38],
    // The CCF's PIR: i → posterior (+y in LPS), j → inferior (−z), k → right (−x).
    geometry: {
      spacing: [0.025, 0.025, 0.025],
      origin: [0, 0, 0],
      direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
    },
  },
};

Deno.test("indexToLpsMatrix() puts direction × spacing in the columns and the origin last", () => {
  assertMatrix(indexToLpsMatrix(INPUT.grid.geometry), [0, 0, -0.025, 0, 0.025, 0, 0, 0, 0, -0.025, 0, 0]);
});

Deno.test("planResampling() samples level L at 2^L × the pipeline spacing, same origin", () => {
  const plan = planResampling(INPUT);
  // Level 1: spacing (0.2, 0.4, 0.8) mm from (1, 2, 3): index = (lps − origin) / spacing.
  assertMatrix(plan.lpsToLevel, [5, 0, 0, -5, 0, 2.5, 0, -5, 0, 0, 1.25, -3.75]);
  assertEquals(plan.levelSize, [50, 40, 30]);
  assertEquals(plan.pullGrid.size, [4, 3, 38]);
});

Deno.test("planResampling() cuts the grid into slabs of 16 planes, the last thinner", () => {
  const plan = planResampling(INPUT);
  assertStrictEquals(plan.planes, 16);
  // 4 × 3 voxels a plane: 16 planes are 192 voxels; planes 32..37 are 6, 72 voxels.
  assertEquals(plan.slabs, [{ k0: 0, voxels: 192 }, { k0: 16, voxels: 192 }, { k0: 32, voxels: 72 }]);
  assertEquals(planResampling({ ...INPUT, slabPlanes: 100 }).slabs, [{ k0: 0, voxels: 4 * 3 * 38 }]);
  assertEquals(planResampling({ ...INPUT, slabPlanes: 0 }).planes, 1);
});

Deno.test("planResampling() keeps the level's type, clamped to its range, unless float32 is asked for", () => {
  const native = planResampling(INPUT);
  assertEquals([native.dtype, native.integer], ["uint16", [0, 65535]]);
  const float = planResampling({ ...INPUT, dtype: "float32" });
  assertEquals([float.dtype, float.integer], ["float32", undefined]);
});

Deno.test("lpsToIndexMatrix() inverts a rotated, anisotropic geometry", () => {
  const geometry: ImageGeometry = {
    spacing: [0.5, 2, 4],
    origin: [1, -2, 3],
    direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
  };
  // index (i, j, k) → LPS (1 − 4k, −2 + 0.5i, 3 − 2j); so i = 2(y + 2), j = (3 − z)/2, k = (1 − x)/4.
  assertMatrix(lpsToIndexMatrix(geometry), [0, 2, 0, 4, 0, 0, -0.5, 1.5, -0.25, 0, 0, 0.25]);
});

Deno.test("splitRange() shares [0, n) among workers in order, nearly equally", () => {
  assertEquals(splitRange(10, 4), [[0, 2], [2, 5], [5, 7], [7, 10]]);
  assertEquals(splitRange(3, 1), [[0, 3]]);
  assertEquals(splitRange(2, 4), [[0, 0], [0, 1], [1, 1], [1, 2]]);
});

Deno.test("unionBox() spans the parts' boxes and is undefined when no part is inside", () => {
  assertEquals(unionBox([[2, 5, 0, 1, 7, 9], null, [0, 3, 4, 6, 8, 8]]), [0, 5, 0, 6, 7, 9]);
  assertStrictEquals(unionBox([null, undefined]), undefined);
});
