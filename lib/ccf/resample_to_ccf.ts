/**
 * The brain in CCF: resample a channel into the CCF 25 µm grid by pulling
 * every CCF voxel through the transforms (`q = A_ls(W_ls(A_t(W_t(c))))`) and
 * sampling the LS level there (trilinear), slab by slab.
 *
 * Memory is bounded by the slab: for each slab of CCF planes, the positions
 * (24 bytes per voxel) and the box of the LS level those positions need are
 * held, nothing else. The pulls and the sampling run on worker threads
 * (fields, positions, region and output shared, not copied).
 *
 * @module
 */
import { getLevel, type OmeZarrImage } from "../metadata/image.ts";
import { readLevel } from "../read/read.ts";
import { chooseLevelForSpacing } from "../export/resample.ts";
import {
  allocateVoxels,
  bytesPerVoxel,
  type ImageGeometry,
  INTEGER_RANGES,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import { WorkerPool, type WorkerRequest } from "../codecs/worker_pool.ts";
import { invert3 } from "./ants_affine.ts";
import { type PullGrid, pullPositions, samplePositions } from "./_pull.ts";
import type { PullJob } from "./_resample_worker.ts";
import type { CcfTransforms } from "./transforms.ts";
import type { CcfSpace } from "./ccf_space.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

type Vec3 = [number, number, number];

/** A target grid in CCF space. */
export interface CcfGrid {
  /** Sizes (x, y, z) of the index axes. */
  size: [number, number, number];
  /** ITK geometry (LPS, mm). */
  geometry: ImageGeometry;
}

/** The Allen CCF 25 µm grid: 528 × 320 × 456, PIR (i → posterior, j → inferior, k → right), origin 0. */
export const CCF_25_GRID: CcfGrid = {
  size: [528, 320, 456],
  geometry: {
    spacing: [0.025, 0.025, 0.025],
    origin: [0, 0, 0],
    direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
  },
};

/** Options for {@linkcode resampleToCcf}. */
export interface ResampleToCcfOptions {
  /** The channel's image (any channel of the asset). @default {the registered channel's} */
  image?: OmeZarrImage;
  /** LS level to sample. @default {the coarsest level at least as fine as the grid's spacing, under the pipeline's spacing} */
  level?: number;
  /** Output voxels: the level's type (rounded, clamped) or float32. @default {"native"} */
  dtype?: "native" | "float32";
  /** The target grid. @default {CCF_25_GRID} */
  grid?: CcfGrid;
  /** CCF planes (along the grid's z) per slab. @default {16} */
  slabPlanes?: number;
  /** Worker threads; 0 computes on the calling thread. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** Chunks fetched at once. @default {16} */
  concurrency?: number;
  /** Called after each slab. */
  onSlab?: (event: { done: number; total: number }) => void;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** A resampling in progress: the level chosen and the slabs to consume (once). */
export interface CcfResampling extends VolumeSlabs {
  /** The LS level sampled. */
  level: number;
  /** The grid. */
  grid: CcfGrid;
}

function indexToLpsMatrix(geometry: ImageGeometry): number[] {
  const { origin, direction: d, spacing: s } = geometry;
  return [0, 1, 2].flatMap((r) => [d[r][0] * s[0], d[r][1] * s[1], d[r][2] * s[2], origin[r]]);
}

function lpsToIndexMatrix(geometry: ImageGeometry): number[] {
  const a = indexToLpsMatrix(geometry);
  const inv = invert3([a[0], a[1], a[2], a[4], a[5], a[6], a[8], a[9], a[10]]);
  const b = [a[3], a[7], a[11]];
  return [0, 1, 2].flatMap((r) => {
    const row = [inv[3 * r], inv[3 * r + 1], inv[3 * r + 2]];
    return [...row, -(row[0] * b[0] + row[1] * b[1] + row[2] * b[2])];
  });
}

function sharedVoxels(dtype: VoxelType, length: number): VoxelArray {
  const array = allocateVoxels(dtype, 0);
  const Ctor = array.constructor as new (buffer: SharedArrayBuffer) => VoxelArray;
  return new Ctor(new SharedArrayBuffer(Math.max(1, length) * bytesPerVoxel(dtype))).subarray(0, length);
}

/**
 * The level of an image to sample for a target spacing: the coarsest whose
 * pipeline spacing (2^L × the corrected level-0 spacing) is at least as fine
 * on every axis; level 0 if none is.
 *
 * @param space The CCF space (its corrected level-0 spacing).
 * @param image The channel's image.
 * @param spacing Target spacing, mm.
 * @returns The level index.
 */
export function chooseCcfLevel(space: CcfSpace, image: OmeZarrImage, spacing: number): number {
  const levels = image.levels.map((l) => ({
    index: l.index,
    spacing: space.geometry.spacing.map((s) => s * 2 ** l.index) as Vec3,
  }));
  try {
    return chooseLevelForSpacing(levels, spacing);
  } catch (error) {
    if (error instanceof RangeError) return 0;
    throw error;
  }
}

/** The keys of {@linkcode ResampleToCcfOptions}, checked at run time. */
const RESAMPLE_TO_CCF_OPTION_KEYS: OptionKeys<ResampleToCcfOptions> = {
  image: true,
  level: true,
  dtype: true,
  grid: true,
  slabPlanes: true,
  workers: true,
  concurrency: true,
  onSlab: true,
  signal: true,
};

/**
 * Resamples a channel into a CCF grid, slab by slab (see the module documentation).
 *
 * @example
 * ```ts ignore
 * import { resampleToCcf } from "./mod.ts";
 *  * const space = await openCcfSpace({ subject: "784354" });
 * const resampling = resampleToCcf(space);
 * await writeNifti("brain_ccf.nii.gz", resampling, { geometry: resampling.grid.geometry });
 * space.close();
 * ```
 * @param space The asset's CCF space (with transforms).
 * @param options Image, level, type, grid, slab size, workers.
 * @returns The level chosen and the slabs; nothing is read until the slabs are iterated.
 * @throws {TypeError} If the space has no transforms, or the image's level 0 differs from the registered channel's.
 */
export function resampleToCcf(space: CcfSpace, options: ResampleToCcfOptions = {}): CcfResampling {
  options = checkOptions(options, RESAMPLE_TO_CCF_OPTION_KEYS, "resampleToCcf()");
  const transforms = space.transforms;
  if (!transforms) {
    throw new TypeError("Cannot resample into CCF: the CCF space was opened with transforms: false");
  }
  const image = options.image ?? space.image;
  if (image.levels[0].size.some((n, a) => n !== space.size[a])) {
    throw new TypeError(
      `Cannot resample ${image.uri}: its level 0 is [${
        image.levels[0].size
      }] voxels, not [${space.size}] as the ` +
        `registered channel's`,
    );
  }
  const grid = options.grid ?? CCF_25_GRID;
  const level = options.level ?? chooseCcfLevel(space, image, Math.max(...grid.geometry.spacing));
  const found = getLevel(image, level);
  const dtype: VoxelType = options.dtype === "float32" ? "float32" : found.dtype;
  const integer = INTEGER_RANGES[dtype];
  const factor = 2 ** level;
  // Level L shares the pipeline's origin and direction, with 2^L times the spacing (AZU's convention).
  const levelGeometry: ImageGeometry = {
    ...space.geometry,
    spacing: space.geometry.spacing.map((s) => s * factor) as Vec3,
  };
  const lpsToLevel = lpsToIndexMatrix(levelGeometry);
  const pullGrid: PullGrid = { size: grid.size, indexToLps: indexToLpsMatrix(grid.geometry) };
  const [nx, ny, nz] = grid.size;
  const planes = Math.max(1, Math.min(nz, options.slabPlanes ?? 16));
  const workers = options.workers ?? navigator.hardwareConcurrency ?? 1;
  const levelSize = [...found.size];

  const t: CcfTransforms = transforms;
  async function* slabs(): AsyncGenerator<VoxelArray> {
    const pool = workers > 0
      ? new WorkerPool({ size: workers, url: new URL("./_resample_worker.ts", import.meta.url) })
      : undefined;
    const release = pool?.hold();
    const run = (job: PullJob): Promise<unknown> =>
      pool!.run({ ...job, bytes: new Uint8Array(0) } as unknown as WorkerRequest);
    const positions = new Float64Array(new SharedArrayBuffer(nx * ny * planes * 24));
    const out = sharedVoxels(dtype, nx * ny * planes);
    const total = Math.ceil(nz / planes);
    try {
      for (let s = 0, k0 = 0; k0 < nz; s++, k0 += planes) {
        options.signal?.throwIfAborted();
        const n = nx * ny * Math.min(planes, nz - k0);
        const parts = pool ? Math.max(1, workers * 2) : 1;
        const ranges = Array.from(
          { length: parts },
          (_, p) => [Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)],
        );
        const boxes = pool
          ? (await Promise.all(
            ranges.map(([start, end]) =>
              run({
                op: "ccf-pull",
                transforms: t,
                grid: pullGrid,
                lpsToLevel,
                levelSize,
                k0,
                start,
                end,
                positions,
              })
            ),
          )) as (number[] | null)[]
          : [pullPositions(t, pullGrid, lpsToLevel, levelSize, k0, 0, n, positions) ?? null];
        const inside = boxes.filter((b): b is number[] => b !== null);
        const slab = out.subarray(0, n);
        if (inside.length === 0) {
          slab.fill(0);
        } else {
          const box = [0, 1, 2].flatMap((a) => [
            Math.min(...inside.map((b) => b[2 * a])),
            Math.max(...inside.map((b) => b[2 * a + 1])),
          ]);
          const region = await readLevel(image, level, {
            roi: { x: [box[0], box[1] + 1], y: [box[2], box[3] + 1], z: [box[4], box[5] + 1] },
            concurrency: options.concurrency,
            signal: options.signal,
          });
          if (pool) {
            const shared = sharedVoxels(region.dtype, region.data.length);
            (shared as Float64Array).set(region.data as unknown as ArrayLike<number>);
            await Promise.all(
              ranges.map(([start, end]) =>
                run({
                  op: "ccf-sample",
                  region: shared,
                  box,
                  levelSize,
                  positions,
                  start,
                  end,
                  out: slab,
                  integer,
                })
              ),
            );
          } else {
            samplePositions(region.data, box, levelSize, positions, 0, n, slab, integer);
          }
        }
        options.onSlab?.({ done: s + 1, total });
        yield slab;
      }
    } finally {
      release?.();
      pool?.close();
    }
  }

  return { shape: [nz, ny, nx], dtype, slabs: { [Symbol.asyncIterator]: slabs }, level, grid };
}
