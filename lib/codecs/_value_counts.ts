/**
 * Internal: counting the values of a raw chunk's voxels (the exact
 * histogram of 8- and 16-bit voxels behind a contrast window), on the worker
 * that encodes the chunk while it is in that core's cache.
 *
 * @module
 */
import type { ValueCount } from "./worker_pool.ts";

/**
 * Counts the real voxels of a raw chunk by value (all of them, or one in `stride`): `counts[value + offset]`,
 * the offset 128 for int8 and 32768 for int16 (0 otherwise), as the window's histogram is indexed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { countValues } from "./_value_counts.ts";
 * const chunk = new Uint8Array([1, 2, 9, 1, 9, 9]); // 1 × 2 × 3, the last column padding
 * const counts = countValues(chunk, { type: "uint8", shape: [1, 2, 3], valid: [1, 2, 2] });
 * assertEquals([counts[1], counts[2], counts[9]], [2, 1, 1]);
 * ```
 * @param bytes The raw chunk (C order, little-endian).
 * @param count What to count.
 * @returns 256 or 65536 counts.
 */
export function countValues(bytes: Uint8Array, count: ValueCount): Uint32Array {
  const wide = count.type === "uint16" || count.type === "int16";
  const offset = count.type === "int8" ? 128 : count.type === "int16" ? 32768 : 0;
  const counts = new Uint32Array(wide ? 65536 : 256);
  const items = bytes.byteLength / (wide ? 2 : 1);
  const voxels = count.type === "uint16"
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, items)
    : count.type === "int16"
    ? new Int16Array(bytes.buffer, bytes.byteOffset, items)
    : count.type === "int8"
    ? new Int8Array(bytes.buffer, bytes.byteOffset, items)
    : bytes;
  const [, cy, cx] = count.shape;
  const [d, h, w] = count.valid;
  const stride = count.stride ?? 1;
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      const row = (z * cy + y) * cx;
      if (stride === 1) {
        for (let i = row; i < row + w; i++) counts[voxels[i] + offset]++;
        continue;
      }
      // The row's first index that is a multiple of the stride: with an odd stride the sampled columns
      // shift from row to row, so no column of a chunk is always skipped.
      for (let i = row + (stride - (row % stride)) % stride; i < row + w; i += stride) {
        counts[voxels[i] + offset]++;
      }
    }
  }
  return counts;
}
