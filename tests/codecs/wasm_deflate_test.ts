/**
 * libdeflate as WebAssembly (`lib/codecs/_wasm_deflate.ts`): the committed
 * module is what the build script makes from the vendored source, and
 * segments joined with sync flushes are one deflate stream, checked with two
 * inflaters that share no code with libdeflate: Python's zlib (through
 * python3) and Deno's `node:zlib`, plus fflate (which reads only a gzip
 * file's first member, so a whole result proves one member).
 *
 * The rebuild test needs Debian's clang, lld, wasi-libc and patch; the
 * inflater test needs python3. Without them each is skipped locally, saying
 * so, and fails when `CI=true` (`.ci/run` installs them).
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { gunzipSync } from "fflate";
import zlib from "node:zlib";
import { deflateSegmentWasm } from "../../lib/codecs/_wasm_deflate.ts";
import { pythonGunzipSha256, pythonZlibMissing, sha256Hex } from "../../testing/python_zlib.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const inCi = Deno.env.get("CI") === "true";

async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** What is missing to run a test, or undefined; in CI a missing tool is a failing test, not a skip. */
function requirement(name: string, missing: string | undefined): { name: string; ignore: boolean } {
  if (missing && inCi) {
    Deno.test(`${name} (CI): ${missing}`, () => {
      throw new Error(`Cannot run "${name}" in CI: ${missing}; .ci/run should have installed it`);
    });
  } else if (missing) console.warn(`WARNING: "${name}" SKIPPED: ${missing}; .ci/run installs it.`);
  return { name: missing ? `${name} (SKIPPED: ${missing})` : name, ignore: missing !== undefined };
}

const toolchain = (await commandWorks("clang", ["--version"])) &&
    (await commandWorks("wasm-ld", ["--version"])) && (await commandWorks("patch", ["--version"])) &&
    (await Deno.stat("/usr/lib/wasm32-wasi/libc.a").then(() => true, () => false))
  ? undefined
  : "clang, lld, wasi-libc or patch is missing";
const python = await pythonZlibMissing();

