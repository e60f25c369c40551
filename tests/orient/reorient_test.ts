import { assertAlmostEquals, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { indexToPhysical } from "../../lib/orient/orient.ts";
import { type AnatomicalAxes, orientationCode } from "../../lib/orient/codes.ts";
import { ALL_ORIENTATIONS, directionOfOrientation } from "../../lib/orient/transform.ts";
import { type OrientedVolume, reorientGeometry, reorientVolume } from "../../lib/orient/reorient.ts";

type Vec3 = [number, number, number];

/** A volume whose voxel values are their own C-order index, so every output voxel says where it came from. */
function labelled(orientation: AnatomicalAxes, size: Vec3 = [5, 4, 3]): OrientedVolume {
  const [nx, ny, nz] = size;
  return {
    volume: {
      data: Float64Array.from({ length: nx * ny * nz }, (_, i) => i),
      shape: [nz, ny, nx],
      dtype: "float64",
    },
    geometry: {
      spacing: [0.5, 0.75, 1.25],
      origin: [3.5, -2, 11],
      direction: directionOfOrientation(orientation),
    },
  };
}

function inputIndex(value: number, size: Vec3): Vec3 {
  const [nx, ny] = size;
  return [value % nx, Math.floor(value / nx) % ny, Math.floor(value / (nx * ny))];
}

const SOURCES: [string, AnatomicalAxes][] = [
  ["the reference notebook's RAI", ["right", "anterior", "inferior"]],
  ["LPS (ITK identity)", ["left", "posterior", "superior"]],
  ["a cyclic permutation, SAL (SmartSPIM_805110)", ["superior", "anterior", "left"]],
  ["PIR (already the CCF's)", ["posterior", "inferior", "right"]],
];

for (const [name, source] of SOURCES) {
  Deno.test(`reorientVolume() from ${name} to all 48 orientations keeps every voxel at its physical position`, () => {
    const size: Vec3 = [5, 4, 3];
    const image = labelled(source, size);
    for (const target of ALL_ORIENTATIONS) {
      const code = orientationCode(target, "nibabel");
      const out = reorientVolume(image, code);
      assertEquals(out.geometry.direction, directionOfOrientation(target), code);
      assertEquals(out.to, target);
      const [ox, oy, oz] = out.size;
      assertEquals(out.volume.shape, [oz, oy, ox]);
      assertEquals([...out.size].sort(), [...size].sort());
      let index = 0;
      for (let k = 0; k < oz; k++) {
        for (let j = 0; j < oy; j++) {
          for (let i = 0; i < ox; i++, index++) {
            const from = inputIndex(out.volume.data[index], size);
            const before = indexToPhysical(image.geometry, from);
            const after = indexToPhysical(out.geometry, [i, j, k]);
            for (let p = 0; p < 3; p++) {
              assertAlmostEquals(after[p], before[p], 1e-12, `${code} voxel ${index}`);
            }
          }
        }
      }
      // Every input voxel appears exactly once.
      assertEquals(new Set(out.volume.data).size, image.volume.data.length);
    }
  });
}

Deno.test("reorienting there and back again restores data and geometry exactly (48 × 48)", () => {
  for (const source of ALL_ORIENTATIONS) {
    const image = labelled(source, [3, 2, 4]);
    for (const target of ALL_ORIENTATIONS) {
      const there = reorientVolume(image, target);
      const back = reorientVolume(there, source);
      assertEquals(back.volume.data, image.volume.data);
      assertEquals(back.volume.shape, image.volume.shape);
      assertEquals(back.geometry.spacing, image.geometry.spacing);
      assertEquals(back.geometry.direction, image.geometry.direction);
      for (let p = 0; p < 3; p++) {
        assertAlmostEquals(back.geometry.origin[p], image.geometry.origin[p], 1e-12);
      }
    }
  }
});

Deno.test("reorientVolume() returns the input itself when the orientation already matches", () => {
  const image = labelled(["right", "anterior", "inferior"]);
  const out = reorientVolume(image, "RAI");
  assertStrictEquals(out.volume, image.volume);
  assertStrictEquals(out.geometry, image.geometry);
});

Deno.test("the reference level 3 as PIR: the anterior end of y becomes x = 0, sizes and spacing follow", () => {
  const grid = reorientGeometry(
    {
      spacing: [0.0144, 0.0144, 0.016],
      origin: [13.3056, 18.4176, 7.408],
      direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
    },
    { size: [925, 1280, 464], orientation: "PIR" },
  );
  assertEquals(grid.size, [1280, 464, 925]);
  assertEquals(grid.geometry.spacing, [0.0144, 0.016, 0.0144]);
  // Output voxel 0 is input (x 0, y 1279, z 0): the most anterior y voxel (LPS y = 0, the box starts at 0).
  const corner = indexToPhysical(
    {
      spacing: [0.0144, 0.0144, 0.016],
      origin: [13.3056, 18.4176, 7.408],
      direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
    },
    [0, 1279, 0],
  );
  for (let p = 0; p < 3; p++) assertAlmostEquals(grid.geometry.origin[p], corner[p], 1e-12);
  assertAlmostEquals(grid.geometry.origin[1], 0, 1e-9);
});

Deno.test("reorientVolume() works for every voxel type and refuses a bad volume or an oblique direction", () => {
  const arrays = {
    uint8: Uint8Array,
    int16: Int16Array,
    uint16: Uint16Array,
    float32: Float32Array,
  } as const;
  for (
    const [dtype, Ctor] of Object.entries(arrays) as [
      keyof typeof arrays,
      (typeof arrays)[keyof typeof arrays],
    ][]
  ) {
    const image = labelled(["right", "anterior", "inferior"], [2, 3, 4]);
    const data = Ctor.from(image.volume.data);
    const out = reorientVolume({ ...image, volume: { data, shape: image.volume.shape, dtype } }, "LPS");
    assertStrictEquals(out.volume.dtype, dtype);
    assertStrictEquals(out.volume.data.constructor, Ctor);
  }
  const image = labelled(["right", "anterior", "inferior"]);
  assertThrows(
    () => reorientVolume({ ...image, volume: { ...image.volume, data: new Float64Array(3) } }, "PIR"),
    RangeError,
    "expected 60",
  );
  const c = Math.SQRT1_2;
  assertThrows(
    () =>
      reorientVolume({
        ...image,
        geometry: { ...image.geometry, direction: [[c, -c, 0], [c, c, 0], [0, 0, 1]] },
      }, "PIR"),
    RangeError,
    "oblique",
  );
  assertThrows(() => reorientVolume(image, "PIX"), SyntaxError);
});
