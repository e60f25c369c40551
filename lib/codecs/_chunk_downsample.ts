/**
 * Internal: the pyramid's 2× mean of one raw chunk, computed on the worker
 * that encodes the chunk while its voxels are in that core's cache (the
 * OME-Zarr writer used to average whole planes on the main thread).
 *
 * @module
 */
import { INTEGER_RANGES, VOXEL_ARRAYS } from "../core/volume.ts";
import type { ChunkDownsample } from "./worker_pool.ts";

/**
 * The 2×2×2 mean of a raw chunk's real voxels, as a tight block of
 * `ceil(valid / 2)` voxels per axis (C order, the chunk's type). A block cut
 * by the edge of the real voxels averages the voxels present; integers round
 * to nearest (halves up), floats keep the mean (computed in float64). The
 * chunk must start at an even index of its level on every axis it does not
 * span alone, so that its blocks are the level's blocks.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { downsampleChunk } from "./_chunk_downsample.ts";
 * // 2 × 2 × 3 voxels in a 2 × 2 × 4 chunk (the last column padding): blocks of 8 and of 4 voxels.
 * const chunk = new Uint16Array([1, 2, 10, 99, 3, 4, 20, 99, 5, 6, 30, 99, 7, 8, 40, 99]);
 * const mean = downsampleChunk(new Uint8Array(chunk.buffer), { type: "uint16", shape: [2, 2, 4], valid: [2, 2, 3] });
 * assertEquals([...new Uint16Array(mean.buffer)], [5, 25]); // 36 / 8 = 4.5 → 5; 100 / 4 = 25
 * ```
 * @param bytes The raw chunk (C order, little-endian), padding included.
 * @param downsample Its type, shape and real extent.
 * @param reuse A buffer of the block's size to write into (else a new one).
 * @returns The block's bytes, a whole buffer of its own.
 */
export function downsampleChunk(
  bytes: Uint8Array,
  downsample: ChunkDownsample,
  reuse?: ArrayBuffer,
): Uint8Array {
  const Voxels = VOXEL_ARRAYS[downsample.type];
  const size = Voxels.BYTES_PER_ELEMENT;
  const v = new Voxels(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  const [, cy, cx] = downsample.shape;
  const [vz, vy, vx] = downsample.valid;
  const oy = Math.ceil(vy / 2), ox = Math.ceil(vx / 2);
  const items = Math.ceil(vz / 2) * oy * ox;
  const out = reuse?.byteLength === items * size ? new Voxels(reuse) : new Voxels(items);
  const round = INTEGER_RANGES[downsample.type] !== undefined;
  // 8- and 16-bit integers: a sum of 8 fits 31 bits, so the rounded mean is an arithmetic shift.
  const small = size <= 2 && round;
  const plane = cy * cx, fullX = vx >> 1;
  for (let z = 0; z < vz; z += 2) {
    const twoPlanes = z + 1 < vz;
    for (let y = 0; y < vy; y += 2) {
      const twoRows = y + 1 < vy;
      const r0 = z * plane + y * cx;
      const o = ((z >> 1) * oy + (y >> 1)) * ox;
      if (twoPlanes && twoRows && small) {
        // The common case, kept apart so that it stays a tight loop: floor(s / 8 + 0.5) is (s + 4) >> 3.
        for (let x = 0, i = r0; x < fullX; x++, i += 2) {
          const j = i + cx, k = i + plane, l = j + plane;
          out[o + x] = (v[i] + v[i + 1] + v[j] + v[j + 1] + v[k] + v[k + 1] + v[l] + v[l + 1] + 4) >> 3;
        }
      } else if (twoPlanes && twoRows) {
        for (let x = 0, i = r0; x < fullX; x++, i += 2) {
          const j = i + cx, k = i + plane, l = j + plane;
          const s = v[i] + v[i + 1] + v[j] + v[j + 1] + v[k] + v[k + 1] + v[l] + v[l + 1];
          out[o + x] = round ? Math.floor(s * 0.125 + 0.5) : s * 0.125;
        }
      } else {
        // A block cut by the last plane or row: the mean of the 2 or 4 voxels present.
        const scale = 1 / (2 * (twoPlanes ? 2 : 1) * (twoRows ? 2 : 1));
        for (let x = 0, i = r0; x < fullX; x++, i += 2) {
          let s = v[i] + v[i + 1];
          if (twoRows) s += v[i + cx] + v[i + cx + 1];
          if (twoPlanes) {
            s += v[i + plane] + v[i + plane + 1] + (twoRows ? v[i + plane + cx] + v[i + plane + cx + 1] : 0);
          }
          out[o + x] = round ? Math.floor(s * scale + 0.5) : s * scale;
        }
      }
      if (vx % 2 === 1) {
        // The last column of an odd extent: the mean of the voxels present.
        const i = r0 + vx - 1;
        let s = v[i] + (twoRows ? v[i + cx] : 0);
        if (twoPlanes) s += v[i + plane] + (twoRows ? v[i + plane + cx] : 0);
        const scale = 1 / ((twoPlanes ? 2 : 1) * (twoRows ? 2 : 1));
        out[o + fullX] = round ? Math.floor(s * scale + 0.5) : s * scale;
      }
    }
  }
  return new Uint8Array(out.buffer);
}
