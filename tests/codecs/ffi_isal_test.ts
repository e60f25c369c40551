/**
 * ISA-L through spimfetch's shim (`lib/codecs/_ffi_isal.ts`,
 * `lib/codecs/native/libspimfetch_isal.so`): the committed shim is what the
 * build script makes from `vendor/isal_shim`, it links nothing but ISA-L,
 * and segments joined with sync flushes are one deflate stream, checked with
 * two inflaters that share no code with ISA-L: Python's zlib (through
 * python3) and Deno's `node:zlib`, plus fflate (which reads only a gzip
 * file's first member, so a whole result proves one member).
 *
 * The rebuild needs Debian's clang, lld and libisal-dev; the rest needs
 * libisal2 (and python3, readelf from binutils). Without them each test is skipped locally, saying
 * so, and fails when `CI=true` (`.ci/run` installs them).
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { gunzipSync } from "fflate";
import zlib from "node:zlib";
import { deflateSegmentNative, hasNativeDeflate } from "../../lib/codecs/_ffi_isal.ts";
import { pythonGunzipSha256, pythonZlibMissing, sha256Hex } from "../../testing/python_zlib.ts";
import { concat, gzipOfSegments, JOIN_CASES, noise, voxels } from "../../testing/deflate_segments.ts";
import { commandWorks, requirement } from "../../testing/requirement.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const SHIM = `${root}/lib/codecs/native/libspimfetch_isal.so`;
const exists = (path: string): Promise<boolean> => Deno.stat(path).then(() => true, () => false);

const onPlatform = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
const toolchain = !onPlatform
  ? "the shim is built for x86_64 Linux only"
  : (await commandWorks("clang", ["--version"])) && (await commandWorks("ld.lld", ["--version"])) &&
      (await exists("/usr/include/isa-l/igzip_lib.h"))
  ? undefined
  : "clang, lld or libisal-dev is missing";
const isal = !onPlatform
  ? "the shim is built for x86_64 Linux only"
  : hasNativeDeflate()
  ? undefined
  : "libisal.so.2 (Debian's libisal2) does not load";
const python = isal ?? (await pythonZlibMissing());
const readelf = isal ??
  ((await commandWorks("readelf", ["--version"])) ? undefined : "readelf (binutils) is missing");

Deno.test({
  ...requirement(
    "tools/build_isal_shim.sh rebuilds lib/codecs/native/libspimfetch_isal.so byte for byte",
    toolchain,
  ),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/libspimfetch_isal.so`;
      const build = await new Deno.Command("sh", {
        args: [`${root}/tools/build_isal_shim.sh`, out],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(build.success, new TextDecoder().decode(build.stderr));
      const rebuilt = await Deno.readFile(out);
      const committed = await Deno.readFile(SHIM);
      assertEquals(rebuilt.length, committed.length);
      assert(rebuilt.every((b, i) => b === committed[i]), "the rebuilt shim differs from the committed one");
      // The script's comment names the committed file's digest.
      const script = await Deno.readTextFile(`${root}/tools/build_isal_shim.sh`);
      assert(script.includes(await sha256Hex(committed)), "tools/build_isal_shim.sh names another sha256");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...requirement(
    "the shim needs libisal.so.2 alone, by its soname, and exports only its two functions",
    readelf,
  ),
  fn: async () => {
    const output = await new Deno.Command("readelf", { args: ["-dW", "--dyn-syms", SHIM], stdout: "piped" })
      .output();
    assert(output.success);
    const text = new TextDecoder().decode(output.stdout);
    const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    assertEquals(needed, ["libisal.so.2"]);
    const defined = [...text.matchAll(/FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+(\S+)/g)].map((m) => m[1]).sort();
    assertEquals(defined, ["spim_isal_deflate", "spim_isal_work_bytes"]);
  },
});

const native = (level: number) => (segment: Uint8Array, final: boolean): Uint8Array =>
  deflateSegmentNative(segment, { level, final })!;

Deno.test({
  ...requirement(
    "sync-flushed ISA-L segments join into one gzip member that Python's zlib, node:zlib and fflate read whole",
    python,
  ),
  fn: async () => {
    for (const level of [1, 2, 3]) {
      const files = JOIN_CASES.map(([, segments]) => gzipOfSegments(segments, native(level)));
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

Deno.test({
  ...requirement("an ISA-L segment that is not the last has no final block: alone it needs more input", isal),
  fn: () => {
    for (const segment of [new Uint8Array(0), new Uint8Array([1]), voxels(300000, 11), noise(65535, 12)]) {
      const open = deflateSegmentNative(segment, { level: 2, final: false })!;
      // zlib's sync-flush marker, an empty stored block, ends it on a byte boundary.
      assertEquals([...open.subarray(-4)], [0, 0, 0xff, 0xff]);
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
  },
});

Deno.test({
  ...requirement(
    "ISA-L reads segments at any offset of the caller's buffer and refuses levels outside 1-3",
    isal,
  ),
  fn: () => {
    const data = voxels(200000, 13);
    // Odd offsets into one buffer: the shim must read from the view's start, not the buffer's.
    const cuts = [0, 1, 3, 70001, 300001, 400000];
    const parts = cuts.slice(0, -1).map((from, i) =>
      deflateSegmentNative(data.subarray(from, cuts[i + 1]), { level: 2, final: i === cuts.length - 2 })!
    );
    assertEquals(new Uint8Array(zlib.inflateRawSync(concat(parts))), data);
    for (const level of [0, 4, 1.5]) {
      let error: unknown;
      try {
        deflateSegmentNative(data, { level, final: true });
      } catch (e) {
        error = e;
      }
      assert(error instanceof RangeError && error.message.includes(`level ${level}`), String(error));
    }
  },
});
