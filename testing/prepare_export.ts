// Run by tests/e2e/prepare_memory_test.ts in its own process, so that its peak RSS is its own: one
// registration-ready road by names against a test S3 server, then the process's peak RSS (VmHWM).
//   deno run -A testing/prepare_export.ts <streaming|in-memory> <endpoint> <options as JSON>
// streaming: prepareForRegistration (the export pipeline); in-memory: prepareVolume on an opened source,
// the road prepareForRegistration took before it streamed, as the control.
import { prepareForRegistration } from "../lib/registration/prepare.ts";
import { prepareVolume } from "../lib/registration/prepare_volume.ts";
import { openSource } from "../lib/source/open_source.ts";

const [road, endpoint, json] = Deno.args;
const options = JSON.parse(json);
const request = { subject: "652506", channel: "Ex_561_Em_593" };
let report: Record<string, unknown>;
if (road === "streaming") {
  const result = await prepareForRegistration(request, { endpoint, ...options });
  report = { size: result.size, files: result.files, sidecars: result.sidecars, level: result.level.index };
} else {
  const { out: _out, maxSlabBytes: _slabs, ...rest } = options;
  using source = await openSource(request, { endpoint });
  const prepared = await prepareVolume(source, rest);
  report = { shape: prepared.volume.shape };
}
const status = await Deno.readTextFile("/proc/self/status");
console.log(JSON.stringify({ ...report, peakRss: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024 }));
