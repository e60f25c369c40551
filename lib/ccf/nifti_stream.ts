/**
 * Reads the voxels of a 3-D NIfTI-1 image (gzipped or not) in file order, a
 * few at a time, so that a comparison can walk it beside a stream of slabs
 * without holding it whole. A thin view of the one NIfTI reader
 * (`read/nifti_file.ts`) that returns scaled float64 values.
 *
 * @module
 */
import { openNifti } from "../read/nifti_file.ts";

/** A NIfTI image read in order. */
export interface NiftiStream {
  /** Sizes (x, y, z). */
  size: [number, number, number];
  /** The next `count` voxels (scaled by scl_slope/scl_inter when set). */
  read(count: number): Promise<Float64Array>;
}

/**
 * Opens a 3-D NIfTI-1 image for reading in order.
 *
 * @example
 * ```ts ignore
 * import { openNiftiStream } from "@spimfetch/spimfetch/ccf";
 * const stream = await openNiftiStream(await Deno.readFile("average_template_25.nii.gz"), "template");
 * const firstRow = await stream.read(stream.size[0]);
 * ```
 * @param bytes The file.
 * @param source Where it came from, for messages.
 * @returns The stream.
 * @throws {NiftiFormatError} (a `MetadataError`) If it is not a 3-D NIfTI-1 image of a supported type, or (while reading) it ends
 * before the voxels its header announces.
 */
export async function openNiftiStream(bytes: Uint8Array, source: string): Promise<NiftiStream> {
  const file = await openNifti(bytes, { source });
  const { shape, scaling } = file.header;
  return {
    size: [shape[2], shape[1], shape[0]],
    async read(count: number): Promise<Float64Array> {
      const out = Float64Array.from(await file.read(count));
      if (scaling) { for (let i = 0; i < count; i++) out[i] = out[i] * scaling.slope + scaling.inter; }
      return out;
    },
  };
}
