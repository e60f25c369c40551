/**
 * One export, for the benchmark: prints its wall time and the process's peak RSS as JSON.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exportNifti } from "../lib/export/export_nifti.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    endpoint: { type: "string" },
    asset: { type: "string" },
    out: { type: "string" },
    dtype: { type: "string" },
    "gzip-level": { type: "string" },
    "max-slab-mb": { type: "string" },
    "cache-mb": { type: "string" },
    orientation: { type: "string" },
    "verify-etag": { type: "string" },
  },
});
const started = performance.now();
const result = await exportNifti({ subject: values.asset!, channel: "Ex_561_Em_593", level: 0 }, {
  endpoint: values.endpoint,
  out: values.out,
  dtype: values.dtype === "float32" ? "float32" : "native",
  gzipLevel: Number(values["gzip-level"] ?? 1),
  maxSlabBytes: values["max-slab-mb"] ? Number(values["max-slab-mb"]) * 2 ** 20 : undefined,
  cacheBytes: values["cache-mb"] ? Number(values["cache-mb"]) * 2 ** 20 : undefined,
  orientation: values.orientation,
  verifyEtag: values["verify-etag"] === undefined ? undefined : values["verify-etag"] === "true",
});
const seconds = (performance.now() - started) / 1000;
const status = await Deno.readTextFile("/proc/self/status");
const peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
// utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second on Linux): all threads.
const fields = (await Deno.readTextFile("/proc/self/stat")).split(") ")[1].split(" ");
const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100;
// The main thread alone (its task's stat has the process id): the one thread that can hold an export back.
const main = (await Deno.readTextFile(`/proc/self/task/${Deno.pid}/stat`)).split(") ")[1].split(" ");
const mainCpuSeconds = (Number(main[11]) + Number(main[12])) / 100;
console.log(JSON.stringify({ seconds, peakRss, cpuSeconds, mainCpuSeconds, bytes: result.bytes }));
