/**
 * Chunk rows too large for the chunk cache: the export still cuts thin slabs, from the row's compressed
 * chunks kept on disk beside the output, instead of whole chunk-row slabs. Checked in a subprocess
 * (its own peak RSS) against the test S3 server, behind a proxy that logs every request.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { serveDataset } from "../../testing/fixture.ts";
import { startFaultProxy } from "../../testing/fault_proxy.ts";
import { listDir } from "../../testing/run_cli.ts";

// 256 × 512 × 512 uint16 (128 MiB) in 128³ chunks: two chunk rows of 16 chunks, 64 MiB decoded each.
const SHAPE: [number, number, number] = [256, 512, 512];
const SPEC = {
  shape: SHAPE,
  chunks: [128, 128, 128] as [number, number, number],
  levels: 1,
  channels: ["Ex_561_Em_593"],
};
const CHUNKS = 2 * 4 * 4;
const CHUNK_KEY = /\.zarr\/0\/0\/0\/\d+\/\d+\/\d+$/;
const HARNESS = new URL("../../testing/row_spill_export.ts", import.meta.url).pathname;

interface Run {
  output: Deno.CommandOutput;
  result: { bytes: number; spilled: boolean; peakRss: number } | undefined;
  stderr: string;
}

function exportProcess(endpoint: string, out: string, cacheMiB: number, slab: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HARNESS, endpoint, out, `${cacheMiB}`, slab],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<Run> {
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  return {
    output,
    result: output.success ? JSON.parse(stdout.split("\n").at(-1)!) : undefined,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** The voxels of a `.nii` (its header's vox_offset onwards) as uint16. */
async function niftiVoxels(path: string): Promise<Uint16Array> {
  const bytes = await Deno.readFile(path);
  const offset = new DataView(bytes.buffer).getFloat32(108, true);
  return new Uint16Array(bytes.slice(offset).buffer);
}

/** Chunk GETs per chunk key, from the proxy's log. */
function chunkFetches(log: readonly { method: string; path: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { method, path } of log) {
    if (method === "GET" && CHUNK_KEY.test(path)) counts.set(path, (counts.get(path) ?? 0) + 1);
  }
  return counts;
}

Deno.test("a chunk row larger than the chunk cache is read in thin slabs spilled to disk", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const asset = fixture.dataset.stitchedNames[0];
  const expected = fixture.dataset.voxels(asset, "Ex_561_Em_593", 0).data;
  const work = await Deno.makeTempDir({ prefix: "spimfetch-row-spill-" });
  try {
    let wholeRss = 0;
    await t.step("whole chunk-row slabs (the road this replaces), for reference", async () => {
      await using proxy = await startFaultProxy(fixture.s3.endpoint, { rate: 0 });
      const dir = `${work}/whole`;
      await Deno.mkdir(dir);
      // A slab budget of a whole row: the spill is not needed and not used.
      const run = await finish(exportProcess(proxy.endpoint, `${dir}/brain.nii`, 4, `${64 * 2 ** 20}`));
      assert(run.output.success, run.stderr);
      assertStrictEquals(run.result!.spilled, false);
      assertEquals(await niftiVoxels(`${dir}/brain.nii`), expected);
      wholeRss = run.result!.peakRss;
    });

    for (const slab of ["default", `${4 * 2 ** 20}`]) {
      const what = slab === "default" ? "the default thin slabs" : "4 MiB slabs";
      await t.step(
        `${what}: same voxels, each chunk fetched once, nothing left${
          slab === "default" ? "" : ", peak RSS well below whole rows'"
        }`,
        async () => {
          await using proxy = await startFaultProxy(fixture.s3.endpoint, { rate: 0 });
          const dir = `${work}/thin-${slab}`;
          await Deno.mkdir(dir);
          const run = await finish(exportProcess(proxy.endpoint, `${dir}/brain.nii`, 4, slab));
          assert(run.output.success, run.stderr);
          assert(run.result!.spilled, `the log says the rows were spilled:\n${run.stderr}`);
          assert(run.stderr.includes(`Compressed chunk rows spilled to ${dir}/.brain.nii.`), run.stderr);
          assertEquals(await niftiVoxels(`${dir}/brain.nii`), expected);
          const fetches = chunkFetches(proxy.stats.log);
          assertStrictEquals(fetches.size, CHUNKS);
          assertEquals([...new Set(fetches.values())], [1], "every chunk fetched exactly once");
          assertEquals(await listDir(dir), ["brain.json", "brain.nii"]);
          const { peakRss } = run.result!;
          console.log(
            `peak RSS: ${what} spilled ${(peakRss / 2 ** 20).toFixed(0)} MiB, whole rows ${
              (wholeRss / 2 ** 20).toFixed(0)
            } MiB`,
          );
          // Whole-row slabs hold two 64 MiB slabs and the row's chunks in flight, 4 MiB slabs a few of 4 MiB:
          // about 120 MiB less (the default 24 MiB slabs save less than garbage collection's noise here).
          if (slab !== "default") assert(peakRss < wholeRss - 64 * 2 ** 20, `${peakRss} vs ${wholeRss}`);
        },
      );
    }

    await t.step("the server gone mid-export: no output, no spilled chunk left", async () => {
      // The metadata and the first chunk row go through; the second row's requests find nobody.
      await using proxy = await startFaultProxy(fixture.s3.endpoint, { rate: 0, goneAfter: 20 });
      const dir = `${work}/gone`;
      await Deno.mkdir(dir);
      const run = await finish(exportProcess(proxy.endpoint, `${dir}/brain.nii`, 4, "default"));
      assert(!run.output.success, "the export fails");
      assert(run.stderr.includes("Compressed chunk rows spilled to"), run.stderr);
      assertEquals(await listDir(dir), []);
    });

    await t.step("SIGTERM mid-export: no output, no spilled chunk left", async () => {
      // Every request of the second chunk row is held: the first row's chunks are on disk by then.
      await using proxy = await startFaultProxy(fixture.s3.endpoint, {
        rate: 0,
        hold: (request) => /\.zarr\/0\/0\/0\/1\/\d+\/\d+$/.test(request.path),
      });
      const dir = `${work}/term`;
      await Deno.mkdir(dir);
      const child = exportProcess(proxy.endpoint, `${dir}/brain.nii`, 4, "default");
      const end = Date.now() + 60_000;
      while (!(await listDir(dir)).some((name) => name.endsWith(".chunks")) && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert((await listDir(dir)).some((name) => name.endsWith(".chunks")), "the spill directory appeared");
      // Let the first row's chunks land before stopping.
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill("SIGTERM");
      const late = setTimeout(() => proxy.release(), 15_000);
      const run = await finish(child);
      clearTimeout(late);
      assert(!run.output.success, run.stderr);
      assertEquals(await listDir(dir), []);
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
