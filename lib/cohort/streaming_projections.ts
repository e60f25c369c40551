/**
 * Maximum-intensity projections of a volume file, computed while it streams
 * past: memory holds three planes (binned down to a bounded size), never the
 * volume.
 *
 * @module
 */
import { renderProjectionPlanes } from "../display/png.ts";
import type { Projections } from "../display/preview.ts";
import { streamVoxels, type VoxelFileHeader } from "./voxel_stream.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode ProjectionAccumulator}. */
export interface ProjectionAccumulatorOptions {
  /**
   * Largest side of a projection plane, in bins: longer axes are binned by
   * the maximum over runs of neighbouring voxels, which is what bounds the
   * memory for any volume. @default {1024}
   */
  maxSide?: number;
}

/**
 * Builds the three maximum-intensity projections of a (z, y, x) volume from
 * its voxels in file order (x fastest), given in runs of any length. The
 * planes are laid out as `maxIntensityProjections` (lib/preview.ts) lays
 * them out, so they draw with the same functions; along an axis longer than
 * `maxSide`, each plane pixel is the maximum over `bin` neighbouring voxels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ProjectionAccumulator } from "@spimfetch/spimfetch/cohort";
 * // (z, y, x) = (2, 1, 2): voxels 1 2 / 3 0, arriving in runs of 3 and 1
 * const mips = new ProjectionAccumulator([2, 1, 2]);
 * mips.add([1, 2, 3]);
 * mips.add([0]);
 * const { z, y, x } = mips.projections();
 * assertEquals([[...z.data], [...y.data], [...x.data]], [[3, 2], [1, 2, 3, 0], [2, 3]]);
 * ```
 */
export class ProjectionAccumulator {
  /** The volume's sizes (z, y, x). */
  readonly shape: readonly [number, number, number];
  /** Voxels per bin along (z, y, x): 1 unless the axis is longer than `maxSide`. */
  readonly bins: readonly [number, number, number];
  #z: Float32Array;
  #y: Float32Array;
  #x: Float32Array;
  #columnBin: Int32Array;
  #widths: [number, number, number];
  #position = 0;

  /**
   * Creates empty planes.
   * @param shape The volume's sizes (z, y, x).
   * @param options The largest plane side.
   * @throws {RangeError} If a size is not a positive integer.
   */
  constructor(shape: readonly [number, number, number], options: ProjectionAccumulatorOptions = {}) {
    if (!shape.every((n) => Number.isInteger(n) && n >= 1)) {
      throw new RangeError(`Cannot project a volume of shape [${shape.join(", ")}]: expected positive sizes`);
    }
    const maxSide = options.maxSide ?? 1024;
    this.shape = shape;
    this.bins = shape.map((n) => Math.max(1, Math.ceil(n / maxSide))) as [number, number, number];
    const [bz, by, bx] = shape.map((n, i) => Math.ceil(n / this.bins[i])) as [number, number, number];
    this.#widths = [bz, by, bx];
    this.#z = new Float32Array(by * bx).fill(-Infinity);
    this.#y = new Float32Array(bz * bx).fill(-Infinity);
    this.#x = new Float32Array(by * bz).fill(-Infinity);
    this.#columnBin = Int32Array.from({ length: shape[2] }, (_, c) => Math.floor(c / this.bins[2]));
  }

