/**
 * `createParallelGzip` on real workers with libdeflate (WebAssembly): one
 * gzip member whatever the segment and write sizes, read whole by Python's
 * zlib, `node:zlib` and fflate (first member only); the codec that ran is
 * reported; and it runs with no permission but reading its own modules, and
 * under the launcher's exact FFI paths (ISA-L through spimfetch's shim where
 * libisal2 is installed), in a child Deno.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { gunzipSync } from "fflate";
import zlib from "node:zlib";
import { createParallelGzip } from "../../lib/codecs/parallel_gzip.ts";
import { WorkerPool } from "../../lib/codecs/worker_pool.ts";
import { nativeLibraryPaths } from "../../lib/codecs/native.ts";
import { CHUNK, RealisticLevel } from "../../bench/realistic_level3.ts";
import { pythonGunzipSha256, pythonZlibMissing, sha256Hex } from "../../testing/python_zlib.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const WASM_LEVEL_1 = "libdeflate 1.25 level 1 (WebAssembly)";

/** uint16 voxels: an offset, a slow texture and noise. */
function voxels(count: number, seed: number): Uint8Array {
  const out = new Uint16Array(count);
  let s = seed | 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = 100 + 300 * (1 + Math.sin(i / 3000)) + (s & 63);
  }
  return new Uint8Array(out.buffer);
}

/** Gzips `data` written in pieces of `writes` bytes; returns the file and the codec reported. */
async function gzip(
  data: Uint8Array,
  options: { segmentBytes: number; writes: number; level?: number; pool: WorkerPool },
): Promise<{ file: Uint8Array; codec: string | undefined; size: number }> {
  const parts: Uint8Array[] = [];
  const gz = createParallelGzip((bytes) => Promise.resolve(void parts.push(bytes.slice())), {
    segmentBytes: options.segmentBytes,
    level: options.level,
    pool: options.pool,
    native: false,
  });
  for (let at = 0; at < data.length; at += options.writes) {
    await gz.write(data.subarray(at, at + options.writes));
  }
  const size = await gz.end();
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
  return { file, codec: gz.codec, size };
}

const python = await pythonZlibMissing();
if (python && Deno.env.get("CI") === "true") {
  Deno.test(`parallel gzip read by Python's zlib (CI): ${python}`, () => {
    throw new Error(`Cannot check gzip with Python in CI: ${python}; .ci/run should have installed it`);
  });
} else if (python) console.warn(`WARNING: the Python zlib check is SKIPPED: ${python}`);

Deno.test("createParallelGzip() with libdeflate (WebAssembly) writes one member, read whole by three inflaters", async () => {
  const pool = new WorkerPool({ size: 2 });
  try {
    const cases: [string, Uint8Array, { segmentBytes: number; writes: number; level?: number }][] = [
      ["nothing", new Uint8Array(0), { segmentBytes: 1000, writes: 1 }],
      ["one byte", new Uint8Array([42]), { segmentBytes: 1000, writes: 1 }],
      ["exactly one segment", voxels(500, 1), { segmentBytes: 1000, writes: 1000 }],
      ["segments and writes that do not line up", voxels(50000, 2), { segmentBytes: 1024, writes: 777 }],
      ["level 6", voxels(300000, 3), { segmentBytes: 65536, writes: 100000, level: 6 }],
      ["level 0 (stored)", voxels(100000, 4), { segmentBytes: 30000, writes: 65536, level: 0 }],
      ["8 MiB in 1 MiB segments", voxels(1 << 22, 5), { segmentBytes: 1 << 20, writes: 3 << 19 }],
    ];
    const files: Uint8Array[] = [];
    for (const [name, data, options] of cases) {
      const { file, codec, size } = await gzip(data, { ...options, pool });
      assertEquals(size, file.length, name);
      assertEquals(new Uint8Array(zlib.gunzipSync(file)), data, `${name}: node:zlib`);
      assertEquals(gunzipSync(file), data, `${name}: fflate (first member only)`);
      assertEquals(codec, `libdeflate 1.25 level ${options.level ?? 1} (WebAssembly)`, name);
      files.push(file);
    }
    if (!python) {
      const expected = await Promise.all(cases.map(([, data]) => sha256Hex(data)));
      assertEquals(await pythonGunzipSha256(files), expected, "Python's zlib");
    }
  } finally {
    pool.close();
  }
});

