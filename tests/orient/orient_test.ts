import { assertAlmostEquals, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import {
  type AcquisitionAxis,
  type AnatomicalTerm,
  parseAcquisition,
  parseAnatomicalDirection,
} from "../../lib/metadata/acquisition.ts";
import { computeOrientation, indexToPhysical, toRasAffine } from "../../lib/orient/orient.ts";

type Vec3 = [number, number, number];

/** Acquisition axes from directions listed in Zarr dimension order (z, y, x). */
function axesFor(directions: readonly string[]): AcquisitionAxis[] {
  return directions.map((rawDirection, dimension) => ({
    name: "ZYX"[dimension],
    dimension: dimension as 0 | 1 | 2,
    direction: parseAnatomicalDirection(rawDirection)!,
    rawDirection,
  }));
}

function assertVecAlmostEquals(actual: readonly number[], expected: readonly number[], message = ""): void {
  assertStrictEquals(actual.length, expected.length, message);
  actual.forEach((v, i) =>
    assertAlmostEquals(v, expected[i], 1e-9, `${message} [${i}]: ${actual} vs ${expected}`)
  );
}

const REFERENCE_SIZE: Vec3 = [925, 1280, 464];
const REFERENCE_SPACING: Vec3 = [0.0144, 0.0144, 0.016];
const REFERENCE_AXES = axesFor(["Superior_to_inferior", "Posterior_to_anterior", "Left_to_right"]);

Deno.test("computeOrientation() reproduces the reference notebook's origin and direction", () => {
  const orientation = computeOrientation(REFERENCE_AXES, {
    size: REFERENCE_SIZE,
    spacing: REFERENCE_SPACING,
  });
  assertEquals(orientation.geometry.direction, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
  assertVecAlmostEquals(orientation.geometry.origin, [13.3056, 18.4176, 7.408]);
  assertEquals(orientation.geometry.spacing, REFERENCE_SPACING);
});

Deno.test("computeOrientation() reproduces the reference notebook's ITK code, its printed name and nibabel's code", () => {
  const orientation = computeOrientation(REFERENCE_AXES, {
    size: REFERENCE_SIZE,
    spacing: REFERENCE_SPACING,
  });
  assertStrictEquals(orientation.itkCode, 525570);
  assertStrictEquals(orientation.itkCodeName, "right-anterior-inferior");
  assertStrictEquals(orientation.nibabelCode, "RAI");
  assertEquals(orientation.axes.map((a) => [a.itkAxis, a.dimension, a.name, a.toLetter, a.fromLetter]), [
    [0, 2, "X", "R", "L"],
    [1, 1, "Y", "A", "P"],
    [2, 0, "Z", "I", "S"],
  ]);
});

Deno.test("toRasAffine() gives the reference notebook's NIfTI sform", () => {
  const { geometry } = computeOrientation(REFERENCE_AXES, {
    size: REFERENCE_SIZE,
    spacing: REFERENCE_SPACING,
  });
  const affine = toRasAffine(geometry);
  assertEquals(affine.slice(0, 3).map((row) => row.slice(0, 3)), [[0.0144, 0, 0], [0, 0.0144, 0], [
    0,
    0,
    -0.016,
  ]]);
  assertVecAlmostEquals(affine.map((row) => row[3]), [-13.3056, -18.4176, 7.408, 1]);
  assertEquals(affine[3], [0, 0, 0, 1]);
});

// Where moving toward a term takes a point in LPS: which coordinate, and which way.
const TOWARD: Record<AnatomicalTerm, [number, number]> = {
  left: [0, +1],
  right: [0, -1],
  posterior: [1, +1],
  anterior: [1, -1],
  superior: [2, +1],
  inferior: [2, -1],
};
const LINES = [["Left", "right"], ["Anterior", "posterior"], ["Superior", "inferior"]];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
  );
}

/** All 48 axis orders: each permutation of the three lines over Zarr dims, each with 8 sign patterns. */
function allAxisOrders(): string[][] {
  const orders: string[][] = [];
  for (const lines of permutations(LINES)) {
    for (let signs = 0; signs < 8; signs++) {
      orders.push(lines.map(([a, b], d) => {
        const forward = (signs >> d & 1) === 0;
        const [from, to] = forward ? [a.toLowerCase(), b] : [b, a.toLowerCase()];
        return `${from[0].toUpperCase()}${from.slice(1)}_to_${to}`;
      }));
    }
  }
  return orders;
}

