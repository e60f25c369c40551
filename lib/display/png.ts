/**
 * Rasters and PNG: projections windowed to 8 bits, resampled onto one canvas
 * and encoded with `fast-png` (npm, maintained by image-js; it deflates with
 * fflate, which spimfetch already uses).
 *
 * @module
 */
import { encode } from "fast-png";
import {
  intensityPercentiles,
  maxIntensityProjections,
  type PixelRect,
  type ProjectionLayout,
  projectionLayout,
  type ProjectionPlane,
  type Projections,
} from "./preview.ts";
import type { Volume } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** An 8-bit image: gray (1 channel) or gray + alpha (2), row-major. */
export interface GrayRaster {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Samples per pixel. */
  channels: 1 | 2;
  /** `width · height · channels` samples. */
  data: Uint8Array;
}

/**
 * Encodes a raster as PNG (8-bit gray or gray + alpha).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodePng } from "@spimfetch/spimfetch/display";
 * const png = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
 * assertEquals([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
 * ```
 * @param raster The image.
 * @returns The PNG file's bytes.
 * @throws {RangeError} If `data` does not hold `width · height · channels` samples.
 */
export function encodePng(raster: GrayRaster): Uint8Array {
  const { width, height, channels, data } = raster;
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `Cannot encode a ${width}×${height} PNG with ${channels} channel(s) from ${data.length} samples: expected ${
        width * height * channels
      }`,
    );
  }
  return encode({ width, height, data, channels, depth: 8 });
}

/**
 * Maps a value to 0-255 linearly between `low` (black) and `high` (white), clamping outside.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { windowLevel } from "./png.ts";
 * assertEquals([windowLevel(5, 10, 20), windowLevel(15, 10, 20), windowLevel(99, 10, 20)], [0, 128, 255]);
 * ```
 * @param value The value.
 * @param low The value shown black.
 * @param high The value shown white.
 * @returns The gray level.
 */
export function windowLevel(value: number, low: number, high: number): number {
  if (!(value > low)) return 0;
  if (value >= high || !(high > low)) return 255;
  return Math.round((255 * (value - low)) / (high - low));
}

/** Draws a plane into a rectangle of a gray + alpha raster; each pixel takes the max of the source pixels it covers. */
function drawPlane(
  raster: GrayRaster,
  plane: ProjectionPlane,
  rect: PixelRect,
  low: number,
  high: number,
): void {
  const { width: w, height: h } = plane;
  for (let oy = 0; oy < rect.height; oy++) {
    const y0 = Math.floor((oy * h) / rect.height);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * h) / rect.height));
    for (let ox = 0; ox < rect.width; ox++) {
      const x0 = Math.floor((ox * w) / rect.width);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * w) / rect.width));
      // Max rather than mean when shrinking, so a projection keeps its bright details.
      let v = -Infinity;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) if (plane.data[y * w + x] > v) v = plane.data[y * w + x];
      }
      const at = 2 * ((rect.y + oy) * raster.width + rect.x + ox);
      raster.data[at] = windowLevel(v, low, high);
      raster.data[at + 1] = 255;
    }
  }
}

/**
 * Draws the three projections onto one gray + alpha canvas as the layout
 * places them, windowed from `low` to `high`; the space between panels is
 * transparent.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rasterizeProjections } from "./png.ts";
 * import { maxIntensityProjections, projectionLayout } from "./preview.ts";
 * const volume = { data: new Uint16Array([0, 100]), shape: [1, 1, 2] as [number, number, number], dtype: "uint16" as const };
 * const layout = projectionLayout(volume.shape, [1, 1, 1], { maxWidth: 4, maxHeight: 3, gap: 1 });
 * const raster = rasterizeProjections(maxIntensityProjections(volume), layout, [0, 100]);
 * assertEquals([raster.width, raster.height], [4, 3]);
 * assertEquals([...raster.data.subarray(0, 8)], [0, 255, 255, 255, 0, 0, 255, 255]); // x=0, x=1, gap, z panel
 * ```
 * @param projections The projections.
 * @param layout Where each goes.
 * @param window The values shown black and white.
 * @returns The canvas.
 */
