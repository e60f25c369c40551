/**
 * `writePrepared` writes a volume held in memory through the one format table: every format by suffix, one
 * sidecar per stem (the export's document), existing files refused before anything is written. Outputs are
 * read back by the tests' independent readers (nifti-reader-js, the NRRD parser, zarr-python) and compared
 * with the volume and with its geometry's closed form.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { OutputExistsError } from "../../lib/core/errors.ts";
import { prepareVolume } from "../../lib/registration/prepare_volume.ts";
import { writePrepared } from "../../lib/registration/write_prepared.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { hasZarrPython, readOutput } from "../../testing/output_readers.ts";
import { listDir } from "../../testing/run_cli.ts";

const CHANNEL = "Ex_561_Em_593";

Deno.test("writePrepared() writes every format of the table from memory, with one sidecar per stem", async () => {
  await using fixture = await serveDataset({
    shape: [20, 24, 28],
    chunks: [8, 8, 8],
    levels: 2,
    channels: [CHANNEL],
  });
  using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
  const prepared = await prepareVolume(source, { level: 1, orientation: "PIR" });
  const dir = await Deno.makeTempDir();
  try {
    const zarr = await hasZarrPython();
    if (!zarr) {
      if (Deno.env.get("CI") === "true") throw new Error("zarr-python (python3-zarr) is missing: CI has it");
      console.warn("zarr-python not found: the .ome.zarr output is not written or read back");
    }
    const out = [`${dir}/brain.nii.gz`, `${dir}/brain.nrrd`, ...(zarr ? [`${dir}/brain.ome.zarr`] : [])];
    const written = await writePrepared(prepared, { out });
    assertEquals(written.files.map((f) => [f.path, f.format]), [
      [out[0], "nifti"],
      [out[1], "nrrd"],
      ...(zarr ? [[out[2], "ome-zarr"]] : []),
    ]);
    assertEquals(written.sidecars, [`${dir}/brain.json`]);

    const [nz, ny, nx] = prepared.volume.shape;
    const { origin, direction, spacing } = prepared.geometry;
    for (const path of out) {
      const back = await readOutput(path);
      assertEquals(back.size, [nx, ny, nz], path);
      assertEquals(Array.from(back.data), Array.from(prepared.volume.data), path);
      for (const index of [[0, 0, 0], [nx - 1, 0, 0], [0, ny - 1, nz - 1], [2, 3, 4]]) {
        // Where voxel (i, j, k) lies, by the definition of the geometry: origin + D · (s ⊙ index).
        const want = [0, 1, 2].map((p) =>
          origin[p] + [0, 1, 2].reduce((sum, a) => sum + direction[p][a] * spacing[a] * index[a], 0)
        );
        const got = back.toLps(index);
        for (let p = 0; p < 3; p++) assertAlmostEquals(got[p], want[p], 1e-6, `${path} ${index}`);
      }
    }

    const sidecar = JSON.parse(await Deno.readTextFile(`${dir}/brain.json`));
    assertEquals(sidecar.files.map((f: { path: string }) => f.path), out);
    assertStrictEquals(sidecar.source.endpoint, fixture.s3.endpoint);
    assertStrictEquals(sidecar.source.level.index, 1);
    assertEquals(sidecar.output.size, [nx, ny, nz]);
    assertStrictEquals(sidecar.orientation.output.nibabel, "PIR");
    assertEquals(sidecar.steps.map((s: { step: string }) => s.step), ["read", "reorient"]);

    // Again without force: refused before anything is written, and nothing changes.
    const before = await listDir(dir);
    await assertRejects(
      () => writePrepared(prepared, { out: [`${dir}/other.nii`, out[1]] }),
      OutputExistsError,
    );
    assertEquals(await listDir(dir), before);
    await assertRejects(() => writePrepared(prepared, { out: `${dir}/x.tif` }), TypeError, ".ome.zarr");
    assert(!(await listDir(dir)).includes("other.nii"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
