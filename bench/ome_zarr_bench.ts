/**
 * `deno task bench:ome-zarr`: writes the same realistic voxels (SmartSPIM level-3 shape, 464 × 1280 × 925
 * uint16, content from `realistic_level3.ts`) as `.nii.gz` with {@linkcode writeNifti} and as OME-Zarr with
 * {@linkcode writeOmeZarr} (NGFF 0.4 Blosc zstd level 1 in 256 KiB blocks, the default; NGFF 0.5 sharded; gzip chunks), streamed
 * in 16-plane slabs from a raw file in `bench/out` (generated once, about a minute), so only the writers
 * are timed. Each writer runs in its own process: wall time, throughput on the voxel bytes, CPU seconds
 * (all threads, workers included), CPU-s per GB, peak RSS and output size.
 *
 * Flags: `--quick` (a quarter of the volume), `--only TEXT` (cases whose label contains TEXT).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeNifti } from "../lib/write/nifti.ts";
import { writeOmeZarr, type WriteOmeZarrOptions } from "../lib/write/ome_zarr.ts";
import type { ImageGeometry } from "../lib/core/volume.ts";
import { CHUNK, LEVEL3_SHAPE, RealisticLevel } from "./realistic_level3.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    case: { type: "string" },
    raw: { type: "string" },
    shape: { type: "string" },
  },
});
const OUT = new URL("./out", import.meta.url).pathname;
const SLAB_PLANES = 16;
// The reference acquisition's geometry at level 3 (x to the right, y anterior, z inferior).
const GEOMETRY: ImageGeometry = {
  spacing: [0.0144, 0.0144, 0.016],
  origin: [13.3056, 18.4176, 7.408],
  direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
};

interface Case {
  label: string;
  path: string;
  write: (path: string, image: Parameters<typeof writeOmeZarr>[1]) => Promise<unknown>;
}

const zarrCase = (label: string, name: string, options: Partial<WriteOmeZarrOptions>): Case => ({
  label,
  path: `${OUT}/${name}`,
  write: (path, image) => writeOmeZarr(path, image, { geometry: GEOMETRY, force: true, ...options }),
});
const CASES: Case[] = [
  {
    label: ".nii.gz (writeNifti, gzip 1, workers)",
    path: `${OUT}/bench.nii.gz`,
    write: (path, image) => writeNifti(path, image, { geometry: GEOMETRY, force: true }),
  },
  zarrCase(".ome.zarr 0.4 blosc-zstd 1 (default)", "bench_04.ome.zarr", {}),
  zarrCase(".ome.zarr 0.4 blosc-lz4 2", "bench_lz4.ome.zarr", { codec: "blosc-lz4" }),
  zarrCase(".ome.zarr 0.5 sharded 128x512x512", "bench_05.ome.zarr", {
    version: "0.5",
    shardShape: [128, 512, 512],
  }),
  zarrCase(".ome.zarr 0.4 gzip 1", "bench_gzip.ome.zarr", { codec: "gzip" }),
];

function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMiB(): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:"));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function sizeOf(path: string): Promise<number> {
  const info = await Deno.stat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) total += await sizeOf(`${path}/${entry.name}`);
  return total;
}

/** Writes the realistic level as raw uint16 (C order), chunk row by chunk row, unless it is there. */
async function ensureRaw(shape: [number, number, number]): Promise<string> {
  const path = `${OUT}/realistic_${shape.join("x")}.u16`;
  const [nz, ny, nx] = shape;
  try {
    if ((await Deno.stat(path)).size === nz * ny * nx * 2) return path;
  } catch {
    // Not generated yet.
  }
  console.error(`generating ${path} (once)...`);
  await Deno.mkdir(OUT, { recursive: true });
  const level = new RealisticLevel(shape);
  const chunk = new Uint16Array(CHUNK ** 3);
  const file = await Deno.open(`${path}.partial`, { write: true, create: true, truncate: true });
  for (let cz = 0; cz * CHUNK < nz; cz++) {
    const depth = Math.min(CHUNK, nz - cz * CHUNK);
    const row = new Uint16Array(depth * ny * nx);
    for (let cy = 0; cy * CHUNK < ny; cy++) {
      for (let cx = 0; cx * CHUNK < nx; cx++) {
        level.fill(cz, cy, cx, chunk);
        const h = Math.min(CHUNK, ny - cy * CHUNK), w = Math.min(CHUNK, nx - cx * CHUNK);
        for (let z = 0; z < depth; z++) {
          for (let y = 0; y < h; y++) {
            const from = (z * CHUNK + y) * CHUNK;
            row.set(chunk.subarray(from, from + w), (z * ny + cy * CHUNK + y) * nx + cx * CHUNK);
          }
        }
      }
    }
    const bytes = new Uint8Array(row.buffer);
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  }
  file.close();
  await Deno.rename(`${path}.partial`, path);
  return path;
}

async function* slabsOf(raw: string, shape: [number, number, number]): AsyncGenerator<Uint16Array> {
  const [nz, ny, nx] = shape;
  using file = await Deno.open(raw);
  for (let z = 0; z < nz; z += SLAB_PLANES) {
    const slab = new Uint16Array(Math.min(SLAB_PLANES, nz - z) * ny * nx);
    const bytes = new Uint8Array(slab.buffer);
    for (let at = 0; at < bytes.length;) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) throw new Error(`${raw} ended early`);
      at += n;
    }
    yield slab;
  }
}

/** The child: one case, timed, printed as JSON. */
async function runCase(label: string, raw: string, shape: [number, number, number]): Promise<void> {
  const found = CASES.find((c) => c.label === label)!;
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  await found.write(found.path, { slabs: slabsOf(raw, shape), shape, dtype: "uint16" });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  console.log(JSON.stringify({ seconds, cpu, rss: peakRssMiB(), bytes: await sizeOf(found.path) }));
}

if (values.case) {
  await runCase(values.case, values.raw!, JSON.parse(values.shape!));
} else {
  const shape: [number, number, number] = values.quick ? [232, 640, 462] : LEVEL3_SHAPE;
  const raw = await ensureRaw(shape);
  const voxelBytes = shape[0] * shape[1] * shape[2] * 2;
  console.log(
    `${shape.join(" × ")} uint16 (${
      (voxelBytes / 1e9).toFixed(2)
    } GB), ${navigator.hardwareConcurrency} cores; ` +
      `slabs of ${SLAB_PLANES} planes from a raw file (page cache)`,
  );
  for (const c of CASES.filter((c) => !values.only || c.label.includes(values.only))) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--case",
        c.label,
        "--raw",
        raw,
        "--shape",
        JSON.stringify(shape),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) {
      console.log(`${c.label.padEnd(40)} FAILED`);
      continue;
    }
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    console.log(
      `${c.label.padEnd(40)} ${r.seconds.toFixed(2).padStart(6)} s ${
        (voxelBytes / 1e6 / r.seconds).toFixed(0).padStart(5)
      } MB/s ${r.cpu.toFixed(1).padStart(6)} CPU-s ${
        (r.cpu / (voxelBytes / 1e9)).toFixed(1).padStart(5)
      } CPU-s/GB ` +
        `${r.rss.toFixed(0).padStart(5)} MiB peak RSS  ratio ${(voxelBytes / r.bytes).toFixed(2)}`,
    );
    await Deno.remove(c.path, { recursive: true }).catch(() => {});
  }
}
