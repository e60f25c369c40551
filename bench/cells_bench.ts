/**
 * Benchmark of `spimfetch cells --recount`: 10^6 synthetic cells of one
 * channel (a `detected_cells.csv` of ~30 MB on a local S3 server) read
 * streaming, mapped through a registered asset's four transforms, looked up
 * in a CCF annotation on the real 25 µm grid (528 × 320 × 456) and counted
 * per structure. Prints wall time, CPU seconds and peak RSS.
 *
 * Run: `deno task bench:cells` (CELLS=N for another count). Timing goes here, never in tests.
 *
 * @module
 */
import process from "node:process";
import { readCellsInCcf } from "../lib/cells/mod.ts";
import { openAtlas } from "../lib/cells/mod.ts";
import { SEGMENTED_ASSETS, serveCellsDataset } from "../testing/cells_dataset.ts";

const CELLS = Number(Deno.env.get("CELLS") ?? 1_000_000);
const spec = SEGMENTED_ASSETS[0];
const asset = `SmartSPIM_${spec.asset.subject}_${spec.asset.acquiredAt}_stitched_${spec.asset.stitchedAt}`;

function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

// Cells on the level-0 grid (40 × 56 × 48 voxels), fractional as AIND's are.
const lines = [",x,y,z"];
let seed = 7;
const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
for (let i = 0; i < CELLS; i++) {
  lines.push(`${i},${(next() * 47).toFixed(1)},${(next() * 55).toFixed(1)},${(next() * 39).toFixed(1)}`);
}
const csv = new TextEncoder().encode(`${lines.join("\n")}\n`);
lines.length = 0;
const channel = "Ex_561_Em_593";
const extra = new Map([[`${asset}/image_cell_segmentation/${channel}/detected_cells.csv`, csv]]);
console.error(
  `Serving ${CELLS} cells (${(csv.length / 2 ** 20).toFixed(1)} MiB CSV) and a 25 µm annotation...`,
);
await using served = await serveCellsDataset({ assets: [spec], atlasResolution: 25, extra });

const atlasStart = performance.now();
const atlas = await openAtlas(served.s3);
const atlasSeconds = (performance.now() - atlasStart) / 1000;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await readCellsInCcf({ asset }, { ...served.s3, channels: [channel], recount: true, atlas });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const c = result.channels[0];
console.log(JSON.stringify(
  {
    cells: c.detections!.count,
    counted: c.rows.find((r) => r.acronym === "root" && r.hemisphere === "both" && r.source === "recount")
      ?.count,
    atlas_seconds: Number(atlasSeconds.toFixed(2)),
    recount_seconds: Number(seconds.toFixed(2)),
    cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    cells_per_second: Math.round(c.detections!.count / seconds),
    peak_rss_mb: Math.round(peakRssMb()),
  },
  null,
  1,
));
