/**
 * `spimfetch points`, `spimfetch ccf` and the registration lines of `info`,
 * run in-process against a local S3 server holding synthetic registered assets.
 */
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { join } from "node:path";
import { clearTransformCache } from "../../lib/ccf/mod.ts";
import { runCli } from "../../testing/run_cli.ts";
import { closedLsToCcf, serveCcfDataset } from "../../testing/ccf_dataset.ts";
import { handPipelineLps } from "../../testing/ccf_hand.ts";

Deno.test("spimfetch points, ccf and info on synthetic registered assets", async (t) => {
  clearTransformCache();
  await using served = await serveCcfDataset();
  const endpoint = ["--endpoint", served.s3.endpoint];
  const dir = await Deno.makeTempDir();
  try {
    await t.step(
      "points: z,y,x in, the same columns plus ap,dv,ml out, matching the closed form",
      async () => {
        const input = join(dir, "cells.csv");
        const output = join(dir, "cells_ccf.csv");
        await Deno.writeTextFile(input, "id,x,y,z,label\n1,24,28,20,a\n2,10.75,40.25,5.5,b\n");
        const run = await runCli([
          "points",
          "--subject",
          "700002",
          "--in",
          input,
          "--out",
          output,
          "--quiet",
          ...endpoint,
        ]);
        assertEquals(run.code, 0, run.err);
        assertEquals(run.out, output);
        const lines = (await Deno.readTextFile(output)).trimEnd().split("\n");
        assertEquals(lines[0], "id,x,y,z,label,ap,dv,ml");
        assertEquals(lines.length, 3);
        const asset = served.dataset.assets.get("700002")!;
        const template = served.dataset.templates.get("SmartSPIM-template_2024-05-16_11-26-14")!;
        for (const [row, zyx] of [[1, [20, 28, 24]], [2, [5.5, 40.25, 10.75]]] as const) {
          const cells = lines[row].split(",");
          assertEquals(cells.slice(0, 5), lines[row].split(",").slice(0, 5));
          const [ap, dv, ml] = cells.slice(5).map(Number);
          const lps = closedLsToCcf(asset, template, handPipelineLps("700002", zyx));
          assertAlmostEquals(ap, 1000 * lps[1], 2);
          assertAlmostEquals(dv, -1000 * lps[2], 2);
          assertAlmostEquals(ml, -1000 * lps[0], 2);
        }
        const again = await runCli([
          "points",
          "--subject",
          "700002",
          "--in",
          input,
          "--out",
          output,
          ...endpoint,
        ]);
        assertEquals(again.code, 1);
        assertStringIncludes(again.err, "exists: pass force (--force) to replace it");
        const usage = await runCli(["points", "--subject", "700002", "--out", output, ...endpoint]);
        assertEquals(usage.code, 2);
        assertStringIncludes(usage.err, "points needs --in FILE.csv");
        const unregistered = await runCli([
          "points",
          "--subject",
          "700004",
          "--in",
          input,
          "--out",
          join(dir, "x.csv"),
          ...endpoint,
        ]);
        assertEquals(unregistered.code, 1);
        assertStringIncludes(unregistered.err, "is not registered to the Allen CCF");
      },
    );

    await t.step(
      "ccf: the CCF 25 µm grid, NIfTI with the CCF geometry, sidecar, comparison skipped without a reference",
      async () => {
        const out = join(dir, "brain_ccf.nii.gz");
        const run = await runCli([
          "ccf",
          "--subject",
          "700002",
          "--channel",
          "Ex_639_Em_667",
          "--out",
          out,
          "--compare",
          "--quiet",
          ...endpoint,
        ]);
        assertEquals(run.code, 0, run.err);
        assertEquals(run.out.split("\n").slice(0, 2), [out, join(dir, "brain_ccf.json")]);
        assertStringIncludes(run.out, "No comparison: no moved_ls_to_ccf.nii.gz");
        const raw = nifti.decompress((await Deno.readFile(out)).buffer as ArrayBuffer);
        const header = nifti.readHeader(raw as ArrayBuffer)!;
        assertEquals(header.dims.slice(0, 4), [3, 528, 320, 456]);
        assertEquals(header.datatypeCode, 512); // uint16, as stored
        // PIR at 25 µm, origin 0: RAS columns i → (0, −0.025, 0), j → (0, 0, −0.025), k → (0.025, 0, 0).
        const affine = header.affine.map((row: number[]) => row.map((v) => Number(v.toFixed(6)) + 0));
        assertEquals(affine, [[0, 0, 0.025, 0], [-0.025, 0, 0, 0], [0, -0.025, 0, 0], [0, 0, 0, 1]]);
        const image = new Uint16Array(nifti.readImage(header, raw as ArrayBuffer));
        let inside = 0;
        for (const v of image) if (v > 0) inside++;
        assert(inside > 100_000, `${inside} voxels of brain`);
        const sidecar = JSON.parse(await Deno.readTextFile(join(dir, "brain_ccf.json")));
        assertEquals(sidecar.registration.corrections.length, 1);
        assertEquals(sidecar.transforms.used.length, 4);
      },
    );

    await t.step("ccf: usage errors exit 2", async () => {
      const run = await runCli([
        "ccf",
        "--subject",
        "700002",
        "--channel",
        "Ex_639_Em_667",
        "--out",
        "x.tif",
        ...endpoint,
      ]);
      assertEquals(run.code, 2);
      assertStringIncludes(run.err, "--out must end in one of .nii.gz, .nii, .nrrd, .ome.zarr");
    });

    await t.step("info shows the registration facts, or why there are none", async () => {
      const registered = await runCli(["info", "700001", ...endpoint]);
      assertEquals(registered.code, 0, registered.err);
      assertStringIncludes(
        registered.out,
        "Registration to the Allen CCF: channel Ex_639_Em_667 (from processing.json), capsule version 0.0.25",
      );
      assertStringIncludes(registered.out, "version corrections: fixed-spacing, ras-corner-anchor");
      const none = await runCli(["info", "700004", ...endpoint]);
      assertEquals(none.code, 0, none.err);
      assertStringIncludes(none.out, "Registration to the Allen CCF: none (");
      const json = await runCli(["info", "700003", "--json", ...endpoint]);
      assertEquals(JSON.parse(json.out).registration, {
        registered: true,
        channel: "Ex_639_Em_667",
        version: "0.0.33",
        channelFrom: "image_atlas_alignment folder",
        corrections: ["ras-corner-anchor"],
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
