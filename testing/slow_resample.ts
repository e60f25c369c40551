/**
 * Area averaging computed the slow, obviously correct way, for checking
 * `lib/resample.ts`: each output voxel is the integral of the
 * piecewise-constant input over its box, divided by the box's volume.
 *
 * @module
 */

/** Overlap of [a0, a1) and [b0, b1). */
function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/**
 * Output voxel (i, j, k) averages the input over the box [i·fx, (i+1)·fx) ×
 * [j·fy, (j+1)·fy) × [k·fz, (k+1)·fz) in edge coordinates (input voxel x spans
 * [x, x + 1)), weighting each input voxel by the volume it shares with the box.
 *
 * @param data Input voxels, C order (z, y, x), x fastest.
 * @param size Input sizes (x, y, z).
 * @param factors Output voxel size over input voxel size (x, y, z).
 * @param outSize Output sizes (x, y, z).
 * @returns The output voxels, C order.
 */
export function slowResample(
  data: ArrayLike<number>,
  size: readonly [number, number, number],
  factors: readonly [number, number, number],
  outSize: readonly [number, number, number],
): Float64Array {
  const [nx, ny, nz] = size;
  const [fx, fy, fz] = factors;
  const [mx, my, mz] = outSize;
  const out = new Float64Array(mx * my * mz);
  for (let k = 0; k < mz; k++) {
    for (let j = 0; j < my; j++) {
      for (let i = 0; i < mx; i++) {
        let sum = 0;
        for (let z = 0; z < nz; z++) {
          const wz = overlap(k * fz, (k + 1) * fz, z, z + 1);
          if (wz === 0) continue;
          for (let y = 0; y < ny; y++) {
            const wy = overlap(j * fy, (j + 1) * fy, y, y + 1);
            if (wy === 0) continue;
            for (let x = 0; x < nx; x++) {
              const wx = overlap(i * fx, (i + 1) * fx, x, x + 1);
              sum += wx * wy * wz * data[(z * ny + y) * nx + x];
            }
          }
        }
        out[(k * my + j) * mx + i] = sum / (fx * fy * fz);
      }
    }
  }
  return out;
}