export function rasterizeProjections(
  projections: Projections,
  layout: ProjectionLayout,
  window: readonly [number, number],
): GrayRaster {
  const raster: GrayRaster = {
    width: layout.width,
    height: layout.height,
    channels: 2,
    data: new Uint8Array(layout.width * layout.height * 2),
  };
  for (const name of ["z", "y", "x"] as const) {
    drawPlane(raster, projections[name], layout.panels[name], window[0], window[1]);
  }
  return raster;
}

/** The pieces of a projections figure: the PNG, where each panel lies, and the contrast window. */
export interface ProjectionsImage {
  /** The maximum-intensity projections. */
  projections: Projections;
  /** Where each projection lies in the picture. */
  layout: ProjectionLayout;
  /** The values shown black and white. */
  window: [number, number];
  /** The picture, PNG-encoded. */
  png: Uint8Array;
}

/**
 * Renders a volume's three maximum-intensity projections as one PNG, the
 * contrast from percentiles of the projections and the aspect from the spacing.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderProjections } from "@spimfetch/spimfetch/display";
 * const volume = { data: new Uint16Array([0, 100]), shape: [1, 1, 2] as [number, number, number], dtype: "uint16" as const };
 * const image = renderProjections(volume, [1, 1, 1], { percentiles: [0, 100], maxSize: 4 });
 * assertEquals(image.window, [0, 100]);
 * assertEquals([...image.png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * ```
 * @param volume The volume, (z, y, x).
 * @param spacing Voxel size along x, y, z.
 * @param options Percentiles for the contrast and the largest side in pixels.
 * @returns The PNG and its layout.
 */
export function renderProjections(
  volume: Volume,
  spacing: readonly [number, number, number],
  options: { percentiles?: readonly [number, number]; maxSize?: number } = {},
): ProjectionsImage {
  return renderProjectionPlanes(maxIntensityProjections(volume), spacing, {
    ...options,
    maxSize: options.maxSize ?? 640,
  });
}

/** Options for {@linkcode renderProjectionPlanes}. */
export interface RenderPlanesOptions {
  /** Percentiles of the planes' values shown black and white. @default {[1, 99.5]} */
  percentiles?: readonly [number, number];
  /** The largest side in pixels. @default {640} */
  maxSize?: number;
  /** Pixels between panels. @default {projectionLayout's} */
  gap?: number;
}

/** The keys of {@linkcode RenderPlanesOptions}, checked at run time. */
const RENDER_PLANES_OPTION_KEYS: OptionKeys<RenderPlanesOptions> = {
  percentiles: true,
  maxSize: true,
  gap: true,
};

/**
 * Draws projections already computed (in memory or streamed) as one PNG, as {@linkcode renderProjections}
 * does for a volume.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { maxIntensityProjections, renderProjectionPlanes } from "@spimfetch/spimfetch/display";
 * const planes = maxIntensityProjections({ data: new Uint16Array(8).map((_, i) => i), shape: [2, 2, 2], dtype: "uint16" });
 * const image = renderProjectionPlanes(planes, [1, 1, 1], { maxSize: 20, gap: 2 });
 * assertEquals([image.layout.width, image.layout.height], [20, 20]);
 * ```
 * @param projections The three planes.
 * @param spacing The size of one plane pixel along x, y, z in mm.
 * @param options Contrast, size and gap.
 * @returns The PNG and its layout.
 */
export function renderProjectionPlanes(
  projections: Projections,
  spacing: readonly [number, number, number],
  options: RenderPlanesOptions = {},
): ProjectionsImage {
  options = checkOptions(options, RENDER_PLANES_OPTION_KEYS, "renderProjectionPlanes()");
  const { z, y, x } = projections;
  const pixels = new Float32Array(z.data.length + y.data.length + x.data.length);
  pixels.set(z.data);
  pixels.set(y.data, z.data.length);
  pixels.set(x.data, z.data.length + y.data.length);
  const [low, high] = intensityPercentiles(pixels, options.percentiles ?? [1, 99.5]);
  const size = options.maxSize ?? 640;
  // The planes' sizes are the volume's (z, y, x): the y projection is z tall, the z projection y by x.
  const layout = projectionLayout([y.height, z.height, z.width], spacing, {
    maxWidth: size,
    maxHeight: size,
    gap: options.gap,
  });
  const png = encodePng(rasterizeProjections(projections, layout, [low, high]));
  return { projections, layout, window: [low, high], png };
}
