/**
 * How `prepareVolume` is called, against a real S3-protocol server: on a source `openSource` opened (names
 * are refused with a message saying what to call). The reoriented voxels are checked against the dataset's
 * stored voxels permuted by hand (closed form), not against spimfetch's own reorientation.
 *
 * @module
 */
import { assertEquals, assertRejects } from "@std/assert";
import { readLevel } from "../../lib/read/read.ts";
import { prepareVolume } from "../../lib/registration/prepare_volume.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";

const CHANNEL = "Ex_561_Em_593";

Deno.test("prepareVolume(): an opened source in gives the PIR volume placed by hand; names are refused", async (t) => {
  await using fixture = await serveDataset({
    shape: [20, 24, 28],
    chunks: [8, 8, 8],
    levels: 2,
    channels: [CHANNEL],
  });
  const stored = fixture.dataset.voxels(fixture.dataset.stitchedNames[0], CHANNEL, 1);
  const [nz, ny, nx] = stored.shape; // (10, 12, 14)

  // The dataset's axes: Zarr z toward inferior, y toward anterior, x toward right (nibabel "RAI" for x, y, z).
  // PIR output: i toward posterior = reversed y; j toward inferior = z; k toward right = x.
  // So output (k, j, i) holds input (z = j, y = ny - 1 - i, x = k), and its (z, y, x) shape is (nx, nz, ny).
  const expected = new Uint16Array(nx * nz * ny);
  for (let k = 0; k < nx; k++) {
    for (let j = 0; j < nz; j++) {
      for (let i = 0; i < ny; i++) {
        expected[(k * nz + j) * ny + i] = stored.data[(j * ny + (ny - 1 - i)) * nx + k];
      }
    }
  }

  await t.step(
    "prepareVolume(openedSource, { level, orientation: 'PIR' }), source left open",
    async () => {
      using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
      const bySource = await prepareVolume(source, { level: 1, orientation: "PIR" });
      assertEquals(bySource.volume.shape, [nx, nz, ny]);
      assertEquals(bySource.orientation.output.nibabel, "PIR");
      assertEquals(bySource.volume.data, expected);
      assertEquals((await readLevel(source, 1)).data, stored.data);
    },
  );

  await t.step("prepareVolume({ subject, channel }) is a TypeError saying what to call", async () => {
    await assertRejects(
      // The earlier form, as a script without type checks still calls it.
      () => prepareVolume({ subject: "652506", channel: CHANNEL, level: 1 } as never, { orientation: "PIR" }),
      TypeError,
      "prepareVolume() takes an opened source: prepareVolume(await openSource({ subject, channel }), options); " +
        "to write files by names call prepareForRegistration({ subject, channel }, options)",
    );
  });

  await t.step("without orientation or spacing: the stored voxels as they are", async () => {
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    const plain = await prepareVolume(source, { level: 1 });
    assertEquals(plain.volume.shape, [nz, ny, nx]);
    assertEquals(plain.volume.data, stored.data);
  });
});
