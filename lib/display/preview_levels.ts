/**
 * A look at every level of an image: each level small enough is read whole,
 * and each larger one as a box at its centre within a byte budget, so the
 * finest levels show their detail without fetching gigabytes.
 *
 * @module
 */
import { Display, escapeHtml } from "./display.ts";
import { projectionsView } from "./figures.ts";
import type { ImageLevel, OmeZarrImage } from "../metadata/image.ts";
import type { Orientation } from "../orient/orient.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import { readLevel } from "../read/read.ts";
import type { Region, VoxelRange } from "../core/volume.ts";
import { bytesPerVoxel } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode previewLevels}. */
export interface PreviewLevelsOptions {
  /** Most voxel bytes read per level. @default {33554432} (32 MiB) */
  maxBytes?: number;
  /** Labels edges anatomically (the same for every level). */
  orientation?: Orientation;
  /** Largest picture size per level, in pixels. @default {300} */
  maxSize?: number;
  /** Called as chunks arrive, level by level. */
  onProgress?: (event: ProgressEvent) => void;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/**
 * The region of a level to preview: all of it if it fits `maxBytes`, else a
 * box at its centre with the level's proportions, shrunk to fit.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { previewRegion } from "@spimfetch/spimfetch/display";
 * // 100 × 100 × 100 uint8 voxels, 1000-byte budget: a 10 × 10 × 10 box at the centre
 * assertEquals(previewRegion({ size: [100, 100, 100], dtype: "uint8" }, 1000), { x: [45, 55], y: [45, 55], z: [45, 55] });
 * ```
 * @param level The level's size (x, y, z) and dtype.
 * @param maxBytes The budget.
 * @returns The region.
 */
export function previewRegion(level: Pick<ImageLevel, "size" | "dtype">, maxBytes: number): Required<Region> {
  const voxels = level.size[0] * level.size[1] * level.size[2];
  const fraction = Math.min(1, Math.cbrt(maxBytes / bytesPerVoxel(level.dtype) / voxels));
  const range = (n: number): VoxelRange => {
    const m = Math.max(1, Math.min(n, Math.floor(n * fraction + 1e-6)));
    const start = Math.floor((n - m) / 2);
    return [start, start + m];
  };
  return { x: range(level.size[0]), y: range(level.size[1]), z: range(level.size[2]) };
}

/** The keys of {@linkcode PreviewLevelsOptions}, checked at run time. */
const PREVIEW_LEVELS_OPTION_KEYS: OptionKeys<PreviewLevelsOptions> = {
  maxBytes: true,
  orientation: true,
  maxSize: true,
  onProgress: true,
  signal: true,
};

/**
 * Reads and shows every level of an image as maximum-intensity projections,
 * side by side: whole levels when they fit the budget, centre boxes otherwise.
 *
 * @example
 * ```ts ignore
 * const image = await openImage("s3://aind-open-data/.../Ex_561_Em_593.zarr");
 * await show(await previewLevels(image));
 * ```
 * @param image The opened image.
 * @param options Budget, orientation, picture size, progress.
 * @returns The display.
 */
export async function previewLevels(
  image: OmeZarrImage,
  options: PreviewLevelsOptions = {},
): Promise<Display> {
  options = checkOptions(options, PREVIEW_LEVELS_OPTION_KEYS, "previewLevels()");
  const maxBytes = options.maxBytes ?? 32 * 2 ** 20;
  const html: string[] = [];
  const text: string[] = [];
  for (const level of image.levels) {
    const region = previewRegion(level, maxBytes);
    const whole = region.x[1] - region.x[0] === level.size[0] &&
      region.y[1] - region.y[0] === level.size[1] &&
      region.z[1] - region.z[0] === level.size[2];
    const volume = await readLevel(image, level.index, {
      roi: region,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    const box = `x ${region.x.join("–")}, y ${region.y.join("–")}, z ${region.z.join("–")}`;
    const title = `level ${level.index}: ${whole ? "whole" : `centre box (${box})`}`;
    const view = projectionsView(volume, {
      spacing: level.spacing,
      orientation: options.orientation,
      maxSize: options.maxSize ?? 300,
      title,
    });
    html.push(`<div title="${escapeHtml(title)}">${view.bundle["text/html"]}</div>`);
    text.push(view.bundle["text/plain"]);
  }
  return new Display({
    "text/plain": text.join("\n\n"),
    "text/html": `<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">${
      html.join("")
    }</div>`,
  });
}
