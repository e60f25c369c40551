/**
 * What the viewer shows of one image: its voxels, kept under a size budget by taking every n-th voxel, and
 * the geometry of what is kept, ready to become the in-memory NIfTI that NiiVue reads.
 *
 * The NIfTI comes from the library's own header writer, so the viewer places voxels exactly where a file
 * written by `spimfetch` would place them: NiiVue reads the sform in NIfTI's RAS world, and what it then
 * calls left, anterior and superior is what the geometry says.
 *
 * @module
 */
import { buildNiftiHeader } from "../write/nifti_header.ts";
import { formatBytes } from "../core/bytes.ts";
import {
  allocateVoxels,
  bytesPerVoxel,
  type ImageGeometry,
  type Volume,
  type VoxelType,
} from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The default budget of voxel bytes for one image of a viewer: 64 MiB. */
export const DEFAULT_VIEW_BUDGET_BYTES: number = 64 * 2 ** 20;

/** One image as the viewer shows it. */
export interface ViewerVolume {
  /** The name shown in the viewer (a file name, a channel). */
  name: string;
  /** The voxels shown: the image, or every `step`-th voxel of it. */
  volume: Volume;
  /** Where the voxels shown lie (ITK's LPS conventions). */
  geometry: ImageGeometry;
  /** The stride taken along every axis to fit the budget: 1 when the image is shown whole. */
  step: number;
  /** The image's own size along (z, y, x), before the stride. */
  sourceShape: [number, number, number];
  /** The budget the stride was chosen for, in voxel bytes. */
  budgetBytes: number;
}

/** Options for {@linkcode prepareViewerVolume}. */
export interface PrepareViewerVolumeOptions {
  /** The largest size of the voxels shown, in bytes. @default {DEFAULT_VIEW_BUDGET_BYTES} */
  budgetBytes?: number;
  /** The name shown. @default {"image"} */
  name?: string;
}

/**
 * The smallest stride (the same along every axis) that brings an image under a budget.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { strideForBudget } from "@spimfetch/spimfetch/view";
 * assertEquals(strideForBudget([464, 1280, 925], "uint16", 64 * 2 ** 20), 3); // 1.1 GB → 41 MB
 * assertEquals(strideForBudget([10, 10, 10], "uint16", 2000), 1);
 * ```
 * @param shape Sizes along (z, y, x).
 * @param dtype The voxel type.
 * @param budgetBytes The largest size allowed, in bytes.
 * @returns The stride, 1 or more.
 * @throws {RangeError} If the budget cannot hold even one voxel.
 */
export function strideForBudget(
  shape: readonly [number, number, number],
  dtype: VoxelType,
  budgetBytes: number,
): number {
  const bytes = bytesPerVoxel(dtype);
  if (!(budgetBytes >= bytes)) {
    throw new RangeError(
      `Cannot fit an image into a budget of ${budgetBytes} bytes: one voxel takes ${bytes}`,
    );
  }
  let step = 1;
  while (shape.reduce((n, s) => n * Math.ceil(s / step), bytes) > budgetBytes) step++;
  return step;
}

/**
 * The geometry of every `step`-th voxel of an image starting at voxel 0: the same origin and direction, the
 * spacing times `step`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stridedGeometry } from "@spimfetch/spimfetch/view";
 * const g = stridedGeometry({ spacing: [1, 2, 3], origin: [5, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }, 2);
 * assertEquals(g.spacing, [2, 4, 6]);
 * ```
 * @param geometry The image's geometry.
 * @param step The stride.
 * @returns The strided image's geometry.
 */
export function stridedGeometry(geometry: ImageGeometry, step: number): ImageGeometry {
  return {
    spacing: geometry.spacing.map((s) => s * step) as [number, number, number],
    origin: [...geometry.origin],
    direction: geometry.direction.map((row) => [...row]) as ImageGeometry["direction"],
  };
}

/**
 * Every `step`-th voxel of a volume along each axis, starting at voxel 0.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { strideVolume } from "@spimfetch/spimfetch/view";
 * const v = strideVolume({ data: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]), shape: [2, 2, 2], dtype: "uint8" }, 2);
 * assertEquals([...v.data], [0]);
 * ```
 * @param volume The volume, (z, y, x).
 * @param step The stride; 1 returns the volume itself.
 * @returns The strided volume.
 */