// Sizes and spacings that differ on every axis, so that a mix-up of axes shows.
const SIZE: Vec3 = [5, 7, 11];
const SPACING: Vec3 = [0.5, 0.25, 2];

Deno.test("computeOrientation() gives an orthonormal signed-permutation direction for all 48 axis orders", () => {
  const orders = allAxisOrders();
  assertStrictEquals(new Set(orders.map((o) => o.join())).size, 48);
  const matrices = new Set<string>();
  for (const order of orders) {
    const { direction: m } = computeOrientation(axesFor(order), { size: SIZE, spacing: SPACING }).geometry;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const dot = m[0][i] * m[0][j] + m[1][i] * m[1][j] + m[2][i] * m[2][j];
        assertStrictEquals(dot, i === j ? 1 : 0, `${order}: columns ${i}, ${j}`);
      }
      assertStrictEquals(m.filter((row) => row[i] !== 0).length, 1, `${order}: column ${i}`);
    }
    const det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    assertStrictEquals(Math.abs(det), 1, `${order}: determinant`);
    matrices.add(JSON.stringify(m));
  }
  assertStrictEquals(matrices.size, 48, "every axis order has its own direction matrix");
});

Deno.test("computeOrientation() moves one voxel along each Zarr dimension toward the direction it names", () => {
  for (const order of allAxisOrders()) {
    const { geometry } = computeOrientation(axesFor(order), { size: SIZE, spacing: SPACING });
    const zarrBase = [1, 2, 3];
    // Zarr index (z, y, x) is ITK index (x, y, z), reversed.
    const at = (zarr: number[]): Vec3 => indexToPhysical(geometry, [zarr[2], zarr[1], zarr[0]]);
    for (let d = 0; d < 3; d++) {
      const step = [...zarrBase];
      step[d] += 1;
      const moved = at(step).map((v, p) => v - at(zarrBase)[p]);
      const [coordinate, sign] = TOWARD[parseAnatomicalDirection(order[d])!.to];
      const expected = [0, 0, 0];
      expected[coordinate] = sign * SPACING[2 - d];
      assertVecAlmostEquals(moved, expected, `${order}: Zarr dimension ${d} (${order[d]})`);
    }
  }
});

Deno.test("computeOrientation() places the box of voxel centres at 0 for all 48 axis orders", () => {
  for (const order of allAxisOrders()) {
    const { geometry } = computeOrientation(axesFor(order), { size: SIZE, spacing: SPACING });
    const corners: Vec3[] = [];
    for (let c = 0; c < 8; c++) {
      corners.push(indexToPhysical(geometry, [0, 1, 2].map((j) => (c >> j & 1) * (SIZE[j] - 1)) as Vec3));
    }
    const min = [0, 1, 2].map((p) => Math.min(...corners.map((corner) => corner[p])));
    const max = [0, 1, 2].map((p) => Math.max(...corners.map((corner) => corner[p])));
    assertVecAlmostEquals(min, [0, 0, 0], `${order}: minimum corner`);
    // The extents along LPS are the extents of whichever index axes lie there.
    const extents = [0, 1, 2].map((j) => (SIZE[j] - 1) * SPACING[j]).sort((a, b) => a - b);
    assertVecAlmostEquals([...max].sort((a, b) => a - b), extents, `${order}: extents`);
  }
});

Deno.test("computeOrientation() codes agree with its direction matrix for all 48 axis orders", () => {
  const letter = (row: number, sign: number): string => ["LR", "PA", "SI"][row][sign > 0 ? 0 : 1];
  const ITK_TERMS: Record<string, number> = { R: 2, L: 3, P: 4, A: 5, I: 8, S: 9 };
  for (const order of allAxisOrders()) {
    const orientation = computeOrientation(axesFor(order), { size: SIZE, spacing: SPACING });
    const { direction } = orientation.geometry;
    const letters = [0, 1, 2].map((j) => {
      const row = direction.findIndex((r) => r[j] !== 0);
      return letter(row, direction[row][j]);
    });
    assertStrictEquals(orientation.nibabelCode, letters.join(""), `${order}`);
    const bytes = [0, 1, 2].map((j) => orientation.itkCode >> (8 * j) & 0xff);
    assertEquals(bytes, letters.map((l) => ITK_TERMS[l]), `${order}`);
    assertEquals(orientation.axes.map((a) => a.lps), [0, 1, 2].map((j) => direction.map((row) => row[j])));
  }
});

