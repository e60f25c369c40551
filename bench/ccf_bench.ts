/**
 * Speed and memory of `ccf` (resampling into the CCF 25 µm grid, 528 × 320 × 456)
 * on a synthetic registered asset served locally: wall time, CPU seconds of all
 * threads, peak RSS. The machine may be shared: compare CPU seconds.
 *
 * `deno run -A bench/ccf_bench.ts [--workers N]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { clearTransformCache, openCcfSpace, resampleToCcf } from "../lib/ccf/mod.ts";
import { serveCcfDataset } from "../testing/ccf_dataset.ts";

/** CPU time of this process (all threads, workers and the in-process S3 server included), in seconds. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const { values } = parseArgs({ args: Deno.args, options: { workers: { type: "string" } } });
const workers = values.workers === undefined ? undefined : Number(values.workers);
await using served = await serveCcfDataset({
  assets: [{
    subject: "700002",
    acquiredAt: "2024-05-01_10-00-00",
    stitchedAt: "2024-05-02_10-00-00",
    version: "0.0.33",
    spacing: [200, 180, 180],
    format: { precision: "single", littleEndian: false },
  }],
  templates: [{ prefix: "SmartSPIM-template_2024-05-16_11-26-14" }],
});
clearTransformCache();
const space = await openCcfSpace({ subject: "700002" }, served.s3);
const t0 = performance.now();
const c0 = cpuSeconds();
let peak = 0;
let voxels = 0;
for await (const slab of resampleToCcf(space, { workers }).slabs) {
  voxels += slab.length;
  peak = Math.max(peak, Deno.memoryUsage().rss);
}
const wall = (performance.now() - t0) / 1000;
console.log(
  `ccf resample: ${voxels} voxels, ${wall.toFixed(1)} s wall, ${
    (cpuSeconds() - c0).toFixed(1)
  } CPU s (all threads), ` +
    `${(voxels / wall / 1e6).toFixed(2)} Mvoxel/s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, workers ${
      workers ?? navigator.hardwareConcurrency
    }`,
);
space.close();
