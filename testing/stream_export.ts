// Run by tests/e2e/streaming_test.ts in its own process, so that its peak RSS is its own.
import { ChunkCache } from "../lib/s3/chunk_cache.ts";
import { openImage } from "../lib/metadata/image.ts";
import { streamLevel } from "../lib/read/read.ts";
import { writeNifti } from "../lib/write/nifti.ts";
import { syntheticStore } from "./synthetic_store.ts";

const [out, z, y, x, slabMiB] = Deno.args;
const shape = [Number(z), Number(y), Number(x)] as [number, number, number];
const image = await openImage("synthetic://volume.zarr", {
  store: syntheticStore(shape),
  cache: new ChunkCache(16 * 2 ** 20),
});
const stream = streamLevel(image, 0, { maxSlabBytes: Number(slabMiB) * 2 ** 20, concurrency: 4 });
const result = await writeNifti(out, stream, {
  geometry: {
    spacing: [0.0018, 0.0018, 0.002],
    origin: [0, 0, 0],
    direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  },
});
const status = await Deno.readTextFile("/proc/self/status");
console.log(
  JSON.stringify({ bytes: result.bytes, peakRss: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024 }),
);
