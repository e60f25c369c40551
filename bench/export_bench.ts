/**
 * `deno task bench`: exports a level of SmartSPIM's level-3 shape with
 * realistic content (`realistic_level3.ts`) from a local S3 server, measures
 * this machine's stage ceilings in the same run, and runs the Python stack's
 * export (zarr + boto3 + nibabel) against the same server where it is installed.
 *
 * Prints, per stage and per export: wall time, CPU seconds (all threads; for
 * an export, the exporting process plus the S3 server's), CPU seconds per GB
 * of voxels, peak RSS (each export runs in its own process), and the ratios to
 * the Python stack. Stages run twice where c-blosc and ISA-L load: with the
 * native codecs, and with the pure path (`SPIMFETCH_NATIVE=0`); exports run
 * as before (pure codecs, whole chunk-row slabs) and with the defaults, plain `.nii.gz`, `.nii`,
 * `--orientation PIR` `.nii.gz` (through the reorientation's temporary file) and `.ome.zarr`.
 *
 * The CLI rows run `spimfetch fetch` the two ways users run it, paired on
 * the same data: `deno run -A cli.ts fetch` and through the launcher
 * (`spimfetch.ts`, what `deno task cli` and the installed command run, with
 * least-privilege permissions), timed from outside by GNU time (wall,
 * user+sys of the process tree, peak RSS).
 *
 * The level-2 case (SmartSPIM's level-2 shape, 928 × 2560 × 1850 uint16, 8× the voxels, about 8.8 GB)
 * is built the same way by {@linkcode buildRealisticLevel} once (a few minutes on every core; kept in
 * `bench/out` until the generator's version changes), served by the same server and exported to `.nii.gz`
 * and `.ome.zarr`, to show whether CPU per GB and peak RSS stay those of level 3. The Python stack holds the
 * whole level in memory (3.4 × the voxels at level 3), so its level-2 row runs only where that much memory
 * is available.
 *
 * Flags: `--gzip-level N` (default 1), `--quick` (a quarter of the volume),
 * `--only TEXT` (exports whose label contains TEXT, plus the pure path with defaults), `--no-python`,
 * `--no-pure` (neither the pure stages nor the "before" exports), `--level2` / `--no-level2` (the level-2
 * case; on by default, off with `--quick` or `--only`; `SPIMFETCH_BENCH_LEVEL2=0` or `1` sets the default).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { decodeBlosc } from "../lib/codecs/blosc.ts";
import { hasNativeBlosc } from "../lib/codecs/_ffi_blosc.ts";
import { hasNativeDeflate } from "../lib/codecs/_ffi_isal.ts";
import { NATIVE_ENV, nativeLibraryPaths } from "../lib/codecs/native.ts";
import { createParallelGzip } from "../lib/codecs/parallel_gzip.ts";
import { S3Store } from "../lib/s3/store.ts";
import { sidecarOf } from "../lib/export/formats.ts";
import { sharedWorkerPool } from "../lib/codecs/worker_pool.ts";
import { startS3Server } from "../testing/s3_server.ts";
import { buildSmartSpimDataset } from "../testing/smartspim_dataset.ts";
import {
  buildRealisticLevel,
  CHUNK,
  LEVEL2_SHAPE,
  LEVEL3_SHAPE,
  realisticLevelObjects,
} from "./realistic_level3.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "gzip-level": { type: "string" },
    quick: { type: "boolean" },
    only: { type: "string" },
    "no-python": { type: "boolean" },
    "no-pure": { type: "boolean" },
    level2: { type: "boolean" },
    "no-level2": { type: "boolean" },
  },
});
const level2Default = Deno.env.get("SPIMFETCH_BENCH_LEVEL2") ??
  (values.quick || values.only ? "0" : "1");
const runLevel2 = values["no-level2"] ? false : values.level2 ? true : level2Default !== "0";
const gzipLevel = Number(values["gzip-level"] ?? 1);
const shape: [number, number, number] = values.quick ? [232, 640, 462] : LEVEL3_SHAPE;
const voxelBytes = shape[0] * shape[1] * shape[2] * 2;
const GB = voxelBytes / 1e9;
const MB = 1e6;
const cores = navigator.hardwareConcurrency;
const asset = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const prefix = `${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`;
const cacheDir = new URL("./out", import.meta.url).pathname;

/** CPU time of this process (all threads, workers and the in-process S3 server included), in seconds. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function row(label: string, seconds: number, cpu: number | undefined, extra = "", bytes = voxelBytes): void {
  const cpuText = cpu === undefined
    ? "".padEnd(24)
    : `${cpu.toFixed(1).padStart(6)} CPU-s ${(cpu / (bytes / 1e9)).toFixed(1).padStart(5)} CPU-s/GB`;
  console.log(
    `${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s ${
      (bytes / MB / seconds).toFixed(0).padStart(5)
    } MB/s  ${cpuText}${extra}, load ${loadAverage()}`,
  );
}

/** The 1-minute load average: the machine may be shared, and wall times (less so CPU times) depend on it. */
function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
}

