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
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import { WorkerPool, type WorkerRequest } from "../codecs/worker_pool.ts";
import { pullPositions, samplePositions } from "./_pull.ts";
import {
  planResampling,
  type ResamplingPlan,
  type ResamplingSlab,
  splitRange,
  unionBox,
} from "./_resampling_plan.ts";
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
  const plan = planResampling({
    pipelineGeometry: space.geometry,
    level,
    levelSize: found.size,
    levelDtype: found.dtype,
    dtype: options.dtype,
    grid,
    slabPlanes: options.slabPlanes,
  });
  const [nx, ny, nz] = grid.size;
  const slabs = (): AsyncGenerator<VoxelArray> =>
    resampledSlabs({
      plan,
      transforms,
      image,
      level,
      workers: options.workers ?? navigator.hardwareConcurrency ?? 1,
    }, options);
  return { shape: [nz, ny, nx], dtype: plan.dtype, slabs: { [Symbol.asyncIterator]: slabs }, level, grid };
}

/** What {@linkcode resampledSlabs} computes, and with how many workers. */
interface Resampling {
  plan: ResamplingPlan;
  transforms: CcfTransforms;
  image: OmeZarrImage;
  level: number;
  /** Worker threads; 0 computes on the calling thread. */
  workers: number;
}

/** The buffers and worker pool the slabs of a resampling share, one slab after another. */
interface SlabWork extends Resampling {
  pool: WorkerPool | undefined;
  /** The continuous level index of each voxel of the slab (x, y, z; 24 bytes per voxel). */
  positions: Float64Array;
}

function runJob(pool: WorkerPool, job: PullJob): Promise<unknown> {
  return pool.run({ ...job, bytes: new Uint8Array(0) } as unknown as WorkerRequest);
}

/** Pulls the slab's voxels through the transforms into `positions`; the box of the level they need. */
async function pullSlab(work: SlabWork, slab: ResamplingSlab): Promise<number[] | undefined> {
  const { plan, transforms, positions, pool } = work;
  if (!pool) {
    return pullPositions(
      transforms,
      plan.pullGrid,
      plan.lpsToLevel,
      plan.levelSize,
      slab.k0,
      0,
      slab.voxels,
      positions,
    );
  }
  const boxes = await Promise.all(
    splitRange(slab.voxels, Math.max(1, work.workers * 2)).map(([start, end]) =>
      runJob(pool, {
        op: "ccf-pull",
        transforms,
        grid: plan.pullGrid,
        lpsToLevel: plan.lpsToLevel,
        levelSize: plan.levelSize,
        k0: slab.k0,
        start,
        end,
        positions,
      })
    ),
  );
  return unionBox(boxes as (number[] | null)[]);
}

/** Reads the box of the level and samples it at the slab's positions into `out`. */
async function sampleSlab(
  work: SlabWork,
  box: number[],
  out: VoxelArray,
  options: ResampleToCcfOptions,
): Promise<void> {
  const { plan, positions, pool } = work;
  const region = await readLevel(work.image, work.level, {
    roi: { x: [box[0], box[1] + 1], y: [box[2], box[3] + 1], z: [box[4], box[5] + 1] },
    concurrency: options.concurrency,
    signal: options.signal,
  });
  if (!pool) {
    samplePositions(region.data, box, plan.levelSize, positions, 0, out.length, out, plan.integer);
    return;
  }
  const shared = sharedVoxels(region.dtype, region.data.length);
  (shared as Float64Array).set(region.data as unknown as ArrayLike<number>);
  await Promise.all(
    splitRange(out.length, Math.max(1, work.workers * 2)).map(([start, end]) =>
      runJob(pool, {
        op: "ccf-sample",
        region: shared,
        box,
        levelSize: plan.levelSize,
        positions,
        start,
        end,
        out,
        integer: plan.integer,
      })
    ),
  );
}

/** The resampled slabs in grid z order, each computed when asked for; one buffer serves every slab. */
async function* resampledSlabs(
  resampling: Resampling,
  options: ResampleToCcfOptions,
): AsyncGenerator<VoxelArray> {
  const { plan, workers } = resampling;
  const full = plan.slabs[0].voxels;
  const pool = workers > 0
    ? new WorkerPool({ size: workers, url: new URL("./_resample_worker.ts", import.meta.url) })
    : undefined;
  const release = pool?.hold();
  const work: SlabWork = {
    ...resampling,
    pool,
    positions: new Float64Array(new SharedArrayBuffer(full * 24)),
  };
  const out = sharedVoxels(plan.dtype, full);
  try {
    for (const [s, planned] of plan.slabs.entries()) {
      options.signal?.throwIfAborted();
      const slab = out.subarray(0, planned.voxels);
      const box = await pullSlab(work, planned);
      if (box) await sampleSlab(work, box, slab, options);
      else slab.fill(0);
      options.onSlab?.({ done: s + 1, total: plan.slabs.length });
      yield slab;
    }
  } finally {
    release?.();
    pool?.close();
  }
}
