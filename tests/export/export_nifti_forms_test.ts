/**
 * Every documented way to call `exportNifti`, against a real S3-protocol server: by names (level as an index,
 * `{ resolution }`, `{ maxBytes }`); an opened source goes to `exportImage` (left open afterwards), and
 * `exportNifti` given one says so. Files are read back by the tests' independent NIfTI reader and compared
 * with the voxels the dataset stored.
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { exportNifti } from "../../lib/export/export_nifti.ts";
import { exportImage } from "../../lib/export/export_image.ts";
import { readLevel } from "../../lib/read/read.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { readNiftiFile } from "../../testing/nifti.ts";

const CHANNEL = "Ex_561_Em_593";
const SPEC = {
  shape: [20, 24, 28] as [number, number, number],
  chunks: [8, 8, 8] as [number, number, number],
  levels: 2,
  channels: [CHANNEL],
};

Deno.test("exportNifti() by names and exportImage() on an opened source write the same file", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const asset = fixture.dataset.stitchedNames[0];
  const dir = await Deno.makeTempDir();
  try {
    const byNames = `${dir}/names.nii.gz`;
    const bySource = `${dir}/source.nii.gz`;

    await t.step("exportNifti({ subject, channel, level }, { endpoint, out })", async () => {
      const result = await exportNifti({ subject: "652506", channel: CHANNEL, level: 1 }, {
        ...fixture.s3,
        out: byNames,
      });
      assertEquals(result.path, byNames);
      assertEquals(result.level.index, 1);
      const { header, image } = await readNiftiFile(byNames);
      // Level 1 of (z, y, x) = (20, 24, 28) is (10, 12, 14); NIfTI's i, j, k are Zarr's x, y, z.
      assertEquals(header.dims.slice(0, 4), [3, 14, 12, 10]);
      assertEquals(new Uint16Array(image), fixture.dataset.voxels(asset, CHANNEL, 1).data);
    });

    await t.step(
      "exportNifti(openedSource, ...) is a TypeError naming exportImage, before any write",
      async () => {
        using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
        await assertRejects(
          // The earlier form, as a script without type checks still calls it.
          () =>
            exportNifti(source as unknown as { subject: string; channel: string }, {
              level: 1,
              out: bySource,
            }),
          TypeError,
          "exportNifti() takes { subject, channel }; for an opened source call exportImage(source, options)",
        );
        await assertRejects(() => Deno.stat(bySource), Deno.errors.NotFound);
      },
    );

    await t.step("exportImage(openedSource, { level, out }) leaves the source open", async () => {
      using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
      const result = await exportImage(source, { level: 1, out: bySource });
      assertEquals(result.level.index, 1);
      const a = await readNiftiFile(byNames);
      const b = await readNiftiFile(bySource);
      assertEquals(new Uint8Array(b.image), new Uint8Array(a.image));
      assertEquals(b.header.affine, a.header.affine);
      // Still open: the caller owns it.
      const volume = await readLevel(source, 1);
      assertEquals(volume.shape, [10, 12, 14]);
    });

    await t.step("an unknown option is a TypeError naming it, before anything is written", async () => {
      using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
      const out = `${dir}/typo.nii.gz`;
      const typo = { level: 1, out, rio: { x: [0, 2] } } as unknown as { level: number; out: string };
      await assertRejects(
        () => exportImage(source, typo),
        TypeError,
        'exportImage() has no option "rio": did you mean "roi"?',
      );
      await assertRejects(
        () => exportNifti({ subject: "652506", channel: CHANNEL, level: 1 }, { ...fixture.s3, ...typo }),
        TypeError,
        'exportNifti() has no option "rio"',
      );
      await assertRejects(() => Deno.stat(out), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportNifti(): the level by resolution and by output size", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir();
  try {
    // Level 0 is 14.4 × 14.4 × 16 µm, level 1 twice that.
    await t.step("{ resolution: 0.02 } picks the coarsest level at least that fine: level 0", async () => {
      const result = await exportNifti(
        { subject: "652506", channel: CHANNEL, level: { resolution: 0.02 } },
        { ...fixture.s3, out: `${dir}/r.nii` },
      );
      assertEquals(result.level.index, 0);
      assertEquals((await readNiftiFile(`${dir}/r.nii`)).header.dims.slice(1, 4), [28, 24, 20]);
    });
    await t.step("{ resolution: 0.04 } picks level 1", async () => {
      const result = await exportNifti(
        { subject: "652506", channel: CHANNEL, level: { resolution: 0.04 } },
        { ...fixture.s3, out: `${dir}/r1.nii` },
      );
      assertEquals(result.level.index, 1);
    });
    // uint16 voxels: level 0 holds 20·24·28·2 = 26 880 bytes, level 1 holds 3 360.
    await t.step("{ maxBytes: 10000 } picks the finest level that fits: level 1", async () => {
      const result = await exportNifti(
        { subject: "652506", channel: CHANNEL, level: { maxBytes: 10_000 } },
        { ...fixture.s3, out: `${dir}/m.nii` },
      );
      assertEquals(result.level.index, 1);
      const { image } = await readNiftiFile(`${dir}/m.nii`);
      assert(image.byteLength <= 10_000, `${image.byteLength} bytes of voxels`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
