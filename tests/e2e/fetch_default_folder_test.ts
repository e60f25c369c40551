/**
 * `fetch` without `--out` writes under `data/input/<subject>/` of the working folder: when that folder is
 * new it says so on stderr, with the same line as for a missing `--out` folder, and only then.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { runCli } from "../../testing/run_cli.ts";
import { serveDataset } from "../../testing/fixture.ts";

Deno.test({
  name: "fetch to its default path says it creates the new folder, and says nothing when the folder exists",
  async fn(): Promise<void> {
    await using fixture = await serveDataset({
      shape: [16, 24, 20],
      chunks: [16, 16, 16],
      levels: 1,
      channels: ["Ex_561_Em_593"],
      stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
    });
    const fetch = ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--level", "0"];
    const endpoint = ["--endpoint", fixture.s3.endpoint];
    const dir = await Deno.realPath(await Deno.makeTempDir());
    const cwd = Deno.cwd();
    // The default path is relative to the working folder; the test runs in a fresh one.
    Deno.chdir(dir);
    try {
      const first = await runCli([...fetch, ...endpoint]);
      assertEquals(first.code, 0, first.err);
      const path = "data/input/652506/652506_Ex_561_Em_593_L0.nii.gz";
      // The path the reference notebook writes, by hand: data/input/<subject>/<subject>_<channel>_L<level>.
      assertEquals(first.out.split("\n")[0], path);
      assertStringIncludes(first.err, `Creating folder ${dir}/data/input/652506 for ${path}`);
      assert((await Deno.stat(`${dir}/${path}`)).isFile);
      // Said before the work: the line comes before the one that says what was written.
      const lines = first.err.split("\n");
      const creating = lines.findIndex((line) => line.startsWith("Creating folder"));
      const wrote = lines.findIndex((line) => line.startsWith("Wrote "));
      assert(wrote < 0 || creating < wrote, first.err);

      const again = await runCli([...fetch, "--force", ...endpoint]);
      assertEquals(again.code, 0, again.err);
      assert(!again.err.includes("Creating folder"), again.err);
    } finally {
      Deno.chdir(cwd);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
