// Run by tests/e2e/row_spill_test.ts in its own process, so that its peak RSS is its own: level 0 of the
// test server's dataset exported to `.nii` through the pipeline with a small chunk cache.
// Arguments: endpoint, output path, chunk cache MiB, slab budget in bytes ("default" for the pipeline's).
import { openSource } from "../lib/source/open_source.ts";
import { exportImage } from "../lib/export/export_image.ts";

const [endpoint, out, cacheMiB, slab] = Deno.args;
const controller = new AbortController();
// SIGTERM cancels the export as the command line's stop handling does.
Deno.addSignalListener("SIGTERM", () => controller.abort(new Error("stopped by SIGTERM")));
const log: string[] = [];
using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" }, {
  endpoint,
  cacheBytes: Number(cacheMiB) * 2 ** 20,
  maxAttempts: 2,
});
const result = await exportImage(source, {
  level: 0,
  out,
  ...(slab === "default" ? {} : { maxSlabBytes: Number(slab) }),
  log: (line) => {
    log.push(line);
    console.error(line);
  },
  signal: controller.signal,
});
const status = await Deno.readTextFile("/proc/self/status");
console.log(JSON.stringify({
  bytes: result.bytes,
  spilled: log.some((line) => line.startsWith("Compressed chunk rows spilled to ")),
  peakRss: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024,
}));
