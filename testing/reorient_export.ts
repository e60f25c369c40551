// Run by reorient_memory_test.ts in its own process (under a memory limit), so that its peak RSS is its own:
// a level streamed from a synthetic store, reoriented to PIR by the pipeline's streaming step, to .nii.
import { ChunkCache } from "../lib/s3/chunk_cache.ts";
import { openImage } from "../lib/metadata/image.ts";
import { streamLevel } from "../lib/read/read.ts";
import { writeNifti } from "../lib/write/nifti.ts";
import { reorientSlabs } from "../lib/export/reorient_slabs.ts";
import { tempPathFor } from "../lib/core/temp_space.ts";
import { syntheticStore } from "./synthetic_store.ts";

const [out, z, y, x, slabMiB] = Deno.args;
const shape = [Number(z), Number(y), Number(x)] as [number, number, number];
const image = await openImage("synthetic://volume.zarr", {
  store: syntheticStore(shape),
  cache: new ChunkCache(16 * 2 ** 20),
});
const geometry = {
  spacing: [0.0018, 0.0018, 0.002] as [number, number, number],
  origin: [0, 0, 0] as [number, number, number],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [
    number,
    number,
    number,
  ]],
};
const stream = streamLevel(image, 0, { maxSlabBytes: Number(slabMiB) * 2 ** 20, concurrency: 4 });
const reoriented = reorientSlabs(stream, {
  geometry,
  orientation: "PIR",
  tempPath: tempPathFor(out, out.slice(0, out.lastIndexOf("/"))),
  maxSlabBytes: Number(slabMiB) * 2 ** 20,
});
const result = await writeNifti(out, reoriented, { geometry: reoriented.geometry });
const status = await Deno.readTextFile("/proc/self/status");
console.log(JSON.stringify({
  bytes: result.bytes,
  shape: reoriented.shape,
  tempBytes: reoriented.tempBytes,
  peakRss: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024,
}));
