/**
 * Internal: Zarr v3 shards (`sharding_indexed`, index at the end, CRC-32C).
 *
 * @module
 */

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the v3 `crc32c` codec specifies.
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32C of some bytes.
 *
 * @example The check value of the Castagnoli polynomial
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { crc32c } from "./_shard.ts";
 * assertEquals(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
 * ```
 * @param bytes The bytes.
 * @returns The checksum.
 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Joins encoded inner chunks into a shard: the chunks back to back, then the
 * index (offset and size, uint64 little-endian, per inner chunk in C order;
 * 2^64 − 1 twice for a chunk that is absent) and its CRC-32C.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { assembleShard } from "./_shard.ts";
 * const shard = assembleShard([new Uint8Array([1, 2]), undefined]);
 * assertEquals(shard.length, 2 + 2 * 16 + 4);
 * ```
 * @param chunks Encoded inner chunks in C order, `undefined` where absent.
 * @returns The shard's bytes.
 */
export function assembleShard(chunks: (Uint8Array | undefined)[]): Uint8Array {
  const dataBytes = chunks.reduce((n, c) => n + (c?.length ?? 0), 0);
  const indexBytes = chunks.length * 16;
  const shard = new Uint8Array(dataBytes + indexBytes + 4);
  const view = new DataView(shard.buffer);
  let offset = 0;
  chunks.forEach((chunk, i) => {
    const at = dataBytes + 16 * i;
    if (!chunk) {
      view.setBigUint64(at, 0xffffffffffffffffn, true);
      view.setBigUint64(at + 8, 0xffffffffffffffffn, true);
      return;
    }
    shard.set(chunk, offset);
    view.setBigUint64(at, BigInt(offset), true);
    view.setBigUint64(at + 8, BigInt(chunk.length), true);
    offset += chunk.length;
  });
  view.setUint32(dataBytes + indexBytes, crc32c(shard.subarray(dataBytes, dataBytes + indexBytes)), true);
  return shard;
}
