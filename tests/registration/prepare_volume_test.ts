/**
 * Every documented way to call `prepareVolume`, against a real S3-protocol server: by names and from a
 * source `openSource` opened. The reoriented voxels are checked against the dataset's stored voxels
 * permuted by hand (closed form), not against spimfetch's own reorientation.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { readLevel } from "../../lib/read/read.ts";
import { prepareVolume } from "../../lib/registration/prepare_volume.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";

const CHANNEL = "Ex_561_Em_593";

Deno.test("prepareVolume(): names in and an opened source in give the same PIR volume, placed by hand", async (t) => {
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

  const byNames = await prepareVolume({ subject: "652506", channel: CHANNEL, level: 1 }, {
    ...fixture.s3,
    orientation: "PIR",
  });
  await t.step("prepareVolume({ subject, channel, level }, { orientation: 'PIR' })", () => {
    assertEquals(byNames.volume.shape, [nx, nz, ny]);
    assertEquals(byNames.orientation.output.nibabel, "PIR");
    assertEquals(byNames.volume.data, expected);
  });

  await t.step(
    "prepareVolume(openedSource, { level, orientation }) is the same, source left open",
    async () => {
      using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
      const bySource = await prepareVolume(source, { level: 1, orientation: "PIR" });
      assertEquals(bySource.volume.data, byNames.volume.data);
      assertEquals(bySource.geometry, byNames.geometry);
      assertEquals((await readLevel(source, 1)).data, stored.data);
    },
  );

  await t.step("without orientation or spacing: the stored voxels as they are", async () => {
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    const plain = await prepareVolume(source, { level: 1 });
    assertEquals(plain.volume.shape, [nz, ny, nx]);
    assertEquals(plain.volume.data, stored.data);
  });
});
