import { assert, assertEquals } from "@std/assert";
import { gunzipSync } from "fflate";
import Blosc from "numcodecs/blosc";
import zlib from "node:zlib";
import { decodeBlosc } from "../../lib/codecs/blosc.ts";
import {
  compressBloscNative,
  decodeBloscItemsNative,
  decodeBloscNative,
  hasNativeBlosc,
} from "../../lib/codecs/_ffi_blosc.ts";
import { deflateSegmentNative, hasNativeDeflate } from "../../lib/codecs/_ffi_isal.ts";
import { NATIVE_ENV, nativeLibraryPaths, openLibraryFrom } from "../../lib/codecs/native.ts";
import { createParallelGzip } from "../../lib/codecs/parallel_gzip.ts";
import { WorkerPool } from "../../lib/codecs/worker_pool.ts";
import { encodeBlosc } from "../../testing/blosc_encoder.ts";

// These tests exercise the native path where Debian's libblosc1 and libisal2 are installed, and say so
// (they cannot pass vacuously: each asserts that the library loaded before comparing).
const installed = nativeLibraryPaths().length === 3 && hasNativeBlosc() && hasNativeDeflate();
if (!installed) console.warn("libblosc.so.1 or libisal.so.2 not installed: native-path tests are skipped");

/** Noisy uint16 voxels around `mean` (an LCG, so the bytes are fixed). */
function voxels(count: number, mean: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const values = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = mean + (state >>> 26) + Math.round(40 * Math.sin(i / 300));
  }
  return new Uint8Array(values.buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

async function gzipWith(data: Uint8Array, native: boolean, pool: WorkerPool): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const gzip = createParallelGzip((bytes) => Promise.resolve(void parts.push(bytes.slice())), {
    level: 1,
    segmentBytes: 1 << 16,
    native,
    pool,
  });
  // Writes of odd sizes, so segments start at odd offsets of the caller's buffers.
  for (let at = 0; at < data.length; at += 99991) await gzip.write(data.subarray(at, at + 99991));
  await gzip.end();
  return concat(parts);
}

async function gzipTest(file: Uint8Array): Promise<number | undefined> {
  try {
    const child = new Deno.Command("gzip", { args: ["-t"], stdin: "piped", stderr: "piped" }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(file);
    await writer.close();
    return (await child.output()).code;
  } catch {
    return undefined;
  }
}

Deno.test({
  name: "c-blosc through FFI decodes what c-blosc (WASM) and the test encoder write, like the pure decoder",
  ignore: !installed,
  fn: async () => {
    const data = voxels(128 * 128 * 20, 500, 7);
    const wasm = await Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 })
      .encode(data);
    const ours = encodeBlosc(data, {
      typesize: 2,
      blocksize: 131072,
      shuffle: 1,
      split: false,
      cname: "zstd",
    });
    const native = compressBloscNative(data, { typesize: 2, blocksize: 131072 })!;
    for (const chunk of [wasm, ours, native]) {
      assertEquals(decodeBloscNative(chunk), data);
      assertEquals(decodeBlosc(chunk), data);
    }
    // A truncated chunk is refused, not read past its end.
    assertEquals(decodeBloscNative(native.subarray(0, native.length - 1)), undefined);
  },
});

Deno.test({
  name: "decodeBloscItemsNative() returns exactly the items asked for, across block edges",
  ignore: !installed,
  fn: () => {
    const data = voxels(100000, 300, 3);
    const chunk = compressBloscNative(data, { typesize: 2, blocksize: 16384 })!;
    for (const [start, count] of [[0, 1], [8191, 2], [8192, 8192], [12345, 50000], [99999, 1]]) {
      assertEquals(decodeBloscItemsNative(chunk, start, count), data.slice(2 * start, 2 * (start + count)));
    }
    assertEquals(decodeBloscItemsNative(chunk, 99999, 2), undefined);
  },
});

Deno.test({
  name: "ISA-L segments join into one deflate stream that zlib inflates to the input",
  ignore: !installed,
  fn: () => {
    const data = voxels(400000, 480, 11);
    const parts: Uint8Array[] = [];
    const cuts = [0, 1, 65537, 300001, 800000];
    for (let i = 0; i < cuts.length; i++) {
      const final = i === cuts.length - 1;
      parts.push(
        deflateSegmentNative(data.subarray(cuts[i], final ? data.length : cuts[i + 1]), { level: 2, final })!,
      );
    }
    // Every segment but the last ends with a sync flush's empty stored block.
    for (const part of parts.slice(0, -1)) assertEquals([...part.subarray(-4)], [0, 0, 0xff, 0xff]);
    assertEquals(new Uint8Array(zlib.inflateRawSync(concat(parts))), data);
  },
});

