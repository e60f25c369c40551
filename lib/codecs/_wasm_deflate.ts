/**
 * Internal: raw deflate segments with libdeflate (v1.25) compiled to
 * WebAssembly (`_deflate.wasm`, built from `vendor/libdeflate` by
 * `tools/build_deflate_wasm.sh`). It needs no permission at all, so it runs
 * wherever spimfetch runs: under the launcher's least privilege, in a
 * notebook, on a machine without native libraries.
 *
 * The build adds one mode to libdeflate (`tools/deflate_wasm/sync_flush.patch`):
 * a segment that is not the last ends with a sync flush (an empty non-final
 * stored block on a byte boundary, as zlib's `Z_SYNC_FLUSH`) instead of a
 * final block, so segments compressed apart join into one deflate stream, and
 * so one gzip member (see `parallel_gzip.ts`).
 *
 * Each thread that imports this module gets its own instance (the codec
 * workers each have one), with its buffers kept between calls.
 *
 * @module
 */
import * as wasm from "./_deflate.wasm";

interface Exports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(pointer: number): void;
  bound(bytes: number): number;
  deflate(
    level: number,
    input: number,
    bytes: number,
    output: number,
    capacity: number,
    final: number,
  ): number;
}

const lib = wasm as unknown as Exports;
// Input and output buffers inside the module's memory, grown as needed and kept: a segment costs two copies
// (in and out), no allocation.
let input = 0, inputBytes = 0, output = 0, outputBytes = 0;

/** The libdeflate release the module is built from (`vendor/libdeflate/README.md`). */
export const LIBDEFLATE_VERSION = "1.25";

/**
 * The codec's name as `--verbose` and write results report it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { wasmCodecName } from "./_wasm_deflate.ts";
 * assertEquals(wasmCodecName(1), "libdeflate 1.25 level 1 (WebAssembly)");
 * ```
 * @param level The libdeflate level.
 * @returns The name.
 */
export function wasmCodecName(level: number): string {
  return `libdeflate ${LIBDEFLATE_VERSION} level ${level} (WebAssembly)`;
}

/**
 * Compresses one segment as raw deflate with libdeflate (WebAssembly), ending
 * in a sync flush (byte-aligned, no final block) unless `final`, so segments
 * concatenate into one stream.
 *
 * @example Two segments make one stream
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { deflateSegmentWasm } from "./_wasm_deflate.ts";
 * const data = new Uint8Array(300000).map((_, i) => (i * 7919) % 251);
 * const a = deflateSegmentWasm(data.subarray(0, 100000), { level: 1, final: false });
 * const b = deflateSegmentWasm(data.subarray(100000), { level: 1, final: true });
 * assertEquals(new Uint8Array(zlib.inflateRawSync(new Uint8Array([...a, ...b]))), data);
 * ```
 * @param bytes The segment (any length, including 0).
 * @param options libdeflate level (0-12) and whether this segment ends the stream.
 * @returns The compressed segment, in a fresh buffer.
 * @throws {RangeError} For a level outside 0-12.
 * @throws {Error} If libdeflate fails (out of memory).
 */
export function deflateSegmentWasm(
  bytes: Uint8Array,
  options: { level: number; final: boolean },
): Uint8Array {
  const { level, final } = options;
  if (!Number.isInteger(level) || level < 0 || level > 12) {
    throw new RangeError(`Cannot use libdeflate level ${level}: expected an integer from 0 to 12`);
  }
  const n = bytes.byteLength;
  if (inputBytes < n || input === 0) {
    if (input) lib.free(input);
    inputBytes = Math.max(n, 1);
    input = lib.alloc(inputBytes);
  }
  const capacity = lib.bound(n);
  if (outputBytes < capacity) {
    if (output) lib.free(output);
    outputBytes = capacity;
    output = lib.alloc(outputBytes);
  }
  if (input === 0 || output === 0) {
    input =
      inputBytes =
      output =
      outputBytes =
        0;
    throw new Error(`Cannot deflate ${n} bytes with libdeflate (WebAssembly): out of memory`);
  }
  // The memory's buffer changes when it grows, so it is looked up after the allocations.
  new Uint8Array(lib.memory.buffer, input, n).set(bytes);
  const written = lib.deflate(level, input, n, output, capacity, final ? 1 : 0) >>> 0;
  if (written === 0 || written === 0xffffffff) {
    throw new Error(
      `Cannot deflate ${n} bytes with libdeflate (WebAssembly) at level ${level}: error ${written}`,
    );
  }
  return new Uint8Array(lib.memory.buffer, output, written).slice();
}