/** One export of `export_once.ts` in its own process: wall, CPU (this process tree's), peak RSS, output bytes. */
async function exportOnce(
  args: string[],
  env: Record<string, string>,
  where: { endpoint: string; asset: string },
): Promise<{ seconds: number; peakRss: number; cpuSeconds: number; mainCpuSeconds: number; bytes: number }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./export_once.ts", import.meta.url).pathname,
      "--endpoint",
      where.endpoint,
      "--asset",
      where.asset,
      "--gzip-level",
      String(gzipLevel),
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`export ${args.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** Bytes the kernel says can be allocated without swapping (`MemAvailable`). */
function availableMemory(): number {
  const line = Deno.readTextFileSync("/proc/meminfo").split("\n").find((l) => l.startsWith("MemAvailable:"));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** The first Python with zarr, numcodecs, numpy, nibabel and boto3, or undefined. */
async function findPython(): Promise<string | undefined> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const { success } = await new Deno.Command(python, {
        args: ["-c", "import zarr, numcodecs, numpy, nibabel, boto3"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return python;
    } catch {
      // Not installed under that name.
    }
  }
  return undefined;
}

/** zlib level 1 on `sample` in a Python process: CPU MB/s and gzip ratio (the content check). */
async function zlibCheck(python: string | undefined, sample: Uint8Array): Promise<string> {
  if (!python) return "(no Python: zlib level 1 check skipped)";
  const child = new Deno.Command(python, {
    args: [
      "-c",
      "import sys, time, zlib\nd = sys.stdin.buffer.read()\nt = time.process_time()\nc = zlib.compress(d, 1)\n" +
      "print(len(d) / 1e6 / (time.process_time() - t), len(d) / len(c))",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(sample);
  await writer.close();
  const [speed, ratio] = new TextDecoder().decode((await child.output()).stdout).trim().split(" ").map(
    Number,
  );
  // The ratio is a property of the content; the speed also of the CPU (35-50 MB/s was measured on
  // SmartSPIM 652506's level 3 on the 2-core machine the issue was written on).
  const ok = ratio >= 1.8 && ratio <= 2.0;
  return `zlib level 1 (Python's zlib) on ${(sample.length / MB).toFixed(0)} MB sampled across z: ${
    speed.toFixed(1)
  } MB/s per core (real SmartSPIM: 35-50 on the reference machine), ratio ${
    ratio.toFixed(3)
  } (real: 1.8-2.0: ${ok ? "like it" : "NOT like it"})`;
}

/** `spimfetch fetch` of the benchmark's level under GNU time: wall, user+sys of the whole process tree, peak RSS. */
async function timeCli(
  launcher: boolean,
  args: string[],
  env: Record<string, string>,
  where: { endpoint: string; dir: string },
): Promise<{ seconds: number; peakRss: number; cpuSeconds: number; bytes: number }> {
  const root = new URL("..", import.meta.url).pathname;
  const timing = `${where.dir}/time.txt`;
  // The launcher's command line is the `cli` task's in deno.json.
  const deno = launcher
    ? ["run", "--quiet", "--allow-read", "--allow-env", "--allow-run", `${root}spimfetch.ts`]
    : ["run", "-A", `${root}cli.ts`];
  const fetchArgs = [
    "fetch",
    "--endpoint",
    where.endpoint,
    "--asset",
    asset,
    "--channel",
    "Ex_561_Em_593",
  ];
  const output = await new Deno.Command("/usr/bin/time", {
    args: [
      "-o",
      timing,
      "-f",
      "%e %U %S %M",
      Deno.execPath(),
      ...deno,
      ...fetchArgs,
      "--level",
      "0",
      "--gzip-level",
      String(gzipLevel),
      "--quiet",
      ...args,
    ],
    cwd: where.dir,
    env,
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`spimfetch fetch ${args.join(" ")} failed`);
  const [seconds, user, system, maxKb] = (await Deno.readTextFile(timing)).trim().split("\n").at(-1)!.split(
    " ",
  )
    .map(Number);
  const bytes = (await Deno.stat(args[1])).size;
  return { seconds, peakRss: maxKb * 1024, cpuSeconds: user + system, bytes };
}

const python = values["no-python"] ? undefined : await findPython();
const native = hasNativeBlosc() || hasNativeDeflate();
console.log(
  `Volume ${shape.join(" x ")} (z, y, x) uint16 = ${(voxelBytes / MB).toFixed(0)} MB, chunks ${CHUNK}^3, ` +
    `Blosc zstd clevel 3 byte shuffle, 128 KiB blocks; realistic content (bench/realistic_level3.ts)`,
);
console.log(
  `Machine: ${cores} cores, Deno ${Deno.version.deno}; native codecs: c-blosc ${
    hasNativeBlosc() ? "yes" : "no"
  }, ISA-L ${hasNativeDeflate() ? "yes" : "no"} (--allow-ffi=${
    nativeLibraryPaths().join(",")
  }); Python stack: ${python ?? "not found (row skipped)"}`,
);
console.log(
  `Wall times depend on what else runs on the machine (load average now ${loadAverage()}, printed after each ` +
    `row); CPU seconds much less. ${new Date().toISOString()}\n`,
);

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
  for await (const [key, bytes] of realisticLevelObjects(prefix, shape, { cacheDir })) {
    batch.push([key, bytes]);
    if (/\/0\/0\/0\//.test(key)) keys.push(key);
    stored += bytes.length;
    if (batch.length >= 32) await server.upload("aind-open-data", batch.splice(0));
  }
  await server.upload("aind-open-data", batch);
  console.log(
    `Generated (or read from bench/out) and uploaded ${keys.length} chunks, ${
      (stored / MB).toFixed(0)
    } MB stored (Blosc ratio ${(voxelBytes / stored).toFixed(2)}) in ${
      ((performance.now() - t) / 1000).toFixed(1)
    } s\n`,
  );

  console.log("Stages (ceilings of this machine)");
  const store = new S3Store(`s3://aind-open-data/${prefix}`, {
    endpoint: server.endpoint,
    maxConcurrency: 16,
  });
  let cpu = cpuSeconds();
  t = performance.now();
  const chunks = (await Promise.all(keys.map((key) => store.get("/" + key.slice(prefix.length + 1))))).map((
    c,
  ) => c!);
  const fetchSeconds = (performance.now() - t) / 1000;
  const fetchCpu = cpuSeconds() - cpu;
  store.close();
  row("GET all chunks, 16 in flight (client+server)", fetchSeconds, fetchCpu);

  const pool = sharedWorkerPool();
  const release = pool.hold();
  let decoded: Uint8Array[] = [];
  const modes: [string, boolean][] = native && !values["no-pure"]
    ? [["native", true], ["pure", false]]
    : [[native ? "native" : "pure", native]];
  const stage: Record<string, { decode: [number, number]; gzip: [number, number] }> = {};
  for (const [mode, useNative] of modes) {
    if (useNative) Deno.env.delete(NATIVE_ENV);
    else Deno.env.set(NATIVE_ENV, "0");
    cpu = cpuSeconds();
    t = performance.now();
    decoded = await Promise.all(chunks.map((bytes) => pool.run<Uint8Array>({ op: "blosc", bytes })));
    const decode: [number, number] = [(performance.now() - t) / 1000, cpuSeconds() - cpu];
    row(`decode, ${pool.size} workers (${mode === "native" ? "c-blosc" : "TS + node:zlib zstd"})`, ...decode);
    cpu = cpuSeconds();
    t = performance.now();
    const gzip = createParallelGzip(() => Promise.resolve(), { level: gzipLevel });
    for (const chunk of decoded) await gzip.write(chunk);
    const gzipBytes = await gzip.end();
    const gz: [number, number] = [(performance.now() - t) / 1000, cpuSeconds() - cpu];
    row(
      `gzip level ${gzipLevel}, ${pool.size} workers (${
        mode === "native" && gzipLevel === 1 ? "ISA-L" : "libdeflate WASM"
      })`,
      ...gz,
      ` ratio ${(voxelBytes / gzipBytes).toFixed(3)}`,
    );
    stage[mode] = { decode, gzip: gz };
  }
  Deno.env.delete(NATIVE_ENV);
  // A Blosc decode on this thread, for the per-core figure.
  t = performance.now();
  for (const chunk of chunks.slice(0, 16)) decodeBlosc(chunk);
  row(
    "decode, 1 core, TS + node:zlib (16 chunks, est.)",
    (performance.now() - t) / 1000 * chunks.length / 16,
    undefined,
  );

  // The content check: planes from the middle of every chunk row, in the file's order (z, y, x).
  const [nz, ny, nx] = shape;
  const rows = Math.ceil(nz / CHUNK), across = [Math.ceil(ny / CHUNK), Math.ceil(nx / CHUNK)];
  const planes = 8;
  const sample = new Uint16Array(rows * planes * ny * nx);
  for (let cz = 0; cz < rows; cz++) {
    const depth = Math.min(CHUNK, nz - cz * CHUNK);
    const z0 = Math.floor(depth / 2) - planes / 2;
    for (let cy = 0; cy < across[0]; cy++) {
      for (let cx = 0; cx < across[1]; cx++) {
        const chunk = new Uint16Array(decoded[(cz * across[0] + cy) * across[1] + cx].buffer);
        const width = Math.min(CHUNK, nx - cx * CHUNK);
        for (let p = 0; p < planes; p++) {
          for (let dy = 0; dy < CHUNK && cy * CHUNK + dy < ny; dy++) {
            const from = ((z0 + p) * CHUNK + dy) * CHUNK;
            sample.set(
              chunk.subarray(from, from + width),
              ((cz * planes + p) * ny + cy * CHUNK + dy) * nx + cx * CHUNK,
            );
          }
        }
      }
    }
  }
  console.log(await zlibCheck(python, new Uint8Array(sample.buffer)));
  release();
  decoded = [];
  chunks.length = 0;
  pool.close();

  const dir = await Deno.makeTempDir({ prefix: "spimfetch-bench-" });
  type Result = {
    seconds: number;
    peakRss: number;
    cpuSeconds: number;
    server: number;
    label: string;
    bytes: number;
  };
  const results: Result[] = [];
  const runs: [string, string[], Record<string, string>][] = [];
  // "Before": the pure codecs with whole chunk-row slabs and a 16 MiB cache, as spimfetch ran before
  // native codecs and thin slabs; "after": the defaults.
  const before = ["--max-slab-mb", "Infinity", "--cache-mb", "16"];
  const pure = { [NATIVE_ENV]: "0" };
  if (!values["no-pure"]) {
    runs.push([
      "export .nii.gz uint16 (before: pure, whole rows)",
      ["--out", `${dir}/a.nii.gz`, ...before],
      pure,
    ]);
    runs.push(["export .nii uint16 (before: pure, whole rows)", ["--out", `${dir}/c.nii`, ...before], pure]);
  }
  const mode = native ? "native" : "pure";
  runs.push([`export .nii.gz uint16 (${mode}, defaults)`, ["--out", `${dir}/a.nii.gz`], {}]);
  runs.push([`export .nii uint16 (${mode}, defaults)`, ["--out", `${dir}/c.nii`], {}]);
  // This server speaks plain HTTP, so every body is checked against its MD5 ETag; over HTTPS (AWS) TLS
  // checks the bytes instead and the MD5 is skipped: this row shows what the check costs.
  runs.push([`export .nii uint16 (${mode}, no MD5 check, as over HTTPS)`, [
    "--out",
    `${dir}/f.nii`,
    "--verify-etag",
    "false",
  ], {}]);
  if (native && values.only) {
    runs.push(["export .nii.gz uint16 (pure, defaults)", ["--out", `${dir}/a.nii.gz`], pure]);
  }
  // The pipeline's other roads: a reorientation that moves z (through the temporary file), and OME-Zarr.
  runs.push([`export .nii.gz uint16 --orientation PIR (${mode})`, [
    "--out",
    `${dir}/p.nii.gz`,
    "--orientation",
    "PIR",
  ], {}]);
  runs.push([`export .ome.zarr uint16 NGFF 0.4 (${mode})`, ["--out", `${dir}/z.ome.zarr`], {}]);
  // Paired: the same export through the CLI with all permissions and through the launcher.
  for (const [ext, file] of [[".nii.gz", "d.nii.gz"], [".nii", "e.nii"]]) {
    runs.push([`export ${ext} uint16 (deno run -A cli.ts fetch)`, ["--out", `${dir}/${file}`], {}]);
    runs.push([`export ${ext} uint16 (launcher, deno task cli fetch)`, ["--out", `${dir}/${file}`], {}]);
  }
  runs.push([
    `export .nii.gz float32 (${mode}, defaults)`,
    ["--out", `${dir}/b.nii.gz`, "--dtype", "float32"],
    {},
  ]);
  console.log(`\nEnd to end (each in its own process; CPU = the process + the S3 server)`);
  for (const [label, args, env] of runs) {
    if (values.only ? !label.includes(values.only) : label.includes("float32")) continue;
    const serverCpu = cpuSeconds();
    if (label.includes("cli.ts") || label.includes("launcher")) {
      // The CLI as users run it: through the launcher (what `deno task cli` and the installed command run,
      // with its least-privilege permissions), or `deno run -A cli.ts`; measured from outside by GNU time.
      const result = await timeCli(label.includes("launcher"), args, env, { endpoint: server.endpoint, dir });
      const serverSeconds = cpuSeconds() - serverCpu;
      results.push({ ...result, server: serverSeconds, label });
      row(
        label,
        result.seconds,
        result.cpuSeconds + serverSeconds,
        `  (${result.cpuSeconds.toFixed(1)} + server ${serverSeconds.toFixed(1)}), peak RSS ${
          (result.peakRss / 2 ** 20).toFixed(0)
        } MiB`,
      );
      // The output and its sidecar: the next run of the same command would refuse to replace either.
      await Deno.remove(args[1]);
      await Deno.remove(sidecarOf(args[1])).catch(() => {});
      continue;
    }
    const result = await exportOnce(args, env, { endpoint: server.endpoint, asset });
    const serverSeconds = cpuSeconds() - serverCpu;
    results.push({ ...result, server: serverSeconds, label });
    row(
      label,
      result.seconds,
      result.cpuSeconds + serverSeconds,
      `  (${result.cpuSeconds.toFixed(1)}, main thread ${result.mainCpuSeconds.toFixed(1)}; + server ${
        serverSeconds.toFixed(1)
      }), peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
    // The output (a store is a directory) and its sidecar.
    await Deno.remove(args[1], { recursive: true });
    await Deno.remove(sidecarOf(args[1])).catch(() => {});
  }

  type PythonResult = Result & { readSeconds: number; writeSeconds: number };
  /** The Python stack's export of the image at `image` (an S3 prefix) to `out`, printed as a row. */
  const pythonExport = async (image: string, out: string, tag: string): Promise<PythonResult | undefined> => {
    const serverCpu = cpuSeconds();
    const output = await new Deno.Command(python!, {
      args: [
        new URL("./python_export.py", import.meta.url).pathname,
        server.endpoint,
        "aind-open-data",
        image,
        "0",
        out,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!output.success) {
      console.log(`Python stack ${tag}${out.slice(-6)}: failed (see above)`);
      return undefined;
    }
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    const serverSeconds = cpuSeconds() - serverCpu;
    const label = `${tag}Python zarr+boto3+nibabel ${out.endsWith(".gz") ? `.nii.gz gzip 1` : ".nii"}`;
    row(
      label,
      result.seconds,
      result.cpuSeconds + serverSeconds,
      `  (read ${result.readSeconds.toFixed(1)} s + write ${result.writeSeconds.toFixed(1)} s; ${
        result.cpuSeconds.toFixed(1)
      } + server ${serverSeconds.toFixed(1)}), peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB`,
      image === prefix ? voxelBytes : undefined,
    );
    await Deno.remove(out);
    return { ...result, server: serverSeconds, label };
  };
  let pythonGz: PythonResult | undefined;
  let pythonNii: typeof pythonGz;
  if (python && !values.only) {
    for (const out of [`${dir}/p.nii.gz`, `${dir}/p.nii`]) {
      const result = await pythonExport(prefix, out, "");
      if (out.endsWith(".gz")) pythonGz = result;
      else pythonNii = result;
    }
  }
  if (results.length > 0) {
    console.log("\nAgainst the Python stack and the targets (CPU-s/GB of the exporting process alone)");
    for (const result of results) {
      const gz = result.label.includes(".nii.gz");
      const reference = gz ? pythonGz : pythonNii;
      // As the issue counts it: the exporting process alone (the server is shown beside it).
      const cpuPerGb = result.cpuSeconds / GB;
      const zarr = result.label.includes(".ome.zarr");
      // Issue 21's targets (.nii.gz, .nii, memory); issue 16's for .ome.zarr (the throughput of the same
      // run's .nii.gz export with the same codecs) and for the reoriented export (600 MiB).
      const niiGz = results.find((r) => r.label === `export .nii.gz uint16 (${mode}, defaults)`);
      const target = zarr
        ? `CPU-s/GB ≤ the .nii.gz row's${niiGz ? ` (${(niiGz.cpuSeconds / GB).toFixed(1)})` : ""}`
        : gz
        ? "≤ 0.45 × Python, ≤ 13 CPU-s/GB"
        : "≤ 5 CPU-s/GB";
      const memory = result.label.includes("--orientation") ? "≤ 600 MiB" : zarr ? "" : "≤ 512 MiB";
      // nibabel writes with zlib at level 1: the same voxels in the same order, so the ratios compare.
      const ratio = gz
        ? `, file ratio ${(voxelBytes / (result.bytes - 352)).toFixed(3)}${
          reference ? ` (Python's zlib level 1: ${(voxelBytes / (reference.bytes - 352)).toFixed(3)})` : ""
        }`
        : "";
      console.log(
        `${result.label.padEnd(44)} ${
          zarr
            ? ""
            : reference
            ? `${(result.seconds / reference.seconds).toFixed(2)} × Python's wall, `
            : "(no Python row), "
        }${cpuPerGb.toFixed(1)} CPU-s/GB, peak RSS ${
          (result.peakRss / 2 ** 20).toFixed(0)
        } MiB${ratio} (targets: ${
          result.label.includes("uint16") ? [target, memory].filter(Boolean).join(", ") : "none"
        })`,
      );
    }
    if (stage.native && stage.pure) {
      const perGb = (s: [number, number]): string => (s[1] / GB).toFixed(1);
      console.log(
        `Stage CPU-s/GB, pure → native: decode ${perGb(stage.pure.decode)} → ${
          perGb(stage.native.decode)
        }, ` +
          `gzip ${perGb(stage.pure.gzip)} → ${perGb(stage.native.gzip)}, GET ${(fetchCpu / GB).toFixed(1)}`,
      );
    }
  }
  if (runLevel2) {
    // Same subject and acquisition (so the same acquisition.json), another stitching run: another asset.
    const asset2 = asset.replace(/\d\d$/, "55");
    const prefix2 = `${asset2}/processed/OMEZarr/Ex_561_Em_593.zarr`;
    const shape2 = LEVEL2_SHAPE;
    const bytes2 = shape2[0] * shape2[1] * shape2[2] * 2;
    console.log(
      `\nLevel-2 case: ${shape2.join(" x ")} (z, y, x) uint16 = ${(bytes2 / MB).toFixed(0)} MB (${
        (bytes2 / voxelBytes).toFixed(1)
      } × the level above), same generator, chunks and codec`,
    );
    t = performance.now();
    await buildRealisticLevel(shape2, cacheDir, {
      onRow: (done, rows) => console.error(`level 2: chunk row ${done} of ${rows} built in bench/out`),
    });
    const builtSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    let stored2 = 0, chunks2 = 0;
    const batch2: [string, Uint8Array][] = [];
    for await (const [key, bytes] of realisticLevelObjects(prefix2, shape2, { cacheDir })) {
      batch2.push([key, bytes]);
      stored2 += bytes.length;
      if (/\/0\/0\/0\//.test(key)) chunks2++;
      if (batch2.length >= 32) await server.upload("aind-open-data", batch2.splice(0));
    }
    await server.upload("aind-open-data", batch2);
    console.log(
      `Built (or found in bench/out) in ${builtSeconds.toFixed(1)} s; uploaded ${chunks2} chunks, ${
        (stored2 / MB).toFixed(0)
      } MB stored (Blosc ratio ${(bytes2 / stored2).toFixed(2)}) in ${
        ((performance.now() - t) / 1000).toFixed(1)
      } s`,
    );
    const mode2 = native ? "native" : "pure";
    const runs2: [string, string, string[]][] = [
      [`level 2 export .nii.gz uint16 (${mode2}, defaults)`, `export .nii.gz uint16 (${mode2}, defaults)`, [
        "--out",
        `${dir}/l2.nii.gz`,
      ]],
      [`level 2 export .ome.zarr uint16 NGFF 0.4 (${mode2})`, `export .ome.zarr uint16 NGFF 0.4 (${mode2})`, [
        "--out",
        `${dir}/l2.ome.zarr`,
      ]],
      // A level-2 chunk row, compressed (about 460 MB), does not fit the default chunk cache, so the
      // defaults spill the row's chunks to disk beside the output and keep thin slabs (before: whole chunk
      // rows, 1.2 GB slabs); this row keeps the row in a cache instead, for comparison. A 512 MiB cache did
      // not keep a row (chunks were fetched again: 3× the CPU); 1 GiB did.
      [
        `level 2 export .nii.gz uint16 (${mode2}, 24 MiB slabs, 1 GiB cache)`,
        `export .nii.gz uint16 (${mode2}, defaults)`,
        ["--out", `${dir}/l2t.nii.gz`, "--max-slab-mb", "24", "--cache-mb", "1024"],
      ],
    ];
    const compared: string[] = [];
    for (const [label, level3Label, args] of runs2) {
      const serverCpu = cpuSeconds();
      const result = await exportOnce(args, {}, { endpoint: server.endpoint, asset: asset2 });
      const serverSeconds = cpuSeconds() - serverCpu;
      row(
        label,
        result.seconds,
        result.cpuSeconds + serverSeconds,
        `  (${result.cpuSeconds.toFixed(1)}, main thread ${result.mainCpuSeconds.toFixed(1)}; + server ${
          serverSeconds.toFixed(1)
        }), peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB`,
        bytes2,
      );
      await Deno.remove(args[1], { recursive: true });
      await Deno.remove(sidecarOf(args[1])).catch(() => {});
      const level3 = results.find((r) => r.label === level3Label);
      if (level3) {
        const perGb2 = result.cpuSeconds / (bytes2 / 1e9), perGb3 = level3.cpuSeconds / GB;
        compared.push(
          `${label.replace("level 2 export ", "").padEnd(40)} CPU-s/GB level 2 ${
            perGb2.toFixed(1)
          } vs level 3 ${perGb3.toFixed(1)} (× ${(perGb2 / perGb3).toFixed(2)}); wall per GB × ${
            ((result.seconds / bytes2) / (level3.seconds / voxelBytes)).toFixed(2)
          }; peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} vs ${
            (level3.peakRss / 2 ** 20).toFixed(0)
          } MiB`,
        );
      }
    }
    if (python) {
      // The Python stack reads the whole level into memory: at level 3 it peaked at 3.4 × the voxels.
      const perVoxelByte = pythonGz ? pythonGz.peakRss / voxelBytes : 3.5;
      const needed = perVoxelByte * bytes2, available = availableMemory();
      if (available > 1.2 * needed) {
        await pythonExport(prefix2, `${dir}/p2.nii.gz`, "level 2 ");
      } else {
        console.log(
          `level 2 Python row skipped: it would hold about ${(needed / 2 ** 30).toFixed(1)} GiB (${
            perVoxelByte.toFixed(1)
          } × the voxels, as at level 3) and ${(available / 2 ** 30).toFixed(1)} GiB is available`,
        );
      }
    }
    if (compared.length > 0) {
      console.log("\nLevel 2 against level 3 (the exporting process alone; linear cost means × 1.00)");
      for (const line of compared) console.log(line);
    }
  }
  console.log(`\nDone ${new Date().toISOString()}, load average ${loadAverage()}`);
  await Deno.remove(dir, { recursive: true });
} finally {
  await server.close();
}
