/**
 * Internal: raw deflate segments with Intel ISA-L (`libisal.so.2`, igzip)
 * through Deno's FFI. Unlike libdeflate, igzip can end a segment with a sync
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

const SYMBOLS = {
  isal_deflate_init: { parameters: ["buffer"], result: "void" },
  isal_deflate: { parameters: ["buffer"], result: "i32" },
} as const;

// Layout of `struct isal_zstream` in ISA-L 2.30 (igzip_lib.h) on 64-bit Linux, printed with offsetof and
// sizeof by a C program compiled against libisal-dev 2.30.0-5; the round-trip tests check it.
const STREAM_BYTES = 82384;
const NEXT_IN = 0; // uint8_t*
const AVAIL_IN = 8; // uint32_t
const NEXT_OUT = 16; // uint8_t*
const AVAIL_OUT = 24; // uint32_t
const TOTAL_OUT = 28; // uint32_t
const LEVEL = 40; // uint32_t
const LEVEL_BUF_SIZE = 44; // uint32_t
const LEVEL_BUF = 48; // uint8_t*
const END_OF_STREAM = 56; // uint16_t
const FLUSH = 58; // uint16_t
const GZIP_FLAG = 60; // uint16_t: 0 is IGZIP_DEFLATE (raw deflate)
const SYNC_FLUSH = 1;
const COMP_OK = 0;
// ISAL_DEF_LVL{1,2,3}_DEFAULT: the library's default work buffer sizes (64 Ki tokens).
const LEVEL_BUFFER_BYTES = [0, 282624, 331776, 348160];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;
let stream: Uint8Array | undefined;
let levelBuffer: Uint8Array | undefined;
let output = new Uint8Array(0);

function pointersAllowed(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function isal(): Deno.DynamicLibrary<typeof SYMBOLS> | undefined {
  // Checked on every call, so that setting SPIMFETCH_NATIVE=0 takes effect at once, in every thread.
  if (nativeDisabled()) return undefined;
  // The stream struct holds the buffers' addresses, and Deno (2.9) allows pointer operations only with FFI
  // granted for every path: with FFI for exact library paths (the launcher's least privilege), node:zlib.
  if (library === undefined) library = (pointersAllowed() && openNativeLibrary("isal", SYMBOLS)) || null;
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

function address(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes as Uint8Array<ArrayBuffer>)));
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
  if (!(level >= 1 && level <= 3)) throw new RangeError(`Cannot use igzip level ${level}: expected 1 to 3`);
  // One stream and one work buffer per thread, reused: igzip keeps no pointer to them between calls.
  stream ??= new Uint8Array(STREAM_BYTES);
  levelBuffer ??= new Uint8Array(LEVEL_BUFFER_BYTES[3]);
  // Stored blocks bound the output: 5 bytes per 65535, plus the sync flush's empty block and Huffman headers.
  const bound = bytes.byteLength + Math.ceil(bytes.byteLength / 16384) * 5 + 1024;
  // The output buffer is reused too (only the compressed bytes are copied out): a fresh one per segment
  // would be garbage that this rarely-collecting worker thread holds on to.
  if (output.byteLength < bound) output = new Uint8Array(bound);
  const out = output.subarray(0, bound);
  lib.symbols.isal_deflate_init(stream);
  const view = new DataView(stream.buffer);
  view.setBigUint64(NEXT_IN, address(bytes), true);
  view.setUint32(AVAIL_IN, bytes.byteLength, true);
  view.setBigUint64(NEXT_OUT, address(out), true);
  view.setUint32(AVAIL_OUT, out.byteLength, true);
  view.setUint32(LEVEL, level, true);
  view.setUint32(LEVEL_BUF_SIZE, LEVEL_BUFFER_BYTES[level], true);
  view.setBigUint64(LEVEL_BUF, address(levelBuffer), true);
  view.setUint16(END_OF_STREAM, final ? 1 : 0, true);
  view.setUint16(FLUSH, SYNC_FLUSH, true);
  view.setUint16(GZIP_FLAG, 0, true);
  const result = lib.symbols.isal_deflate(stream);
  if (result !== COMP_OK) {
    throw new Error(`Cannot deflate ${bytes.byteLength} bytes with ISA-L: error ${result}`);
  }
  if (view.getUint32(AVAIL_IN, true) !== 0 || view.getUint32(AVAIL_OUT, true) === 0) {
    throw new Error(`Cannot deflate ${bytes.byteLength} bytes with ISA-L: the output did not fit`);
  }
  return out.slice(0, view.getUint32(TOTAL_OUT, true));
}
