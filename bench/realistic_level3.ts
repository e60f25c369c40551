/**
 * A level of SmartSPIM's level-3 shape (464 × 1280 × 925 uint16), or of any
 * other shape (the benchmark's level-2 case: 928 × 2560 × 1850), whose
 * content compresses and decodes like the real thing, written as zarr-python
 * writes AIND's levels (Blosc zstd clevel 3, byte shuffle, typesize 2,
 * 128 KiB blocks, chunks 128³, edge chunks padded with the fill value):
 *
 * - a camera offset of 100 with a little read noise outside the tissue;
 * - tissue (an ellipsoid with a soft edge) about 380 above the offset, with a
 *   smooth texture (sums of low-frequency waves along each pair of axes);
 * - bright cells (small blobs a few hundred to a few thousand counts high);
 * - shot noise: each voxel is Poisson-like around its expected value
 *   (a normal deviate scaled by the square root of the signal).
 *
 * On this content zlib level 1 runs at 35-50 MB/s per core with a gzip ratio
 * of 1.8-2.0, as on SmartSPIM 652506's level 3 (`bench/realistic_check.ts`
 * checks it). Everything is deterministic: the same shape gives the same bytes.
 *
 * Chunks are encoded with c-blosc through FFI where it loads (what
 * zarr-python runs), else with the test encoder over `node:zlib`'s zstd.
 *
 * @module
 */
import { compressBloscNative } from "../lib/codecs/_ffi_blosc.ts";
import { encodeBlosc } from "../testing/blosc_encoder.ts";
import { AIND_NGFF_AXES } from "../testing/smartspim_dataset.ts";

/** The level-3 shape of SmartSPIM 652506, (z, y, x). */
export const LEVEL3_SHAPE: [number, number, number] = [464, 1280, 925];
/** The level-2 shape of SmartSPIM 652506, (z, y, x): 8× the voxels of level 3 (about 8.8 GB as uint16). */
export const LEVEL2_SHAPE: [number, number, number] = [928, 2560, 1850];
/**
 * Names the generator's output in `bench/out`: change it whenever the content or the encoding changes, so
 * cached levels are rebuilt rather than reused.
 */
export const GENERATOR_VERSION = 1;
/** Chunk edge, as AIND writes. */
export const CHUNK = 128;
/** The camera offset. */
export const OFFSET = 100;
/** Mean tissue signal above the offset. */
export const TISSUE = 380;

// Photon-transfer gain: noise variance = GAIN × signal above the offset, plus the read noise's.
const GAIN = 0.5;
const READ_NOISE = 5;
const CELLS_PER_CHUNK = 600;
// Texture amplitude: the local spread of the mean sets deflate's ratio in tissue (1.76 on a tissue-rich slice of 652506).
const AMP = 0.25;

function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// 65536 standard normal deviates (Box-Muller over a fixed sequence), looked up by a fast random index.
const NORMALS = (() => {
  const table = new Float32Array(65536);
  for (let i = 0; i < table.length; i += 2) {
    const u = (mix(i) + 1) / 2 ** 32, v = mix(i + 1) / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u));
    table[i] = r * Math.cos(2 * Math.PI * v);
    table[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return table;
})();

/** Smooth texture along two axes: a few waves of 4 to 60 voxels' period, mean 0, amplitude about 0.3. */
function textureTable(n: number, m: number, seed: number): Float32Array {
  const table = new Float32Array(n * m);
  const waves = Array.from({ length: 6 }, (_, k) => {
    const h = mix(seed * 31 + k);
    const period = 4 + (h % 56);
    const angle = ((h >>> 8) % 360) * Math.PI / 180;
    return {
      a: Math.cos(angle) * 2 * Math.PI / period,
      b: Math.sin(angle) * 2 * Math.PI / period,
      phase: ((h >>> 16) % 628) / 100,
      amp: AMP * (0.05 + ((h >>> 24) % 8) / 100),
    };
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let t = 0;
      for (const w of waves) t += w.amp * Math.sin(w.a * i + w.b * j + w.phase);
      table[i * m + j] = t;
    }
  }
  return table;
}

/** Fills voxels of one chunk (C order, 128³) with the content described in the module doc. */
export class RealisticLevel {
  readonly shape: [number, number, number];
  #zy: Float32Array;
  #yx: Float32Array;
  #zx: Float32Array;

