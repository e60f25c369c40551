/**
 * countValues(): the per-chunk histogram behind the OME-Zarr `omero` window, against counts made here by
 * walking every index of the padded chunk.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { countValues } from "../../lib/codecs/_value_counts.ts";

/** Counts by a plain walk over the chunk: voxels inside `valid` whose index is a multiple of `stride`. */
function expectedCounts(
  voxels: Uint16Array,
  shape: number[],
  valid: number[],
  stride: number,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (let k = 0; k < voxels.length; k++) {
    const z = Math.floor(k / (shape[1] * shape[2])),
      y = Math.floor(k / shape[2]) % shape[1],
      x = k % shape[2];
    if (z >= valid[0] || y >= valid[1] || x >= valid[2] || k % stride !== 0) continue;
    counts.set(voxels[k], (counts.get(voxels[k]) ?? 0) + 1);
  }
  return counts;
}

function nonZero(counts: Uint32Array): Map<number, number> {
  const out = new Map<number, number>();
  counts.forEach((n, v) => n > 0 && out.set(v, n));
  return out;
}

Deno.test("countValues() counts the real voxels of a chunk, all of them or one in an odd stride", () => {
  const shape: [number, number, number] = [3, 4, 7];
  const valid: [number, number, number] = [2, 3, 5];
  // Each voxel's value is its index: every count is 0 or 1, so a wrong index shows.
  const voxels = new Uint16Array(3 * 4 * 7).map((_, i) => i);
  for (const stride of [1, 3, 5]) {
    const counts = countValues(new Uint8Array(voxels.buffer), { type: "uint16", shape, valid, stride });
    assertEquals(nonZero(counts), expectedCounts(voxels, shape, valid, stride), `stride ${stride}`);
  }
  // By hand, one in 3 of the 2 × 3 × 5 real voxels: rows start at indices 0, 7, 14, 28, 35 and 42, so the
  // sampled columns shift from row to row (x = 0, 3 | 2 | 1, 4 | 2 | 1, 4 | 0, 3).
  const sampled = countValues(new Uint8Array(voxels.buffer), { type: "uint16", shape, valid, stride: 3 });
  assertEquals([...nonZero(sampled).keys()], [0, 3, 9, 15, 18, 30, 36, 39, 42, 45]);
});
