/**
 * The brain in CCF on synthetic registered assets, against a slow reference
 * computed in the test from the closed-form transforms and the stored voxels.
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { join } from "node:path";
import { clearTransformCache, openCcfSpace, resampleToCcf, writeBrainInCcf } from "../../lib/ccf/mod.ts";
import type { CcfGrid } from "../../lib/ccf/mod.ts";
import { OutputExistsError } from "../../lib/core/errors.ts";
import type { VoxelArray } from "../../lib/core/volume.ts";
import {
  encodeFloatNifti,
  gridPoint,
  type GridSpec,
  serveCcfDataset,
  slowPullImage,
} from "../../testing/ccf_dataset.ts";
import { nrrdIndexToLps, readNrrd } from "../../testing/nrrd.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { handLpsToZarr } from "../../testing/ccf_hand.ts";

// A PIR grid at 0.25 mm over the part of the CCF where the synthetic brains land.
const GRID: GridSpec = {
  size: [42, 32, 38],
  spacing: 0.25,
  origin: [-1, 1.5, 0],
  direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
};
const CCF_GRID: CcfGrid = {
  size: GRID.size,
  geometry: { spacing: [0.25, 0.25, 0.25], origin: GRID.origin, direction: GRID.direction },
};

async function collect(slabs: AsyncIterable<VoxelArray>, length: number): Promise<Float64Array> {
  const out = new Float64Array(length);
  let at = 0;
  for await (const slab of slabs) {
    out.set(slab as unknown as ArrayLike<number>, at);
    at += slab.length;
  }
  assertEquals(at, length);
  return out;
}

Deno.test("resampleToCcf() matches a slow reference of the closed-form pull", async (t) => {
  clearTransformCache();
  await using served = await serveCcfDataset();
  const n = GRID.size[0] * GRID.size[1] * GRID.size[2];
  const channel = "Ex_639_Em_667";

  await t.step("affine-only chain, float32, level 0 and level 1, workers and main thread", async () => {
    const asset = served.dataset.assets.get("700006")!;
    const template = served.dataset.templates.get("synthetic-template-affine-only")!;
    const space = await openCcfSpace(
      { subject: "700006" },
      { ...served.s3, templatePrefix: "synthetic-template-affine-only" },
    );
    try {
      for (const [level, workers] of [[0, 2], [1, 0]]) {
        const resampling = resampleToCcf(space, {
          grid: CCF_GRID,
          level,
          dtype: "float32",
          workers,
          slabPlanes: 5,
        });
        assertEquals([resampling.shape, resampling.dtype], [[38, 32, 42], "float32"]);
        const got = await collect(resampling.slabs, n);
        const ref = slowPullImage(asset, template, GRID, {
          level,
          channel,
          toZarr: (lps) => handLpsToZarr("700006", lps),
        });
        let inside = 0;
        for (let v = 0; v < n; v++) {
          if (ref.values[v] > 0) inside++;
          // float32 output of a float64 interpolation: relative 1e-6.
          assertAlmostEquals(got[v], ref.values[v], 1e-6 * Math.max(1, ref.values[v]) + 1e-3, `voxel ${v}`);
        }
        assert(inside > n / 10, `only ${inside} of ${n} voxels fall inside the brain`);
      }
    } finally {
      space.close();
    }
  });

  await t.step("warped chain, native uint16: within the interpolation error of the warps", async () => {
    const asset = served.dataset.assets.get("700002")!;
    const template = served.dataset.templates.get("SmartSPIM-template_2024-05-16_11-26-14")!;
    const space = await openCcfSpace({ subject: "700002" }, served.s3);
    try {
      const resampling = resampleToCcf(space, { grid: CCF_GRID, workers: 2 });
      assertEquals([resampling.level, resampling.dtype], [0, "uint16"]);
      const got = await collect(resampling.slabs, n);
      const ref = slowPullImage(asset, template, GRID, {
        level: 0,
        channel,
        toZarr: (lps) => handLpsToZarr("700002", lps),
      });
      // Positions differ from the closed form by at most ~2e-3 mm (the points test), i.e. ~1% of a
      // 0.18 mm voxel: the value moves by at most that share of its neighbours' range, plus rounding.
      let worst = 0;
      let edges = 0;
      for (let v = 0; v < n; v++) {
        if (ref.edge[v]) {
          edges++;
          continue;
        }
        const diff = Math.abs(got[v] - ref.values[v]);
        worst = Math.max(worst, diff);
        assert(diff <= 0.035 * ref.range[v] + 0.5 + 1e-9, `voxel ${v}: ${got[v]} vs ${ref.values[v]}`);
      }
      assert(edges < n / 100, `${edges} voxels at the edge`);
      console.log(
        `  largest difference from the slow reference: ${
          worst.toFixed(2)
        } (uint16); ${edges} edge voxels skipped`,
      );
    } finally {
      space.close();
    }
  });

  await t.step(
    "writeBrainInCcf() writes the CCF geometry, a sidecar naming the transforms, and compares",
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        const asset = served.dataset.assets.get("700002")!;
        const template = served.dataset.templates.get("SmartSPIM-template_2024-05-16_11-26-14")!;
        // AIND's own result, as the pipeline would have written it (here: the closed form).
        const moved = slowPullImage(asset, template, GRID, {
          level: 0,
          channel,
          toZarr: (lps) => handLpsToZarr("700002", lps),
        });
        await served.server.upload(AIND_BUCKET, [[
          `${asset.name}/image_atlas_alignment/${channel}/moved_ls_to_ccf.nii.gz`,
          encodeFloatNifti(GRID, moved.values),
        ]]);
        const out = join(dir, "brain_ccf.nii.gz");
        const space = await openCcfSpace({ subject: "700002" }, { ...served.s3, transforms: "pull" });
        const result = await writeBrainInCcf(space, {
          ...served.s3,
          channel: "Ex_488_Em_525",
          out,
          grid: CCF_GRID,
          compare: true,
          dtype: "float32",
          workers: 1,
        });
        assert(result.comparison, result.comparisonSkipped);
        // Another channel than AIND registered: the same anatomy, another gain and noise.
        assert(result.comparison.ncc > 0.9, `NCC ${result.comparison.ncc}`);
        assertEquals(result.comparison.voxels, n);
        const bytes = await Deno.readFile(out);
        const raw = nifti.decompress(bytes.buffer as ArrayBuffer);
        const header = nifti.readHeader(raw as ArrayBuffer)!;
        assertEquals(header.dims.slice(0, 4), [3, 42, 32, 38]);
        // RAS sform of PIR at 0.25 mm, origin (−1, 1.5, 0) LPS → (1, −1.5, 0) RAS.
        const affine = header.affine.map((row: number[]) => row.map((v) => Number(v.toFixed(6)) + 0));
        assertEquals(affine, [[0, 0, 0.25, 1], [-0.25, 0, 0, -1.5], [0, -0.25, 0, 0], [0, 0, 0, 1]]);
        const sidecar = JSON.parse(await Deno.readTextFile(join(dir, "brain_ccf.json")));
        assertEquals(sidecar.registration.capsuleVersion, "0.0.33");
        // In the order they act on a CCF voxel.
        assertEquals(sidecar.transforms.used.map((f: { uri: string }) => f.uri.split("/").pop()), [
          "spim_template_to_ccf_syn_1Warp_25.nii.gz",
          "spim_template_to_ccf_syn_0GenericAffine_25.mat",
          "ls_to_template_SyN_1Warp.nii.gz",
          "ls_to_template_SyN_0GenericAffine.mat",
        ]);
        assertAlmostEquals(sidecar.comparison.ncc, result.comparison.ncc, 1e-12);
        await assertRejects(
          () => writeBrainInCcf(space, { ...served.s3, channel, out, grid: CCF_GRID }),
          OutputExistsError,
        );
        // The earlier request objects name the call that replaces them (scripts run without type checks).
        const earlier = writeBrainInCcf as unknown as (
          request: unknown,
          options: unknown,
        ) => Promise<unknown>;
        await assertRejects(
          () => earlier({ subject: "700002", channel }, { out, grid: CCF_GRID }),
          TypeError,
          'openCcfSpace({ subject: "700002" }',
        );
        await assertRejects(
          () => earlier({ space }, { out, grid: CCF_GRID }),
          TypeError,
          "writeBrainInCcf(space,",
        );
        // NRRD: the same voxels (float32), and every voxel where the grid says it is, in LPS.
        const nrrdPath = join(dir, "brain_ccf_float.nrrd");
        await writeBrainInCcf(space, {
          ...served.s3,
          channel: "Ex_488_Em_525",
          out: nrrdPath,
          grid: CCF_GRID,
          dtype: "float32",
          workers: 0,
        });
        space.close();
        const nrrd = readNrrd(await Deno.readFile(nrrdPath));
        assertEquals([nrrd.header.type, nrrd.header.sizes], ["float32", [42, 32, 38]]);
        for (const ijk of [[0, 0, 0], [41, 31, 37], [5, 17, 30]]) {
          const lps = nrrdIndexToLps(nrrd.header, ijk);
          const expected = gridPoint(GRID, ijk);
          for (let c = 0; c < 3; c++) assertAlmostEquals(lps[c], expected[c], 1e-9);
        }
        const image = nifti.readImage(header, raw as ArrayBuffer);
        assertEquals(Array.from(nrrd.data), Array.from(new Float32Array(image)));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
