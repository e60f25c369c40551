/**
 * `projectionsView`: projections drawn pixel for pixel, contrast from percentiles.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { projectionsView } from "../../lib/display/figures.ts";
import { projectionLayout } from "../../lib/display/preview.ts";
import { decodePng, pngOf, volumeOf } from "../../testing/display.ts";

Deno.test("projectionsView() draws a tiny volume's projections into one PNG, pixel for pixel", () => {
  // 1 × 2 × 2 (z, y, x), isotropic: the z projection is the plane itself.
  const volume = volumeOf([1, 2, 2], (_z, y, x) => [[0, 100], [200, 300]][y][x]);
  // With the default 36-pixel gap, 39 pixels hold the 3 mm of x + z at 1 mm per pixel.
  const layout = projectionLayout(volume.shape, [1, 1, 1], { maxWidth: 39, maxHeight: 39 });
  assertEquals(layout.panels.z, { x: 0, y: 0, width: 2, height: 2 });
  const png = decodePng(
    pngOf(projectionsView(volume, { spacing: [1, 1, 1], percentiles: [0, 100], maxSize: 39 })),
  );
  assertEquals([png.width, png.height], [layout.width, layout.height]);
  const at = (x: number, y: number): [number, number] => {
    const i = 2 * (y * png.width + x);
    return [png.samples[i], png.samples[i + 1]];
  };
  // Window 0..300 over the projections' pixels: 0, 100, 200, 300 → 0, 85, 170, 255.
  assertEquals([at(0, 0), at(1, 0), at(0, 1), at(1, 1)], [[0, 255], [85, 255], [170, 255], [255, 255]]);
  assertEquals(at(2, 0)[1], 0, "the gap between panels is transparent");
  // Max along x (columns z, rows y) sits right of the gap: rows are 100 and 300.
  assertEquals([at(38, 0)[0], at(38, 1)[0]], [85, 255]);
  // Max along y (columns x, rows z) sits below the gap: 200 and 300.
  assertEquals([at(0, 38)[0], at(1, 38)[0]], [170, 255]);
});

Deno.test("projectionsView() takes contrast from percentiles, not from a hot pixel", () => {
  // Mostly 100..199, one voxel at 60000: min/max contrast would make everything black.
  const volume = volumeOf(
    [16, 32, 32],
    (z, y, x) => (z === 0 && y === 0 && x === 0 ? 60000 : 100 + ((y * 16 + x) % 100)),
  );
  const text = projectionsView(volume, { spacing: [1, 1, 1] }).bundle["text/plain"];
  const [low, high] = /= \[([\d.]+), ([\d.]+)\]/.exec(text)!.slice(1).map(Number);
  assert(low >= 100 && high < 1000, text);
});
