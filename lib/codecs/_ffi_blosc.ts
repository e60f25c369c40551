/**
 * Internal: c-blosc 1 (`libblosc.so.1`) through Deno's FFI. The `_ctx`
 * functions take no global lock, so every worker thread can call them at once;
 * `blosc_getitem` decodes only the blocks holding the items asked for.
 *
 * Its examples are not run as doc tests: a loaded library stays loaded for the process, which the test
 * sanitizer reports as a leak; `tests/codecs/native_test.ts` runs the same calls.
 *
 * @module
 */
import { nativeDisabled, openNativeLibrary } from "./native.ts";

const SYMBOLS = {
  blosc_decompress_ctx: { parameters: ["buffer", "buffer", "usize", "i32"], result: "i32" },
  blosc_getitem: { parameters: ["buffer", "i32", "i32", "buffer"], result: "i32" },
  blosc_compress_ctx: {
    parameters: ["i32", "i32", "usize", "usize", "buffer", "buffer", "usize", "buffer", "usize", "i32"],
    result: "i32",
  },
} as const;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;

function blosc(): Deno.DynamicLibrary<typeof SYMBOLS> | undefined {
  // Checked on every call, so that setting SPIMFETCH_NATIVE=0 takes effect at once, in every thread.
  if (nativeDisabled()) return undefined;
  if (library === undefined) library = openNativeLibrary("blosc", SYMBOLS) ?? null;
  return library ?? undefined;
}

/**
 * Whether c-blosc is loaded (or loads now) in this thread.
 *
 * @example
 * ```ts ignore
 * import { hasNativeBlosc } from "./_ffi_blosc.ts";
 * console.log(hasNativeBlosc());
 * ```
 * @returns True when the native decoder can be used.
 */
export function hasNativeBlosc(): boolean {
  return blosc() !== undefined;
}

const HEADER_BYTES = 16;

/**
 * Decodes a whole Blosc 1 chunk with c-blosc, or returns `undefined` when
 * c-blosc is not available or the chunk does not decode (the caller then
 * tries the pure decoder, which reports what is wrong).
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { compressBloscNative, decodeBloscNative } from "./_ffi_blosc.ts";
 * const data = new Uint8Array(new Uint16Array(4096).map((_, i) => i % 300).buffer);
 * const chunk = compressBloscNative(data, { typesize: 2 });
 * if (chunk) assertEquals(decodeBloscNative(chunk), data);
 * ```
 * @param bytes A compressed chunk.
 * @param into Where to decode (exactly the decoded size); a new array by default.
 * @returns The raw bytes, or `undefined`.
 */
export function decodeBloscNative(bytes: Uint8Array, into?: Uint8Array): Uint8Array | undefined {
  const lib = blosc();
  if (!lib || bytes.byteLength < HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const nbytes = view.getUint32(4, true);
  const cbytes = view.getUint32(12, true);
  // c-blosc trusts cbytes; a truncated body must not make it read past the buffer.
  if (cbytes !== bytes.byteLength) return undefined;
  if (into && into.byteLength !== nbytes) return undefined;
  const out = into ?? new Uint8Array(nbytes);
  if (nbytes === 0) return out;
  const n = lib.symbols.blosc_decompress_ctx(bytes, out, BigInt(nbytes), 1);
  return n === nbytes ? out : undefined;
}

/**
 * Decodes `count` items from item `start` of a Blosc 1 chunk with c-blosc,
 * decompressing only the blocks that hold them, or returns `undefined`.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { compressBloscNative, decodeBloscItemsNative } from "./_ffi_blosc.ts";
 * const data = new Uint16Array(100000).map((_, i) => i % 1000);
 * const chunk = compressBloscNative(new Uint8Array(data.buffer), { typesize: 2, blocksize: 8192 });
 * if (chunk) assertEquals(decodeBloscItemsNative(chunk, 50000, 3), new Uint8Array(data.slice(50000, 50003).buffer));
 * ```
 * @param bytes A compressed chunk.
 * @param start First item (of the chunk's typesize).
 * @param count Number of items.
 * @returns `count × typesize` bytes, or `undefined`.
 */
export function decodeBloscItemsNative(
  bytes: Uint8Array,
  start: number,
  count: number,
): Uint8Array | undefined {
  const lib = blosc();
  if (!lib || bytes.byteLength < HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const typesize = bytes[3];
  const nbytes = view.getUint32(4, true);
  if (view.getUint32(12, true) !== bytes.byteLength || typesize === 0) return undefined;
  if (start < 0 || count < 0 || (start + count) * typesize > nbytes) return undefined;
  const out = new Uint8Array(count * typesize);
  if (count === 0) return out;
  const n = lib.symbols.blosc_getitem(bytes, start, count, out);
  return n === out.byteLength ? out : undefined;
}

let scratch: Uint8Array | undefined;

/** Options for {@linkcode compressBloscNative}. */
export interface NativeBloscCompressOptions {
  /** Element size, the unit of shuffling. */
  typesize: number;
  /** Inner codec. @default {"zstd"} */
  cname?: "zstd" | "zlib" | "lz4" | "blosclz";
  /** Inner codec level. @default {3} */
  clevel?: number;
  /** 0 none, 1 byte shuffle, 2 bit shuffle. @default {1} */
  shuffle?: 0 | 1 | 2;
  /** Bytes per block; 0 lets c-blosc choose. @default {0} */
  blocksize?: number;
}

/**
 * Compresses with c-blosc as zarr-python's numcodecs does, or returns
 * `undefined` when c-blosc is not available.
 *
 * @example
 * ```ts ignore
 * import { compressBloscNative } from "./_ffi_blosc.ts";
 * console.log(compressBloscNative(new Uint8Array(1000), { typesize: 2 })?.length);
 * ```
 * @param data Raw bytes.
 * @param options Layout and codec.
 * @returns The chunk, or `undefined`.
 */
export function compressBloscNative(
  data: Uint8Array,
  options: NativeBloscCompressOptions,
): Uint8Array | undefined {
  const lib = blosc();
  if (!lib) return undefined;
  // c-blosc's worst case: the data stored raw behind the header (BLOSC_MAX_OVERHEAD is 16). One scratch
  // buffer per thread, reused: a fresh zeroed chunk-sized buffer per call cost page faults and garbage.
  if (!scratch || scratch.byteLength < data.byteLength + 16) scratch = new Uint8Array(data.byteLength + 16);
  const dest = scratch.subarray(0, data.byteLength + 16);
  const cname = new TextEncoder().encode(`${options.cname ?? "zstd"}\0`);
  const n = lib.symbols.blosc_compress_ctx(
    options.clevel ?? 3,
    options.shuffle ?? 1,
    BigInt(options.typesize),
    BigInt(data.byteLength),
    data,
    dest,
    BigInt(dest.byteLength),
    cname,
    BigInt(options.blocksize ?? 0),
    1,
  );
  if (n <= 0) throw new Error(`Cannot compress ${data.byteLength} bytes with c-blosc: error ${n}`);
  return dest.slice(0, n);
}
