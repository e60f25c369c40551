/**
 * What a volume looks like, as numbers: maximum-intensity projections,
 * intensity percentiles and histograms, and where the projections' edges face
 * anatomically. Pure functions; `figures.ts` draws them.
 *
 * @module
 */
import type { Orientation } from "../orient/orient.ts";
import type { Volume } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** A 2-D image, row-major, row 0 at the top. */
export interface ProjectionPlane {
  /** The pixels, `width` per row. */
  data: Float32Array;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
}

/**
 * The three orthogonal maximum-intensity projections of a (z, y, x) volume,
 * each named by the axis it collapses. `z` and `x` share rows (y), `z` and `y`
 * share columns (x), so they tile as an orthogonal view.
 */
export interface Projections {
  /** Max along z: columns x, rows y. */
  z: ProjectionPlane;
  /** Max along y: columns x, rows z. */
  y: ProjectionPlane;
  /** Max along x: columns z, rows y. */
  x: ProjectionPlane;
}

/**
 * Computes the three maximum-intensity projections in one pass over the voxels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { maxIntensityProjections } from "@spimfetch/spimfetch/display";
 * // shape (z, y, x) = (2, 1, 2): voxels 1 2 / 3 0
 * const mips = maxIntensityProjections({ data: new Uint16Array([1, 2, 3, 0]), shape: [2, 1, 2], dtype: "uint16" });
 * assertEquals([...mips.z.data], [3, 2]); // per x, max over z
 * assertEquals([...mips.y.data], [1, 2, 3, 0]); // rows z, columns x
 * assertEquals([...mips.x.data], [2, 3]); // row y = 0, columns z
 * ```
 * @param volume The volume.
 * @returns The projections; NaN voxels are ignored.
 */
export function maxIntensityProjections(volume: Volume): Projections {
  const [nz, ny, nx] = volume.shape;
  const data = volume.data;
  const z = new Float32Array(ny * nx).fill(-Infinity);
  const y = new Float32Array(nz * nx).fill(-Infinity);
  const x = new Float32Array(ny * nz).fill(-Infinity);
  let i = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const zRow = j * nx;
      const yRow = k * nx;
      let rowMax = -Infinity;
      for (let c = 0; c < nx; c++, i++) {
        const v = data[i];
        if (v > z[zRow + c]) z[zRow + c] = v;
        if (v > y[yRow + c]) y[yRow + c] = v;
        if (v > rowMax) rowMax = v;
      }
      x[j * nz + k] = rowMax;
    }
  }
  return {
    z: { data: z, width: nx, height: ny },
    y: { data: y, width: nx, height: nz },
    x: { data: x, width: nz, height: ny },
  };
}

/** Options for {@linkcode intensityPercentiles}. */
export interface PercentileOptions {
  /** Above this many values, an evenly strided sample of this size is used. @default {1000000} */
  maxSamples?: number;
}

/** The keys of {@linkcode PercentileOptions}, checked at run time. */
const PERCENTILE_OPTION_KEYS: OptionKeys<PercentileOptions> = {
  maxSamples: true,
};

/**
 * Percentiles of a set of values, interpolated linearly between ranks (as
 * numpy's default). Non-finite values are left out. Display contrast comes from
 * these rather than min/max, which a single hot pixel decides.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { intensityPercentiles } from "@spimfetch/spimfetch/display";
 * const values = Float32Array.from({ length: 101 }, (_, i) => i);
 * assertEquals(intensityPercentiles(values, [0, 1, 50, 99.5, 100]), [0, 1, 50, 99.5, 100]);
 * ```
 * @param values The values.
 * @param percents Percentiles wanted, 0 to 100.
 * @param options Sampling of large inputs.
 * @returns One value per percentile; NaN each if there is no finite value.
 * @throws {RangeError} If a percentile is outside 0-100.
 */
export function intensityPercentiles(
  values: ArrayLike<number>,
  percents: readonly number[],
  options: PercentileOptions = {},
): number[] {
  options = checkOptions(options, PERCENTILE_OPTION_KEYS, "intensityPercentiles()");
  for (const p of percents) {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`Cannot compute percentile ${p}: expected 0 to 100`);
  }
  const step = Math.max(1, Math.ceil(values.length / (options.maxSamples ?? 1_000_000)));
  const sample = new Float64Array(Math.ceil(values.length / step));
  let n = 0;
  for (let i = 0; i < values.length; i += step) {
    const v = values[i];
    if (Number.isFinite(v)) sample[n++] = v;
  }
  const sorted = sample.subarray(0, n).sort();
  return percents.map((p) => {
    if (n === 0) return NaN;
    const rank = (p / 100) * (n - 1);
    const lo = Math.floor(rank);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
  });
}

/** Counts of values in equal-width bins. */
export interface Histogram {
  /** The smallest finite value (the first bin's lower edge). */
  min: number;
  /** The largest finite value (the last bin's upper edge). */
  max: number;
  /** Width of each bin. */
  binWidth: number;
  /** Values per bin. */
  counts: number[];
}

/**
 * Histograms the finite values into `bins` equal bins from min to max.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { intensityHistogram } from "@spimfetch/spimfetch/display";
 * const h = intensityHistogram(new Uint8Array([0, 1, 2, 3, 3, 3]), { bins: 3 });
 * assertEquals(h.counts, [1, 1, 4]);
 * ```
 * @param values The values.
 * @param options The number of bins.
 * @returns The histogram (all counts zero, min = max = NaN, if there is no finite value).
 */