  /** @param shape Level shape (z, y, x). */
  constructor(shape: [number, number, number] = LEVEL3_SHAPE) {
    this.shape = shape;
    const [nz, ny, nx] = shape;
    this.#zy = textureTable(nz, ny, 1);
    this.#yx = textureTable(ny, nx, 2);
    this.#zx = textureTable(nz, nx, 3);
  }

  /**
   * Fills `out` with chunk (cz, cy, cx); voxels past the level's edge get 0, as zarr-python pads.
   * @param cz Chunk index along z.
   * @param cy Chunk index along y.
   * @param cx Chunk index along x.
   * @param out A 128³ buffer.
   */
  fill(cz: number, cy: number, cx: number, out: Uint16Array): void {
    const [nz, ny, nx] = this.shape;
    const zy = this.#zy, yx = this.#yx, zx = this.#zx;
    // Expected signal above the offset first, then cells, then noise.
    const signal = new Float32Array(CHUNK ** 3);
    for (let dz = 0; dz < CHUNK; dz++) {
      const z = cz * CHUNK + dz;
      if (z >= nz) break;
      const u = z / nz - 0.5;
      for (let dy = 0; dy < CHUNK; dy++) {
        const y = cy * CHUNK + dy;
        if (y >= ny) break;
        const v = y / ny - 0.5;
        const uv = u * u / 0.25 + v * v / 0.3;
        const tzy = zy[z * ny + y];
        let i = (dz * CHUNK + dy) * CHUNK;
        for (let dx = 0; dx < CHUNK; dx++, i++) {
          const x = cx * CHUNK + dx;
          if (x >= nx) break;
          const w = x / nx - 0.5;
          const r = uv + w * w / 0.28;
          if (r >= 1) continue;
          // A soft edge over the outer 10 % of the radius.
          const edge = Math.min(1, (1 - r) * 10);
          signal[i] = TISSUE * edge * (1 + tzy + yx[y * nx + x] + zx[z * nx + x]);
        }
      }
    }
    const seed = mix((cz * 977 + cy) * 977 + cx);
    for (let c = 0; c < CELLS_PER_CHUNK; c++) {
      const h = mix(seed + c);
      const z0 = 1 + (h % 126), y0 = 1 + ((h >>> 7) % 126), x0 = 1 + ((h >>> 14) % 126);
      const center = (z0 * CHUNK + y0) * CHUNK + x0;
      if (signal[center] === 0) continue;
      const height = 300 + (mix(h) % 2000);
      for (let a = -1; a <= 1; a++) {
        for (let b = -1; b <= 1; b++) {
          for (let d = -1; d <= 1; d++) {
            signal[center + (a * CHUNK + b) * CHUNK + d] += height * Math.exp(-(a * a + b * b + d * d) / 1.2);
          }
        }
      }
    }
    let state = seed | 1;
    const readVariance = READ_NOISE * READ_NOISE;
    for (let dz = 0; dz < CHUNK; dz++) {
      const z = cz * CHUNK + dz;
      for (let dy = 0; dy < CHUNK; dy++) {
        const y = cy * CHUNK + dy;
        let i = (dz * CHUNK + dy) * CHUNK;
        if (z >= nz || y >= ny) {
          out.fill(0, i, i + CHUNK);
          continue;
        }
        for (let dx = 0; dx < CHUNK; dx++, i++) {
          if (cx * CHUNK + dx >= nx) {
            out[i] = 0;
            continue;
          }
          // xorshift32: cheap, and good enough to pick a normal deviate.
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          const s = signal[i];
          const value = OFFSET + s + Math.sqrt(GAIN * s + readVariance) * NORMALS[state & 0xffff];
          out[i] = value < 0 ? 0 : value > 65535 ? 65535 : Math.round(value);
        }
      }
    }
  }
}

/**
 * Encodes one chunk as zarr-python writes AIND's (Blosc zstd clevel 3, byte shuffle, typesize 2, 128 KiB blocks).
 * @param chunk The voxels.
 * @returns The Blosc chunk.
 */
export function encodeChunk(chunk: Uint16Array): Uint8Array {
  const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return compressBloscNative(bytes, {
    typesize: 2,
    cname: "zstd",
    clevel: 3,
    shuffle: 1,
    blocksize: 131072,
  }) ??
    encodeBlosc(bytes, {
      typesize: 2,
      blocksize: 131072,
      shuffle: 1,
      split: false,
      cname: "zstd",
      clevel: 3,
    });
}

