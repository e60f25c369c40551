/**
 * Encoding Zarr chunks for writers: Blosc (c-blosc through FFI where it
 * loads, numcodecs' WASM c-blosc otherwise) and gzip (`node:zlib`), on the
 * calling thread or on the worker pool.
 *
 * @module
 */
import zlib from "node:zlib";
import { compressBloscNative } from "./_ffi_blosc.ts";
import { deflateSegmentNative, isalLevelFor } from "./_ffi_isal.ts";
import {
  type ChunkCodec,
  type ChunkDownsample,
  sharedWorkerPool,
  type ValueCount,
  type WorkerPool,
} from "./worker_pool.ts";
import { countValues } from "./_value_counts.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { downsampleChunk } from "./_chunk_downsample.ts";

export type { ChunkCodec };

let wasmBlosc: Map<string, { encode(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array }> | undefined;

/**
 * Encodes one chunk on the calling thread.
 *
 * Blosc and gzip level 1 load native libraries (c-blosc, ISA-L) where they can, so this runs gzip level 6
 * (zlib): a library loaded in a doc test counts as a leak.
 *
 * @example gzip a chunk and read it back
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { encodeChunk } from "@spimfetch/spimfetch/codecs";
 * const raw = new Uint8Array(4096).map((_, i) => i % 13);
 * const chunk = await encodeChunk(raw, { id: "gzip", level: 6 });
 * assertEquals(new Uint8Array(zlib.gunzipSync(chunk)), raw);
 * ```
 * @param bytes The raw chunk (C order, little-endian items).
 * @param codec How to compress it.
 * @returns The encoded chunk.
 * @throws {RangeError} For a level outside 0-9.
 */
export async function encodeChunk(bytes: Uint8Array, codec: ChunkCodec): Promise<Uint8Array> {
  if (codec.id === "raw") return bytes;
  if (codec.id === "gzip") {
    checkLevel(codec.level);
    // Level 1 as parallel gzip runs it: igzip where ISA-L loads (about four times zlib's speed, the same
    // ratio), else zlib level 2, since Deno's zlib level 1 is a much weaker fast mode (ratio 1.2 here).
    const isal = isalLevelFor(codec.level);
    const deflated = isal === undefined
      ? undefined
      : deflateSegmentNative(bytes, { level: isal, final: true });
    if (deflated) return gzipMember(deflated, bytes);
    // mtime 0: equal input gives equal chunks.
    return new Uint8Array(zlib.gzipSync(bytes, { level: codec.level === 1 ? 2 : codec.level }));
  }
  checkLevel(codec.clevel);
  const native = compressBloscNative(bytes, {
    typesize: codec.typesize,
    cname: codec.cname,
    clevel: codec.clevel,
    shuffle: codec.shuffle,
    blocksize: codec.blocksize ?? 0,
  });
  if (native) return native;
  // numcodecs' WASM build always shuffles with typesize 4: valid Blosc, a slightly worse ratio.
  wasmBlosc ??= new Map();
  const key = `${codec.cname}/${codec.clevel}/${codec.shuffle}/${codec.blocksize ?? 0}`;
  let encoder = wasmBlosc.get(key);
  if (!encoder) {
    const Blosc = (await import("numcodecs/blosc")).default;
    encoder = Blosc.fromConfig({
      id: "blosc",
      cname: codec.cname,
      clevel: codec.clevel,
      shuffle: codec.shuffle,
      blocksize: codec.blocksize ?? 0,
    });
    wasmBlosc.set(key, encoder);
  }
  return await encoder.encode(bytes);
}

/** A chunk encoded on a worker, and the raw chunk's buffer handed back for reuse. */
export interface EncodedChunk {
  /** The encoded chunk. */
  bytes: Uint8Array;
  /**
   * The raw chunk's buffer, moved back from the worker: reusing it for the next chunk spares an allocation
   * (and its page faults) here and garbage there. `undefined` when the raw chunk was copied, not moved.
   */
  raw: ArrayBuffer | undefined;
  /** The chunk's voxels counted by value, when `count` was given. */
  counts?: Uint32Array;
  /** The chunk's 2×2×2 mean (the pyramid's next level), when `downsample` was given: its bytes. */
  downsampled?: Uint8Array;
}

/** Options for {@linkcode encodeChunkOnWorker}. */
export interface EncodeChunkOnWorkerOptions {
  /** The workers. @default {sharedWorkerPool()} */
  pool?: WorkerPool;
  /** Also count the chunk's 8- or 16-bit voxels by value (a writer's histogram), on the worker. */
  count?: ValueCount;
  /** Also average the chunk 2×2×2 (a pyramid's next level), on the worker. */
  downsample?: ChunkDownsample;
}

/**
 * Encodes one chunk on a worker thread. A chunk that spans its whole buffer
 * is moved to the worker (the caller must not use it until it comes back as
 * {@linkcode EncodedChunk.raw}); a view of a larger buffer is copied.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import zlib from "node:zlib";
 * import { encodeChunkOnWorker } from "@spimfetch/spimfetch/codecs";
 * const raw = new Uint8Array(4096).map((_, i) => i % 13);
 * const { bytes } = await encodeChunkOnWorker(raw.slice(), { id: "gzip", level: 1 });
 * assertEquals(new Uint8Array(zlib.gunzipSync(bytes)), raw);
 * ```
 * @param bytes The raw chunk.
 * @param codec How to compress it.
 * @param options The pool, and what else to compute from the raw chunk.
 * @returns The encoded chunk and the raw buffer.
 */
export async function encodeChunkOnWorker(
  bytes: Uint8Array,
  codec: ChunkCodec,
  options: EncodeChunkOnWorkerOptions = {},
): Promise<EncodedChunk> {
  options = checkOptions(options, ENCODE_CHUNK_ON_WORKER_OPTION_KEYS, "encodeChunkOnWorker()");
  const { count, downsample } = options;
  if (codec.id === "raw") {
    return {
      bytes,
      raw: undefined,
      ...(count ? { counts: countValues(bytes, count) } : {}),
      ...(downsample ? { downsampled: downsampleChunk(bytes, downsample, downsample.reuse) } : {}),
    };
  }
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const transfer = whole ? [bytes.buffer as ArrayBuffer] : [];
  if (downsample?.reuse) transfer.push(downsample.reuse);
  const result = await (options.pool ?? sharedWorkerPool()).run<
    { bytes: Uint8Array; input: ArrayBuffer; counts?: Uint32Array; downsampled?: Uint8Array }
  >(
    { op: "encode", bytes, codec, ...(count ? { count } : {}), ...(downsample ? { downsample } : {}) },
    transfer,
  );
  return {
    bytes: result.bytes,
    raw: whole ? result.input : undefined,
    ...(result.counts ? { counts: result.counts } : {}),
    ...(result.downsampled ? { downsampled: result.downsampled } : {}),
  };
}

/** The keys of {@linkcode EncodeChunkOnWorkerOptions}, checked at run time. */
const ENCODE_CHUNK_ON_WORKER_OPTION_KEYS: OptionKeys<EncodeChunkOnWorkerOptions> = {
  pool: true,
  count: true,
  downsample: true,
};

/** A gzip member around raw deflate data: header (no time stamp), the data, CRC-32 and length of `raw`. */
function gzipMember(deflated: Uint8Array, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + deflated.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  out.set(deflated, 10);
  const view = new DataView(out.buffer, 10 + deflated.length);
  view.setUint32(0, zlib.crc32(raw) >>> 0, true);
  view.setUint32(4, raw.length % 2 ** 32, true);
  return out;
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`Cannot compress at level ${level}: expected an integer from 0 to 9`);
  }
}
