/**
 * The gzip stage alone, on the benchmark's realistic content: CPU seconds per
 * GB and ratio of each deflate spimfetch can run, one segment after another on
 * this thread (1 MiB segments, as the parallel writer cuts them), against
 * Python's zlib at the same level on the same bytes.
 *
 * The sample is `--planes N` z-planes (default 64) from the middle of the
 * realistic level-3 volume (`realistic_level3.ts`), in NIfTI's voxel order,
 * kept in `bench/out/` between runs. CPU time is this process's user+sys
 * (`/proc/self/stat`), so a busy machine changes wall time, not the figures.
 *
 * ```sh
 * deno run -A bench/gzip_bench.ts [--planes 64] [--level 1]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { deflateSegmentWasm } from "../lib/codecs/_wasm_deflate.ts";
import { deflateSegmentNative, hasNativeDeflate, isalLevelFor } from "../lib/codecs/_ffi_isal.ts";
import { CHUNK, LEVEL3_SHAPE, RealisticLevel } from "./realistic_level3.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { planes: { type: "string" }, level: { type: "string" } },
});
const planes = Number(values.planes ?? 64);
const gzipLevel = Number(values.level ?? 1);
const SEGMENT = 1 << 20;

/** CPU time of this process (user + sys, all threads), in seconds. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `planes` z-planes from the middle of the realistic level, C order (z, y, x), as uint16 bytes. */
function sample(): Uint8Array {
  const [nz, ny, nx] = LEVEL3_SHAPE;
  const path = new URL(`./out/gzip_sample_${planes}.u16`, import.meta.url);
  try {
    return Deno.readFileSync(path);
  } catch {
    // Built below.
  }
  const z0 = Math.floor(nz / 2 - planes / 2);
  const out = new Uint16Array(planes * ny * nx);
  const level = new RealisticLevel();
  const chunk = new Uint16Array(CHUNK ** 3);
  for (let cz = Math.floor(z0 / CHUNK); cz * CHUNK < z0 + planes; cz++) {
    for (let cy = 0; cy * CHUNK < ny; cy++) {
      for (let cx = 0; cx * CHUNK < nx; cx++) {
        level.fill(cz, cy, cx, chunk);
        for (let dz = 0; dz < CHUNK; dz++) {
          const z = cz * CHUNK + dz;
          if (z < z0 || z >= z0 + planes) continue;
          for (let dy = 0; dy < CHUNK && cy * CHUNK + dy < ny; dy++) {
            const width = Math.min(CHUNK, nx - cx * CHUNK);
            const from = (dz * CHUNK + dy) * CHUNK;
            out.set(chunk.subarray(from, from + width), ((z - z0) * ny + cy * CHUNK + dy) * nx + cx * CHUNK);
          }
        }
      }
    }
  }
  const bytes = new Uint8Array(out.buffer);
  Deno.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  Deno.writeFileSync(path, bytes);
  return bytes;
}

function run(
  label: string,
  deflate: (segment: Uint8Array, final: boolean) => Uint8Array,
  data: Uint8Array,
): void {
  const start = cpuSeconds();
  let compressed = 0;
  for (let at = 0; at < data.length; at += SEGMENT) {
    const end = Math.min(at + SEGMENT, data.length);
    compressed += deflate(data.subarray(at, end), end === data.length).length;
  }
  const cpu = cpuSeconds() - start;
  console.log(
    `${label.padEnd(40)} ${(cpu / (data.length / 1e9)).toFixed(2).padStart(6)} CPU-s/GB ${
      (data.length / 1e6 / cpu).toFixed(0).padStart(5)
    } MB/s/core  ratio ${(data.length / (compressed + 18)).toFixed(3)}`,
  );
}

async function pythonZlib(data: Uint8Array, level: number): Promise<string> {
  try {
    const child = new Deno.Command("python3", {
      args: [
        "-c",
        "import sys, time, zlib\nd = sys.stdin.buffer.read()\nt = time.process_time()\n" +
        `c = zlib.compress(d, ${level})\nprint(time.process_time() - t, len(d) / len(c))`,
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(data);
    await writer.close();
    const [cpu, ratio] = new TextDecoder().decode((await child.output()).stdout).trim().split(" ").map(
      Number,
    );
    return `${`Python zlib level ${level} (one stream)`.padEnd(40)} ${
      (cpu / (data.length / 1e9)).toFixed(2).padStart(6)
    } CPU-s/GB ${(data.length / 1e6 / cpu).toFixed(0).padStart(5)} MB/s/core  ratio ${ratio.toFixed(3)}`;
  } catch {
    return "(no python3: zlib row skipped)";
  }
}

const data = sample();
console.log(
  `Sample: ${planes} planes of ${LEVEL3_SHAPE.slice(1).join(" x ")} uint16 = ${
    (data.length / 1e6).toFixed(0)
  } MB, 1 MiB segments, one thread (the machine may be busy: CPU time, not wall)`,
);
console.log(await pythonZlib(data, gzipLevel));
const zlibLevel = gzipLevel === 1 ? 2 : gzipLevel;
run(`node:zlib level ${zlibLevel} (fallback)`, (s, final) =>
  zlib.deflateRawSync(s, {
    level: zlibLevel,
    finishFlush: final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  }), data);
for (const level of new Set([1, 2, 3, 4, gzipLevel])) {
  run(`libdeflate WASM level ${level}`, (s, final) => deflateSegmentWasm(s, { level, final }), data);
}
const isal = isalLevelFor(gzipLevel);
if (isal !== undefined && hasNativeDeflate()) {
  run(
    `ISA-L igzip level ${isal} (FFI)`,
    (s, final) => deflateSegmentNative(s, { level: isal, final })!,
    data,
  );
} else {
  console.log("(ISA-L not loaded: needs libisal2 and unscoped --allow-ffi)");
}
