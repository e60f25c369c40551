/**
 * The export table, on real exports from a local S3 server: every cell checked against what the synthetic
 * level is by construction (sizes and spacings worked out by hand, the reorientation's axes by reading the
 * letters) and against the files on disk.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { exportTable } from "../../lib/display/export_table.ts";
import { exportImage } from "../../lib/export/export_image.ts";
import { openSource } from "../../lib/source/open_source.ts";
import { serveDataset } from "../../testing/fixture.ts";

type Vec3 = [number, number, number];
const CHANNEL = "Ex_561_Em_593";
// Level 0 is 48 × 56 × 40 voxels (x, y, z) of 14.4 × 14.4 × 16 µm; level 1 halves it: 24 × 28 × 20 of
// 0.0288 × 0.0288 × 0.032 mm.
const SPEC = { shape: [40, 56, 48] as Vec3, chunks: [16, 16, 16] as Vec3, levels: 3, channels: [CHANNEL] };

/** The cells of an HTML table, row by row (header first), as text. */
function cellsOf(html: string): string[][] {
  const unescape = (s: string): string =>
    s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#39;", "'")
      .replaceAll("&amp;", "&");
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((cell) => unescape(cell[1]))
  );
}

Deno.test({
  name:
    "exportTable() shows each output's file, grid, orientation, read region, size, compression and sidecar",
  // s3rver keeps sockets open until the fixture closes.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    await using fixture = await serveDataset(SPEC);
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-export-table-" });
    try {
      const whole = await exportImage(source, { level: 1, out: join(dir, "whole.nii.gz") });
      // The acquisition axes are x toward right, y toward anterior, z toward inferior (RAI). PIR puts along
      // x the input y reversed (28 → the roi's 22 voxels), along y the input z (16), along z the input x (18).
      const box = await exportImage(source, {
        level: 1,
        roi: { x: [2, 20], y: [3, 25], z: [1, 17] },
        orientation: "PIR",
        out: join(dir, "box.nrrd"),
      });
      const rows = cellsOf(exportTable([whole, box]).bundle["text/html"]!);
      assertEquals(rows[0], ["", "whole.nii.gz", "box.nrrd"]);
      const facts = Object.fromEntries(rows.slice(1).map(([label, ...cells]) => [label, cells]));
      assertEquals(facts["file"], [join(dir, "whole.nii.gz"), join(dir, "box.nrrd")]);
      assertEquals(facts["size (voxels, x × y × z)"], ["24 × 28 × 20", "22 × 16 × 18"]);
      assertEquals(facts["spacing (mm, x × y × z)"], ["0.0288 × 0.0288 × 0.032", "0.0288 × 0.032 × 0.0288"]);
      assertEquals(facts["orientation (nibabel: where each axis points)"], ["RAI", "PIR"]);
      assertEquals(facts["read"], [
        "level 1 (0.0288 × 0.0288 × 0.032 mm), whole",
        "level 1 (0.0288 × 0.0288 × 0.032 mm), x 2–20, y 3–25, z 1–17 (voxels)",
      ]);
      assertEquals(facts["voxel type"], ["uint16", "uint16"]);
      assertEquals(facts["sidecar (provenance)"], [join(dir, "whole.json"), join(dir, "box.json")]);
      for (const [i, name] of ["whole.nii.gz", "box.nrrd"].entries()) {
        const bytes = (await Deno.stat(join(dir, name))).size;
        assertStringIncludes(facts["size on disk"][i], `(${bytes.toLocaleString("en-US")} bytes)`);
        assert((await Deno.stat(facts["sidecar (provenance)"][i])).isFile);
        assertStringIncludes(facts["format"][i], name.slice(name.indexOf(".")));
        assert(/^\d+(\.\d)? s$/.test(facts["time"][i]), facts["time"][i]);
      }
      // Both formats gzip their voxels (the NIfTI file whole, the NRRD its data), and say with what.
      assert(facts["compression"].every((c) => c.startsWith("gzip by ")), facts["compression"].join("; "));
      const text = exportTable(whole, { caption: "The level" }).bundle["text/plain"]!;
      assert(text.startsWith("The level\n"), text);
      assertStringIncludes(text, "24 × 28 × 20");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("exportTable() refuses an option it does not know", () => {
  assertThrows(() => exportTable([], { title: "x" } as never), TypeError, "title");
});
