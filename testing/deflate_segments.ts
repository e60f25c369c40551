/**
 * Test helper: the segment cases every sync-flushing deflate (libdeflate as
 * WebAssembly, ISA-L through the shim) must join into one stream, and the
 * gzip member built from them the way `createParallelGzip` builds it, for
 * inflaters that share no code with the compressors to read.
 *
 * @module
 */
import zlib from "node:zlib";

/** A deflate of one segment that ends in a sync flush unless `final`. */
export type SegmentDeflate = (segment: Uint8Array, final: boolean) => Uint8Array;

/**
 * Deterministic pseudo-random bytes (xorshift32): incompressible.
 * @param n The length.
 * @param seed Any integer.
 * @returns The bytes.
 */
export function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s;
  }
  return out;
}

/**
 * uint16 voxels like a light-sheet volume: an offset, a slow texture and
 * noise (compressible, not trivially), as bytes.
 * @param count The number of voxels.
 * @param seed Any integer.
 * @returns `2 × count` bytes.
 */
export function voxels(count: number, seed: number): Uint8Array {
  const random = noise(count, seed);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = 100 + 300 * (1 + Math.sin(i / 5000)) + (random[i] & 31);
  return new Uint8Array(out.buffer);
}

/**
 * The parts, one after another.
 * @param parts Byte arrays.
 * @returns Their concatenation.
 */
export function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, s) => n + s.length, 0));
  parts.reduce((at, s) => (all.set(s, at), at + s.length), 0);
  return all;
}

/**
 * One gzip member from segments: header, the segments as deflated apart
 * (the last one final), CRC-32 and length of the whole.
 * @param segments The input, cut.
 * @param deflate The compressor under test.
 * @returns The gzip file's bytes.
 */
export function gzipOfSegments(segments: Uint8Array[], deflate: SegmentDeflate): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])];
  let crc = 0;
  let length = 0;
  segments.forEach((segment, i) => {
    parts.push(deflate(segment, i === segments.length - 1));
    crc = zlib.crc32(segment, crc);
    length += segment.length;
  });
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc >>> 0, true);
  new DataView(trailer.buffer).setUint32(4, length % 2 ** 32, true);
  parts.push(trailer);
  return concat(parts);
}

/**
 * Each case is the segments of one stream. Incompressible data makes both
 * compressors write stored blocks of at most 65535 bytes, so lengths of
 * 65535 and 2 × 65535 end a segment exactly on a block boundary; short
 * segments (under 56 bytes) take libdeflate's pass-through path; many
 * lengths between cover every count of pending bits before the sync flush;
 * 32 KiB and 64 KiB are igzip's history window and a multiple of its
 * internal buffers.
 */
export const JOIN_CASES: [string, Uint8Array[]][] = [
  ["one empty segment", [new Uint8Array(0)]],
  ["empty segments first, between and last", [
    new Uint8Array(0),
    voxels(5000, 1),
    new Uint8Array(0),
    voxels(7000, 2),
    new Uint8Array(0),
  ]],
  ["single bytes", [new Uint8Array([7]), new Uint8Array([0]), new Uint8Array([255])]],
  ["one single byte", [new Uint8Array([42])]],
  ["incompressible segments ending on stored-block boundaries", [
    noise(65535, 3),
    noise(2 * 65535, 4),
    noise(65536, 5),
    noise(1, 6),
  ]],
  ["incompressible then compressible", [noise(100000, 7), voxels(100000, 8), noise(3, 9)]],
  ["compressible segments of 32 KiB, 64 KiB and 1 MiB", [
    voxels(1 << 14, 10),
    voxels(1 << 15, 11),
    voxels(1 << 19, 12),
  ]],
  [
    "segments of 1 to 60 bytes (libdeflate's pass-through path)",
    Array.from({ length: 60 }, (_, i) => voxels(i + 1, i)),
  ],
  [
    "80 segments of varied lengths (every pending bit count)",
    Array.from({ length: 80 }, (_, i) => voxels(997 + i * 613, 100 + i)),
  ],
  ["large: 24 MiB in 1 MiB segments", Array.from({ length: 24 }, (_, i) => voxels(1 << 19, 200 + i))],
];
