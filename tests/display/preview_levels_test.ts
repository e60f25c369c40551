/**
 * `previewLevels` and `measureStoredBytes` on a synthetic image served over S3.
 *
 * @module
 */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { openImage } from "../../lib/metadata/image.ts";
import { previewLevels, previewRegion } from "../../lib/display/preview_levels.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { measureStoredBytes } from "../../lib/metadata/stored_bytes.ts";
import { serveDataset } from "../../testing/fixture.ts";

Deno.test("measureStoredBytes() and previewLevels() read a synthetic image on S3", async () => {
  await using served = await serveDataset({ shape: [24, 32, 40], chunks: [8, 16, 16], levels: 3 });
  const asset = served.dataset.stitchedNames[0];
  const prefix = `${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`;
  const image = await openImage(`s3://${AIND_BUCKET}/${prefix}`, served.s3);
  try {
    const stored = await measureStoredBytes(image, { ...served.s3, maxChunks: 10 });
    const expected = image.levels.map((level) =>
      [...served.dataset.objects].filter(([key]) => key.startsWith(`${prefix}/${level.path}/`))
        .reduce((n, [, bytes]) => n + bytes.length, 0)
    );
    // Level 0 has 3 × 2 × 3 = 18 chunks, more than maxChunks: not measured.
    assertEquals(stored, [undefined, expected[1], expected[2]]);

    const region = previewRegion(image.levels[0], 2 * 12 * 16 * 20);
    assertEquals(region, { x: [10, 30], y: [8, 24], z: [6, 18] });
    const preview = await previewLevels(image, { maxBytes: 2 * 12 * 16 * 20 });
    const html = preview.bundle["text/html"]!;
    assertEquals((html.match(/data:image\/png;base64,/g) ?? []).length, 3);
    assertStringIncludes(html, "level 0: centre box (x 10–30, y 8–24, z 6–18)");
    assertStringIncludes(html, "level 2: whole");
  } finally {
    image.close();
  }
  await assertRejects(() => measureStoredBytes(image, { endpoint: "http://127.0.0.1:1", maxChunks: 100 }));
});