Deno.test({
  name: "createParallelGzip() with ISA-L writes one gzip member that fflate, zlib and gzip -t read whole",
  ignore: !installed,
  fn: async () => {
    const data = voxels(600000, 480, 5);
    const pool = new WorkerPool({ size: 2 });
    try {
      const native = await gzipWith(data, true, pool);
      const pure = await gzipWith(data, false, pool);
      assert(native.length !== pure.length, "the native and pure paths should differ (ISA-L vs zlib)");
      for (const file of [native, pure]) {
        // fflate reads only the first member: equal output means one member.
        assertEquals(gunzipSync(file), data);
        assertEquals(new Uint8Array(zlib.gunzipSync(file)), data);
        const code = await gzipTest(file);
        if (code !== undefined) assertEquals(code, 0);
      }
    } finally {
      pool.close();
    }
  },
});

Deno.test({
  name: "workers decode Blosc with c-blosc and fall back to the pure decoder under SPIMFETCH_NATIVE=0",
  ignore: !installed,
  fn: async () => {
    const data = voxels(128 * 128 * 8, 200, 9);
    const chunk = compressBloscNative(data, { typesize: 2 })!;
    const pool = new WorkerPool({ size: 1 });
    try {
      assertEquals(await pool.run<Uint8Array>({ op: "blosc", bytes: chunk }), data);
      Deno.env.set(NATIVE_ENV, "0");
      assertEquals(hasNativeBlosc(), false);
      assertEquals(hasNativeDeflate(), false);
      assertEquals(await pool.run<Uint8Array>({ op: "blosc", bytes: chunk }), data);
    } finally {
      Deno.env.delete(NATIVE_ENV);
      pool.close();
    }
    assertEquals(hasNativeBlosc(), true);
  },
});

Deno.test("openLibraryFrom() returns undefined for a library that is not there", () => {
  assertEquals(openLibraryFrom(["/nonexistent/libblosc.so.1", "/nonexistent/libisal.so.2"], {}), undefined);
});

/** Runs a script in a child Deno with the given permission flags; returns its stdout as JSON. */
async function runWith(flags: string[], script: string): Promise<unknown> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/probe.ts`;
    await Deno.writeTextFile(path, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--quiet", ...flags, path],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    return JSON.parse(new TextDecoder().decode(output.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const PROBE = (root: string) => `
import { decodeBloscNative, hasNativeBlosc } from "${root}/lib/codecs/_ffi_blosc.ts";
import { deflateSegmentNative, hasNativeDeflate } from "${root}/lib/codecs/_ffi_isal.ts";
import { inflateRawSync } from "node:zlib";
import { decodeBlosc } from "${root}/lib/codecs/blosc.ts";
import { encodeBlosc } from "${root}/testing/blosc_encoder.ts";
const data = new Uint8Array(new Uint16Array(70000).map((_, i) => (i * 37) % 1009).buffer);
const chunk = encodeBlosc(data, { typesize: 2, blocksize: 131072, shuffle: 1, split: false, cname: "zstd" });
const decoded = decodeBloscNative(chunk) ?? decodeBlosc(chunk);
// Compress with ISA-L where it is used, so that its FFI calls run too.
const deflated = deflateSegmentNative(data, { level: 2, final: true });
const gzipOk = deflated === undefined || inflateRawSync(deflated).equals(data);
console.log(JSON.stringify({ blosc: hasNativeBlosc(), isal: hasNativeDeflate(), ok: decoded?.every((v, i) => v === data[i]) && gzipOk }));
`;

Deno.test({
  name:
    "c-blosc and ISA-L (through the shim) need exactly --allow-ffi=nativeLibraryPaths(); without, the pure path",
  ignore: !installed,
  fn: async () => {
    const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
    const read = `--allow-read=${root},${Deno.execPath()},/usr/lib,/lib`;
    // Exact paths (what the launcher grants): c-blosc, and ISA-L through spimfetch's shim, whose API takes
    // only buffers (no pointer operations, which Deno 2.9 allows only with FFI for every path).
    assertEquals(await runWith([read, `--allow-ffi=${nativeLibraryPaths().join(",")}`], PROBE(root)), {
      blosc: true,
      isal: true,
      ok: true,
    });
    assertEquals(await runWith([read, "--allow-ffi"], PROBE(root)), { blosc: true, isal: true, ok: true });
    assertEquals(await runWith([read], PROBE(root)), { blosc: false, isal: false, ok: true });
    // Granting FFI for one library only loads that one.
    assertEquals(await runWith([read, `--allow-ffi=${nativeLibraryPaths()[0]}`], PROBE(root)), {
      blosc: true,
      isal: false,
      ok: true,
    });
  },
});
