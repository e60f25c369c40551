/**
 * A minimal Blosc 1 encoder for tests: numcodecs' WASM encoder always uses
 * typesize 4, while AIND's chunks use 2 (zarr-python passes the item size).
 * Chunks made here are checked against the WASM (c-blosc) decoder in the tests.
 *
 * @module
 */
import zlib from "node:zlib";

/** Encoder settings. */
export interface BloscEncodeOptions {
  /** Element size, the unit of shuffling. */
  typesize: number;
  /** Decompressed bytes per block. */
  blocksize: number;
  /** 0 none, 1 byte shuffle. */
  shuffle: 0 | 1;
  /** Split each full block into `typesize` streams. */
  split: boolean;
  /** Inner codec. */
  cname: "zstd" | "zlib";
  /** Inner codec level. @default {1} */
  clevel?: number;
}

function shuffleBlock(block: Uint8Array, typesize: number): Uint8Array {
  const count = Math.floor(block.length / typesize);
  const out = new Uint8Array(block.length);
  for (let i = 0; i < count; i++) {
    for (let b = 0; b < typesize; b++) out[b * count + i] = block[i * typesize + b];
  }
  out.set(block.subarray(count * typesize), count * typesize);
  return out;
}

/**
 * Encodes bytes as a Blosc 1 chunk.
 *
 * @param data The bytes.
 * @param options Layout and codec.
 * @returns The chunk.
 */
export function encodeBlosc(data: Uint8Array, options: BloscEncodeOptions): Uint8Array {
  const { typesize, shuffle, cname } = options;
  // c-blosc never writes a block larger than the data, and its decoder relies on that.
  const blocksize = Math.min(options.blocksize, data.length);
  // As c-blosc decides: splitting only pays for blocks of at least 128 elements.
  const split = options.split && typesize <= 16 && Math.floor(blocksize / typesize) >= 128;
  const blocks = Math.ceil(data.length / blocksize);
  const parts: Uint8Array[] = [];
  const starts: number[] = [];
  let offset = 16 + 4 * blocks;
  for (let b = 0; b < blocks; b++) {
    let block = data.subarray(b * blocksize, Math.min(data.length, (b + 1) * blocksize));
    const leftover = block.length < blocksize;
    if (shuffle) block = shuffleBlock(block, typesize);
    const streams = split && !leftover ? typesize : 1;
    const size = block.length / streams;
    starts.push(offset);
    for (let s = 0; s < streams; s++) {
      const raw = block.subarray(s * size, (s + 1) * size);
      const clevel = options.clevel ?? 1;
      const packed: Uint8Array = cname === "zstd"
        ? zlib.zstdCompressSync(raw, { params: { [zlib.constants.ZSTD_c_compressionLevel]: clevel } })
        : zlib.deflateSync(raw, { level: clevel });
      const body = packed.length < raw.length ? packed : raw;
      const sizeBytes = new Uint8Array(4);
      new DataView(sizeBytes.buffer).setInt32(0, body.length, true);
      parts.push(sizeBytes, body);
      offset += 4 + body.length;
    }
  }
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  const format = cname === "zstd" ? 4 : 3;
  out.set([2, 1, (shuffle ? 0x1 : 0) | (split ? 0 : 0x10) | (format << 5), typesize]);
  view.setUint32(4, data.length, true);
  view.setUint32(8, blocksize, true);
  view.setUint32(12, offset, true);
  starts.forEach((start, b) => view.setInt32(16 + 4 * b, start, true));
  let at = 16 + 4 * blocks;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