Deno.test("computeOrientation() does not transpose a cyclic permutation of the axes (the reference notebook's bug)", () => {
  // Zarr (z, y, x) carry (Left_to_right, Superior_to_inferior, Posterior_to_anterior). By hand:
  // ITK x = Zarr x → anterior (0, −1, 0); ITK y = Zarr y → inferior (0, 0, −1); ITK z = Zarr z → right (−1, 0, 0).
  const axes = axesFor(["Left_to_right", "Superior_to_inferior", "Posterior_to_anterior"]);
  const orientation = computeOrientation(axes, { size: SIZE, spacing: SPACING });
  assertEquals(orientation.geometry.direction, [[0, 0, -1], [-1, 0, 0], [0, -1, 0]]);
  assertVecAlmostEquals(orientation.geometry.origin, [10 * 2, 4 * 0.5, 6 * 0.25]);
  assertStrictEquals(orientation.nibabelCode, "AIR");
});

Deno.test("computeOrientation() follows dimension, not name (SmartSPIM_805110's axes)", () => {
  const { axes } = parseAcquisition({
    axes: [
      { name: "Z", dimension: 0, direction: "Right_to_left" },
      { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
      { name: "X", dimension: 2, direction: "Inferior_to_superior" },
    ],
  }, { source: "805110.json" });
  const renamed = axes.map((a) => ({ ...a, name: `renamed ${a.name}` }));
  const shuffled = [axes[2], axes[0], axes[1]];
  const expected = computeOrientation(axes, { size: SIZE, spacing: SPACING });
  assertStrictEquals(expected.nibabelCode, "SAL");
  assertEquals(computeOrientation(renamed, { size: SIZE, spacing: SPACING }).geometry, expected.geometry);
  assertEquals(computeOrientation(shuffled, { size: SIZE, spacing: SPACING }).geometry, expected.geometry);
});

Deno.test("toRasAffine() maps a voxel to the LPS position with x and y negated", () => {
  for (const order of allAxisOrders()) {
    const { geometry } = computeOrientation(axesFor(order), { size: SIZE, spacing: SPACING });
    const affine = toRasAffine(geometry);
    const index: Vec3 = [3, 1, 4];
    const ras = [0, 1, 2].map((r) =>
      affine[r][0] * index[0] + affine[r][1] * index[1] + affine[r][2] * index[2] + affine[r][3]
    );
    const lps = indexToPhysical(geometry, index);
    assertVecAlmostEquals(ras, [-lps[0], -lps[1], lps[2]], `${order}`);
    assertEquals(affine[3], [0, 0, 0, 1]);
  }
});

Deno.test("computeOrientation() rejects non-positive or non-finite sizes and spacings", () => {
  const bad: [Vec3, Vec3, string][] = [
    [[0, 7, 11], SPACING, "size"],
    [[5, -7, 11], SPACING, "size"],
    [[5, 7, 1.5], SPACING, "size"],
    [[5, 7, Infinity], SPACING, "size"],
    [SIZE, [0.5, 0, 2], "spacing"],
    [SIZE, [0.5, -0.25, 2], "spacing"],
    [SIZE, [NaN, 0.25, 2], "spacing"],
    [SIZE, [0.5, 0.25, Infinity], "spacing"],
  ];
  for (const [size, spacing, name] of bad) {
    assertThrows(() => computeOrientation(REFERENCE_AXES, { size, spacing }), RangeError, name);
  }
  // A single-voxel axis is fine: its far end is its start.
  const flat = computeOrientation(REFERENCE_AXES, { size: [1, 1, 1], spacing: SPACING });
  assertEquals(flat.geometry.origin, [0, 0, 0]);
});

Deno.test("computeOrientation() rejects axes that do not cover each dimension and line once", () => {
  const [z, y, x] = REFERENCE_AXES;
  assertThrows(
    () => computeOrientation([z, y], { size: SIZE, spacing: SPACING }),
    RangeError,
    "one axis for each",
  );
  assertThrows(
    () => computeOrientation([z, y, { ...x, dimension: 1 }], { size: SIZE, spacing: SPACING }),
    RangeError,
  );
  const twoOnOneLine = [z, y, { ...x, direction: parseAnatomicalDirection("Inferior_to_superior")! }];
  assertThrows(
    () => computeOrientation(twoOnOneLine, { size: SIZE, spacing: SPACING }),
    RangeError,
    "once each",
  );
  assertStrictEquals(computeOrientation([x, z, y], { size: SIZE, spacing: SPACING }).itkCode, 525570);
});
