/**
 * The cohort summary's interactive views: `spimfetch summary --views` writes a self-contained viewer page per
 * output and links it from the summary page.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeNifti } from "../../lib/write/mod.ts";
import { runCli } from "../../testing/run_cli.ts";

Deno.test("summary --views: a viewer page per output, linked from the summary, stating its budget", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint16Array(6 * 5 * 4).map((_, i) => i);
    const geometry = {
      spacing: [0.02, 0.03, 0.05] as [number, number, number],
      origin: [0, 0, 0] as [number, number, number],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [
        [number, number, number],
        [number, number, number],
        [number, number, number],
      ],
    };
    await writeNifti(join(dir, "s_C_o.nii.gz"), { data, shape: [4, 5, 6], dtype: "uint16" }, { geometry });
    await Deno.writeTextFile(
      join(dir, "s_C_o.json"),
      JSON.stringify({
        source: { subject: "s", channel: "C", asset: "SmartSPIM_s_x", level: { index: 2 } },
        acquisition: { caveats: [] },
        orientation: { source: { nibabel: "RAI" }, output: { nibabel: "RAI" } },
        output: { size: [6, 5, 4], spacing: [0.02, 0.03, 0.05], dtype: "uint16" },
      }),
    );
    const html = join(dir, "out", "summary.html");
    const run = await runCli([
      "summary",
      "--quiet",
      "--views",
      "--out",
      join(dir, "out", "summary.csv"),
      "--html",
      html,
      join(dir, "s_C_o.nii.gz"),
    ]);
    assertEquals(run.code, 0, run.err);
    const page = await Deno.readTextFile(html);
    assertStringIncludes(page, 'href="summary_views/1_s_C_o.html"');
    const viewer = await Deno.readTextFile(join(dir, "out", "summary_views", "1_s_C_o.html"));
    assertStringIncludes(viewer, "spimfetchViewer.start(");
    assertStringIncludes(
      viewer,
      "s_C_o.nii.gz: 6 × 5 × 4 voxels (x, y, z), shown whole (240 B, budget 16.0 MiB)",
    );
    // Nothing but the page itself: no external script, stylesheet or image.
    assert(!/(src|href)="https?:/.test(viewer));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
