/**
 * The launcher (`deno task cli`, the installed command) runs gzip on ISA-L, through spimfetch's shim, under
 * the exact FFI paths it grants: the sidecar of a `.nii.gz` names the codec that ran, and the file reads
 * back whole. Where libisal2 is missing the test is skipped locally, saying so, and fails when `CI=true`.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { hasNativeDeflate } from "../../lib/codecs/_ffi_isal.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { requirement } from "../../testing/requirement.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const SPEC = {
  shape: [16, 24, 20] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 1,
  channels: ["Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};

const isal = Deno.build.os !== "linux" || Deno.build.arch !== "x86_64"
  ? "the ISA-L shim is built for x86_64 Linux only"
  : hasNativeDeflate()
  ? undefined
  : "libisal.so.2 (Debian's libisal2) does not load";

Deno.test({
  ...requirement("deno task cli fetch writes .nii.gz with ISA-L under its exact --allow-ffi paths", isal),
  async fn(): Promise<void> {
    await using fixture = await serveDataset(SPEC);
    const work = await Deno.makeTempDir({ prefix: "spimfetch-launch-isal-" });
    try {
      const out = `${work}/brain.nii.gz`;
      const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR"];
      const env = Object.fromEntries(keep.flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []));
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "task",
          "--quiet",
          "--config",
          `${REPO}/deno.json`,
          "cli",
          "fetch",
          "--subject",
          "652506",
          "--channel",
          "Ex_561_Em_593",
          "--level",
          "0",
          "--quiet",
          "--endpoint",
          fixture.s3.endpoint,
          "--out",
          out,
        ],
        cwd: work,
        stdin: "null",
        clearEnv: true,
        env: { ...env, NO_COLOR: "1" },
      }).output();
      assertEquals(result.code, 0, new TextDecoder().decode(result.stderr));
      const sidecar = JSON.parse(await Deno.readTextFile(`${work}/brain.json`));
      assertEquals(sidecar.files[0].compression, "ISA-L igzip level 2 (native)");
      // 348 bytes of NIfTI header and extender, then the voxels (uint16).
      assertEquals(gunzipSync(await Deno.readFile(out)).length, 352 + 16 * 24 * 20 * 2);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
