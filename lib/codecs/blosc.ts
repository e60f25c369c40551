/**
 * A Blosc 1 decoder in TypeScript over Deno's native zstd and zlib
 * (`node:zlib`), about twice as fast as the WASM build of c-blosc that
 * zarrita uses by default. It handles what AIND writes (zstd or zlib inside,
 * byte shuffle or none, split or not) and says `undefined` to the rest
 * (LZ4, BloscLZ, Snappy, bit shuffle), for which the caller falls back to
 * the WASM codec.
 *
 * Container layout (c-blosc `blosc.c`): a 16-byte header (version, codec
 * version, flags, typesize, nbytes, blocksize, cbytes), then, unless the
 * data was stored raw, one int32 start offset per block; each block holds one
 * stream, or `typesize` streams when split, each an int32 size and its bytes
 * (a size equal to the stream's raw size means stored uncompressed).
 *
 * @module
 */
import zlib from "node:zlib";

const FLAG_SHUFFLE = 0x1;
const FLAG_MEMCPYED = 0x2;
const FLAG_BITSHUFFLE = 0x4;
const FLAG_DONT_SPLIT = 0x10;
const FORMAT_ZLIB = 3;
const FORMAT_ZSTD = 4;
const HEADER_BYTES = 16;

/** The fixed header of a Blosc 1 chunk. */
export interface BloscHeader {
  /** Format version of the container. */
  version: number;
  /** Flags byte: shuffle, memcpyed, bit shuffle, don't-split, inner codec. */
  flags: number;
  /** Element size in bytes, the unit of shuffling. */
  typesize: number;
  /** Decompressed size. */
  nbytes: number;
  /** Decompressed bytes per block. */
  blocksize: number;
  /** Size of the whole compressed chunk, header included. */
  cbytes: number;
}

/**
 * Reads the 16-byte Blosc header.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readBloscHeader } from "@spimfetch/spimfetch/codecs";
 * const header = new Uint8Array(16);
 * header.set([2, 1, 0x11 | (4 << 5), 2]);
 * new DataView(header.buffer).setUint32(4, 64, true);
 * assertEquals(readBloscHeader(header)?.typesize, 2);
 * ```
 * @param bytes A compressed chunk.
 * @returns The header, or `undefined` if the bytes are too short to hold one.
 */
export function readBloscHeader(bytes: Uint8Array): BloscHeader | undefined {
  if (bytes.byteLength < HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: bytes[0],
    flags: bytes[2],
    typesize: bytes[3],
    nbytes: view.getUint32(4, true),
    blocksize: view.getUint32(8, true),
    cbytes: view.getUint32(12, true),
  };
}

/**
 * How many compressed streams a block of `blockBytes` decoded bytes holds: `typesize` when c-blosc split it
 * by byte, else one. c-blosc's rule, including the size test kept for chunks written before the don't-split
 * flag existed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { blockStreams } from "./blosc.ts";
 * const header = { version: 2, flags: 0x1, typesize: 2, nbytes: 1 << 20, blocksize: 1 << 17, cbytes: 0 };
 * assertEquals(blockStreams(header, 1 << 17), 2);
 * assertEquals(blockStreams({ ...header, flags: 0x11 }, 1 << 17), 1); // don't split
 * assertEquals(blockStreams(header, 1000), 1); // a short last block is never split
 * ```
 * @param header The chunk's header.
 * @param blockBytes Decoded bytes of the block.
 * @returns The number of streams.
 */
export function blockStreams(header: BloscHeader, blockBytes: number): number {
  const { flags, typesize, blocksize } = header;
  const split = !(flags & FLAG_DONT_SPLIT) && typesize <= 16 && Math.floor(blockBytes / typesize) >= 128 &&
    blockBytes >= blocksize;
  return split ? typesize : 1;
}

function inflate(format: number, source: Uint8Array, expected: number): Uint8Array | undefined {
  // An output chunk the size of the block: node:zlib's default of 16 KiB pieces makes decoding 6x slower.
  const options = { chunkSize: Math.max(64, expected) };
  const out: Uint8Array = format === FORMAT_ZSTD
    ? zlib.zstdDecompressSync(source, options)
    : zlib.inflateSync(source, options);
  return out.byteLength === expected ? out : undefined;
}