export function intensityHistogram(values: ArrayLike<number>, options: { bins?: number } = {}): Histogram {
  const bins = options.bins ?? 128;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (min > max) return { min: NaN, max: NaN, binWidth: NaN, counts };
  const binWidth = max > min ? (max - min) / bins : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= min && v <= max) counts[Math.min(bins - 1, Math.floor((v - min) / binWidth))]++;
  }
  return { min, max, binWidth, counts };
}

/** A rectangle in pixels. */
export interface PixelRect {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** Where the three projections go in one picture, at one scale in mm per pixel. */
export interface ProjectionLayout {
  /** The picture's width in pixels. */
  width: number;
  /** The picture's height in pixels. */
  height: number;
  /** Millimetres per pixel, the same along every axis. */
  mmPerPixel: number;
  /** Each projection's rectangle: `z` top left, `x` to its right, `y` below it. */
  panels: { z: PixelRect; y: PixelRect; x: PixelRect };
}

/** Options for {@linkcode projectionLayout}. */
export interface ProjectionLayoutOptions {
  /** Largest picture width. @default {640} */
  maxWidth?: number;
  /** Largest picture height. @default {640} */
  maxHeight?: number;
  /** Pixels between panels (room for edge labels). @default {36} */
  gap?: number;
}

/**
 * Lays the projections out so that a pixel covers the same physical distance
 * along every axis: aspect ratios follow the voxel spacing, not the voxel count.
 *
 * @example Thick slices: z voxels four times the x and y voxels
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { projectionLayout } from "./preview.ts";
 * const layout = projectionLayout([10, 40, 40], [1, 1, 4], { maxWidth: 108, maxHeight: 108, gap: 8 });
 * assertEquals(layout.panels.z, { x: 0, y: 0, width: 50, height: 50 });
 * assertEquals(layout.panels.y, { x: 0, y: 58, width: 50, height: 50 }); // 10 × 4 mm tall
 * ```
 * @param shape Voxels along (z, y, x).
 * @param spacing Voxel size along (x, y, z), in mm (ITK order, as `ImageLevel.spacing`).
 * @param options Size limits and gap.
 * @returns The layout.
 */
export function projectionLayout(
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  options: ProjectionLayoutOptions = {},
): ProjectionLayout {
  const gap = options.gap ?? 36;
  const [ex, ey, ez] = [shape[2] * spacing[0], shape[1] * spacing[1], shape[0] * spacing[2]];
  const mmPerPixel = Math.max(
    (ex + ez) / Math.max(1, (options.maxWidth ?? 640) - gap),
    (ey + ez) / Math.max(1, (options.maxHeight ?? 640) - gap),
  );
  const px = (mm: number): number => Math.max(1, Math.round(mm / mmPerPixel));
  const [wx, hy, wz] = [px(ex), px(ey), px(ez)];
  return {
    width: wx + gap + wz,
    height: hy + gap + wz,
    mmPerPixel,
    panels: {
      z: { x: 0, y: 0, width: wx, height: hy },
      x: { x: wx + gap, y: 0, width: wz, height: hy },
      y: { x: 0, y: hy + gap, width: wx, height: wz },
    },
  };
}

/** What each edge of a projection faces. */
export interface EdgeLabels {
  /** Column 0's side. */
  left: string;
  /** The last column's side. */
  right: string;
  /** Row 0's side. */
  top: string;
  /** The last row's side. */
  bottom: string;
}

// Index axes (0, 1, 2 = x, y, z) along each projection's columns and rows.
const PANEL_AXES = { z: [0, 1], y: [0, 2], x: [2, 1] } as const;

/**
 * Labels the edges of each projection. With an orientation, each edge gets
 * the anatomical letter it faces (column 0 faces where its index axis comes
 * from, the last column where it goes to); without one, the index range
 * (`x=0`, `x=924`).
 *
 * @example The reference notebook's orientation (x toward right, y toward anterior, z toward inferior)
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { projectionEdges } from "./preview.ts";
 * import { computeOrientation } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const orientation = computeOrientation(axes, { size: [4, 4, 4], spacing: [1, 1, 1] });
 * assertEquals(projectionEdges([4, 4, 4], orientation).y, { left: "L", right: "R", top: "S", bottom: "I" });
 * assertEquals(projectionEdges([4, 5, 6]).x, { left: "z=0", right: "z=3", top: "y=0", bottom: "y=4" });
 * ```
 * @param shape Voxels along (z, y, x).
 * @param orientation The volume's orientation, if known.
 * @returns Labels per projection.
 */
export function projectionEdges(
  shape: readonly [number, number, number],
  orientation?: Orientation,
): { z: EdgeLabels; y: EdgeLabels; x: EdgeLabels } {
  const end = (axis: 0 | 1 | 2, high: boolean): string => {
    const oriented = orientation?.axes[axis];
    if (oriented) return high ? oriented.toLetter : oriented.fromLetter;
    return `${"xyz"[axis]}=${high ? shape[2 - axis] - 1 : 0}`;
  };
  const edges = (panel: keyof typeof PANEL_AXES): EdgeLabels => {
    const [columns, rows] = PANEL_AXES[panel];
    return {
      left: end(columns, false),
      right: end(columns, true),
      top: end(rows, false),
      bottom: end(rows, true),
    };
  };
  return { z: edges("z"), y: edges("y"), x: edges("x") };
}
