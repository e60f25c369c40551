/**
 * Blosc 1 stores a chunk as independent blocks in C order (c-blosc `blosc.c`:
 * a 16-byte header, one int32 start per block, then each block's streams). A
 * reader that needs only some planes of a chunk can cut the blocks holding
 * them into a smaller, valid Blosc chunk and decode just that: a 128³ uint16
 * chunk in 128 KiB blocks holds 4 whole z-planes per block. The block size is
 * read from each chunk's header, never assumed.
 *
 * @module
 */

import { blockStreams, readBloscHeader } from "./blosc.ts";

const HEADER_BYTES = 16;
const FLAG_MEMCPYED = 0x2;

/** Blocks cut from a Blosc chunk. */
export interface BloscBlocks {
  /** A Blosc chunk holding only the blocks asked for (or, for a chunk stored raw, the raw bytes). */
  chunk: Uint8Array;
  /** Whether `chunk` is already the decoded bytes (the source chunk was stored uncompressed). */
  raw: boolean;
  /** Decoded byte offset, in the source chunk, of the first byte `chunk` decodes to. */
  offset: number;
  /** Decoded bytes `chunk` holds. */
  bytes: number;
}

/**
 * Cuts the blocks of a Blosc 1 chunk that hold decoded bytes `[start, end)`
 * into a chunk of their own, or returns `undefined` when the chunk's layout
 * does not add up (the caller then decodes the whole chunk, which reports it).
 *
 * @example Decode planes 8 to 11 of a chunk from its blocks alone
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeBlosc } from "../../testing/blosc_encoder.ts";
 * import { decodeBlosc } from "./blosc.ts";
 * import { sliceBloscBlocks } from "./blosc_blocks.ts";
 * const data = new Uint8Array(new Uint16Array(16 * 64 * 64).map((_, i) => i % 999).buffer);
 * const chunk = encodeBlosc(data, { typesize: 2, blocksize: 4 * 64 * 64 * 2, shuffle: 1, split: false, cname: "zstd" });
 * const part = sliceBloscBlocks(chunk, 8 * 64 * 64 * 2, 12 * 64 * 64 * 2)!;
 * assertEquals(decodeBlosc(part.chunk), data.slice(part.offset, part.offset + part.bytes));
 * ```
 * @param bytes A compressed chunk.
 * @param start First decoded byte needed.
 * @param end One past the last decoded byte needed.
 * @returns The blocks, as a chunk, with where they sit in the whole.
 */
export function sliceBloscBlocks(bytes: Uint8Array, start: number, end: number): BloscBlocks | undefined {
  const header = readBloscHeader(bytes);
  if (!header) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { flags, typesize, nbytes, blocksize, cbytes } = header;
  if (cbytes !== bytes.byteLength || typesize === 0 || !(start >= 0 && start < end && end <= nbytes)) {
    return undefined;
  }
  if (flags & FLAG_MEMCPYED) {
    if (HEADER_BYTES + nbytes > bytes.byteLength) return undefined;
    return {
      chunk: bytes.subarray(HEADER_BYTES + start, HEADER_BYTES + end),
      raw: true,
      offset: start,
      bytes: end - start,
    };
  }
  if (blocksize === 0) return undefined;
  const blocks = Math.ceil(nbytes / blocksize);
  if (HEADER_BYTES + 4 * blocks > bytes.byteLength) return undefined;
  let first = Math.floor(start / blocksize);
  const last = Math.ceil(end / blocksize); // exclusive
  // c-blosc refuses a chunk smaller than its block size: a short last block travels with the one before.
  if (Math.min(nbytes, last * blocksize) - first * blocksize < blocksize && first > 0) first--;
  const offset = first * blocksize;
  const size = Math.min(nbytes, last * blocksize) - offset;
  // Each block's extent: its start, then its streams (one, or typesize when split), each an int32 size and bytes.
  const extents: [number, number][] = [];
  for (let b = first; b < last; b++) {
    const blockStart = view.getInt32(HEADER_BYTES + 4 * b, true);
    const streams = blockStreams(header, Math.min(blocksize, nbytes - b * blocksize));
    let at = blockStart;
    for (let s = 0; s < streams; s++) {
      if (at < HEADER_BYTES || at + 4 > bytes.byteLength) return undefined;
      const csize = view.getInt32(at, true);
      if (csize <= 0 || at + 4 + csize > bytes.byteLength) return undefined;
      at += 4 + csize;
    }
    extents.push([blockStart, at]);
  }
  const count = last - first;
  const body = extents.reduce((n, [a, b]) => n + (b - a), 0);
  const chunk = new Uint8Array(HEADER_BYTES + 4 * count + body);
  const out = new DataView(chunk.buffer);
  chunk.set(bytes.subarray(0, HEADER_BYTES));
  out.setUint32(4, size, true);
  out.setUint32(12, chunk.byteLength, true);
  let at = HEADER_BYTES + 4 * count;
  extents.forEach(([a, b], i) => {
    out.setInt32(HEADER_BYTES + 4 * i, at, true);
    chunk.set(bytes.subarray(a, b), at);
    at += b - a;
  });
  return { chunk, raw: false, offset, bytes: size };
}
