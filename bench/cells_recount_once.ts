/**
 * One recount of {@link ./cells_bench.ts}, in a process of its own so that its peak RSS is the recount's:
 * prints the time, CPU seconds and peak RSS as JSON.
 *
 * @module
 */
import process from "node:process";
import { openAtlas, readCellsInCcf } from "../lib/cells/mod.ts";

const { s3, asset, channel } = JSON.parse(Deno.args[0]);

function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const atlasStart = performance.now();
const atlas = await openAtlas(s3);
const atlasSeconds = (performance.now() - atlasStart) / 1000;
const atlasRss = peakRssMb();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await readCellsInCcf({ asset }, { ...s3, channels: [channel], recount: true, atlas });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const c = result.channels[0];
console.log(JSON.stringify({
  cells: c.detections!.count,
  counted: c.rows.find((r) => r.acronym === "root" && r.hemisphere === "both" && r.source === "recount")
    ?.count,
  paired: c.distances?.paired,
  atlas_seconds: Number(atlasSeconds.toFixed(2)),
  recount_seconds: Number(seconds.toFixed(2)),
  cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  cells_per_second: Math.round(c.detections!.count / seconds),
  peak_rss_mb_after_atlas: Math.round(atlasRss),
  peak_rss_mb: Math.round(peakRssMb()),
}));