export function strideVolume(volume: Volume, step: number): Volume {
  if (step === 1) return volume;
  const [nz, ny, nx] = volume.shape;
  const shape = volume.shape.map((n) => Math.ceil(n / step)) as [number, number, number];
  const out = allocateVoxels(volume.dtype, shape[0] * shape[1] * shape[2]);
  let o = 0;
  for (let z = 0; z < nz; z += step) {
    for (let y = 0; y < ny; y += step) {
      const row = (z * ny + y) * nx;
      for (let x = 0; x < nx; x += step) out[o++] = volume.data[row + x];
    }
  }
  return { data: out, shape, dtype: volume.dtype };
}

/** The keys of {@linkcode PrepareViewerVolumeOptions}, checked at run time. */
const PREPARE_VIEWER_VOLUME_OPTION_KEYS: OptionKeys<PrepareViewerVolumeOptions> = {
  budgetBytes: true,
  name: true,
};

/**
 * Prepares a volume for the viewer: takes every n-th voxel when it exceeds the budget.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { prepareViewerVolume } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint16Array(64), shape: [4, 4, 4] as [number, number, number], dtype: "uint16" as const };
 * const geometry = { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } as const;
 * const shown = prepareViewerVolume(volume, structuredClone(geometry) as never, { budgetBytes: 16 });
 * assertEquals([shown.step, shown.volume.shape], [2, [2, 2, 2]]);
 * ```
 * @param volume The voxels, (z, y, x).
 * @param geometry Where they lie.
 * @param options The budget and the name.
 * @returns What the viewer shows.
 */
export function prepareViewerVolume(
  volume: Volume,
  geometry: ImageGeometry,
  options: PrepareViewerVolumeOptions = {},
): ViewerVolume {
  options = checkOptions(options, PREPARE_VIEWER_VOLUME_OPTION_KEYS, "prepareViewerVolume()");
  const budgetBytes = options.budgetBytes ?? DEFAULT_VIEW_BUDGET_BYTES;
  const step = strideForBudget(volume.shape, volume.dtype, budgetBytes);
  return {
    name: options.name ?? "image",
    volume: strideVolume(volume, step),
    geometry: stridedGeometry(geometry, step),
    step,
    sourceShape: [...volume.shape],
    budgetBytes,
  };
}

/**
 * The viewer volume as a NIfTI-1 file in memory, header from the library's writer.
 *
 * @param shown The viewer volume.
 * @returns The `.nii` bytes.
 */
export function viewerNifti(shown: ViewerVolume): Uint8Array {
  const header = buildNiftiHeader(shown.volume, shown.geometry, { description: shown.name.slice(0, 79) });
  const data = shown.volume.data;
  const voxels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(header.length + voxels.length);
  out.set(header);
  out.set(voxels, header.length);
  return out;
}

/**
 * One line saying what the viewer shows of an image against its budget, for the page and the notebook.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeViewerVolume } from "@spimfetch/spimfetch/view";
 * const line = describeViewerVolume({ name: "a", volume: { data: new Uint8Array(8), shape: [2, 2, 2], dtype: "uint8" },
 *   geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
 *   step: 1, sourceShape: [2, 2, 2], budgetBytes: 1024 });
 * assertEquals(line, "a: 2 × 2 × 2 voxels (x, y, z), shown whole (8 B, budget 1.0 KiB)");
 * ```
 * @param shown The viewer volume.
 * @returns The line.
 */
export function describeViewerVolume(shown: ViewerVolume): string {
  const size = (shape: readonly number[]): string => [...shape].reverse().join(" × ");
  const bytes = shown.volume.data.byteLength;
  const budget = `${formatBytes(bytes)}, budget ${formatBytes(shown.budgetBytes)}`;
  return shown.step === 1
    ? `${shown.name}: ${size(shown.sourceShape)} voxels (x, y, z), shown whole (${budget})`
    : `${shown.name}: ${size(shown.sourceShape)} voxels (x, y, z), shown at every ${shown.step}${
      ordinal(shown.step)
    } voxel as ${size(shown.volume.shape)} (${budget})`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return "th";
  return ["th", "st", "nd", "rd"][n % 10] ?? "th";
}
