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
import { concat, gzipOfSegments, JOIN_CASES, noise, voxels } from "../../testing/deflate_segments.ts";
import { commandWorks, requirement } from "../../testing/requirement.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
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

const wasm = (level: number) => (segment: Uint8Array, final: boolean) =>
  deflateSegmentWasm(segment, { level, final });

Deno.test({
  ...requirement(
    "sync-flushed libdeflate segments join into one gzip member that Python's zlib, node:zlib and fflate read whole",
    python,
  ),
  fn: async () => {
    for (const level of [1, 6]) {
      const files = JOIN_CASES.map(([, segments]) => gzipOfSegments(segments, wasm(level)));
      const expected = await Promise.all(JOIN_CASES.map(([, segments]) => sha256Hex(concat(segments))));
      assertEquals(await pythonGunzipSha256(files), expected, `level ${level}: Python's zlib`);
      for (const [i, [name, segments]] of JOIN_CASES.entries()) {
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