/**
 * Yields `[key, bytes]` for every object of the image below `prefix`, chunk by chunk (little memory).
 *
 * @param prefix Key prefix of the image, e.g. `asset/processed/OMEZarr/Ex_561_Em_593.zarr`.
 * @param shape Level 0 shape (z, y, x).
 * @param options `cacheDir`: build the encoded chunks there once ({@linkcode buildRealisticLevel}) and read them from
 *   there (generating level 3 takes about a minute per core, level 2 eight times that).
 * @returns The objects.
 */
export async function* realisticLevelObjects(
  prefix: string,
  shape: [number, number, number] = LEVEL3_SHAPE,
  options: { cacheDir?: string } = {},
): AsyncGenerator<[string, Uint8Array]> {
  const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
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
      compressor: { id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 },
      fill_value: 0,
      order: "C",
      filters: null,
      dimension_separator: "/",
    }),
  ];
  const [nz, ny, nx] = shape;
  const cache = options.cacheDir ? await buildRealisticLevel(shape, options.cacheDir) : undefined;
  if (cache) {
    for (let cz = 0; cz < Math.ceil(nz / CHUNK); cz++) {
      for (let cy = 0; cy < Math.ceil(ny / CHUNK); cy++) {
        for (let cx = 0; cx < Math.ceil(nx / CHUNK); cx++) {
          yield [`${prefix}/0/0/0/${cz}/${cy}/${cx}`, await Deno.readFile(`${cache}/${cz}.${cy}.${cx}`)];
        }
      }
    }
    return;
  }
  const level = new RealisticLevel(shape);
  const chunk = new Uint16Array(CHUNK ** 3);
  for (let cz = 0; cz < Math.ceil(nz / CHUNK); cz++) {
    for (let cy = 0; cy < Math.ceil(ny / CHUNK); cy++) {
      for (let cx = 0; cx < Math.ceil(nx / CHUNK); cx++) {
        level.fill(cz, cy, cx, chunk);
        yield [`${prefix}/0/0/0/${cz}/${cy}/${cx}`, encodeChunk(chunk)];
        // Let the event loop serve requests between chunks.
        await Promise.resolve();
      }
    }
  }
}

/**
 * The folder in `cacheDir` holding the encoded chunks of a level of `shape` (files `cz.cy.cx`), built
 * unless a complete one of this {@linkcode GENERATOR_VERSION} is there. Built chunk row by chunk row, each
 * row's chunks generated and encoded on `workers` worker threads, so memory holds a few chunks, whatever
 * the shape; the folder is marked complete only at the end, so an interrupted build starts over.
 *
 * @param shape Level shape (z, y, x).
 * @param cacheDir The parent folder (the benchmarks use `bench/out`).
 * @param options `workers` (default: one per core), `onRow` (progress after each chunk row).
 * @returns The folder.
 */
export async function buildRealisticLevel(
  shape: [number, number, number],
  cacheDir: string,
  options: { workers?: number; onRow?: (row: number, rows: number) => void } = {},
): Promise<string> {
  const [nz, ny, nx] = shape;
  const cache = `${cacheDir}/realistic-v${GENERATOR_VERSION}-${nz}x${ny}x${nx}`;
  if (await Deno.stat(`${cache}/complete`).then(() => true, () => false)) return cache;
  await Deno.mkdir(cache, { recursive: true });
  const rows = Math.ceil(nz / CHUNK), gy = Math.ceil(ny / CHUNK), gx = Math.ceil(nx / CHUNK);
  const size = Math.max(1, options.workers ?? navigator.hardwareConcurrency ?? 2);
  const workers = Array.from(
    { length: size },
    () => new Worker(new URL("./realistic_worker.ts", import.meta.url), { type: "module" }),
  );
  try {
    const run = (worker: Worker, cz: number, cy: number, cx: number): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<Uint8Array>) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`generating chunk ${cz}.${cy}.${cx} failed: ${event.message}`));
        };
        worker.postMessage({ shape, cz, cy, cx });
      });
    for (let cz = 0; cz < rows; cz++) {
      const cells: [number, number][] = [];
      for (let cy = 0; cy < gy; cy++) for (let cx = 0; cx < gx; cx++) cells.push([cy, cx]);
      await Promise.all(workers.map(async (worker) => {
        for (let cell = cells.shift(); cell; cell = cells.shift()) {
          const [cy, cx] = cell;
          await Deno.writeFile(`${cache}/${cz}.${cy}.${cx}`, await run(worker, cz, cy, cx));
        }
      }));
      options.onRow?.(cz + 1, rows);
    }
  } finally {
    for (const worker of workers) worker.terminate();
  }
  await Deno.writeTextFile(`${cache}/complete`, "");
  return cache;
}
