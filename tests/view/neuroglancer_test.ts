/**
 * `spimfetch neuroglancer` against a local S3 server holding a synthetic SmartSPIM asset with an AIND-style
 * `neuroglancer_config.json`: the state is checked against the asset's own metadata and voxels, and the
 * link is parsed back.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { serveDataset } from "../../testing/fixture.ts";
import { runCli } from "../../testing/run_cli.ts";
import { parseNeuroglancerUrl } from "../../lib/view/mod.ts";

const SPEC = {
  shape: [24, 40, 32] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 2,
  channels: ["Ex_488_Em_525", "Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};
const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";

// Shaped like the files AIND's pipeline writes: image layers with a fixed range, plus cells and the CCF.
const AIND_CONFIG = {
  dimensions: { z: [2e-6, "m"], y: [1.8e-6, "m"], x: [1.8e-6, "m"], t: [0.001, "s"] },
  layers: [
    {
      type: "image",
      source: `zarr://s3://aind-open-data/${ASSET}/processed/OMEZarr/Ex_488_Em_525.zarr`,
      name: "Ex_488_Em_525",
      shaderControls: { normalized: { range: [0, 200] } },
    },
    {
      type: "annotation",
      source:
        `precomputed://s3://aind-open-data/${ASSET}/image_cell_segmentation/Ex_561_Em_593/visualization/cells`,
      name: "Ex_561_Em_593 cells",
    },
    {
      type: "segmentation",
      source: `precomputed://s3://aind-open-data/${ASSET}/image_atlas_alignment/Ex_561_Em_593/ccf`,
      name: "CCF",
    },
  ],
};

Deno.test("neuroglancer: one image layer per channel from its zarr:// source, voxel sizes in metres, AIND's cell and CCF layers kept", async () => {
  await using fixture = await serveDataset(SPEC, [[
    `${ASSET}/neuroglancer_config.json`,
    new TextEncoder().encode(JSON.stringify(AIND_CONFIG)),
  ]]);
  const endpoint = ["--endpoint", fixture.s3.endpoint];
  const json = await runCli(["neuroglancer", "--subject", "652506", "--json", ...endpoint]);
  assertEquals(json.code, 0, json.err);
  const state = JSON.parse(json.out);
  // Level-0 spacing of the dataset (z, y, x) = (16, 14.4, 14.4) µm, written by hand in metres.
  assertEquals(state.dimensions, { x: [1.44e-5, "m"], y: [1.44e-5, "m"], z: [1.6e-5, "m"] });
  const images = state.layers.filter((l: { type: string }) => l.type === "image");
  assertEquals(images.map((l: { name: string }) => l.name), SPEC.channels);
  assertEquals(
    images.map((l: { source: string }) => l.source),
    SPEC.channels.map((c) => `zarr://s3://aind-open-data/${ASSET}/processed/OMEZarr/${c}.zarr`),
  );
  // Contrast from the coarsest level's voxels: inside their range, and not AIND's fixed 0-200.
  for (const [i, channel] of SPEC.channels.entries()) {
    const { data } = fixture.dataset.voxels(ASSET, channel, SPEC.levels - 1);
    let min = Infinity, max = -Infinity;
    for (const v of data) [min, max] = [Math.min(min, v), Math.max(max, v)];
    const [lo, hi] = images[i].shaderControls.normalized.range;
    assert(lo >= min && hi <= max + 1 && lo < hi, `${channel}: window ${lo}-${hi} within ${min}-${max}`);
  }
  assertEquals(
    state.layers.filter((l: { type: string }) => l.type !== "image").map((l: { name: string }) => l.name),
    ["Ex_561_Em_593 cells", "CCF"],
  );
  assertEquals(state.position, [16, 20, 12]);
  assert(json.err.includes("kept 2 of its 3 layers"), json.err);

  const link = await runCli(["neuroglancer", "--subject", "652506", ...endpoint]);
  assertEquals(link.code, 0, link.err);
  assert(link.out.startsWith("https://neuroglancer-demo.appspot.com/#!"));
  assertEquals(parseNeuroglancerUrl(link.out), state);
});

Deno.test("neuroglancer: a subject without stitched assets is a clear error", async () => {
  await using fixture = await serveDataset(SPEC);
  const run = await runCli(["neuroglancer", "--subject", "999999", "--endpoint", fixture.s3.endpoint]);
  assertEquals(run.code, 1);
  assert(run.err.includes("999999"), run.err);
});

Deno.test("neuroglancer: without --subject or --asset it is a usage error", async () => {
  const run = await runCli(["neuroglancer"]);
  assertEquals(run.code, 2);
  assert(run.err.includes("--subject"), run.err);
});