Deno.test("libdeflate level 1 compresses realistic SmartSPIM voxels at least as well as Python's zlib level 1", async () => {
  if (python) return console.warn(`SKIPPED: ${python}`);
  // Two tissue chunks from the middle of the benchmark's realistic level (camera offset, texture, cells, shot
  // noise): the ratio is a property of the content, and this content compresses like SmartSPIM's.
  const level = new RealisticLevel();
  const chunks = [new Uint16Array(CHUNK ** 3), new Uint16Array(CHUNK ** 3)];
  level.fill(1, 5, 3, chunks[0]);
  level.fill(2, 4, 4, chunks[1]);
  const data = new Uint8Array(2 * CHUNK ** 3 * 2);
  data.set(new Uint8Array(chunks[0].buffer));
  data.set(new Uint8Array(chunks[1].buffer), CHUNK ** 3 * 2);
  const pool = new WorkerPool({ size: 2 });
  try {
    const { file } = await gzip(data, { segmentBytes: 1 << 20, writes: 1 << 20, pool });
    const output = await new Deno.Command("python3", {
      args: ["-c", "import sys, zlib; print(len(zlib.compress(sys.stdin.buffer.read(), 1)))"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = output.stdin.getWriter();
    await writer.write(data);
    await writer.close();
    const zlibBytes = Number(new TextDecoder().decode((await output.output()).stdout));
    // zlib's stream has a 6-byte wrapper, gzip's 18: compare the deflate data.
    assert(
      file.length - 18 <= zlibBytes - 6,
      `libdeflate ${file.length - 18} bytes, zlib level 1 ${zlibBytes - 6}`,
    );
  } finally {
    pool.close();
  }
});

const PROBE = `
import { createParallelGzip } from "${root}/lib/codecs/parallel_gzip.ts";
import { gunzipSync } from "node:zlib";
const data = new Uint8Array(new Uint16Array(300000).map((_, i) => 100 + ((i * 7919) % 613)).buffer);
const parts = [];
const gz = createParallelGzip(async (b) => void parts.push(b.slice()), { segmentBytes: 100000 });
await gz.write(data);
await gz.end();
const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
console.log(JSON.stringify({ codec: gz.codec, ok: new Uint8Array(gunzipSync(file)).every((v, i) => v === data[i]) }));
`;

/** Runs the probe in a child Deno with exactly `flags`; returns what it printed. */
async function probe(flags: string[]): Promise<{ codec: string; ok: boolean }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, PROBE);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--quiet", "--config", `${root}/deno.json`, ...flags, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    return JSON.parse(new TextDecoder().decode(output.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parallel gzip needs only to read its modules (libdeflate as WebAssembly); under the launcher's exact FFI paths it runs ISA-L", async () => {
  // Reading lib/ (the launcher grants it) is what Deno asks to start the workers from their module file.
  assertEquals(await probe([`--allow-read=${root}/lib`]), { codec: WASM_LEVEL_1, ok: true });
  const libraries = nativeLibraryPaths();
  if (libraries.length > 0) {
    const read = `--allow-read=${root},/usr/lib,/lib`;
    // What the launcher grants: FFI for exact paths, enough for the shim, whose API takes only buffers.
    const exact = await probe([read, `--allow-ffi=${libraries.join(",")}`]);
    assert(exact.ok);
    const isal = libraries.some((path) => path.endsWith("libspimfetch_isal.so"));
    if (isal) assertEquals(exact.codec, "ISA-L igzip level 2 (native)");
    else assertEquals(exact.codec, WASM_LEVEL_1);
    // Without the shim's path, libisal alone is not enough: libdeflate, silently.
    const withoutShim = libraries.filter((path) => !path.endsWith("libspimfetch_isal.so"));
    assertEquals(await probe([read, `--allow-ffi=${withoutShim.join(",")}`]), {
      codec: WASM_LEVEL_1,
      ok: true,
    });
    // FFI for every path: the same.
    const all = await probe([read, "--allow-ffi"]);
    assert(all.ok);
    if (isal) assertEquals(all.codec, "ISA-L igzip level 2 (native)");
  }
});
