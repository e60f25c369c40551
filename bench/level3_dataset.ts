/**
 * A stitched asset whose level 0 has the real SmartSPIM level-3 shape
 * (464 × 1280 × 925 uint16, chunks 128³, Blosc zstd with byte shuffle),
 * with SmartSPIM-like content: a smooth brain over a noise floor. Chunks are
 * made one at a time so generating it needs little memory.
 *
 * @module
 */
import { encodeBlosc } from "../testing/blosc_encoder.ts";
import { AIND_NGFF_AXES } from "../testing/smartspim_dataset.ts";

/** The level-3 shape of SmartSPIM 652506, (z, y, x). */
export const LEVEL3_SHAPE: [number, number, number] = [464, 1280, 925];
const CHUNK = 128;

function hash(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Yields `[key, bytes]` for every object of the image below `prefix`.
 *
 * @param prefix Key prefix of the image, e.g. `asset/processed/OMEZarr/Ex_561_Em_593.zarr`.
 * @param shape Level 0 shape (z, y, x).
 * @returns The objects, chunk by chunk.
 */
export async function* level3Objects(
  prefix: string,
  shape: [number, number, number] = LEVEL3_SHAPE,
): AsyncGenerator<[string, Uint8Array]> {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  yield [`${prefix.split("/")[0]}/data_description.json`, enc({ name: prefix.split("/")[0] })];
  yield [`${prefix}/.zgroup`, enc({ zarr_format: 2 })];
  yield [
    `${prefix}/.zattrs`,
    enc({
      multiscales: [{
        version: "0.4",
        axes: AIND_NGFF_AXES,
        datasets: [{
          path: "0",
          coordinateTransformations: [{ type: "scale", scale: [1, 1, 16, 14.4, 14.4] }],
        }],
      }],
    }),
  ];
  yield [
    `${prefix}/0/.zarray`,
    enc({
      zarr_format: 2,
      shape: [1, 1, ...shape],
      chunks: [1, 1, CHUNK, CHUNK, CHUNK],
      dtype: "<u2",
      compressor: { id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 },
      fill_value: 0,
      order: "C",
      filters: null,
      dimension_separator: "/",
    }),
  ];
  const [nz, ny, nx] = shape;
  const chunk = new Uint16Array(CHUNK ** 3);
  for (let cz = 0; cz < Math.ceil(nz / CHUNK); cz++) {
    for (let cy = 0; cy < Math.ceil(ny / CHUNK); cy++) {
      for (let cx = 0; cx < Math.ceil(nx / CHUNK); cx++) {
        let i = 0;
        for (let z = cz * CHUNK; z < (cz + 1) * CHUNK; z++) {
          for (let y = cy * CHUNK; y < (cy + 1) * CHUNK; y++) {
            const u = z / nz - 0.5, v = y / ny - 0.5;
            for (let x = cx * CHUNK; x < (cx + 1) * CHUNK; x++, i++) {
              const w = x / nx - 0.5;
              const inside = u * u / 0.16 + v * v / 0.2 + w * w / 0.18 < 1;
              // Four to five bits of noise, as in real light-sheet data, set the compression ratio (~2.6).
              const h = hash(i + cz * 7919 + cy * 104729 + cx);
              chunk[i] = (inside ? 400 + 300 * Math.cos(9 * v) : 100) + (h & 15) + ((h >> 4) & 15);
            }
          }
        }
        // As zarr-python writes AIND's chunks: typesize 2, 128 KiB blocks, not split (numcodecs.js would use typesize 4).
        const bytes = encodeBlosc(new Uint8Array(chunk.buffer), {
          typesize: 2,
          blocksize: 131072,
          shuffle: 1,
          split: false,
          cname: "zstd",
          clevel: 1,
        });
        yield [`${prefix}/0/0/0/${cz}/${cy}/${cx}`, bytes];
      }
    }
  }
}