/** Undoes byte shuffling of one block in place into `target`. */
function unshuffle(source: Uint8Array, target: Uint8Array, typesize: number): void {
  const n = source.byteLength;
  const count = Math.floor(n / typesize);
  if (typesize === 2 && (target.byteOffset & 1) === 0) {
    // One 16-bit store per element: a byte-at-a-time loop is half as fast.
    const out = new Uint16Array(target.buffer, target.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = source[i] | (source[count + i] << 8);
  } else if (typesize === 4 && (target.byteOffset & 3) === 0) {
    const out = new Uint32Array(target.buffer, target.byteOffset, count);
    const c2 = 2 * count, c3 = 3 * count;
    for (let i = 0; i < count; i++) {
      out[i] = (source[i] | (source[count + i] << 8) | (source[c2 + i] << 16) | (source[c3 + i] << 24)) >>> 0;
    }
  } else {
    for (let b = 0; b < typesize; b++) {
      const offset = b * count;
      for (let i = 0; i < count; i++) target[i * typesize + b] = source[offset + i];
    }
  }
  // Bytes past the last whole element are not shuffled.
  target.set(source.subarray(count * typesize), count * typesize);
}

/**
 * Decodes a Blosc 1 chunk natively, or returns `undefined` when the chunk
 * uses something this decoder leaves to the WASM codec, or does not add up.
 *
 * @example Round trip with numcodecs' encoder
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import Blosc from "numcodecs/blosc";
 * import { decodeBlosc } from "@spimfetch/spimfetch/codecs";
 * const data = new Uint8Array(new Uint16Array(5000).map((_, i) => i * 7).buffer);
 * const encoded = await Blosc.fromConfig({ id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 }).encode(data);
 * assertEquals(decodeBlosc(encoded), data);
 * ```
 * @param bytes A compressed chunk.
 * @returns The decompressed bytes, or `undefined`.
 */
export function decodeBlosc(bytes: Uint8Array): Uint8Array | undefined {
  const header = readBloscHeader(bytes);
  if (!header || header.cbytes !== bytes.byteLength || header.typesize === 0) return undefined;
  const { flags, typesize, nbytes, blocksize } = header;
  const out = new Uint8Array(nbytes);
  if (flags & FLAG_MEMCPYED) {
    if (bytes.byteLength < HEADER_BYTES + nbytes) return undefined;
    out.set(bytes.subarray(HEADER_BYTES, HEADER_BYTES + nbytes));
    return out;
  }
  const format = (flags & 0xe0) >> 5;
  if ((format !== FORMAT_ZSTD && format !== FORMAT_ZLIB) || (flags & FLAG_BITSHUFFLE) || blocksize === 0) {
    return undefined;
  }
  if (nbytes === 0) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = Math.ceil(nbytes / blocksize);
  if (HEADER_BYTES + 4 * blocks > bytes.byteLength) return undefined;
  const shuffled = (flags & FLAG_SHUFFLE) !== 0 && typesize > 1;
  const scratch = shuffled ? new Uint8Array(blocksize) : undefined;
  for (let b = 0; b < blocks; b++) {
    const start = view.getInt32(HEADER_BYTES + 4 * b, true);
    const size = Math.min(blocksize, nbytes - b * blocksize);
    const streams = blockStreams(header, size);
    const streamSize = Math.floor(size / streams);
    if (streamSize * streams !== size) return undefined;
    const block = shuffled ? scratch!.subarray(0, size) : out.subarray(b * blocksize, b * blocksize + size);
    let at = start;
    for (let s = 0; s < streams; s++) {
      if (at < 0 || at + 4 > bytes.byteLength) return undefined;
      const csize = view.getInt32(at, true);
      at += 4;
      if (csize <= 0 || at + csize > bytes.byteLength) return undefined;
      const source = bytes.subarray(at, at + csize);
      at += csize;
      const target = block.subarray(s * streamSize, (s + 1) * streamSize);
      if (csize === streamSize) target.set(source);
      else {
        const decoded = inflate(format, source, streamSize);
        if (!decoded) return undefined;
        target.set(decoded);
      }
    }
    if (shuffled) unshuffle(block, out.subarray(b * blocksize, b * blocksize + size), typesize);
  }
  return out;
}
