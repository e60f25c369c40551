/**
 * Speed and memory of `ccf` (resampling into the CCF 25 µm grid) on a synthetic
 * registered asset served locally: CPU seconds by stage, wall time, peak RSS.
 *
 * `deno run -A bench/ccf_bench.ts [--workers N]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { clearTransformCache, openCcfSpace, resampleToCcf } from "../lib/ccf/mod.ts";
import { serveCcfDataset } from "../testing/ccf_dataset.ts";

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
const cpu = (): number => {
  const usage = Deno.resourceUsage?.() as unknown as { userTime?: number; systemTime?: number } | undefined;
  return usage ? ((usage.userTime ?? 0) + (usage.systemTime ?? 0)) / 1e6 : NaN;
};
const t0 = performance.now();
const c0 = cpu();
let peak = 0;
let voxels = 0;
for await (const slab of resampleToCcf(space, { workers }).slabs) {
  voxels += slab.length;
  peak = Math.max(peak, Deno.memoryUsage().rss);
}
const wall = (performance.now() - t0) / 1000;
console.log(
  `ccf resample: ${voxels} voxels, ${wall.toFixed(1)} s wall, ${
    (cpu() - c0).toFixed(1)
  } CPU s (this process), ` +
    `${(voxels / wall / 1e6).toFixed(2)} Mvoxel/s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, workers ${
      workers ?? navigator.hardwareConcurrency
    }`,
);
space.close();
