/**
 * `view()` and `toViewerVolume()` on what the library produces: an opened source (level chosen by the budget,
 * voxels and geometry checked against the synthetic dataset on a local S3 server) and a brain being
 * resampled into CCF (slabs strided, CCF points placed on the CCF grid).
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { openSource } from "../../mod.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { toViewerVolume, view } from "../../lib/view/mod.ts";
import type { CcfResampling } from "../../lib/ccf/mod.ts";
import { JUPYTER_DISPLAY } from "../../lib/display/mod.ts";

const SPEC = {
  shape: [24, 40, 32] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 3,
  channels: ["Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};
const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";

Deno.test("view({ source }) reads the finest level that fits the budget, with its voxels and spacing", async () => {
  await using fixture = await serveDataset(SPEC);
  using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" }, fixture.s3);
  // Level 0 is 24·40·32·2 = 61,440 bytes, level 1 (12, 20, 16) 7,680: a 10,000-byte budget takes level 1.
  const shown = await toViewerVolume({ source }, { budgetBytes: 10_000 });
  const expected = fixture.dataset.voxels(ASSET, "Ex_561_Em_593", 1);
  assertEquals([shown.step, shown.volume.shape], [1, expected.shape]);
  assertEquals(shown.volume.data, expected.data);
  // Level 1 of the (16, 14.4, 14.4) µm level 0 (z, y, x): twice the spacing, in mm along x, y, z.
  [0.0288, 0.0288, 0.032].forEach((s, a) => assertAlmostEquals(shown.geometry.spacing[a], s, 1e-9));
  assertStringIncludes(shown.name, "level 1");
  // The notebook display is one text/html output carrying the viewer.
  const display = await view({ source, level: 2 });
  const bundle = display[JUPYTER_DISPLAY]();
  assertEquals(Object.keys(bundle), ["text/html"]);
  assertStringIncludes(bundle["text/html"], "spimfetchViewer.start(");
  assertEquals(display.images[0].volume.shape, fixture.dataset.voxels(ASSET, "Ex_561_Em_593", 2).shape);
});

Deno.test("view() of a brain being resampled into CCF strides its slabs and places ap,dv,ml points on the grid", async () => {
  // A small CCF-like grid (x → posterior, y → inferior, z → right, as the CCF's PIR), 25 µm.
  const shape: [number, number, number] = [6, 5, 8]; // (z, y, x)
  const data = new Uint16Array(6 * 5 * 8).map((_, i) => i);
  async function* slabs(): AsyncIterable<Uint16Array> {
    yield data.subarray(0, 2 * 40);
    yield data.subarray(2 * 40);
  }
  const grid = {
    size: [8, 5, 6] as [number, number, number],
    geometry: {
      spacing: [0.025, 0.025, 0.025] as [number, number, number],
      origin: [0, 0, 0] as [number, number, number],
      direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]] as [
        [number, number, number],
        [number, number, number],
        [number, number, number],
      ],
    },
  };
  const resampling = { shape, dtype: "uint16", slabs: slabs(), level: 3, grid } as unknown as CcfResampling;
  // Budget 200 bytes: 240 voxels · 2 bytes do not fit; every 2nd voxel (3, 3, 4) = 72 bytes does.
  const display = await view(resampling, { budgetBytes: 200, points: "name,ap,dv,ml\nc,50,25,75\n" });
  const shown = display.images[0];
  assertEquals([shown.step, shown.volume.shape], [2, [3, 3, 4]]);
  // Shown voxel (x, y, z) = (1, 2, 1) is source voxel (2, 4, 2): index (2·5 + 4)·8 + 2 = 114.
  assertEquals(shown.volume.data[(1 * 3 + 2) * 4 + 1], 114);
  assertEquals(shown.geometry.spacing, [0.05, 0.05, 0.05]);
  // ap 50, dv 25, ml 75 µm → LPS (−0.075, 0.05, −0.025) mm (the CCF's own convention, by hand).
  assertEquals(display.points.length, 1);
  [-0.075, 0.05, -0.025].forEach((v, a) => assertAlmostEquals(display.points[0].lps[a], v, 1e-12));
  assert(display.html.includes("every 2nd voxel"));
});
