/**
 * `deno task bench`: exports a volume of SmartSPIM's level-3 shape from a
 * local S3 server, and measures this machine's ceilings in the same run.
 *
 * Prints, per export: wall time, MB/s of voxel bytes, peak RSS (each export
 * runs in its own process, so peaks do not mix), and end-to-end time divided
 * by the ceiling that bounds it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { gzipSync } from "fflate";
import zlib from "node:zlib";
import { decodeBlosc } from "../lib/codecs/blosc.ts";
import { createParallelGzip } from "../lib/codecs/parallel_gzip.ts";
import { S3Store } from "../lib/s3/store.ts";
import { sharedWorkerPool } from "../lib/codecs/worker_pool.ts";
import { startS3Server } from "../testing/s3_server.ts";
import { buildSmartSpimDataset } from "../testing/smartspim_dataset.ts";
import { LEVEL3_SHAPE, level3Objects } from "./level3_dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { "gzip-level": { type: "string" }, quick: { type: "boolean" }, only: { type: "string" } },
});
const gzipLevel = Number(values["gzip-level"] ?? 1);
const shape: [number, number, number] = values.quick ? [232, 640, 462] : LEVEL3_SHAPE;
const voxelBytes = shape[0] * shape[1] * shape[2] * 2;
const MB = 1e6;
const asset = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const prefix = `${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`;

/** CPU time of this process (all threads, workers and the in-process S3 server included), in seconds. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function line(label: string, seconds: number, bytes = voxelBytes, extra = ""): void {
  console.log(
    `${label.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s ${
      (bytes / MB / seconds).toFixed(0).padStart(6)
    } MB/s${extra}`,
  );
}

console.log(
  `Volume ${shape.join(" x ")} (z, y, x) uint16 = ${
    (voxelBytes / MB).toFixed(0)
  } MB, chunks 128^3, Blosc zstd shuffle`,
);
console.log(`Machine: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}\n`);

const server = await startS3Server();
try {
  await server.createBucket("aind-open-data");
  // The raw asset's acquisition.json (the reference notebook's axes) from the synthetic dataset generator.
  const small = await buildSmartSpimDataset({ shape: [4, 4, 4], chunks: [4, 4, 4], levels: 1, channels: [] });
  await server.upload(
    "aind-open-data",
    [...small.objects].filter(([key]) => key.endsWith("acquisition.json")),
  );
  let t = performance.now();
  const keys: string[] = [];
  let stored = 0;
  const batch: [string, Uint8Array][] = [];
  for await (const [key, bytes] of level3Objects(prefix, shape)) {
    batch.push([key, bytes]);
    if (/\/0\/0\/0\//.test(key)) keys.push(key);
    stored += bytes.length;
    if (batch.length >= 32) await server.upload("aind-open-data", batch.splice(0));
  }
  await server.upload("aind-open-data", batch);
  console.log(
    `Generated and uploaded ${keys.length} chunks, ${(stored / MB).toFixed(0)} MB stored (ratio ${
      (voxelBytes / stored).toFixed(2)
    }) in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );

  console.log("Ceilings of this machine");
  const store = new S3Store(`s3://aind-open-data/${prefix}`, {
    endpoint: server.endpoint,
    maxConcurrency: 16,
  });
  let cpu = cpuSeconds();
  t = performance.now();
  const chunks = await Promise.all(keys.map((key) => store.get("/" + key.slice(prefix.length + 1))));
  const fetchSeconds = (performance.now() - t) / 1000;
  const fetchCpu = cpuSeconds() - cpu;
  store.close();
  line(
    "GET all chunks (16 in flight)",
    fetchSeconds,
    stored,
    ` compressed (${(voxelBytes / MB / fetchSeconds).toFixed(0)} MB/s of voxels)`,
  );

  t = performance.now();
  for (const chunk of chunks.slice(0, 16)) decodeBlosc(chunk!);
  const oneCore = (performance.now() - t) / 1000 * chunks.length / 16;
  line("decode, 1 core (native, est.)", oneCore);
  const pool = sharedWorkerPool();
  const release = pool.hold();
  cpu = cpuSeconds();
  t = performance.now();
  const decoded = await Promise.all(
    chunks.map((bytes) => pool.run<Uint8Array>({ op: "blosc", bytes: bytes! })),
  );
  const decodeSeconds = (performance.now() - t) / 1000;
  const decodeCpu = cpuSeconds() - cpu;
  line(`decode, ${pool.size} workers`, decodeSeconds);

  cpu = cpuSeconds();
  t = performance.now();
  const gzip = createParallelGzip(() => Promise.resolve(), { level: gzipLevel });
  for (const chunk of decoded) await gzip.write(chunk);
  const gzipBytes = await gzip.end();
  const gzipSeconds = (performance.now() - t) / 1000;
  const gzipCpu = cpuSeconds() - cpu;
  line(
    `gzip level ${gzipLevel}, ${pool.size} workers`,
    gzipSeconds,
    voxelBytes,
    ` (ratio ${(voxelBytes / gzipBytes).toFixed(2)})`,
  );
  // fflate on one thread, for comparison (16 chunks, extrapolated: the whole volume would take half a minute).
  t = performance.now();
  let fflateBytes = 0;
  for (const chunk of decoded.slice(0, 16)) fflateBytes += gzipSync(chunk, { level: gzipLevel as 1 }).length;
  const fflateSeconds = (performance.now() - t) / 1000 * decoded.length / 16;
  const sampleBytes = decoded.slice(0, 16).reduce((n, c) => n + c.length, 0);
  // The workers' engine on the same chunks (node:zlib, level 1 run as its 2), so the ratios compare.
  const oursBytes = decoded.slice(0, 16).reduce(
    (n, c) => n + zlib.deflateRawSync(c, { level: gzipLevel === 1 ? 2 : gzipLevel }).length,
    0,
  );
  line(
    `gzip level ${gzipLevel}, fflate, 1 thread (est.)`,
    fflateSeconds,
    voxelBytes,
    ` (ratio ${(sampleBytes / fflateBytes).toFixed(2)}; the workers' engine on the same chunks: ${
      (sampleBytes / oursBytes).toFixed(2)
    })`,
  );
  release();
  decoded.length = 0;
  chunks.length = 0;
  pool.close();

  const dir = await Deno.makeTempDir({ prefix: "spimfetch-bench-" });
  const cores = navigator.hardwareConcurrency;
  console.log(
    `CPU seconds (all threads, the local S3 server included): GET ${fetchCpu.toFixed(1)}, ` +
      `decode ${decodeCpu.toFixed(1)}, gzip ${gzipCpu.toFixed(1)}, on ${cores} cores`,
  );
  // Each export needs all its stages' CPU on the same cores: that bound is the larger of the slowest stage
  // alone and the total CPU spread over every core.
  const bound = (stages: [number, number][]): number =>
    Math.max(...stages.map(([wall]) => wall), stages.reduce((sum, [, cpu]) => sum + cpu, 0) / cores);
  const fetchStage: [number, number] = [fetchSeconds, fetchCpu];
  const decodeStage: [number, number] = [decodeSeconds, decodeCpu];
  const gzipStage: [number, number] = [gzipSeconds, gzipCpu];
  const runs: [string, string[], number, number][] = [
    [
      "export .nii.gz uint16",
      ["--out", `${dir}/a.nii.gz`],
      gzipSeconds,
      bound([fetchStage, decodeStage, gzipStage]),
    ],
    [
      "export .nii.gz float32",
      ["--out", `${dir}/b.nii.gz`, "--dtype", "float32"],
      2 * gzipSeconds,
      bound([fetchStage, decodeStage, [2 * gzipSeconds, 2 * gzipCpu]]),
    ],
    [
      "export .nii uint16",
      ["--out", `${dir}/c.nii`],
      Math.max(fetchSeconds, decodeSeconds),
      bound([fetchStage, decodeStage]),
    ],
  ];
  console.log("\nEnd to end (each in its own process)");
  for (const [label, args, ceiling, combined] of runs) {
    if (values.only && !label.includes(values.only)) continue;
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./export_once.ts", import.meta.url).pathname,
        "--endpoint",
        server.endpoint,
        "--asset",
        asset,
        "--gzip-level",
        String(gzipLevel),
        ...args,
      ],
      stdout: "piped",
      stderr: "inherit",
    });
    const output = await command.output();
    if (!output.success) throw new Error(`${label} failed`);
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    const bytes = label.includes("float32") ? voxelBytes * 2 : voxelBytes;
    line(
      label,
      result.seconds,
      bytes,
      `  peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB (${
        (result.peakRss / bytes).toFixed(2)
      }x output raw)` +
        `\n${"".padEnd(36)}${(result.seconds / ceiling).toFixed(2)}x its largest ceiling (${
          ceiling.toFixed(2)
        } s), ` +
        `${(result.seconds / combined).toFixed(2)}x the CPU bound of all its stages on ${cores} cores (${
          combined.toFixed(2)
        } s)`,
    );
  }
  await Deno.remove(dir, { recursive: true });
} finally {
  await server.close();
}
