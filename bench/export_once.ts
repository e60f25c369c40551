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
  },
});
const started = performance.now();
await exportNifti({ subject: values.asset!, channel: "Ex_561_Em_593", level: 0 }, {
  endpoint: values.endpoint,
  out: values.out,
  dtype: values.dtype === "float32" ? "float32" : "native",
  gzipLevel: Number(values["gzip-level"] ?? 1),
  maxSlabBytes: values["max-slab-mb"] ? Number(values["max-slab-mb"]) * 2 ** 20 : undefined,
});
const seconds = (performance.now() - started) / 1000;
const status = await Deno.readTextFile("/proc/self/status");
const peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
console.log(JSON.stringify({ seconds, peakRss }));
