/**
 * Projections, layout, percentiles, histogram and edge labels (`preview.ts`).
 *
 * @module
 */
import { assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { projectionsView } from "../../lib/display/figures.ts";
import {
  intensityHistogram,
  intensityPercentiles,
  maxIntensityProjections,
  projectionEdges,
  projectionLayout,
} from "../../lib/display/preview.ts";
import {
  CORONAL_AXES,
  decodePng,
  orientationOf,
  pngOf,
  REFERENCE_AXES,
  volumeOf,
} from "../../testing/display.ts";

Deno.test("projectionLayout() keeps physical proportions: thick z slices make tall side panels", () => {
  // 10 slices of 4 mm against 40 × 40 pixels of 1 mm: the z extent is 40 mm, the same as x and y.
  const layout = projectionLayout([10, 40, 40], [1, 1, 4], { maxWidth: 400, maxHeight: 400, gap: 0 });
  assertEquals(layout.panels.y.height, layout.panels.y.width);
  assertEquals(layout.panels.x.width, layout.panels.z.height);
  // Anisotropic in-plane pixels too: x 2 mm, y 1 mm.
  const wide = projectionLayout([8, 10, 10], [2, 1, 1], { maxWidth: 300, maxHeight: 300, gap: 0 });
  assertAlmostEquals(wide.panels.z.width / wide.panels.z.height, 2, 0.05);
  assertAlmostEquals(wide.panels.y.height / wide.panels.z.height, 0.8, 0.05);
  // The PNG has the layout's size, whatever the voxel counts.
  const png = decodePng(pngOf(projectionsView(volumeOf([10, 40, 40], () => 1), { spacing: [1, 1, 4] })));
  const expected = projectionLayout([10, 40, 40], [1, 1, 4], { maxWidth: 640, maxHeight: 640 });
  assertEquals([png.width, png.height], [expected.width, expected.height]);
  assertEquals(expected.panels.y.height, expected.panels.y.width);
});

Deno.test("intensityPercentiles() interpolates like numpy, ignores NaN, and samples large inputs", () => {
  assertEquals(intensityPercentiles([1, 2, 3, 4], [0, 50, 100]), [1, 2.5, 4]);
  assertEquals(intensityPercentiles(new Float32Array([NaN, 5, Infinity, 1]), [0, 100]), [1, 5]);
  assertEquals(intensityPercentiles([], [50]), [NaN]);
  const big = Uint16Array.from(
    { length: 2_000_000 },
    (_, i) => Math.floor(((Math.imul(i, 2654435761) >>> 0) / 2 ** 32) * 1000),
  );
  const [p1, p99] = intensityPercentiles(big, [1, 99], { maxSamples: 100_000 });
  assertAlmostEquals(p1, 10, 2);
  assertAlmostEquals(p99, 989, 2);
  assertThrows(() => intensityPercentiles([1], [101]), RangeError);
});

Deno.test("intensityHistogram() counts every value in equal bins", () => {
  const h = intensityHistogram(Uint16Array.from({ length: 100 }, (_, i) => i), { bins: 4 });
  assertEquals([h.min, h.max, h.counts], [0, 99, [25, 25, 25, 25]]);
  assertEquals(intensityHistogram(new Float32Array([NaN]), { bins: 2 }).counts, [0, 0]);
});

Deno.test("maxIntensityProjections() collapses each axis", () => {
  const volume = volumeOf([3, 4, 5], (z, y, x) => 100 * z + 10 * y + x);
  const mips = maxIntensityProjections(volume);
  assertEquals([mips.z.width, mips.z.height, mips.z.data[0]], [5, 4, 200]);
  assertEquals([mips.y.width, mips.y.height, mips.y.data[5]], [5, 3, 130]); // z = 1, x = 0: y = 3
  assertEquals([mips.x.width, mips.x.height, mips.x.data[2 * 3 + 1]], [3, 4, 124]); // y = 2, z = 1: x = 4
});

Deno.test("edge labels follow the orientation: the reference notebook's (RAI) and a coronal one (LIP)", () => {
  const reference = orientationOf(REFERENCE_AXES, [4, 4, 4], [1, 1, 1]);
  assertEquals(reference.nibabelCode, "RAI");
  assertEquals(projectionEdges([4, 4, 4], reference), {
    z: { left: "L", right: "R", top: "P", bottom: "A" },
    y: { left: "L", right: "R", top: "S", bottom: "I" },
    x: { left: "S", right: "I", top: "P", bottom: "A" },
  });
  const coronal = orientationOf(CORONAL_AXES, [4, 4, 4], [1, 1, 1]);
  assertEquals(coronal.nibabelCode, "LIP");
  assertEquals(projectionEdges([4, 4, 4], coronal), {
    z: { left: "R", right: "L", top: "S", bottom: "I" },
    y: { left: "R", right: "L", top: "A", bottom: "P" },
    x: { left: "A", right: "P", top: "S", bottom: "I" },
  });
  // The picture carries the same labels as SVG text.
  const svg = projectionsView(volumeOf([4, 4, 4], () => 1), { orientation: coronal }).bundle["text/html"]!;
  for (const letter of ["R", "L", "S", "I", "A", "P"]) assertStringIncludes(svg, `>${letter}</text>`);
  assertStringIncludes(projectionsView(volumeOf([4, 4, 4], () => 1)).bundle["text/html"]!, ">x=3</text>");
});