Deno.test({
  ...requirement("tools/build_deflate_wasm.sh rebuilds lib/codecs/_deflate.wasm byte for byte", toolchain),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/deflate.wasm`;
      const build = await new Deno.Command("sh", {
        args: [`${root}/tools/build_deflate_wasm.sh`, out],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(build.success, new TextDecoder().decode(build.stderr));
      const rebuilt = await Deno.readFile(out);
      const committed = await Deno.readFile(`${root}/lib/codecs/_deflate.wasm`);
      assertEquals(rebuilt.length, committed.length);
      assert(
        rebuilt.every((b, i) => b === committed[i]),
        "the rebuilt module differs from the committed one",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the module imports nothing (it needs no permission) and exports only the deflate API", async () => {
  const module = new WebAssembly.Module(await Deno.readFile(`${root}/lib/codecs/_deflate.wasm`));
  assertEquals(WebAssembly.Module.imports(module), []);
  assertEquals(WebAssembly.Module.exports(module).map((e) => e.name).sort(), [
    "alloc",
    "bound",
    "deflate",
    "free",
    "memory",
  ]);
});

/** Deterministic pseudo-random bytes (xorshift32), incompressible. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s;
  }
  return out;
}

/** uint16 voxels like a light-sheet volume: an offset, a slow texture and noise (compressible, not trivially). */
function voxels(count: number, seed: number): Uint8Array {
  const random = noise(count, seed);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = 100 + 300 * (1 + Math.sin(i / 5000)) + (random[i] & 31);
  return new Uint8Array(out.buffer);
}

/** One gzip member from segments: header, the segments as deflated apart, CRC-32 and length of the whole. */
function gzipOf(segments: Uint8Array[], level: number): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])];
  let crc = 0;
  let length = 0;
  segments.forEach((segment, i) => {
    parts.push(deflateSegmentWasm(segment, { level, final: i === segments.length - 1 }));
    crc = zlib.crc32(segment, crc);
    length += segment.length;
  });
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc >>> 0, true);
  new DataView(trailer.buffer).setUint32(4, length % 2 ** 32, true);
  parts.push(trailer);
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (file.set(p, at), at + p.length), 0);
  return file;
}

function concat(segments: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(segments.reduce((n, s) => n + s.length, 0));
  segments.reduce((at, s) => (all.set(s, at), at + s.length), 0);
  return all;
}

// Each case is the segments of one stream. Incompressible data makes libdeflate write stored blocks of
// at most 65535 bytes, so lengths of 65535 and 2 × 65535 end a segment exactly on a block boundary; short
// segments (under 56 bytes) take libdeflate's pass-through path; many lengths between cover every count
// of pending bits before the sync flush.
const CASES: [string, Uint8Array[]][] = [
  ["one empty segment", [new Uint8Array(0)]],
  ["empty segments first, between and last", [
    new Uint8Array(0),
    voxels(5000, 1),
    new Uint8Array(0),
    voxels(7000, 2),
    new Uint8Array(0),
  ]],
  ["single bytes", [new Uint8Array([7]), new Uint8Array([0]), new Uint8Array([255])]],
  ["incompressible segments ending on stored-block boundaries", [
    noise(65535, 3),
    noise(2 * 65535, 4),
    noise(65536, 5),
    noise(1, 6),
  ]],
  ["incompressible then compressible", [noise(100000, 7), voxels(100000, 8), noise(3, 9)]],
  [
    "segments of 1 to 60 bytes (the pass-through path)",
    Array.from({ length: 60 }, (_, i) => voxels(i + 1, i)),
  ],
  [
    "80 segments of varied lengths (every pending bit count)",
    Array.from({ length: 80 }, (_, i) => voxels(997 + i * 613, 100 + i)),
  ],
  ["large: 24 MiB in 1 MiB segments", Array.from({ length: 24 }, (_, i) => voxels(1 << 19, 200 + i))],
];

Deno.test({
  ...requirement(
    "sync-flushed libdeflate segments join into one gzip member that Python's zlib, node:zlib and fflate read whole",
    python,
  ),
  fn: async () => {
    for (const level of [1, 6]) {
      const files = CASES.map(([, segments]) => gzipOf(segments, level));
      const expected = await Promise.all(CASES.map(([, segments]) => sha256Hex(concat(segments))));
      assertEquals(await pythonGunzipSha256(files), expected, `level ${level}: Python's zlib`);
      for (const [i, [name, segments]] of CASES.entries()) {
        const data = concat(segments);
        assertEquals(new Uint8Array(zlib.gunzipSync(files[i])), data, `level ${level}, ${name}: node:zlib`);
        assertEquals(gunzipSync(files[i]), data, `level ${level}, ${name}: fflate (first member only)`);
      }
    }
  },
});

Deno.test("a segment that is not the last has no final block: inflating it alone needs more input", () => {
  for (const segment of [new Uint8Array(0), new Uint8Array([1]), voxels(300000, 11), noise(65535, 12)]) {
    const open = deflateSegmentWasm(segment, { level: 1, final: false });
    // zlib's sync-flush marker, an empty stored block, ends it on a byte boundary; libdeflate stores inputs
    // under 56 bytes as they are, in non-final stored blocks, which end on a byte boundary by themselves.
    if (segment.length === 0 || segment.length > 55) assertEquals([...open.subarray(-4)], [0, 0, 0xff, 0xff]);
    else assertEquals(open[0] & 7, 0, "a non-final stored block");
    let error: unknown;
    try {
      zlib.inflateRawSync(open, { finishFlush: zlib.constants.Z_FINISH });
    } catch (e) {
      error = e;
    }
    assert(error instanceof Error && /unexpected end/i.test(error.message), String(error));
    // What it holds so far is the whole segment.
    assertEquals(
      new Uint8Array(zlib.inflateRawSync(open, { finishFlush: zlib.constants.Z_SYNC_FLUSH })),
      segment,
    );
  }
});

Deno.test("every libdeflate level 0-12 makes joinable segments; other levels are refused", () => {
  const data = voxels(200000, 13);
  for (let level = 0; level <= 12; level++) {
    const a = deflateSegmentWasm(data.subarray(0, 70000), { level, final: false });
    const b = deflateSegmentWasm(data.subarray(70000), { level, final: true });
    assertEquals(new Uint8Array(zlib.inflateRawSync(concat([a, b]))), data, `level ${level}`);
  }
  for (const level of [-1, 13, 1.5]) {
    let error: unknown;
    try {
      deflateSegmentWasm(data, { level, final: true });
    } catch (e) {
      error = e;
    }
    assert(error instanceof RangeError && error.message.includes(`level ${level}`), String(error));
  }
});
