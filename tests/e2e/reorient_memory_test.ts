/**
 * Reorientation streams: a level larger than the memory the process may use is reoriented to PIR (which
 * moves z across the output's planes, so it goes through the temporary file) and written to `.nii`.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { syntheticVoxel } from "../../testing/synthetic_store.ts";
import { listDir } from "../../testing/run_cli.ts";

/** Runs a Deno program under a 1 GiB limit on its data memory when `prlimit` (util-linux) is there. */
async function runLimited(args: string[]): Promise<Deno.CommandOutput & { limited: boolean }> {
  const limited = await new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);
  const command = limited
    ? new Deno.Command("prlimit", {
      args: [`--data=${2 ** 30}`, Deno.execPath(), ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" });
  return { ...(await command.output()), limited };
}

Deno.test("a level larger than the process's memory limit is reoriented to PIR within 600 MiB of RSS", async () => {
  const control = await runLimited(["eval", "new Uint8Array(1.3e9).fill(1)"]);
  if (control.limited) assert(!control.success, "a 1.3 GB allocation fails under the 1 GiB limit");
  else if (Deno.env.get("CI") === "true") throw new Error("prlimit (util-linux) is missing: CI has it");
  else {console.warn(
      "prlimit not found: the reorientation runs without a memory limit (RSS is still checked)",
    );}
  const dir = await Deno.makeTempDir();
  const out = `${dir}/big_PIR.nii`;
  try {
    // 1.25 GiB of uint16 voxels, 32 MiB slabs.
    const [z, y, x] = [1280, 512, 1024];
    const output = await runLimited([
      "run",
      "-A",
      new URL("../../testing/reorient_export.ts", import.meta.url).pathname,
      out,
      `${z}`,
      `${y}`,
      `${x}`,
      "32",
    ]);
    assert(output.success, new TextDecoder().decode(output.stderr));
    const { bytes, shape, tempBytes, peakRss } = JSON.parse(new TextDecoder().decode(output.stdout));
    const voxelBytes = z * y * x * 2;
    assertStrictEquals(bytes, 352 + voxelBytes);
    assertStrictEquals(tempBytes, voxelBytes);
    // PIR of an LPS-indexed input: output x runs along input y, y along input z reversed, z along input x reversed.
    assertEquals(shape, [x, z, y]);
    console.log(
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB for ${(voxelBytes / 2 ** 30).toFixed(2)} GiB of voxels`,
    );
    assert(peakRss < 600 * 2 ** 20, `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    // The temporary file is gone; only the output remains.
    assertEquals(await listDir(dir), ["big_PIR.nii"]);
    using file = await Deno.open(out);
    const [ox, oy] = [y, z];
    for (const [k, j, i] of [[0, 0, 0], [1023, 1279, 511], [700, 300, 129], [5, 1000, 400]]) {
      const buffer = new Uint8Array(2);
      await file.seek(352 + ((k * oy + j) * ox + i) * 2, Deno.SeekMode.Start);
      await file.read(buffer);
      // Output (i, j, k) is input (z = nz − 1 − j, y = i, x = nx − 1 − k).
      assertStrictEquals(
        buffer[0] | (buffer[1] << 8),
        syntheticVoxel(z - 1 - j, i, x - 1 - k),
        `voxel ${i},${j},${k}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
