import { assert, assertStrictEquals } from "@std/assert";
import { syntheticVoxel } from "../../testing/synthetic_store.ts";

/** Runs a Deno program, under a 1 GiB limit on its data memory when `prlimit` (util-linux) is there. */
async function runLimited(args: string[]): Promise<Deno.CommandOutput & { limited: boolean }> {
  const limit = `--data=${2 ** 30}`;
  const limited = await new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);
  const command = limited
    ? new Deno.Command("prlimit", {
      args: [limit, Deno.execPath(), ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" });
  return { ...(await command.output()), limited };
}

Deno.test("a level larger than the memory the process may use streams to .nii within 512 MiB of RSS", async () => {
  // The limit bites: under it, holding the volume at once fails.
  const control = await runLimited(["eval", "new Uint8Array(1.6e9).fill(1)"]);
  if (control.limited) assert(!control.success, "a 1.6 GB allocation fails under the 1 GiB limit");
  else console.warn("prlimit not found: the export runs without a memory limit (RSS is still checked)");
  const dir = await Deno.makeTempDir();
  const out = `${dir}/big.nii`;
  try {
    // 1.5 GiB of voxels; 64 MiB slabs, a 16 MiB chunk cache.
    const [z, y, x] = [1536, 512, 1024];
    const output = await runLimited([
      "run",
      "-A",
      new URL("../../testing/stream_export.ts", import.meta.url).pathname,
      out,
      `${z}`,
      `${y}`,
      `${x}`,
      "64",
    ]);
    assert(output.success, new TextDecoder().decode(output.stderr));
    const { bytes, peakRss } = JSON.parse(new TextDecoder().decode(output.stdout));
    const voxelBytes = z * y * x * 2;
    assertStrictEquals(bytes, 352 + voxelBytes);
    console.log(
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB for ${(voxelBytes / 2 ** 30).toFixed(2)} GiB of voxels`,
    );
    assert(peakRss < 512 * 2 ** 20, `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    // Spot-check voxels across the file against the generator.
    const file = await Deno.open(out);
    try {
      for (const [k, j, i] of [[0, 0, 0], [1535, 511, 1023], [1200, 300, 513], [127, 128, 129]]) {
        const buffer = new Uint8Array(2);
        await file.seek(352 + ((k * y + j) * x + i) * 2, Deno.SeekMode.Start);
        await file.read(buffer);
        assertStrictEquals(buffer[0] | (buffer[1] << 8), syntheticVoxel(k, j, i), `voxel ${k},${j},${i}`);
      }
    } finally {
      file.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