  /**
   * Adds the next voxels in file order.
   * @param run Values, continuing where the previous run stopped.
   * @throws {RangeError} If more voxels arrive than the shape holds.
   */
  add(run: ArrayLike<number>): void {
    const [nz, ny, nx] = this.shape;
    if (this.#position + run.length > nz * ny * nx) {
      throw new RangeError(`Cannot add ${run.length} voxels: the volume holds ${nz * ny * nx}`);
    }
    const [wz, , wx] = this.#widths;
    const [binZ, binY] = this.bins;
    const zPlane = this.#z, yPlane = this.#y, xPlane = this.#x, columnBin = this.#columnBin;
    let i = 0;
    let c = this.#position % nx;
    let row = Math.floor(this.#position / nx);
    while (i < run.length) {
      const j = row % ny, k = Math.floor(row / ny);
      const zRow = Math.floor(j / binY) * wx;
      const yRow = Math.floor(k / binZ) * wx;
      const xAt = Math.floor(j / binY) * wz + Math.floor(k / binZ);
      const end = Math.min(run.length, i + nx - c);
      let rowMax = xPlane[xAt];
      for (; i < end; i++, c++) {
        const v = run[i];
        const b = columnBin[c];
        if (v > zPlane[zRow + b]) zPlane[zRow + b] = v;
        if (v > yPlane[yRow + b]) yPlane[yRow + b] = v;
        if (v > rowMax) rowMax = v;
      }
      xPlane[xAt] = rowMax;
      if (c === nx) {
        c = 0;
        row++;
      }
    }
    this.#position += run.length;
  }

  /** Voxels added so far. */
  get count(): number {
    return this.#position;
  }

  /**
   * The projections: `z` (columns x, rows y), `y` (columns x, rows z), `x`
   * (columns z, rows y), in bins.
   * @returns The planes (shared with the accumulator, not copies).
   */
  projections(): Projections {
    const [wz, wy, wx] = this.#widths;
    return {
      z: { data: this.#z, width: wx, height: wy },
      y: { data: this.#y, width: wx, height: wz },
      x: { data: this.#x, width: wz, height: wy },
    };
  }
}

/** Options for {@linkcode projectFile}. */
export interface ProjectFileOptions extends ProjectionAccumulatorOptions {
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** What {@linkcode projectFile} read. */
export interface FileProjections {
  /** The file's header. */
  header: VoxelFileHeader;
  /** The projections, binned as `bins` says. */
  projections: Projections;
  /** Voxels per bin along (z, y, x). */
  bins: readonly [number, number, number];
  /** The smallest and largest finite voxel values. */
  range: [number, number];
}

/** The keys of {@linkcode ProjectFileOptions}, checked at run time. */
const PROJECT_FILE_OPTION_KEYS: OptionKeys<ProjectFileOptions> = {
  maxSide: true,
  signal: true,
};

/**
 * Streams a NIfTI-1 or NRRD file once and returns its three maximum-intensity
 * projections, holding only the planes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeNifti } from "@spimfetch/spimfetch";
 * import { projectFile } from "@spimfetch/spimfetch/cohort";
 * const dir = await Deno.makeTempDir();
 * const volume = { data: new Uint16Array([1, 2, 3, 0]), shape: [2, 1, 2] as [number, number, number], dtype: "uint16" as const };
 * await writeNifti(`${dir}/v.nii`, volume, { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } });
 * const { projections, range } = await projectFile(`${dir}/v.nii`);
 * assertEquals([[...projections.z.data], range], [[3, 2], [0, 3]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path A `.nii`, `.nii.gz` or `.nrrd` file.
 * @param options Plane size limit and cancellation.
 * @returns The header, projections and value range.
 * @throws {SyntaxError} For a file that cannot be read as a 3-D volume (see {@linkcode streamVoxels}).
 */
export async function projectFile(path: string, options: ProjectFileOptions = {}): Promise<FileProjections> {
  options = checkOptions(options, PROJECT_FILE_OPTION_KEYS, "projectFile()");
  const { header, runs } = await streamVoxels(path, options);
  const accumulator = new ProjectionAccumulator(header.shape, options);
  let low = Infinity, high = -Infinity;
  for await (const run of runs) {
    accumulator.add(run);
    for (let i = 0; i < run.length; i++) {
      const v = run[i];
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return { header, projections: accumulator.projections(), bins: accumulator.bins, range: [low, high] };
}

/** Options for {@linkcode renderThumbnail}. */
export interface RenderThumbnailOptions {
  /** Largest side of the picture in pixels. @default {256} */
  maxSize?: number;
  /** Percentiles of the projections shown black and white. @default {[1, 99.5]} */
  percentiles?: readonly [number, number];
  /** Pixels between the panels. @default {6} */
  gap?: number;
}

/** A thumbnail of three projections. */
export interface Thumbnail {
  /** The PNG file's bytes (gray + alpha; the gaps are transparent). */
  png: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** The values shown black and white. */
  window: [number, number];
}

/** The keys of {@linkcode RenderThumbnailOptions}, checked at run time. */
const RENDER_THUMBNAIL_OPTION_KEYS: OptionKeys<RenderThumbnailOptions> = {
  maxSize: true,
  percentiles: true,
  gap: true,
};

/**
 * Draws three projections as one small PNG: the z projection at the top left,
 * the x projection to its right, the y projection below it, each at the same
 * millimetres per pixel (so a brain's proportions show), contrast from
 * percentiles of the projections.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ProjectionAccumulator, renderThumbnail } from "@spimfetch/spimfetch/cohort";
 * const mips = new ProjectionAccumulator([2, 2, 2]);
 * mips.add([0, 1, 2, 3, 4, 5, 6, 7]);
 * const thumbnail = renderThumbnail(mips.projections(), [1, 1, 1], { maxSize: 20, gap: 2 });
 * assertEquals([thumbnail.width, thumbnail.height], [20, 20]);
 * ```
 * @param projections The planes (from {@linkcode ProjectionAccumulator} or `maxIntensityProjections`).
 * @param spacing The size of one plane pixel along x, y, z in mm (voxel spacing times the bins).
 * @param options Size, contrast and gap.
 * @returns The PNG and its size.
 */
export function renderThumbnail(
  projections: Projections,
  spacing: readonly [number, number, number],
  options: RenderThumbnailOptions = {},
): Thumbnail {
  options = checkOptions(options, RENDER_THUMBNAIL_OPTION_KEYS, "renderThumbnail()");
  const image = renderProjectionPlanes(projections, spacing, {
    percentiles: options.percentiles,
    maxSize: options.maxSize ?? 256,
    gap: options.gap ?? 6,
  });
  return { png: image.png, width: image.layout.width, height: image.layout.height, window: image.window };
}
