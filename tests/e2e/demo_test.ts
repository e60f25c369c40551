import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { gunzipSync } from "fflate";
import * as nifti from "nifti-reader-js";

Deno.test("deno task demo --local runs the reference notebook's steps against a local S3 server", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/demo.nii.gz`;
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../demo.ts", import.meta.url).pathname, "--local", "--out", out],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert(success, new TextDecoder().decode(stderr));
    for (
      const line of [
        "Selected sample asset (newest stitched): SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-02-02_22-28-35",
        "Ex_561_Em_593",
        "right-anterior-inferior: 525570",
        `Wrote ${out}`,
      ]
    ) assertStringIncludes(text, line);
    const bytes = gunzipSync(await Deno.readFile(out));
    const header = nifti.readHeader(bytes.buffer as ArrayBuffer)!;
    // Level 1 of the demo dataset (x cropped by 8 in the newest stitching): 100 x 128 x 96.
    assertEquals(header.dims.slice(0, 4), [3, 100, 128, 96]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
