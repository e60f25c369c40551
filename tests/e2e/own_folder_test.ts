/**
 * Using spimfetch from a folder outside the checkout, as docs/library.md ("Using spimfetch from your own
 * folder") says: `deno task init-project <dir>`, then the doc's own script, run from that folder against a
 * test S3 server given as the endpoint. The output is read back by nifti-reader-js.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { fileURLToPath } from "node:url";
import { serveDataset } from "../../testing/fixture.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const SECTION = "## Using spimfetch from your own folder";

/** The section's `ts` code block: the script a user copies. */
async function docScript(): Promise<string> {
  const doc = await Deno.readTextFile(`${REPO}/docs/library.md`);
  const start = doc.indexOf(SECTION);
  assert(start >= 0, `docs/library.md has no "${SECTION}"`);
  const next = doc.indexOf("\n## ", start + SECTION.length);
  const section = doc.slice(start, next < 0 ? undefined : next);
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert(code, "the section has a ts example");
  return code;
}

/** Runs Deno in a folder with a clean environment (no INIT_CWD from the test runner). */
async function deno(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR"];
  const base = Object.fromEntries(keep.flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []));
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    clearEnv: true,
    env: { ...base, NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder();
  return { code: output.code, stdout: text.decode(output.stdout), stderr: text.decode(output.stderr) };
}

Deno.test({
  name: "a script in the user's own folder imports spimfetch by name after init-project (docs/library.md)",
  async fn(t): Promise<void> {
    await using fixture = await serveDataset({
      shape: [16, 24, 20],
      chunks: [16, 16, 16],
      levels: 2,
      channels: ["Ex_561_Em_593"],
      stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
    });
    const folder = await Deno.makeTempDir({ prefix: "spimfetch-own-folder-" });
    assert(!folder.startsWith(REPO), "the folder is outside the checkout");
    try {
      await Deno.writeTextFile(`${folder}/script.ts`, await docScript());
      const env = { SPIMFETCH_S3_ENDPOINT: fixture.s3.endpoint };

      await t.step("before init-project, the import fails as the doc says", async () => {
        const result = await deno(["run", "-A", "script.ts"], folder, env);
        assert(result.code !== 0);
        assertStringIncludes(result.stderr, 'Import "@spimfetch/spimfetch/orient" not a dependency');
      });

      await t.step("init-project writes deno.json and the lock; the doc's script runs", async () => {
        const init = await deno(
          ["task", "--quiet", "--config", `${REPO}/deno.json`, "init-project", folder],
          REPO,
        );
        assertEquals(init.code, 0, init.stderr);
        const config = JSON.parse(await Deno.readTextFile(`${folder}/deno.json`));
        assertEquals(config.imports["@spimfetch/spimfetch"], `file://${REPO}/mod.ts`);
        assertEquals(config.imports["@spimfetch/spimfetch/orient"], `file://${REPO}/lib/orient/mod.ts`);
        assert((await Deno.stat(`${folder}/deno.lock`)).isFile);

        const result = await deno(["run", "-A", "script.ts"], folder, env);
        assertEquals(result.code, 0, result.stderr);
        // Level 1 of a 16 x 24 x 20 (z, y, x) level 0 halves each axis: 8 x 12 x 10; the box keeps x 0-5.
        assertStringIncludes(result.stdout, "level 1: a box of 8 x 12 x 5 voxels (z, y, x)");
        // The synthetic acquisition's axes are the reference notebook's: RAI in nibabel's letters.
        assertStringIncludes(result.stdout, "wrote 652506_L1.nii.gz: axes RAI (nibabel), spl (BrainGlobe)");
        const raw = gunzipSync(await Deno.readFile(`${folder}/652506_L1.nii.gz`));
        const header = nifti.readHeader(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        assertEquals(header?.dims.slice(1, 4), [10, 12, 8]);
      });

      await t.step("a second init-project keeps the user's own imports; a clash needs --force", async () => {
        const config = JSON.parse(await Deno.readTextFile(`${folder}/deno.json`));
        config.imports["mine"] = "./mine.ts";
        config.imports["zarrita"] = "npm:zarrita@0.6.0";
        await Deno.writeTextFile(`${folder}/deno.json`, JSON.stringify(config));
        const refused = await deno(
          ["task", "--quiet", "--config", `${REPO}/deno.json`, "init-project", folder],
          REPO,
        );
        assertEquals(refused.code, 1);
        assertStringIncludes(refused.stderr, "already maps zarrita elsewhere; add --force");
        const forced = await deno(
          ["task", "--quiet", "--config", `${REPO}/deno.json`, "init-project", folder, "--force"],
          REPO,
        );
        assertEquals(forced.code, 0, forced.stderr);
        const after = JSON.parse(await Deno.readTextFile(`${folder}/deno.json`));
        assertEquals(after.imports["mine"], "./mine.ts");
        assertEquals(after.imports["zarrita"].startsWith("npm:zarrita@0.7"), true);
      });
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
});
