import { assert, assertStrictEquals } from "@std/assert";
import { syntheticVoxel } from "../testing/synthetic_store.ts";

Deno.test("a level three times the memory bound streams to .nii within 512 MiB of RSS", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/big.nii`;
  try {
    // 1.5 GiB of voxels; 64 MiB slabs, a 16 MiB chunk cache.
    const [z, y, x] = [1536, 512, 1024];
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_stream_export.ts", import.meta.url).pathname,
        out,
        `${z}`,
        `${y}`,
        `${x}`,
        "64",
      ],
      stdout: "piped",
      stderr: "inherit",
    });
    const output = await command.output();
    assert(output.success, "the export process succeeded");
    const { bytes, peakRss } = JSON.parse(new TextDecoder().decode(output.stdout));
    const voxelBytes = z * y * x * 2;
    assertStrictEquals(bytes, 352 + voxelBytes);
    console.log(
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB for ${(voxelBytes / 2 ** 30).toFixed(2)} GiB of voxels`,
    );
    assert(peakRss < 512 * 2 ** 20, `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    assert(peakRss < voxelBytes / 3, "well under the volume's size");
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
