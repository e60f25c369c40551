import { assert, assertEquals, assertThrows } from "@std/assert";
import { orientationCode } from "../../lib/orient/codes.ts";
import {
  ALL_ORIENTATIONS,
  describeTransform,
  directionOfOrientation,
  isIdentityTransform,
  orientationOfDirection,
  orientationTransform,
} from "../../lib/orient/transform.ts";

function det(m: number[][]): number {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Deno.test("ALL_ORIENTATIONS holds 48 distinct valid orientations, half of them right-handed", () => {
  const codes = new Set(ALL_ORIENTATIONS.map((axes) => orientationCode(axes, "nibabel")));
  assertEquals(codes.size, 48);
  const dets = ALL_ORIENTATIONS.map((axes) => det(directionOfOrientation(axes)));
  assertEquals(dets.filter((d) => d === 1).length, 24);
  assertEquals(dets.filter((d) => d === -1).length, 24);
});

Deno.test("direction matrices and orientations convert both ways for all 48", () => {
  for (const axes of ALL_ORIENTATIONS) {
    assertEquals(orientationOfDirection(directionOfOrientation(axes)), axes);
  }
  // LPS is ITK's identity; RAS negates x and y.
  assertEquals(directionOfOrientation(["left", "posterior", "superior"]), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assertEquals(directionOfOrientation(["right", "anterior", "superior"]), [[-1, 0, 0], [0, -1, 0], [
    0,
    0,
    1,
  ]]);
});

Deno.test("orientationOfDirection() tolerates float noise but refuses oblique directions", () => {
  const noisy = [[-1 + 1e-9, 1e-9, 0], [0, -1, 0], [0, 0, -1]] as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ];
  assertEquals(orientationOfDirection(noisy), ["right", "anterior", "inferior"]);
  const c = Math.SQRT1_2;
  assertThrows(
    () => orientationOfDirection([[c, -c, 0], [c, c, 0], [0, 0, 1]]),
    RangeError,
    "oblique",
  );
  assertThrows(() => orientationOfDirection([[1, 1, 0], [0, 0, 0], [0, 0, 1]]), RangeError);
});

Deno.test("orientationTransform() maps every orientation onto every other (48 × 48)", () => {
  for (const from of ALL_ORIENTATIONS) {
    const d = directionOfOrientation(from);
    for (const to of ALL_ORIENTATIONS) {
      const { sourceAxis, flip } = orientationTransform(from, to);
      assertEquals(new Set(sourceAxis).size, 3);
      // Output column o is input column sourceAxis[o], negated when flipped: exactly the target's direction.
      const moved = [0, 1, 2].map((p) => sourceAxis.map((s, o) => (flip[o] ? -1 : 1) * d[p][s] + 0));
      assertEquals(moved, directionOfOrientation(to));
      assertEquals(
        isIdentityTransform({ sourceAxis, flip }),
        orientationCode(from, "nibabel") === orientationCode(to, "nibabel"),
      );
    }
  }
});

Deno.test("a transform and its reverse compose to the identity", () => {
  for (const from of ALL_ORIENTATIONS) {
    for (const to of ALL_ORIENTATIONS) {
      const there = orientationTransform(from, to);
      const back = orientationTransform(to, from);
      // Output axis o of the round trip runs along back.sourceAxis[o] of the middle, which runs along
      // there.sourceAxis[...] of the input.
      const composed = back.sourceAxis.map((m) => there.sourceAxis[m]);
      const flips = back.sourceAxis.map((m, o) => back.flip[o] !== there.flip[m]);
      assertEquals(composed, [0, 1, 2]);
      assert(flips.every((f) => !f));
    }
  }
});

Deno.test("the reference notebook's cyclic case: the reference (RAI) to the CCF's PIR, in words", () => {
  const t = orientationTransform(["right", "anterior", "inferior"], ["posterior", "inferior", "right"]);
  assertEquals(describeTransform(t, ["posterior", "inferior", "right"]), [
    "x = input y reversed (toward posterior)",
    "y = input z (toward inferior)",
    "z = input x (toward right)",
  ]);
});
