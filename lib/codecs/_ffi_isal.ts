/**
 * Internal: raw deflate segments with Intel ISA-L (`libisal.so.2`, igzip)
 * through Deno's FFI and spimfetch's shim (`native/libspimfetch_isal.so`,
 * whose API takes only buffers, so the launcher's FFI for exact paths is
 * enough). Unlike libdeflate, igzip can end a segment with a sync
 * flush instead of a final block, so independently compressed segments join
 * into one deflate stream, and so one gzip member (see `parallel_gzip.ts`).
 *
 * Measured on the benchmark's realistic level (`bench/realistic_level3.ts`,
 * the whole 1.1 GB volume in 1 MiB segments, one core): zlib level 1 48 MB/s,
 * ratio 1.915; igzip level 2 211 MB/s, ratio 1.919; igzip level 1 207 MB/s,
 * ratio 1.864; igzip level 3 154 MB/s, ratio 1.916. So gzip level 1 runs as
 * igzip level 2, the fastest level whose ratio is at least zlib level 1's;
 * no igzip level reaches zlib level 2's ratio, so levels 2-9 stay with zlib.
 *
 * Its examples are not run as doc tests: a loaded library stays loaded for the process, which the test
 * sanitizer reports as a leak; `tests/codecs/native_test.ts` runs the same calls.
 *
 * @module
 */
import { nativeDisabled, openNativeLibrary } from "./native.ts";

// spimfetch's shim over ISA-L (`vendor/isal_shim/isal_shim.c`): every parameter is a buffer or a number, so
// it runs under FFI granted for its exact path, which is all the launcher grants. (Filling ISA-L's own
// `struct isal_zstream`, which holds buffer addresses, from here would need Deno.UnsafePointer.of, which
// Deno 2.9 allows only with FFI for every path.)
const SYMBOLS = {
  spim_isal_work_bytes: { parameters: ["i32"], result: "u64" },
  spim_isal_deflate: {
    parameters: ["buffer", "u64", "buffer", "u64", "buffer", "u64", "i32", "i32"],
    result: "i64",
  },
} as const;

// The shim's own errors; ISA-L's are -1 to -9 (igzip_lib.h).
const SHIM_ERRORS: Record<number, string> = {
  [-100]: "the level is not 1 to 3",
  [-101]: "the work area is too small",
  [-102]: "the segment is over 4 GiB",
  [-103]: "the output did not fit",
};

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;
// The stream struct and igzip's level buffer, in one area the shim aligns; one per thread, reused (the shim
// initialises it on every call and keeps no pointer to it).
let work: Uint8Array | undefined;
let output = new Uint8Array(0);

function isal(): Deno.DynamicLibrary<typeof SYMBOLS> | undefined {
  // Checked on every call, so that setting SPIMFETCH_NATIVE=0 takes effect at once, in every thread.
  if (nativeDisabled()) return undefined;
  // The shim fails to load where libisal.so.2 is missing (it links it): then libdeflate (WebAssembly).
  if (library === undefined) library = openNativeLibrary("isal_shim", SYMBOLS) ?? null;
  return library ?? undefined;
}

/**
 * The igzip level that gives at least zlib's ratio at gzip level `gzipLevel`
 * on SmartSPIM-like data, or `undefined` where zlib must be used.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isalLevelFor } from "./_ffi_isal.ts";
 * assertEquals([isalLevelFor(1), isalLevelFor(6)], [2, undefined]);
 * ```
 * @param gzipLevel A gzip level, 0-9.
 * @returns The igzip level, or `undefined`.
 */
export function isalLevelFor(gzipLevel: number): number | undefined {
  return gzipLevel === 1 ? 2 : undefined;
}

/**
 * Whether ISA-L is loaded (or loads now) in this thread.
 *
 * @example
 * ```ts ignore
 * import { hasNativeDeflate } from "./_ffi_isal.ts";
 * console.log(hasNativeDeflate());
 * ```
 * @returns True when {@linkcode deflateSegmentNative} can compress.
 */
export function hasNativeDeflate(): boolean {
  return isal() !== undefined;
}

/**
 * Compresses one segment as raw deflate with igzip: ending in a sync flush
 * (byte-aligned, no final block) unless `final`, so segments concatenate into
 * one stream. Returns `undefined` when ISA-L is not available.
 *
 * @example Two segments make one stream
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { deflateSegmentNative } from "./_ffi_isal.ts";
 * const data = new Uint8Array(300000).map((_, i) => (i * 7919) % 251);
 * const a = deflateSegmentNative(data.subarray(0, 100000), { level: 2, final: false });
 * const b = deflateSegmentNative(data.subarray(100000), { level: 2, final: true });
 * if (a && b) assertEquals(new Uint8Array(zlib.inflateRawSync(new Uint8Array([...a, ...b]))), data);
 * ```
 * @param bytes The segment.
 * @param options igzip level (1-3) and whether this segment ends the stream.
 * @returns The compressed segment, or `undefined`.
 * @throws {RangeError} For a level outside 1-3.
 * @throws {Error} If igzip reports an error.
 */
export function deflateSegmentNative(
  bytes: Uint8Array,
  options: { level: number; final: boolean },
): Uint8Array | undefined {
  const lib = isal();
  if (!lib) return undefined;
  const { level, final } = options;
  if (!Number.isInteger(level) || level < 1 || level > 3) {
    throw new RangeError(`Cannot use igzip level ${level}: expected 1 to 3`);
  }
  work ??= new Uint8Array(Number(lib.symbols.spim_isal_work_bytes(3)));
  // Stored blocks bound the output: 5 bytes per 65535, plus the sync flush's empty block and Huffman headers.
  const bound = bytes.byteLength + Math.ceil(bytes.byteLength / 16384) * 5 + 1024;
  // The output buffer is reused too (only the compressed bytes are copied out): a fresh one per segment
  // would be garbage that this rarely-collecting worker thread holds on to.
  if (output.byteLength < bound) output = new Uint8Array(bound);
  const written = Number(
    lib.symbols.spim_isal_deflate(
      work,
      BigInt(work.byteLength),
      bytes,
      BigInt(bytes.byteLength),
      output,
      BigInt(bound),
      level,
      final ? 1 : 0,
    ),
  );
  if (written < 0) {
    throw new Error(
      `Cannot deflate ${bytes.byteLength} bytes with ISA-L: ${SHIM_ERRORS[written] ?? `error ${written}`}`,
    );
  }
  return output.slice(0, written);
}
